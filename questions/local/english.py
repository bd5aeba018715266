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
from collections.abc import Sequence

from analytics_core.periods import MONTHS

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
    | {"busiest", "strongest", "peak", "fastest", "quickest"}
)
BOTTOM_WORDS = frozenset(
    {"bottom", "worst", "lowest", "smallest", "least", "fewest", "min", "minimum", "weakest"}
    | {"slowest", "quietest"}
)
#: Forms of "to be" ("revenue was", "orders that were cancelled").
BEING = frozenset({"is", "are", "was", "were", "be", "been", "being"})
COMPARE_CUES = frozenset({"vs", "versus", "compared", "compare", "against", "or", "than"})
COMPARE_CUES |= {"contrast", "contrasted", "benchmark", "benchmarked", "juxtapose", "juxtaposed"}
NEGATION_CUES = frozenset({"excluding", "except", "without", "exclude", "not", "outside"})

#: Words that carry no meaning for the semantic query: grammar, politeness,
#: verbs of asking and of selling. Never fuzzy-matched, never reported as
#: unknown; every other word of a question must mean something to the engine.
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
why know let want need i'd i'm we're we've you're id im kindly pls plz roughly
approximately approx exactly precisely quick quickly quite really actually actual real
altogether combined together whole entire full grand ever far so-far across overall
company business firm shop store's its our ours come came coming bring achieve achieved
achieving hit reach reached record recorded book booked take took taken receive received
pull fetch run calculate compute computed work working break broke show showing shown
display give giving gave provide provided able happen happened happening
there's here's breakdowns number's figures' metric metrics kpi kpis stats statistics
info information details detail quickly briefly currently current presently
overview view snapshot summary summarise summarize list listing table tables chart
just only exactly more less than equal equals versus vs against relative
average avg mean typical per each every respectively both either neither
excluding except without exclude excludes not outside other
buy buys bought buying purchased ordered spend spent spending something anything anyone
shopped shopping logged registered processed process handled
someone somebody people folks everything everyone everybody everywhere non but
unique distinct individual separate separately individually respective various
pivot pivoted crosstab cross tab matrix row rows column columns tabulate itemize itemise
itemized itemised categorize categorise drill drilled vary varies varied variation
juxtapose juxtaposed weigh weighed pit pitted fast minus
am anybody anyhow anyway basically cannot check checking determine done etc having he
she him his her hers herself himself help helps hence however indeed itself lets love
might moreover myself namely ourselves perhaps seem seemed seems shall simply somehow
therefore very well whom whose wonder wondering yours yourself yourselves theirs
themselves whoever furthermore curious interested ordering
segmented grouped bucketed categorised categorized organised organized arranged aggregated
win won winning whatever through via different including include includes included ones
incl inclusive sliced slice slices cut cuts separated tabulated according terms respect
way among amongst under contrast contrasted benchmark benchmarked
pacing paced sitting sits specifically specific still if shaping shape bucket buckets moment
whether toward towards ship go goes went gone going track tracking tracked fare faring
net kind kinds type types sort move
count counts counting regardless irrespective whatever moved
drove drive drives driving driven drivers driver behind cause caused causes causing
reason reasons explain explains explanation factor factors contributed contribute
higher lower greater bigger smaller better worse fewer larger
saw see seen sees seeing experience experienced experiencing getting gotten becoming became
"""
#: (Not "thus", "must" or "mine": slips of "this", "most" and "min".)
#: Verbs that name a metric only when no other metric is named ("how much did we
#: sell" is revenue; "how many items did we sell" is units sold).
METRIC_VERBS = frozenset(
    {"sell", "sold", "selling", "spend", "spent", "spending", "bring", "brought", "take"}
    | {"took", "turn", "turned", "make", "made", "making", "earn", "earned", "earning"}
)
#: Words setting a plan against actuals ("vs budget", "hitting our targets"):
#: fillers here, read by the engine next to a plan metric.
AGAINST_PLAN_WORDS = """
    against vs versus hitting hit meeting meet met reaching reach reached beating beat
    missing miss missed achieving achieve exceed exceeded exceeding close closer near
    ahead behind far short
"""
#: Verbs of winning customers: with them, customers counted are new ones
#: ("how many customers did we acquire"); fillers otherwise.
_ACQUIRING = """
    acquire acquired acquiring win won onboard onboarded attract attracted sign signed
    recruit recruited open opened acquisition acquisitions gain gained gaining join joined
    joining
