"""``analytics build`` in one dbt process: nothing new -> no dbt at all, docs
and unit tests only when asked, and the one-line failures of the driver.

Real ``analytics`` commands, real dbt, real DuckDB files. A home goes
through a sequence of builds (each step depends on the record the one
before left), so each sequence is one test. Both sequences start from the
same first build (generate, then ``analytics build``): it is made once per
run as a shared template (``FIRST_BUILD``, :mod:`tests.warehouses`) and each
test checks what that build said and left, in its own copy of the home.
"""

from __future__ import annotations

import json
import resource
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from analytics_core.events import LocalEventSink, ReportJobEvent, SchedulerRunEvent
from analytics_core.settings import PROJECT_ROOT, Settings
from orchestration import build_inputs
from orchestration.dbt_runner import DbtCommand, DbtInvocation, run_dbt_session
from tests.cli.test_cli import assert_one_error_line
from tests.warehouses import CliRunner, Recipe, Template, WarehouseTemplates, copy_home

pytestmark = [pytest.mark.slow, pytest.mark.minutes(5)]

GENERATE = ("generate", "--scale", "0.002", "--seed", "5", "--end-date", "2026-06-30")
NOTHING_NEW = "nothing new in raw data since the build at "
BUILT = "dbt build on local:"


def _generate_and_build_once(home: Path, run: CliRunner) -> None:
    run(*GENERATE, home=home, check=True)
    run("build", home=home)  # its exit code and output are checked by the tests


#: A home after its first build: ``GENERATE``, then ``analytics build`` (with
#: source freshness, the default; no docs, no unit tests). Shared by the two
#: sequences below (it was one full parse and build each, about a minute).
FIRST_BUILD = Recipe("build-session-first-build", _generate_and_build_once)


@pytest.fixture
def first_build(warehouse_templates: WarehouseTemplates, analytics_home: Path) -> Template:
    """The ``FIRST_BUILD`` template, copied into this test's ``analytics_home``;
    ``runs[1]`` is its first build (made in the template's home)."""
    template = warehouse_templates.get(FIRST_BUILD)
    copy_home(template.home, analytics_home)
    build = template.runs[1]
    assert build.returncode == 0, build.stdout + build.stderr
    return template


def report_event(job: str) -> ReportJobEvent:
    return ReportJobEvent.model_validate(
        {
            "job_id": job,
            "report_type": "daily_sales",
            "status": "queued",
            "at": datetime(2026, 6, 29, 8, tzinfo=UTC).isoformat(),
            "trigger": "api",
        }
    )


