"""Subscriptions: who receives a scheduled report, over which channel (issue 20).

A subscription names a report job of the schedule file and its recipients.
Each recipient has a channel (``email``, ``slack``, ``teams`` or
``webhook``), the formats it gets, whether they are attached or linked, and
its own report parameters (EMEA's manager gets the EMEA slice). They live in
the schedule file's ``subscriptions`` section; :func:`parse_subscriptions`
checks them on load, and every error names the entry:
``subscriptions[0] (weekly_to_leadership) recipients[1]: ...``.

Secrets never live in the file: a chat or webhook recipient names the
*secret* that holds its URL (settings or Secrets Manager resolve it when
sending), so a URL written here is refused. Addresses are checked strictly
(one address per entry, no display-name tricks, no line breaks: nothing
that could add a mail header), and lists are bounded.

This step declares and checks; sending, exactly-once bookkeeping and the
``analytics deliver`` command come with the channel adapters.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from analytics_core.errors import ConfigurationError

CHANNELS = ("email", "slack", "teams", "webhook")
DELIVERIES = ("attach", "link")
#: Recipients of one subscription, and addresses of one email recipient.
MAX_RECIPIENTS = 50
MAX_ADDRESSES = 100
#: A subject line, after its placeholders are filled.
MAX_SUBJECT_CHARS = 200

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
#: A secret's name: letters, digits, _ . / - (a Secrets Manager name or a setting).
_SECRET = re.compile(r"^[A-Za-z][A-Za-z0-9_./-]{0,127}$")
#: An address as the delivery sends it: local@domain, no quotes, comments,
#: display names, spaces or line breaks (RFC 5322's full grammar allows all
#: of them; a recipient list here needs none).
_ADDRESS = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


class SubscriptionError(ConfigurationError):
    """A subscription is wrong; the message names the entry."""


@dataclass(frozen=True)
class Recipient:
    """One destination of a subscription."""

    name: str
    channel: str
    #: email: the addresses.
    to: tuple[str, ...] = ()
    #: slack, teams, webhook: the name of the secret holding the URL.
    secret: str | None = None
    #: The formats sent; empty: the report job's own.
    formats: tuple[str, ...] = ()
    delivery: str = "attach"
    #: Report parameters of this recipient, over the report job's.
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Subscription:
    """A report job's recipients."""

    name: str
    report: str
    recipients: tuple[Recipient, ...]
    subject: str | None = None


def _fail(where: str, message: str) -> SubscriptionError:
    return SubscriptionError(f"{where}: {message}")


