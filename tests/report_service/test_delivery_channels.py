"""The channels against real receivers: a real SMTP server (aiosmtpd) parses
the mail; a real HTTP server takes Slack, Teams and webhook calls, whose
payloads are checked against the documented formats and whose signatures
are verified with the independent ``standardwebhooks`` package; scripted
429/500/404/redirect answers show which failures are worth retrying."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os

import boto3
import pytest
import standardwebhooks

from analytics_core.settings import DeliverySettings
from report_service.delivery import channels
from report_service.delivery.errors import PermanentSendError, RetryableSendError
from report_service.delivery.secrets import SecretResolver, env_name, parse_target
from tests.conftest import free_port
from tests.report_service.receivers import http_receiver, smtp_server

PDF = b"%PDF-1.7\n" + os.urandom(3000)
CSV = b"day,revenue\n2026-11-30,1234.5\n"
KEY = os.urandom(32)
WHSEC = "whsec_" + base64.b64encode(KEY).decode()


def message(*, attach: bool = True, title: str = "Daily sales") -> channels.Message:
    files = (
        channels.ReportFile(
            "pdf",
            "daily_sales-2026-12-01.pdf",
            "application/pdf",
            len(PDF),
            hashlib.sha256(PDF).hexdigest(),
            "https://example.test/a.pdf",
            PDF if attach else None,
        ),
        channels.ReportFile(
            "csv",
            "daily_sales-2026-12-01.csv",
            "text/csv; charset=utf-8",
            len(CSV),
            hashlib.sha256(CSV).hexdigest(),
            "https://example.test/a.csv",
            CSV if attach else None,
        ),
    )
    return channels.Message(
        delivery_id="4b7cbb1e-0d8a-5d55-9a39-2f0f7e3f1c11",
        source="daily_to_sales",
        recipient="EMEA manager",
        report_type="daily_sales",
        title=title,
        subject=f"{title}: day 2026-12-01",
        due_at=dt.datetime(2026, 12, 2, 6, 0, tzinfo=dt.UTC),
        params={"day": "2026-12-01", "region": "EMEA"},
        files=files,
        attach=attach,
    )


def smtp_settings(port: int, **extra: object) -> DeliverySettings:
    return DeliverySettings(
        mode="send",
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_security="none",
        mail_from="reports@example.com",
        smtp_timeout_seconds=10,
        **extra,
    )


# --------------------------------------------------------------------------- email


def test_mail_arrives_with_its_attachments_byte_for_byte() -> None:
    transmitted = []
    with smtp_server() as (port, box):
        to = ("emea.manager@example.com", "cfo@example.com")
        mail = channels.compose_email(message(), "reports@example.com", to)
        detail = channels.send_smtp(smtp_settings(port), mail, to, lambda: transmitted.append(1))
    assert detail == "mailed to 2 addresses"
    assert transmitted == [1]
    [(rcpt, got)] = box.messages
    assert sorted(rcpt) == sorted(to)
    assert got["Subject"] == "Daily sales: day 2026-12-01"
    assert got["From"] == "reports@example.com"
    assert got["Message-ID"] == "<4b7cbb1e-0d8a-5d55-9a39-2f0f7e3f1c11@analytics-platform.invalid>"
    attachments = {part.get_filename(): part.get_content() for part in got.iter_attachments()}
    assert (
        hashlib.sha256(attachments["daily_sales-2026-12-01.pdf"]).hexdigest()
        == hashlib.sha256(PDF).hexdigest()
    )
    assert attachments["daily_sales-2026-12-01.csv"].encode() == CSV
    text = got.get_body(("plain",)).get_content()
    assert hashlib.sha256(PDF).hexdigest() in text
    assert "EMEA" in text


def test_mail_over_the_limit_carries_links_not_files() -> None:
    with smtp_server() as (port, box):
        mail = channels.compose_email(
            message(attach=False), "reports@example.com", ("a@example.com",)
        )
        channels.send_smtp(smtp_settings(port), mail, ("a@example.com",), lambda: None)
    [(_, got)] = box.messages
    assert list(got.iter_attachments()) == []
    text = got.get_body(("plain",)).get_content()
    assert "https://example.test/a.pdf" in text and "https://example.test/a.csv" in text
    html = got.get_body(("html",)).get_content()
    assert 'href="https://example.test/a.pdf"' in html


def test_a_title_cannot_inject_html_into_the_mail() -> None:
    mail = channels.compose_email(
        message(title="<script>alert(1)</script>"), "r@example.com", ("a@example.com",)
    )
    html = mail.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_a_busy_relay_is_retried_a_refusal_is_not() -> None:
    with smtp_server() as (port, box):
        box.answers.append("451 4.3.0 try again later")
        mail = channels.compose_email(message(), "r@example.com", ("a@example.com",))
        with pytest.raises(RetryableSendError, match="451"):
            channels.send_smtp(smtp_settings(port), mail, ("a@example.com",), lambda: None)
        box.answers.append("554 5.6.0 message refused")
        with pytest.raises(PermanentSendError, match="554"):
            channels.send_smtp(smtp_settings(port), mail, ("a@example.com",), lambda: None)
        box.refuse_rcpt.add("gone@example.com")
        with pytest.raises(PermanentSendError, match="refused every recipient"):
            channels.send_smtp(smtp_settings(port), mail, ("gone@example.com",), lambda: None)
        detail = channels.send_smtp(
            smtp_settings(port), mail, ("gone@example.com", "a@example.com"), lambda: None
        )
        assert detail == "mailed to 1 of 2 addresses (1 refused)"
    assert len(box.messages) == 1


def test_an_unreachable_relay_is_retried_and_no_relay_is_said() -> None:
    mail = channels.compose_email(message(), "r@example.com", ("a@example.com",))
    with pytest.raises(RetryableSendError, match="cannot be reached"):
        channels.send_smtp(smtp_settings(free_port()), mail, ("a@example.com",), lambda: None)
    with pytest.raises(PermanentSendError, match="DELIVERY_SMTP_HOST"):
        channels.send_smtp(DeliverySettings(mode="send"), mail, ("a@example.com",), lambda: None)


def test_starttls_required_but_not_offered_is_a_clear_error() -> None:
    with smtp_server() as (port, _):
        mail = channels.compose_email(message(), "r@example.com", ("a@example.com",))
        settings = smtp_settings(port).model_copy(update={"smtp_security": "starttls"})
        with pytest.raises(PermanentSendError, match="STARTTLS"):
            channels.send_smtp(settings, mail, ("a@example.com",), lambda: None)


# --------------------------------------------------------------------------- chat and webhooks


def test_slack_gets_its_documented_shape_with_values_escaped() -> None:
    with http_receiver() as receiver:
        payload = channels.slack_payload(message(title="Sales <!channel> & <https://evil|x>"))
        detail = channels.post_json(
            receiver.url + "/services/T/B/X",
            payload,
            timeout=5,
            transmit=lambda: None,
            what="slack",
        )
    assert detail == "posted to slack (200)"
    [request] = receiver.requests
    assert request.headers["content-type"] == "application/json"
    body = json.loads(request.body)
    assert set(body) == {"text", "blocks"}
    assert "<!channel>" not in body["text"] and "&lt;!channel&gt;" in body["text"]
    header, summary, links = body["blocks"]
    assert header["type"] == "header" and header["text"]["type"] == "plain_text"
    assert summary["text"]["type"] == "mrkdwn" and "<https://evil" not in summary["text"]["text"]
    assert "<https://example.test/a.pdf|PDF>" in links["text"]["text"]
    assert all(len(block["text"]["text"]) <= 3000 for block in body["blocks"])


def test_teams_gets_one_adaptive_card() -> None:
    with http_receiver() as receiver:
        receiver.answers.append((202, {}))
        detail = channels.post_json(
            receiver.url,
            channels.teams_payload(message()),
            timeout=5,
            transmit=lambda: None,
            what="teams",
        )
    assert detail == "posted to teams (202)"
    body = json.loads(receiver.requests[0].body)
    assert body["type"] == "message"
    [attachment] = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    assert [a["url"] for a in card["actions"]] == [
        "https://example.test/a.pdf",
        "https://example.test/a.csv",
    ]
    assert all(a["type"] == "Action.OpenUrl" for a in card["actions"])


def test_webhooks_are_signed_per_standard_webhooks() -> None:
    with http_receiver() as receiver:
        channels.post_json(
            receiver.url,
            channels.webhook_payload(message()),
            timeout=5,
            transmit=lambda: None,
            what="webhook",
            signing_key=KEY,
            message_id="msg_abc",
        )
    [request] = receiver.requests
    assert request.headers["webhook-id"] == "msg_abc"
    verified = standardwebhooks.Webhook(WHSEC).verify(request.body, request.headers)
    assert verified["type"] == "report.delivered"
    assert verified["data"]["files"][0]["sha256"] == hashlib.sha256(PDF).hexdigest()
    tampered = request.body.replace(b"EMEA", b"APAC")
    with pytest.raises(standardwebhooks.WebhookVerificationError):
        standardwebhooks.Webhook(WHSEC).verify(tampered, request.headers)
    other = "whsec_" + base64.b64encode(os.urandom(32)).decode()
    with pytest.raises(standardwebhooks.WebhookVerificationError):
        standardwebhooks.Webhook(other).verify(request.body, request.headers)


@pytest.mark.parametrize(
    ("status", "headers", "error", "retry_after"),
    [
        (429, {"retry-after": "7"}, RetryableSendError, 7.0),
        (500, {}, RetryableSendError, None),
        (503, {"retry-after": "999999"}, RetryableSendError, channels.MAX_RETRY_AFTER_SECONDS),
        (404, {}, PermanentSendError, None),
        (410, {}, PermanentSendError, None),
        (302, {"location": "https://elsewhere.test/"}, PermanentSendError, None),
    ],
)
def test_answers_decide_whether_to_retry(
    status: int, headers: dict[str, str], error: type[Exception], retry_after: float | None
) -> None:
    with http_receiver() as receiver:
        receiver.answers.append((status, headers))
        with pytest.raises(error) as caught:
            channels.post_json(
                receiver.url + "/secret-token-path",
                {"text": "x"},
                timeout=5,
                transmit=lambda: None,
                what="slack",
            )
    assert str(status) in str(caught.value)
    assert "secret-token-path" not in str(caught.value)
    assert getattr(caught.value, "retry_after", None) == retry_after


def test_an_unreachable_receiver_is_retried_without_its_url() -> None:
    url = f"http://127.0.0.1:{free_port()}/hooks/T0/B0/token"
    with pytest.raises(RetryableSendError) as caught:
        channels.post_json(url, {"text": "x"}, timeout=2, transmit=lambda: None, what="slack")
    assert "token" not in str(caught.value)


# --------------------------------------------------------------------------- secrets


def test_secrets_from_the_environment() -> None:
    assert env_name("slack/leadership-channel") == "DELIVERY_SECRET_SLACK_LEADERSHIP_CHANNEL"
    resolver = SecretResolver(
        DeliverySettings(),
        environ={
            "DELIVERY_SECRET_SLACK_SALES": "https://hooks.slack.test/services/T/B/X",
            "DELIVERY_SECRET_PARTNER": json.dumps(
                {"url": "https://partner.test/in", "signing_secret": WHSEC}
            ),
        },
    )
    assert resolver.target("slack_sales", "slack").url == "https://hooks.slack.test/services/T/B/X"
    target = resolver.target("partner", "webhook")
    assert target.signing_secret == KEY
    assert "partner.test" not in repr(target)
    with pytest.raises(PermanentSendError, match="DELIVERY_SECRET_MISSING"):
        resolver.target("missing", "slack")


@pytest.mark.parametrize(
    ("value", "channel", "says"),
    [
        ("http://hooks.example.com/x", "slack", "https"),
        ("https://user:pw@hooks.example.com/x", "slack", "user or password"),
        ("ftp://hooks.example.com/x", "teams", "https"),
        ("https://hooks.example.com/a b", "slack", "spaces"),
        ("not a url", "slack", "spaces"),
        ('{"url": 5}', "slack", "does not hold a URL"),
        ("{not json", "slack", "neither a URL nor valid JSON"),
        ("https://partner.example.com/in", "webhook", "every webhook is signed"),
        (
            json.dumps({"url": "https://p.example.com", "signing_secret": "abc"}),
            "webhook",
            "whsec_",
        ),
        (
            json.dumps({"url": "https://p.example.com", "signing_secret": "whsec_!!"}),
            "webhook",
            "base64",
        ),
        (
            json.dumps({"url": "https://p.example.com", "signing_secret": "whsec_YQ=="}),
            "webhook",
            "24 to 64",
        ),
        ("https://" + "a" * 3000 + ".example.com", "slack", "does not hold a URL"),
    ],
)
def test_bad_secret_values_are_refused_without_echoing_them(
    value: str, channel: str, says: str
) -> None:
    with pytest.raises(PermanentSendError, match=says) as caught:
        parse_target("named", value, channel)
    assert "example.com" not in str(caught.value)
    assert "named" in str(caught.value)


def test_plain_http_is_allowed_to_this_machine_only() -> None:
    assert parse_target("local", "http://127.0.0.1:9000/hook", "slack").url.startswith(
        "http://127."
    )
    assert parse_target("local", "http://localhost:9000/hook", "teams").url.startswith(
        "http://localhost"
    )


def test_secrets_from_secrets_manager(aws_env: dict[str, str], moto_server: str) -> None:
    client = boto3.client(
        "secretsmanager", endpoint_url=moto_server, region_name=aws_env["AWS_REGION"]
    )
    prefix = f"analytics/test-{os.urandom(4).hex()}/"
    client.create_secret(
        Name=prefix + "slack_sales", SecretString="https://hooks.slack.test/services/T/B/Y"
    )
    settings = DeliverySettings(secrets_source="secretsmanager", secrets_prefix=prefix)
    resolver = SecretResolver(settings, client=client)
    assert resolver.target("slack_sales", "slack").url.endswith("/T/B/Y")
    with pytest.raises(PermanentSendError, match="ResourceNotFoundException"):
        resolver.target("absent", "slack")
