"""A cron expression (five fields, UTC) said in words: "daily at 06:00 UTC".

The schedule file keeps crons (the scheduler, Snowflake tasks and the AWS
build schedule read them); people read this. The shapes the schedule uses
and their neighbours are said in words (every N minutes, hourly, daily,
weekdays, named weekdays, a day of the month, named months); anything else
is said as the cron itself, so no schedule is ever described wrongly.
"""

from __future__ import annotations

WEEKDAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_DAY_NAMES = {name[:3].lower(): index for index, name in enumerate(WEEKDAYS)}
_MONTH_NAMES = {name[:3].lower(): index + 1 for index, name in enumerate(MONTHS)}


class _NotSimple(ValueError):
    """A field this module does not put into words."""


def _numbers(field: str, low: int, high: int, names: dict[str, int] | None = None) -> list[int]:
    """The values of a cron field made of numbers, names, ranges and lists."""
    values: list[int] = []
    for part in field.split(","):
        if "/" in part:
            raise _NotSimple(field)
        ends = part.split("-")
        if len(ends) > 2:
            raise _NotSimple(field)
        bounds = [_number(end, names) for end in ends]
        first, last = bounds[0], bounds[-1]
        if not low <= first <= last <= high:
            raise _NotSimple(field)
        values.extend(range(first, last + 1))
    return sorted(set(values))


def _number(text: str, names: dict[str, int] | None) -> int:
    if text.isdigit():
        return int(text)
    if names and text.lower() in names:
        return names[text.lower()]
    raise _NotSimple(text)


def _ordinal(day: int) -> str:
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _times(minute: str, hour: str) -> str:
    if minute.startswith("*/") and hour == "*":
        step = int(minute[2:])
        return "every minute" if step == 1 else f"every {step} minutes"
    minutes = _numbers(minute, 0, 59)
    if hour == "*":
        return "every hour at " + _and([f":{m:02d}" for m in minutes])
    if hour.startswith("*/"):
        step = int(hour[2:])
        return f"every {step} hours at " + _and([f":{m:02d}" for m in minutes])
    hours = _numbers(hour, 0, 23)
    return "at " + _and([f"{h:02d}:{m:02d}" for h in hours for m in minutes]) + " UTC"


def _days(day_of_month: str, day_of_week: str) -> str:
    if day_of_month == "*" and day_of_week == "*":
        return "daily"
    if day_of_month != "*" and day_of_week != "*":
        raise _NotSimple("both day fields")  # cron's "either" rule: said as the cron
    if day_of_month != "*":
        days = _numbers(day_of_month, 1, 31)
        return "monthly on the " + _and([_ordinal(d) for d in days])
    weekdays = sorted({d % 7 for d in _numbers(day_of_week, 0, 7, _DAY_NAMES)})
    if weekdays == [1, 2, 3, 4, 5]:
        return "on weekdays"
    if weekdays == [0, 6]:
        return "on weekends"
    return "every " + _and([WEEKDAYS[d] for d in weekdays])


def describe_cron(cron: str) -> str:
    """``cron`` in words, in UTC: "daily at 06:00 UTC", "every Monday at 08:00
    UTC", "monthly on the 1st at 07:00 UTC"; "cron X (UTC)" for shapes not
    put into words."""
    fields = " ".join(str(cron).split()).split(" ")
    if len(fields) != 5:
        return f"cron {cron} (UTC)"
    minute, hour, day_of_month, month, day_of_week = fields
    try:
        times = _times(minute, hour)
        days = _days(day_of_month, day_of_week)
        months = (
            ""
            if month == "*"
            else " in " + _and([MONTHS[m - 1] for m in _numbers(month, 1, 12, _MONTH_NAMES)])
        )
    except (_NotSimple, ValueError):
        return f"cron {' '.join(fields)} (UTC)"
    if times.startswith("every") and days == "daily":
        return f"{times}{' UTC' if 'UTC' not in times else ''}{months}"
    if times.startswith("every"):
        return f"{days}{months}, {times}{'' if 'UTC' in times else ' UTC'}"
    return f"{days}{months} {times}"