def children_cpu() -> float:
    """CPU seconds (user + system) of this process's finished children."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def unit_test_results(settings: Settings) -> list[dict[str, object]]:
    results = json.loads((settings.docs_dir / "run_results.json").read_text())["results"]
    return [r for r in results if str(r["unique_id"]).startswith("unit_test.")]


def views_and_their_tests(settings: Settings) -> tuple[int, int]:
    """How many views the last build made, and how many data tests of views it ran."""
    manifest = json.loads((settings.docs_dir / "manifest.json").read_text())
    ran = {
        r["unique_id"]
        for r in json.loads((settings.docs_dir / "run_results.json").read_text())["results"]
    }
    views = {
        uid
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and node["config"]["materialized"] == "view"
    }
    tests = {
        uid
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] == "test" and views & set(node["depends_on"]["nodes"])
    }
    assert len(views) >= 10 and len(tests) >= 10
    return len(views & ran), len(tests & ran)


VIEWS_KEPT = "views kept as they were: only data changed since the last build"


def scheduler_run(job: str, kind: str, status: str) -> SchedulerRunEvent:
    due = datetime(2026, 6, 29, 7, tzinfo=UTC).isoformat()
    return SchedulerRunEvent.model_validate(
        {"job": job, "kind": kind, "due_at": due, "attempt": 1, "status": status, "at": due}
    )


def broken_profiles(tmp_path: Path) -> Path:
    """A profiles folder whose local target dbt refuses (threads must be a number)."""
    folder = tmp_path / "broken-profiles"
    folder.mkdir()
    text = (PROJECT_ROOT / "profiles.yml.example").read_text()
    bad = text.replace(
        "threads: \"{{ env_var('ANALYTICS_DBT_THREADS', '4') | as_number }}\"", "threads: many", 1
    )
    assert bad != text
    (folder / "profiles.yml").write_text(bad)
    return folder


#: Several full dbt builds in a row: more than the default 900 s on a busy
#: two-core machine.
CHAIN_TIMEOUT = pytest.mark.timeout(2400)


@CHAIN_TIMEOUT
def test_nothing_new_runs_no_dbt_docs_and_force_on_request(
    run_analytics, analytics_home, first_build
) -> None:
    settings = Settings(home=analytics_home)

    # 1. The first build: no docs site, no unit tests, a record of its inputs.
    first = first_build.runs[1]
    assert BUILT in first.stdout
    assert f"dbt artifacts in {first_build.settings.docs_dir}" in first.stdout
    assert not (settings.docs_dir / "index.html").exists()
    assert not (settings.docs_dir / "catalog.json").exists()
    assert (settings.docs_dir / "manifest.json").is_file()
    assert (settings.docs_dir / "semantic_manifest.json").is_file()
    assert unit_test_results(settings) == []
    record = build_inputs.load(settings)
    assert record is not None and not record.docs

    # 2. Nothing new: no dbt, nothing copied or published, in well under 5 s.
    published = settings.warehouse_path.stat().st_mtime_ns
    state = settings.state_warehouse_path.stat().st_mtime_ns
    log_size = (settings.dbt_log_path / "dbt.log").stat().st_size
    started, cpu_before = time.monotonic(), children_cpu()
    skipped = run_analytics("build", check=True)
    seconds, cpu = time.monotonic() - started, children_cpu() - cpu_before
    assert skipped.stdout.startswith(NOTHING_NEW), skipped.stdout
    assert "the published warehouse is current" in skipped.stdout
    assert record.built_at.strftime("%Y-%m-%d %H:%M:%S") in skipped.stdout
    # The target is < 5 s wall including Python's start-up. Wall time on a
    # shared test machine measures its load, so the test bounds the CPU the
    # command used (about 1 s: no dbt, no copy) and the wall time loosely.
    assert cpu < 3, f"a build with nothing new used {cpu:.1f} s of CPU"
    assert seconds < 30, f"a build with nothing new took {seconds:.1f} s"
    assert settings.warehouse_path.stat().st_mtime_ns == published
    assert settings.state_warehouse_path.stat().st_mtime_ns == state
    assert (settings.dbt_log_path / "dbt.log").stat().st_size == log_size
    assert not settings.build_warehouse_path.exists()

    # 3. The scheduler's own lines about build jobs are not news (it writes
    #    one when each build starts): still nothing new.
    LocalEventSink(settings.events_dir).emit(scheduler_run("hourly_build", "build", "running"))
    assert run_analytics("build", check=True).stdout.startswith(NOTHING_NEW)

    # 4. --docs with nothing new: no build, but the docs site of the published
    #    warehouse is generated (once).
    with_docs = run_analytics("build", "--docs", check=True)
    assert with_docs.stdout.startswith(NOTHING_NEW)
    assert f"docs in {settings.docs_dir}" in with_docs.stdout
    catalog = json.loads((settings.docs_dir / "catalog.json").read_text())
    assert any(".rpt_daily_sales" in node for node in catalog["nodes"])
    assert (settings.docs_dir / "index.html").is_file()
    assert (settings.docs_dir / "run_results.json").is_file()
    again = run_analytics("build", "--docs", check=True)
    assert again.stdout.startswith(NOTHING_NEW) and "docs in" not in again.stdout

    # 5. --force builds anyway; the site keeps the catalog it had.
    forced = run_analytics("build", "--force", "--no-freshness", check=True)
    assert BUILT in forced.stdout
    assert json.loads((settings.docs_dir / "catalog.json").read_text()) == catalog
    assert unit_test_results(settings) == []
    record = build_inputs.load(settings)
    assert record is not None and not record.docs

    # 6. `analytics docs` makes the site of the published warehouse.
    docs = run_analytics("docs", check=True)
    assert f"docs in {settings.docs_dir}" in docs.stdout
    assert (settings.docs_dir / "index.html").is_file()
    record = build_inputs.load(settings)
    assert record is not None and record.docs
    assert run_analytics("build", "--docs", check=True).stdout.startswith(NOTHING_NEW)

    # 7. A copy of the whole home elsewhere (a restored backup) builds without
    #    parsing the project again: dbt runs in the home and gets the DuckDB
    #    path relative to it, so its saved parse still matches.
    copy = analytics_home.parent / f"{analytics_home.name}-copy"
    shutil.copytree(analytics_home, copy, symlinks=True)
    copy_log = Settings(home=copy).dbt_log_path / "dbt.log"
    log_size = copy_log.stat().st_size
    moved = run_analytics("build", "--force", "--no-freshness", home=copy, check=True)
    assert BUILT in moved.stdout
    with copy_log.open(encoding="utf-8", errors="replace") as handle:
        handle.seek(log_size)
        appended = handle.read()
    assert "Running with dbt=" in appended
    assert "Starting full parse" not in appended, "the copied home parsed the project again"
    assert "Unable to do partial parsing" not in appended


@CHAIN_TIMEOUT
def test_events_raw_data_and_project_changes_build_and_failures_record_nothing(
    run_analytics, analytics_home, tmp_path, first_build
) -> None:
    settings = Settings(home=analytics_home)
    # The first build made every view (it ran source freshness too, which
    # changes nothing this sequence looks at).
    first = first_build.runs[1]
    assert BUILT in first.stdout
    assert VIEWS_KEPT not in first.stdout
    views, view_tests = views_and_their_tests(settings)
    assert views > 0 and view_tests > 0
    assert run_analytics("build", check=True).stdout.startswith(NOTHING_NEW)

    # 1. A new report job event is news. The build fails (a profile dbt
    #    refuses): one line, and the record stays the last good build's.
    LocalEventSink(settings.events_dir).emit(report_event("j-1"))
    before = settings.build_inputs_path.read_bytes()
    failed = run_analytics("build", env={"DBT_PROFILES_DIR": str(broken_profiles(tmp_path))})
    assert_one_error_line(failed, "dbt build failed", str(settings.dbt_log_path / "dbt.log"))
    assert "threads" in failed.stderr
    assert settings.build_inputs_path.read_bytes() == before
    # ... so the next build still sees the new event and builds.
    events_build = run_analytics("build", "--no-freshness", check=True)
    assert BUILT in events_build.stdout
    # Only data changed: the views stay as they are, their tests still run.
    assert VIEWS_KEPT in events_build.stdout
    assert views_and_their_tests(settings) == (0, view_tests)
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        (jobs,) = con.execute(
            "select count(*) from monitoring.report_jobs where job_id = 'j-1'"
        ).fetchone() or (0,)
    assert jobs == 1

    # 2. New raw data is news (and only data: the views are kept).
    run_analytics("generate", "--increment", "--days", "1", check=True)
    increment = run_analytics("build", "--no-freshness", check=True)
    assert BUILT in increment.stdout and VIEWS_KEPT in increment.stdout
    assert run_analytics("build", check=True).stdout.startswith(NOTHING_NEW)

    # 3. A change to the dbt project's inputs is news: here the profiles file
    #    (every project file: test_project_files_seeds_and_macros_...).
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    text = (PROJECT_ROOT / "profiles.yml.example").read_text()
    (profiles / "profiles.yml").write_text(text + "\n# a comment changes the file\n")
    env = {"DBT_PROFILES_DIR": str(profiles)}
    project_build = run_analytics("build", "--no-freshness", env=env, check=True)
    assert BUILT in project_build.stdout
    # The project changed: every view is made again.
    assert VIEWS_KEPT not in project_build.stdout
    assert views_and_their_tests(settings) == (views, view_tests)
    assert run_analytics("build", env=env, check=True).stdout.startswith(NOTHING_NEW)

    # 4. A view that is gone from the warehouse (dropped by hand) is made again
    #    by the next build, even when only data changed.
    with duckdb.connect(str(settings.state_warehouse_path)) as con:
        con.execute("drop view reporting.rpt_source_freshness")
    run_analytics("generate", "--increment", "--days", "1", check=True)
    rebuilt = run_analytics("build", "--no-freshness", env=env, check=True)
    assert VIEWS_KEPT not in rebuilt.stdout
    assert views_and_their_tests(settings) == (views, view_tests)
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        back = con.execute(
            "select count(*) from duckdb_views() "
            "where schema_name = 'reporting' and view_name = 'rpt_source_freshness'"
        ).fetchall()
    assert back == [(1,)]


def test_project_files_seeds_and_macros_change_the_fingerprint(tmp_path: Path) -> None:
    """Every kind of project file is part of what a build reads."""
    root = tmp_path / "project"
    shutil.copytree(PROJECT_ROOT / "dbt_project", root / "dbt_project")
    shutil.copy(PROJECT_ROOT / "dbt_project.yml", root / "dbt_project.yml")
    profiles = tmp_path / "profiles.yml"
    profiles.write_text((PROJECT_ROOT / "profiles.yml.example").read_text())
    seen = {build_inputs.project_fingerprint(profiles, root)}
    assert build_inputs.project_fingerprint(profiles, root) in seen  # stable
    # The same profiles file elsewhere (a copied home) is the same input.
    moved = tmp_path / "elsewhere" / "profiles.yml"
    moved.parent.mkdir()
    shutil.copy(profiles, moved)
    assert build_inputs.project_fingerprint(moved, root) in seen
    model = next((root / "dbt_project" / "models" / "reporting").glob("rpt_*.sql"))
    macro = next((root / "dbt_project" / "macros").rglob("*.sql"))
    seed = next((root / "dbt_project" / "seeds").glob("*.csv"))
    selectors = root / "selectors.yml"
    shutil.copy(PROJECT_ROOT / "selectors.yml", selectors)
    for path in (model, macro, seed, root / "dbt_project.yml", selectors, profiles):
        path.write_text(path.read_text() + "\n")
        changed = build_inputs.project_fingerprint(profiles, root)
        assert changed not in seen, path
        seen.add(changed)
    (root / "dbt_project" / "models" / "new_model.sql").write_text("select 1 as x\n")
    assert build_inputs.project_fingerprint(profiles, root) not in seen


def test_a_project_that_does_not_parse_is_one_line_for_the_build(tmp_path: Path) -> None:
    """The driver's parse fails: every command after it carries the reason."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "dbt_project.yml").write_text(
        "name: broken\nversion: '1.0'\nconfig-version: 2\nprofile: analytics_platform\n"
        "model-paths: ['models']\n"
    )
    (project / "models").mkdir()
    # A Jinja block that is never closed: dbt cannot parse the model.
    (project / "models" / "m.sql").write_text("select 1 as x {% if true %}\n")
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    shutil.copy(PROJECT_ROOT / "profiles.yml.example", profiles / "profiles.yml")
    invocation = DbtInvocation(
        target="local",
        profiles_dir=profiles,
        target_path=tmp_path / "target",
        log_path=tmp_path / "logs",
        env={"ANALYTICS_DUCKDB_PATH": str(tmp_path / "w.duckdb")},
        project_dir=project,
    )
    started: list[str] = []
    commands = [DbtCommand(("source", "freshness"), required=False), DbtCommand(("build",))]
    fresh, build = run_dbt_session(invocation, commands, on_start=started.append)
    assert started == ["parse"]
    assert not fresh.ran and not build.ran
    message = build.failure_message()
    assert message.startswith("dbt build failed: Compilation Error"), message
    assert "models/m.sql" in message or "model m" in message, message
    assert message.endswith(f"— see {tmp_path / 'logs' / 'dbt.log'}")
    assert "\n" not in message


def test_events_are_news_except_the_schedulers_lines_about_builds(tmp_path: Path) -> None:
    events = tmp_path / "events"
    sink = LocalEventSink(events)
    empty = build_inputs.events_fingerprint(events)
    sink.emit(scheduler_run("hourly_build", "build", "running"))
    assert build_inputs.events_fingerprint(events) == empty
    sink.emit(scheduler_run("daily_sales", "report", "running"))
    with_report_run = build_inputs.events_fingerprint(events)
    assert with_report_run != empty
    sink.emit(scheduler_run("hourly_build", "build", "succeeded"))
    assert build_inputs.events_fingerprint(events) == with_report_run
    sink.emit(report_event("j-9"))
    with_job = build_inputs.events_fingerprint(events)
    assert with_job != with_report_run
    # A malformed line is news too (the models reject it with the reason).
    [job_file] = (events / "report_jobs").rglob("*.jsonl")
    job_file.write_bytes(job_file.read_bytes() + b'{"broken\n')
    assert build_inputs.events_fingerprint(events) != with_job