"""
ACQUIRING = frozenset(_ACQUIRING.split())
STOPWORDS = frozenset(_STOPWORDS.split()) | frozenset(AGAINST_PLAN_WORDS.split()) | ACQUIRING
#: Words before a value that keep its rows in rather than filter to them
#: ("total orders including cancelled").
INCLUDING = frozenset({"including", "include", "includes", "incl", "plus"})
#: The forms of a verb that names a metric: "how much have we sold" is an
#: amount (the money metric of the verb), "how many did we sell" a count.
VERB_FORMS = (frozenset({"sell", "sold", "selling", "sells"}),)
#: Words that ask how a metric moved between two periods ("growth", "why did
#: revenue drop?"): the period against the one before it.
_CHANGE_WORDS = """
    growth grow grew grown growing change changed changing changes increase increased
    increasing decrease decreased decreasing decline declined declining drop dropped
    dropping fall fell fallen falling rise rose risen rising delta difference differ gap jump
    shift shifted
    jumped dip dipped shrink shrank shrunk improve improved improvement worsen worsened
    gain gained movement development evolve evolved variance swing uplift lift lifted
    spike spiked plunge plunged slump slumped surge surged climb climbed rebound rebounded
    diff outpace outpaced outpacing outperform outperformed outperforming lag lagged lagging
    momentum
    trajectory sequential sequentially bump soar soared tank tanked recover recovered
