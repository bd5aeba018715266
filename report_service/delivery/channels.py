"""The channels: how one message is written and sent over each.

- **email**: a MIME message (``email``), plain text with an HTML alternative,
  the report files attached, or linked when attaching would pass
  ``DELIVERY_MAX_ATTACHMENT_BYTES``; sent through an SMTP relay
  (``smtplib``: STARTTLS, implicit TLS, or none for a local relay) or, in
  AWS, the SES v2 API with the task's role (the same MIME bytes).
- **slack**: an incoming webhook's JSON, ``text`` (the notification's
  fallback) plus ``blocks`` (a header, the summary, the links); mrkdwn's
  ``& < >`` escaped, so report values cannot make links or mentions.
- **teams**: a Workflows webhook's message with one Adaptive Card (1.4):
  the title, the facts, an ``Action.OpenUrl`` per file.
- **webhook**: JSON ``{"type": "report.delivered", "timestamp", "data"}``
  signed per the Standard Webhooks specification: headers ``webhook-id``
  (the delivery's id: the same on every attempt, the receiver's
  de-duplication key), ``webhook-timestamp`` (Unix seconds) and
  ``webhook-signature`` (``v1,`` + base64 HMAC-SHA256 of
  ``id.timestamp.body`` under the ``whsec_`` key).

Chat and webhooks always get links: incoming webhooks take no files.

Every sender calls ``transmit()`` just before the step after which the
message may have arrived (SMTP's DATA, SES's call, the HTTP request), so the
ledger knows whether a crash left an unknown outcome
(:mod:`report_service.delivery.ledger`).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import html
import json
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

import httpx

from analytics_core.settings import DeliverySettings
from report_service.delivery.errors import PermanentSendError, RetryableSendError

#: The longest wait a receiver's Retry-After is honoured for.
MAX_RETRY_AFTER_SECONDS = 3600.0
#: Of a receiver's error answer, kept in the ledger and the log.
MAX_ANSWER_CHARS = 200


@dataclass(frozen=True)
class ReportFile:
    """One rendered file of the delivered report."""

    format: str
    filename: str
    content_type: str
    size: int
    sha256: str
    #: A link to the file (presigned on AWS; the service's artifact URL locally).
    url: str
    #: The file's bytes, when it is to be attached.
    data: bytes | None = None


@dataclass(frozen=True)
class Message:
    """What one delivery says, whatever the channel."""

    delivery_id: str
    source: str
    recipient: str
    report_type: str
    title: str
    subject: str
    due_at: dt.datetime
    params: dict[str, Any]
    files: tuple[ReportFile, ...]
    #: Whether the files go attached (email, small enough) or as links.
    attach: bool
    #: subscription (a report) or alert (a finding: ``lines`` and ``link``).
    kind: str = "subscription"
    #: An alert's text, one line each (the number, the comparison).
    lines: tuple[str, ...] = ()
    #: An alert's link: (label, URL), e.g. the question that reproduces it.
    link: tuple[str, str] | None = None
    #: What the alert is about (its de-duplication key), for webhooks.
    key: str | None = None

    @property
    def period(self) -> str:
        parts = [f"{key} {value}" for key, value in sorted(self.params.items())]
        return ", ".join(parts) or "latest data"

    def summary_lines(self) -> list[str]:
        if self.kind == "alert":
            return [*self.lines, f"Sent by alert {self.source} to {self.recipient}."]
        due = self.due_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        return [
            f"{self.title} ({self.period}), due {due}.",
            f"Sent by subscription {self.source} to {self.recipient}.",
        ]


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} bytes"  # pragma: no cover - the loop always returns


# --------------------------------------------------------------------------- email


def compose_email(message: Message, mail_from: str, to: tuple[str, ...]) -> EmailMessage:
    """The MIME message; headers only from checked values (addresses are
    checked on load, the subject has no line breaks)."""
    mail = EmailMessage()
    mail["From"] = mail_from
    mail["To"] = ", ".join(to)
    mail["Subject"] = message.subject
    mail["Date"] = format_datetime(dt.datetime.now(dt.UTC))
    # The same id on every attempt: a mail system that keeps one copy per
    # Message-ID shows a repeat once.
    mail["Message-ID"] = f"<{message.delivery_id}@analytics-platform.invalid>"
    lines = message.summary_lines()
    if message.link is not None:
        lines += ["", f"{message.link[0]}: {message.link[1]}"]
    if message.files and message.attach:
        lines.append("")
        lines.append("Attached:")
        lines += [
            f"- {f.filename} ({human_size(f.size)}, SHA-256 {f.sha256})" for f in message.files
        ]
    elif message.files:
        lines.append("")
        lines.append("The files:")
        lines += [f"- {f.format.upper()} ({human_size(f.size)}): {f.url}" for f in message.files]
    mail.set_content("\n".join(lines) + "\n")
    items = "".join(
        f"<li>{html.escape(f.filename)} ({human_size(f.size)})</li>"
        if message.attach
        else f'<li><a href="{html.escape(f.url, quote=True)}">{f.format.upper()}</a> '
        f"({human_size(f.size)})</li>"
        for f in message.files
    )
    summary = "".join(f"<p>{html.escape(line)}</p>" for line in message.summary_lines())
    if message.link is not None:
        label, url = message.link
        summary += f'<p><a href="{html.escape(url, quote=True)}">{html.escape(label)}</a></p>'
    items = f"<ul>{items}</ul>" if items else ""
    mail.add_alternative(
        f"<!doctype html><html><body>{summary}{items}</body></html>", subtype="html"
    )
    if message.attach:
        for item in message.files:
            if item.data is None:
                raise PermanentSendError(f"{item.filename} was not read to attach")
            maintype, _, subtype = item.content_type.partition("/")
            mail.add_attachment(
                item.data,
                maintype=maintype,
                subtype=subtype.split(";")[0] or "octet-stream",
                filename=item.filename,
            )
    return mail


def send_smtp(
    settings: DeliverySettings,
    mail: EmailMessage,
    to: tuple[str, ...],
    transmit: Callable[[], None],
) -> str:
    """Send through the SMTP relay; the relay's answer in a few words."""
    if not settings.smtp_host:
        raise PermanentSendError(
            "no SMTP relay is set: DELIVERY_SMTP_HOST (or DELIVERY_EMAIL_TRANSPORT=ses in AWS)"
        )
    timeout = settings.smtp_timeout_seconds
    try:
        if settings.smtp_security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.smtp_host,
                settings.smtp_port,
                timeout=timeout,
                context=ssl.create_default_context(),
            )
        else:
            client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
        with client:
            client.ehlo()
            if settings.smtp_security == "starttls":
                client.starttls(context=ssl.create_default_context())
                client.ehlo()
            if settings.smtp_username:
                client.login(settings.smtp_username, settings.smtp_password or "")
            transmit()
            refused = client.send_message(mail, from_addr=settings.mail_from, to_addrs=list(to))
    except smtplib.SMTPRecipientsRefused as exc:
        raise PermanentSendError(
            f"the mail relay refused every recipient ({len(exc.recipients)})"
        ) from None
    except smtplib.SMTPAuthenticationError:
        raise PermanentSendError(
            "the mail relay refused the login (DELIVERY_SMTP_USERNAME/PASSWORD)"
        ) from None
    except smtplib.SMTPResponseException as exc:
        text = _answer(exc.smtp_error)
        if 400 <= exc.smtp_code < 500:
            raise RetryableSendError(f"the mail relay answered {exc.smtp_code}: {text}") from None
        raise PermanentSendError(f"the mail relay answered {exc.smtp_code}: {text}") from None
    except smtplib.SMTPNotSupportedError:
        raise PermanentSendError(
            "the mail relay does not offer STARTTLS; set DELIVERY_SMTP_SECURITY"
        ) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise RetryableSendError(
            f"the mail relay {settings.smtp_host}:{settings.smtp_port} cannot be reached "
            f"({type(exc).__name__})"
        ) from None
    if refused:
        return f"mailed to {len(to) - len(refused)} of {len(to)} addresses ({len(refused)} refused)"
    return f"mailed to {len(to)} address{'es' if len(to) != 1 else ''}"