def _text(where: str, key: str, value: Any, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(where, f"{key} must be a text")
    if _CONTROL.search(value):
        raise _fail(where, f"{key} must be one line (no line breaks or control characters)")
    if len(value) > limit:
        raise _fail(where, f"{key} is {len(value)} characters; at most {limit}")
    return value


def _addresses(where: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise _fail(where, "to must be a list of email addresses")
    if len(value) > MAX_ADDRESSES:
        raise _fail(where, f"to has {len(value)} addresses; at most {MAX_ADDRESSES}")
    found = []
    for address in value:
        if not isinstance(address, str) or len(address) > 254 or not _ADDRESS.match(address):
            shown = repr(address)[:80]
            raise _fail(
                where,
                f"{shown} is not one plain email address (name@example.com; no display "
                "names, commas, spaces or line breaks)",
            )
        found.append(address)
    if len(set(a.lower() for a in found)) != len(found):
        raise _fail(where, "to lists an address twice")
    return tuple(found)


def _strings(where: str, key: str, value: Any, allowed: Sequence[str]) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail(where, f"{key} must be a list of: {', '.join(allowed)}")
    for item in value:
        if item not in allowed:
            raise _fail(
                where,
                f"unknown {key[:-1] if key.endswith('s') else key} {item!r}; "
                f"one of {', '.join(allowed)}",
            )
    return tuple(value)


def _params(where: str, value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise _fail(where, "params must be a mapping of parameter names to values")
    for key, item in value.items():
        if not isinstance(item, str | int | float | bool):
            raise _fail(where, f"parameter {key!r} must be a text, a number or true/false")
        if isinstance(item, str):
            _text(where, f"parameter {key!r}", item, 200)
    return dict(value)


def _unknown(where: str, entry: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(entry) - allowed)
    if unknown:
        raise _fail(where, f"unknown key {unknown[0]!r}; the keys are {', '.join(sorted(allowed))}")


def _recipient(where: str, entry: Any) -> Recipient:
    if not isinstance(entry, dict):
        raise _fail(where, "must be a mapping with name and channel")
    _unknown(where, entry, {"name", "channel", "to", "secret", "formats", "delivery", "params"})
    name = _text(where, "name", entry.get("name"), 100)
    channel = entry.get("channel")
    if channel not in CHANNELS:
        raise _fail(where, f"unknown channel {channel!r}; one of {', '.join(CHANNELS)}")
    to: tuple[str, ...] = ()
    secret = None
    if channel == "email":
        to = _addresses(where, entry.get("to"))
        if entry.get("secret") is not None:
            raise _fail(where, "an email recipient has addresses (to), not a secret")
    else:
        if entry.get("to") is not None:
            raise _fail(where, f"a {channel} recipient names its URL's secret, not addresses")
        secret = entry.get("secret")
        if isinstance(secret, str) and "://" in secret:
            raise _fail(
                where,
                "secret must name the secret that holds the URL, not the URL itself "
                "(URLs carry their credentials and stay out of the repository)",
            )
        if not isinstance(secret, str) or not _SECRET.match(secret):
            raise _fail(where, f"a {channel} recipient needs secret: the name of its URL's secret")
    delivery = entry.get("delivery", "attach")
    if delivery not in DELIVERIES:
        raise _fail(where, f"unknown delivery {delivery!r}; one of {', '.join(DELIVERIES)}")
    return Recipient(
        name=name,
        channel=channel,
        to=to,
        secret=secret,
        formats=_strings(where, "formats", entry.get("formats"), _FORMATS),
        delivery=delivery,
        params=_params(where, entry.get("params")),
    )


#: Every report format; the schedule check narrows them to the report's.
_FORMATS = ("html", "pdf", "csv", "xlsx", "json")


def parse_subscriptions(value: Any, report_jobs: Sequence[str]) -> tuple[Subscription, ...]:
    """The ``subscriptions`` section, checked against the report jobs' names."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise SubscriptionError("subscriptions: must be a list of entries")
    found: list[Subscription] = []
    for index, entry in enumerate(value):
        name = entry.get("name") if isinstance(entry, dict) else None
        where = f"subscriptions[{index}]" + (f" ({name})" if isinstance(name, str) else "")
        if not isinstance(entry, dict):
            raise _fail(where, "must be a mapping with name, report and recipients")
        if not isinstance(name, str) or not _NAME.match(name):
            raise _fail(where, "name must be lower case letters, digits and _ (at most 63)")
        _unknown(where, entry, {"name", "report", "recipients", "subject"})
        report = entry.get("report")
        if report not in report_jobs:
            raise _fail(
                where,
                f"report {report!r} is not a report job of this file; the report jobs are "
                f"{', '.join(report_jobs) or 'none'}",
            )
        recipients = entry.get("recipients")
        if not isinstance(recipients, list) or not recipients:
            raise _fail(where, "recipients must be a list of at least one recipient")
        if len(recipients) > MAX_RECIPIENTS:
            raise _fail(where, f"{len(recipients)} recipients; at most {MAX_RECIPIENTS}")
        parsed = tuple(_recipient(f"{where} recipients[{i}]", r) for i, r in enumerate(recipients))
        names = [r.name for r in parsed]
        if len(set(names)) != len(names):
            raise _fail(where, "two recipients have the same name")
        subject = entry.get("subject")
        if subject is not None:
            subject = _text(where, "subject", subject, MAX_SUBJECT_CHARS)
        found.append(
            Subscription(name=name, report=str(report), recipients=parsed, subject=subject)
        )
    names = [s.name for s in found]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate:
        raise SubscriptionError(f"subscriptions: two are named {duplicate!r}")
    return tuple(found)
