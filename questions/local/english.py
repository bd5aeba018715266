"""English, as the local engine reads it: the words that shape a question
(grains, grouping, ranking, comparison and negation cues), the words that
carry no meaning for a semantic query, and the requests the platform will not
do.

Only grammar lives here. Every word that names a metric, a dimension or a
value comes from the semantic layer (labels and ``meta`` in
``dbt_project/models/semantic/``), read by :mod:`questions.local.vocabulary`.
"""

from __future__ import annotations

import re

GRAINS = ("day", "week", "month", "quarter", "year")

GRAIN_WORDS = {
    "daily": "day",
    "weekly": "week",
    "monthly": "month",
    "quarterly": "quarter",
    "yearly": "year",
    "annual": "year",
    "annually": "year",
}
GRAIN_NOUNS = {g: g for g in GRAINS} | {"date": "day"}
GROUP_CUES = frozenset(
    {"by", "per", "each", "every", "across", "which", "what", "all", "among", "between"}
)
TOP_WORDS = frozenset(
    {"top", "best", "highest", "largest", "biggest", "leading", "most", "max", "maximum"}
)
BOTTOM_WORDS = frozenset(
    {"bottom", "worst", "lowest", "smallest", "least", "fewest", "min", "minimum", "weakest"}
)
COMPARE_CUES = frozenset({"vs", "versus", "compared", "compare", "against", "or"})
NEGATION_CUES = frozenset({"excluding", "except", "without", "exclude", "not", "outside"})

#: Words that carry no meaning for the semantic query (never fuzzy-matched,
#: never reported as unknown).
_STOPWORDS = """
a an the of in on at for to from with and or is are was were be been being what whats
which who how much many me us our we i you your my it its this that these those there
their them they show give tell list get display see find please can could would should
will do does did have has had total totals overall sum number amount value values figure
figures data numbers all any some each every per by across vs versus compared compare
against between than over during within as so just only also about around up down out
into broken breakdown split grouped group sorted sort ordered order rank ranked top
bottom best worst highest lowest largest smallest biggest most least fewest leading max
min maximum minimum weakest strongest did make made get got generate generated bring
brought sell sold selling earn earned were while when where here now then today
yesterday period time date dates range trend trends over time usd dollars dollar money
currency figure level levels performance perform performing performed doing going like
look looking looks looked split wise based basis per cent percent percentage rate rates
ratio report reporting chart graph table view summary breakdown month months week weeks
day days year years quarter quarters daily weekly monthly quarterly yearly annual
annually compared comparison comparing vs. its it's what's how's hi hello hey thanks
thank ok okay
"""
STOPWORDS = frozenset(_STOPWORDS.split())
#: Words skipped between a negation cue and the value it negates.
SKIPPED = frozenset({"the", "any", "all", "our", "of"})

# Requests the platform will not do, checked before anything else.
CHANGE_DATA = re.compile(
    r"\b(?:delete|drop|truncate|insert|alter|grant|revoke|merge into|update|upsert|"
    r"remove|erase|wipe|purge|overwrite|rename|create (?:a |the )?(?:table|view|schema|user)|"
    r"set (?:\w+ ){1,6}(?:to|=))\b"
)
FORECAST = re.compile(
    r"\b(?:forecast\w*|predict\w*|projection\w*|project(?:ed)? (?:revenue|sales|orders)|"
    r"will (?:\w+ ){0,3}be|will (?:we|it|they|you|i|our|the|revenue|sales|orders)|going to|"
    r"expect(?:ed)? (?:revenue|sales|orders)|estimate\w*|"
    r"extrapolat\w*|outlook)\b"
)
PERSONAL = re.compile(
    r"\b(?:e-?mails?(?: address(?:es)?)?|phone(?: numbers?)?|telephone|mobile numbers?|"
    r"(?:home |postal |street |billing |shipping )?address(?:es)?|"
    r"(?:first|last|full|customer'?s?|client'?s?|buyer'?s?|user'?s?) names?|"
    r"names? of (?:the |our |a |each )?(?:customers?|clients?|buyers?|users?|people|shoppers?)|"
    r"who (?:is|are|was|were) (?:the |our )?(?:customers?|buyers?|clients?)|"
    r"birth ?days?|date of birth|dob|ssn|social security|passwords?|credit cards?|"
    r"ip address(?:es)?|"
    r"personal (?:data|information|details)|pii|individual customers?|"
    r"(?:top|best|biggest|largest) (?:\d+ )?customers|customer ids?|customer (?:\d+|#\d+))\b"
)

#: A question that starts like a follow-up ("and orders?", "what about AOV?").
FOLLOW_UP = re.compile(
    r"^(?:and|also|plus|what about|how about|now|same|only|just|but|then|ok|okay|instead)\b"
)
ADDING = re.compile(r"^(?:and|also|plus)\b")
#: Words that ask for a time series ("revenue trend", "orders over time").
TREND_WORDS = frozenset({"trend", "trending", "timeline", "evolution", "history"})
#: Numbers spelled out that may follow "top" or "bottom" come from
#: :data:`analytics_core.periods.NUMBER_WORDS`.