def send_ses(
    client: Any,
    mail: EmailMessage,
    to: tuple[str, ...],
    mail_from: str,
    transmit: Callable[[], None],
) -> str:
    """Send the same MIME bytes through the SES v2 API."""
    transmit()
    try:
        answer = client.send_email(
            FromEmailAddress=mail_from,
            Destination={"ToAddresses": list(to)},
            Content={"Raw": {"Data": mail.as_bytes()}},
        )
    except Exception as exc:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
        if code in ("TooManyRequestsException", "Throttling", "LimitExceededException") or not code:
            raise RetryableSendError(
                f"SES did not take the message ({code or type(exc).__name__})"
            ) from None
        raise PermanentSendError(f"SES refused the message ({code})") from None
    plural = "es" if len(to) != 1 else ""
    return f"mailed to {len(to)} address{plural} (SES message {answer.get('MessageId', '?')})"


# --------------------------------------------------------------------------- chat


def _mrkdwn(text: str) -> str:
    """Slack's escaping: & < > are control characters in mrkdwn."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(message: Message) -> dict[str, Any]:
    summary = "\n".join(_mrkdwn(line) for line in message.summary_lines())
    links = "\n".join(f"<{f.url}|{f.format.upper()}> ({human_size(f.size)})" for f in message.files)
    if message.link is not None:
        links = f"<{message.link[1]}|{_mrkdwn(message.link[0])}>"
    return {
        "text": _mrkdwn(message.subject)[:3000],
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": message.subject[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": summary[:3000]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": links[:3000] or "No files."}},
        ],
    }


def teams_payload(message: Message) -> dict[str, Any]:
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {
                "type": "TextBlock",
                "size": "Large",
                "weight": "Bolder",
                "wrap": True,
                "text": message.subject,
            },
            *[
                {"type": "TextBlock", "wrap": True, "text": line}
                for line in message.summary_lines()
            ],
        ],
        "actions": [
            {
                "type": "Action.OpenUrl",
                "title": f"{f.format.upper()} ({human_size(f.size)})",
                "url": f.url,
            }
            for f in message.files
        ]
        + (
            [{"type": "Action.OpenUrl", "title": message.link[0], "url": message.link[1]}]
            if message.link is not None
            else []
        ),
    }
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }


def webhook_payload(message: Message) -> dict[str, Any]:
    if message.kind == "alert":
        return {
            "type": "alert.triggered",
            "timestamp": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "data": {
                "delivery_id": message.delivery_id,
                "alert": message.source,
                "recipient": message.recipient,
                "key": message.key,
                "title": message.title,
                "lines": list(message.lines),
                "link": None if message.link is None else message.link[1],
                "at": message.due_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
        }
    return {
        "type": "report.delivered",
        "timestamp": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "data": {
            "delivery_id": message.delivery_id,
            "subscription": message.source,
            "recipient": message.recipient,
            "report_type": message.report_type,
            "title": message.title,
            "due_at": message.due_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "params": message.params,
            "files": [
                {"format": f.format, "bytes": f.size, "sha256": f.sha256, "url": f.url}
                for f in message.files
            ],
        },
    }


def webhook_message_id(delivery_id: str) -> str:
    return f"msg_{delivery_id}"


def sign(key: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    """Standard Webhooks' ``webhook-signature`` value (one v1 signature)."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def _answer(raw: Any) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return " ".join(text.split())[:MAX_ANSWER_CHARS] or "(no text)"


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