"""
# Not "lost"/"loss": "revenue lost to cancellations" asks for an amount the
# metrics do not hold (revenue leaves cancelled orders out), not a change.
CHANGE_WORDS = frozenset(_CHANGE_WORDS.split())
#: Words that ask for a part of a total ("share of revenue from mobile").
SHARE_WORDS = frozenset(
    {"share", "proportion", "fraction", "portion", "mix", "percentage", "contribution"}
    | {"distribution", "distributed", "composition", "makeup", "breakup", "spread"}
)
SHARE_WORDS_WITH_OF = frozenset({"percent", "%", "pct", "part"})
#: "Month over month", "MoM", "WoW": each period against the one before (the
#: calendar, :mod:`analytics_core.periods`, reads "the previous month", "the
#: same month last year" and "year over year").
OVER_PERIOD = re.compile(
    r"\b(?:(?:month|week|quarter|day)[- ]over[- ](?:month|week|quarter|day)"
    r"|(?:month|week|quarter|day)[- ]on[- ](?:month|week|quarter|day)"
    r"|mom|wow|qoq|dod|m-o-m|w-o-w|q-o-q|m/m|w/w|q/q|period[- ]over[- ]period|pop)(?![\w/])"
)
#: Phrases said one way and read as another, applied to the normalized text
#: before anything else reads it: "mean" as an adjective is "average" ("mean
#: order value"); a price averaged over what was sold is revenue per unit
#: ("average selling price", "ASP"); "X divided by Y" is "X per Y".
_COMPARATIVES = (
    r"better|worse|more|less|fewer|higher|lower|bigger|smaller|greater|larger|stronger|weaker"
    r"|busier|quieter|different|faster|slower|rather|other"
)
_UNITS = r"(?:days?|weeks?|weekends?|fortnights?|months?|quarters?|years?)"
#: The calendar's month names and their three-letter (and "sept") short forms.
_MONTH_NAMES = "(?:" + "|".join(sorted({*MONTHS, *(m[:3] for m in MONTHS), "sept"})) + ")"
PARAPHRASES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bmean\b(?=\s+(?!by\b|that\b|the\b|what\b|it\b|for\b|to\b)[a-z])"), "average"),
    (
        re.compile(
            r"\b(?:(?:the\s+)?(?:average|typical)\s+(?:selling\s+|sale\s+|sales\s+|unit\s+)?price"
            r"(?:\s+per\s+(?:unit|item))?|asp)\b"
        ),
        "revenue per unit",
    ),
    (re.compile(r"\bdivided\s+by\b"), "per"),
    # Slips that make another word, read by the words around them: "thru";
    # "better then February" (then for than after a comparative); "compared
    # too May" (too for to after a comparison); "2025 YDT" (letters swapped in
    # a to-date abbreviation); "inQ2", "in2025" (the space left out).
    (re.compile(r"\bthru\b"), "through"),
    (re.compile(rf"\b({_COMPARATIVES})\s+then\b"), r"\1 than"),
    (re.compile(r"\b(compared?|comparing|relative|versus|vs)\s+too\b"), r"\1 to"),
    (re.compile(r"\b([yqmw])dt\b"), r"\1td"),
    (re.compile(r"\b(in|for|during|since|of|vs|over)(q[1-4]|h[12]|(?:19|20)\d\d)\b"), r"\1 \2"),
    (re.compile(r"\b(top|bottom)(\d{1,3})\b"), r"\1 \2"),
)
#: Real words typed for others, read by the words around them and said as
#: corrections: "the passed week", "profit four Q1", "over the weakened",
#: "sails by category", "by reign", "AVO" (two letters of AOV swapped).
REAL_WORD_SLIPS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(rf"\bpassed\s+(?=(?:\d+\s+|few\s+|couple\s+of\s+)?{_UNITS}\b)"), "past "),
    (
        re.compile(rf"\bfour\s+(?=(?:q[1-4]|h[12]|(?:19|20)\d\d|this|last|{_MONTH_NAMES})\b)"),
        "for ",
    ),
    (re.compile(r"\b(the|this|last|past|previous|over)\s+weak(?:e)?ne?d\b"), r"\1 weekend"),
    (re.compile(r"\bsails\b"), "sales"),
    (re.compile(r"\b(by|per|each|every|which|what)\s+reigns?\b"), r"\1 region"),
    (re.compile(r"\bavo\b"), "aov"),
)
#: Words skipped between a negation cue and the value it negates.
SKIPPED = frozenset({"the", "any", "all", "our", "of", "from", "in", "through", "via", "on", "by"})

# Requests the platform will not do, checked before anything else. A verb that
# changes data counts when it is an order (the question starts with it), when
# its object is something stored ("drop the orders table", "delete all rows"),
# or in SQL's own words; "why did revenue drop?" is a question about revenue.
_CHANGE_VERBS = (
    r"delete|drop|truncate|insert|alter|update|upsert|remove|erase|wipe|purge|overwrite|"
    r"rename|modify|edit|reset|clear|create|grant|revoke|merge|set|replace|restore|destroy"
)
#: Verbs that change data only with an object ("add a new product", "mark order
#: 991 as delivered"); "add units sold" adds a metric to the answer.
_OBJECT_VERBS = (
    r"add|mark|refund|cancel|approve|assign|correct|fix|adjust|register|upload|void|archive"
)
_OBJECTS = (
    r"(?:a|an|the|new|this|that|these|those|all|every|orders?|customers?|products?|rows?|"
    r"records?|targets?|prices?|\d+)"
)
_POLITE = (
    r"(?:(?:please|pls|plz|kindly|can you|could you|would you|will you|go ahead and|"
    r"i want you to|i need you to|i'd like you to|i would like you to|now|then|just|also|"
    r"hey|hi|ok|okay)\s+)*"
)
_DETERMINERS = r"(?:(?:the|all|this|that|these|those|every|any|some|our|my|your|a|an|of)\s+)*"
_STORED = (
    r"(?:tables?|views?|schemas?|databases?|rows?|records?|data|dataset|columns?|everything|"
    r"warehouse|entries|entry|values?|lines?|orders|customers|products|results?|history|"
    r"fields?|figures|numbers|users?|roles?|permissions?|grants?|access)"
)
_PREPOSITIONS = (
    r"(?:in|on|at|by|for|from|during|over|since|after|before|last|this|next|vs|versus|"
    r"than|compared|against|and|or|to|with|between|per|across|when|while|because|so)"
)
CHANGE_DATA = re.compile(
    rf"^{_POLITE}(?:{_CHANGE_VERBS})\b|^{_POLITE}(?:{_OBJECT_VERBS})\s+{_OBJECTS}\b"
    rf"|\b(?:{_CHANGE_VERBS})\s+{_DETERMINERS}(?:(?!{_PREPOSITIONS}\b)[\w-]+\s+)?{_STORED}\b"
    r"|\b(?:delete|drop|truncate|remove|erase|wipe|purge|destroy|overwrite)\s+(?:it|them)\b"
    r"|\b(?:insert\s+into|update\s+\w+\s+set|merge\s+into|delete\s+from|truncate\s+table|"
    r"(?:drop|alter|create(?:\s+or\s+replace)?)\s+(?:table|view|schema|database|user|role|stage|"
    r"task|procedure|function)|grant\s+\w+\s+(?:on|to)|revoke\s+\w+\s+(?:on|from)|"
    r"set\s+(?:\w+\s+){1,6}(?:to|=))\b"
)
FORECAST = re.compile(
    r"\b(?:forecast\w*|predict\w*|projection\w*|project(?:ed)? (?:revenue|sales|orders)|"
    r"will (?:\w+ ){0,3}be|will (?:we|it|they|you|i|our|the|revenue|sales|orders)|going to|"
    r"(?<!than )expect(?:ed|s|ing)?|estimate\w*|"
    r"extrapolat\w*|outlook)\b"
)
PERSONAL = re.compile(
    r"\b(?:e-?mails?(?: address(?:es)?)?|(?:tele)?phone (?:numbers?|nos?)|mobile numbers?|"
    r"(?:customers?|clients?|buyers?|users?|their|people)'?s? (?:tele)?phones?|"
    r"(?:home |postal |street |billing |shipping )?address(?:es)?|"
    r"(?:first|last|full|customer'?s?|client'?s?|buyer'?s?|user'?s?) names?|"
    r"names? of (?:the |our |a |each )?(?:customers?|clients?|buyers?|users?|people|shoppers?)|"
    r"who (?:is|are|was|were) (?:the |our )?(?:customers?|buyers?|clients?)|"
    r"birth ?days?|date of birth|dob|ssn|social security|passwords?|credit cards?|"
    r"ip address(?:es)?|"
    r"personal (?:data|information|details)|pii|individual customers?|"
    r"(?:top|best|biggest|largest) (?:\d+ )?customers|customer ids?|customer (?:\d+|#\d+)|"
    # "revenue by customer": one row per person, unless a word after says an
    # attribute of the customer ("by customer segment", "by customer market",
    # misspelt or not: the vocabulary reads it). Period words and grammar
    # after are no attribute ("by customer last month").
    # ("spent by customers in APAC" is who spent, in aggregate.)
    r"(?:by|for each|for every) (?:individual |single )?(?:customer|client|buyer|shopper)"
    r"(?!s|'| (?!(?:last|this|past|previous|in|on|for|during|over|from|since|between|"
    r"yesterday|today|ytd|mtd|qtd|wtd|and|with|where|who|that|please|pls|so|far)\b)[a-z]))\b"
)

#: A question that starts like a follow-up ("and orders?", "what about AOV?").
FOLLOW_UP = re.compile(
    r"^(?:and|also|plus|what about|how about|now|same|only|just|but|then|ok|okay|instead)\b"
)
ADDING = re.compile(r"^(?:and|also|plus)\b")
#: Words that ask for a time series ("revenue trend", "orders over time").
TREND_WORDS = frozenset({"trend", "trending", "trended", "timeline", "evolution", "history"})
STOPWORDS = STOPWORDS | TREND_WORDS
#: Chat shorthand ("gimme", "thx", "btw"): fillers, but never what a slip of
#: another word is read as ("lm" is no "lmk").
_CHAT = "gimme lemme u ur r w thx thnx ty cheers btw fyi asap lmk tia q"
CHAT_WORDS = frozenset(_CHAT.split())
STOPWORDS = STOPWORDS | CHAT_WORDS
#: Numbers spelled out that may follow "top" or "bottom" come from
#: :data:`analytics_core.periods.NUMBER_WORDS`.


def refusal_of(text: str) -> str | None:
    """Why the platform will not do what ``text`` (normalized) asks, if so."""
    if CHANGE_DATA.search(text):
        return (
            "This engine only reads data; it never changes, deletes or creates anything."
            " Ask a question about a metric instead."
        )
    if PERSONAL.search(text):
        return (
            "Personal data (names, emails, phone numbers, addresses, individual"
            " customers) is not available here. Ask about customers in aggregate:"
            " by segment, region or country."
        )
    if FORECAST.search(text):
        return (
            "Forecasts and predictions are not something this engine does; it answers"
            " with recorded figures. Ask about a past period."
        )
    return None


def join(items: Sequence[str], word: str = "and") -> str:
    """``a, b and c``."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {word} " + items[-1]


#: The letters of a QWERTY keyboard's rows: a finger slipping to a neighbour
#: ("raye" for "rate", "feom" for "from") is the most common changed letter.
_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_NEIGHBOURS = {
    row[i]: {row[j] for j in (i - 1, i + 1) if 0 <= j < len(row)}
    for row in _ROWS
    for i in range(len(row))
}


def neighbour_slip(said: str, known: str) -> bool:
    """Whether ``said`` is ``known`` with one letter (not the first) typed as
    the key next to it."""
    if len(said) != len(known) or said[0] != known[0]:
        return False
    changed = [(a, b) for a, b in zip(said, known, strict=True) if a != b]
    return len(changed) == 1 and changed[0][0] in _NEIGHBOURS.get(changed[0][1], set())
