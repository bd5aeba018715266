"""``analytics deliver``: the dry run reads the schedule file only; ``--now``
and ``--recent`` talk to a real report service process (outbox mode: what
would leave the machine is written under the home's outbox)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from analytics_core.settings import Settings
from tests.conftest import free_port, run_cli
from tests.report_service import service as svc

SCHEDULE = """
builds:
  - name: hourly_build
    cron: "15 * * * *"
reports:
  - name: daily_sales
    report_type: daily_sales
    cron: "0 6 * * *"
    params: {date: "{previous_day}"}
    formats: [html, pdf, csv]
  - name: weekly_executive
    report_type: weekly_executive
    cron: "0 8 * * 1"
    formats: [html]
subscriptions:
  - name: daily_to_sales
    report: daily_sales
    recipients:
      - name: Sales leads
        channel: email
        to: [lead@example.com, cfo@example.com]
        formats: [pdf]
      - name: Sales channel
        channel: slack
        secret: slack_sales
        delivery: link
  - name: weekly_to_board
    report: weekly_executive
    recipients:
      - name: Board
        channel: teams
        secret: teams_board
"""


@pytest.fixture
def schedule_env(tmp_path: Path) -> dict[str, str]:
    path = tmp_path / "schedules.yml"
    path.write_text(SCHEDULE)
    return {"SCHEDULER_SCHEDULE_FILE": str(path), "DELIVERY_MODE": "outbox"}


def test_dry_run_shows_each_recipient_at_a_due_time(
    tmp_path: Path, schedule_env: dict[str, str]
) -> None:
    done = run_cli(
        "deliver",
        "--dry-run",
        "--at",
        "2026-06-15T07:00Z",
        "--json",
        home=tmp_path / "h",
        env=schedule_env,
    )
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert shown["mode"] == "outbox"
    rows = [
        (d["subscription"], d["recipient"], d["channel"], d["due_at"]) for d in shown["deliveries"]
    ]
    assert rows == [
        ("daily_to_sales", "Sales leads", "email", "2026-06-15T06:00:00Z"),
        ("daily_to_sales", "Sales channel", "slack", "2026-06-15T06:00:00Z"),
        # Monday 15 June at 07:00 is before that day's 08:00: the week before.
        ("weekly_to_board", "Board", "teams", "2026-06-08T08:00:00Z"),
    ]
    lead = shown["deliveries"][0]
    assert lead["params"] == {"date": "2026-06-14"} and lead["formats"] == ["pdf"]
    assert lead["to"] == "lead@example.com, cfo@example.com"
    assert shown["deliveries"][1]["to"] == "secret slack_sales"
    table = run_cli(
        "deliver",
        "weekly_to_board",
        "--dry-run",
        "--at",
        "2026-06-15T07:00Z",
        home=tmp_path / "h",
        env=schedule_env,
    )
    assert table.returncode == 0, table.stderr
    # Not a terminal: one line per delivery, tab-separated, after the column names.
    title, header, *rows, note = table.stdout.splitlines()
    assert title == "# would be sent (times in UTC)"
    assert header.split("\t") == [
        "subscription",
        "recipient",
        "channel",
        "to",
        "due",
        "report",
        "formats",
    ]
    assert [row.split("\t")[:5] for row in rows] == [
        ["weekly_to_board", "Board", "teams", "secret teams_board", "2026-06-08 08:00"]
    ]
    assert "nothing leaves this machine" in note


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (["deliver"], 2, "say one of --dry-run"),
        (["deliver", "--dry-run", "--now", "x"], 2, "say one of"),
        (["deliver", "--now"], 2, "--now needs the SUBSCRIPTION"),
        (["deliver", "--recent", "--at", "2026-01-01"], 2, "--at goes with --dry-run"),
        (["deliver", "--dry-run", "--at", "next tuesday"], 2, "expected a time like"),
        (
            ["deliver", "nobody", "--dry-run"],
            1,
            "no subscription 'nobody'; the subscriptions are daily_to_sales, weekly_to_board",
        ),
        (["deliver", "x\x1b[31m", "--dry-run"], 1, "no subscription"),
    ],
)
def test_bad_command_lines_get_one_clear_line(
    tmp_path: Path, schedule_env: dict[str, str], args: list[str], code: int, says: str
) -> None:
    done = run_cli(*args, home=tmp_path / "h", env=schedule_env)
    assert done.returncode == code, (done.stdout, done.stderr)
    assert says in done.stderr
    assert "Traceback" not in done.stderr


def test_a_service_that_is_not_running_is_said(
    tmp_path: Path, schedule_env: dict[str, str]
) -> None:
    env = {
        **schedule_env,
        "REPORT_SERVICE_URL": f"http://127.0.0.1:{free_port()}",
        "REPORT_SERVICE_API_KEY": "k",
    }
    done = run_cli("deliver", "daily_to_sales", "--now", home=tmp_path / "h", env=env)
    assert done.returncode == 1
    assert "cannot be reached" in done.stderr and "analytics up" in done.stderr


@pytest.fixture
def running_service(
    tmp_path: Path, small_warehouse: Settings, schedule_env: dict[str, str]
) -> Iterator[svc.RunningService]:
    home = svc.home_with_warehouse(small_warehouse.warehouse_path, tmp_path / "home")
    with svc.running(home, schedule_env) as service:
        yield service


@pytest.mark.slow
def test_send_now_follows_the_deliveries_to_the_end(
    running_service: svc.RunningService, schedule_env: dict[str, str]
) -> None:
    env = {
        **schedule_env,
        "REPORT_SERVICE_URL": running_service.url,
        "REPORT_SERVICE_API_KEY": svc.API_KEY,
    }
    home = running_service.home
    # The weekly report takes its latest week by default: it renders.
    sent = run_cli("deliver", "weekly_to_board", "--now", "--json", home=home, env=env)
    assert sent.returncode == 0, sent.stderr
    assert "1 deliveries of weekly_to_board queued" in sent.stderr
    [delivery] = json.loads(sent.stdout)["deliveries"]
    assert delivery["status"] == "sent" and delivery["channel"] == "teams"
    [written] = (home / "outbox").rglob("weekly_to_board--board--*.json")
    card = json.loads(written.read_text())["payload"]["attachments"][0]["content"]
    assert card["type"] == "AdaptiveCard"
    # Yesterday's daily sales are past the test warehouse's data: the report
    # fails, and so do its deliveries, saying why (exit 1).
    failed = run_cli("deliver", "daily_to_sales", "--now", home=home, env=env)
    assert failed.returncode == 1
    assert "2 of 2 deliveries failed" in failed.stderr and "the report failed" in failed.stderr
    listed = run_cli("deliver", "--recent", "--json", home=home, env=env)
    statuses = sorted((d["source"], d["status"]) for d in json.loads(listed.stdout)["deliveries"])
    assert statuses == [
        ("daily_to_sales", "failed"),
        ("daily_to_sales", "failed"),
        ("weekly_to_board", "sent"),
    ]
    wrong = run_cli(
        "deliver", "--recent", home=home, env={**env, "REPORT_SERVICE_API_KEY": "wrong"}
    )
    assert wrong.returncode == 1 and "401" in wrong.stderr


def test_on_a_terminal_the_rows_are_a_table(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from rich.console import Console

    from orchestration.commands import common

    screen = io.StringIO()
    monkeypatch.setattr(common, "out", Console(file=screen, force_terminal=True, width=60))
    common.print_table("deliveries", ("who", "detail"), [("Board", "line one\nline two")])
    drawn = screen.getvalue()
    assert "┃" in drawn and "Board" in drawn and "\t" not in drawn
    piped = io.StringIO()
    monkeypatch.setattr(common, "out", Console(file=piped, width=60))
    common.print_table("deliveries", ("who", "detail"), [("Board", "line one\nline two\tx")])
    assert piped.getvalue().splitlines() == [
        "# deliveries",
        "who\tdetail",
        "Board\tline one line two x",
    ]


def test_the_schedule_is_one_job_per_line_in_a_pipe(
    tmp_path: Path, schedule_env: dict[str, str]
) -> None:
    done = run_cli("schedules", "--count", "2", home=tmp_path / "h", env=schedule_env)
    assert done.returncode == 0, done.stderr
    title, header, *rows = done.stdout.splitlines()
    assert title.startswith("# schedule (") and title.endswith("times in UTC")
    assert header.split("\t") == ["job", "kind", "when", "next runs", "last run"]
    jobs = [row.split("\t") for row in rows]
    assert [(j[0], j[1]) for j in jobs] == [
        ("hourly_build", "build"),
        ("daily_sales", "report"),
        ("weekly_executive", "report"),
    ]
    hourly = jobs[0]
    assert hourly[2].endswith("(15 * * * *)") and hourly[4] == "-"
    assert len(hourly[3].split()) == 4  # two runs, each a day and a time