def post_json(
    url: str,
    payload: dict[str, Any],
    *,
    timeout: float,
    transmit: Callable[[], None],
    what: str,
    signing_key: bytes | None = None,
    message_id: str | None = None,
) -> str:
    """POST ``payload``; 2xx is sent; 408, 429 and 5xx are worth retrying;
    any other answer (a gone or wrong URL, a refused payload) is not. A
    redirect is not followed: a webhook URL points at its receiver."""
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    headers = {"content-type": "application/json", "user-agent": "analytics-platform-delivery"}
    if signing_key is not None and message_id is not None:
        timestamp = int(dt.datetime.now(dt.UTC).timestamp())
        headers["webhook-id"] = message_id
        headers["webhook-timestamp"] = str(timestamp)
        headers["webhook-signature"] = sign(signing_key, message_id, timestamp, body)
    transmit()
    try:
        response = httpx.post(
            url, content=body, headers=headers, timeout=timeout, follow_redirects=False
        )
    except httpx.HTTPError as exc:
        # The URL (its path is the credential) stays out of the message.
        raise RetryableSendError(f"{what} cannot be reached ({type(exc).__name__})") from None
    status = response.status_code
    if 200 <= status < 300:
        return f"posted to {what} ({status})"
    text = _answer(response.content)
    if status in (408, 429) or status >= 500:
        raise RetryableSendError(
            f"{what} answered {status}: {text}",
            retry_after=_retry_after(response.headers.get("retry-after")),
        )
    if 300 <= status < 400:
        raise PermanentSendError(f"{what} answered {status} (a redirect, not followed)")
    raise PermanentSendError(f"{what} answered {status}: {text}")
