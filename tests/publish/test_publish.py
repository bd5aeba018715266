"""Atomic publishing: readers of ``warehouse.duckdb`` never see a half-built
warehouse, and a failed build leaves the data of the state and of the
published file alone (it adds only its own rows to the run log).

These run the real generator and the real ``dbt build`` (tens of seconds).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from analytics_core.settings import PROJECT_ROOT, Settings
from analytics_core.warehouse import WarehouseNotBuiltError, connect_published
from tests.warehouses import BASE, WarehouseTemplates

pytestmark = pytest.mark.slow

MODELLED_SCHEMAS = ("processed_data", "reporting", "monitoring")
#: Reporting views over dbt's run history: they change with every run, failed
#: ones included, so the reader leaves them out of what it compares.
DATA_HEALTH_VIEWS = sorted(
    p.stem for p in (PROJECT_ROOT / "dbt_project/models/reporting/data_health").glob("*.sql")
)
#: The append-only run log a failed build still adds to.
RUN_LOG_SCHEMA = "monitoring_raw"

#: Loops until the stop file appears: opens the published warehouse read-only,
#: lists the modelled relations and counts the rows of every reporting one,
#: and writes one JSON line per read.
READER = textwrap.dedent(
    """
    import json, os, sys, time
    import duckdb

    path, stop, out, skipped = sys.argv[1:5]
    skipped = set(json.loads(skipped))
    schemas = ("processed_data", "reporting", "monitoring")
    with open(out, "w") as f:
        while not os.path.exists(stop):
            record = {"t": time.time()}
            try:
                con = duckdb.connect(path, read_only=True)
                try:
                    rows = con.execute(
                        "select table_schema, table_name from information_schema.tables "
                        "where table_schema in (?, ?, ?) order by 1, 2", list(schemas)
                    ).fetchall()
                    record["relations"] = [f"{s}.{t}" for s, t in rows]
                    record["counts"] = {
                        f"reporting.{t}": con.execute(
                            f'select count(*) from reporting."{t}"'
                        ).fetchone()[0]
                        for s, t in rows if s == "reporting" and t not in skipped
                    }
                finally:
                    con.close()
                record["ok"] = True
            except Exception as exc:
                record["ok"] = False
                record["error"] = f"{type(exc).__name__}: {exc}"
            f.write(json.dumps(record) + "\\n")
            f.flush()
    """
)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fingerprint(path: Path) -> dict[str, object]:
    """What the reader records, read once by the test itself."""
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in (?, ?, ?) order by 1, 2",
            list(MODELLED_SCHEMAS),
        ).fetchall()
        counts = {
            f"reporting.{t}": con.execute(f'select count(*) from reporting."{t}"').fetchone()[0]
            for s, t in rows
            if s == "reporting" and t not in DATA_HEALTH_VIEWS
        }
    return {"relations": [f"{s}.{t}" for s, t in rows], "counts": counts}


def data_digest(path: Path) -> dict[str, tuple[int, int]]:
    """(rows, hash of the rows) of every table outside the run log."""
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute(
            "select schema_name, table_name from duckdb_tables() where schema_name <> ? "
            "order by 1, 2",
            [RUN_LOG_SCHEMA],
        ).fetchall()
        return {
            f"{s}.{t}": con.execute(
                f'select count(*), bit_xor(hash(x)) from "{s}"."{t}" as x'
            ).fetchone()
            for s, t in tables
        }


def run_log_rows(path: Path) -> int:
    with duckdb.connect(str(path), read_only=True) as con:
        return int(
            con.execute(f"select count(*) from {RUN_LOG_SCHEMA}.dbt_invocations_log").fetchone()[0]
        )


class Reader:
    """A separate process that keeps reading the published warehouse."""

    def __init__(self, warehouse: Path, workdir: Path) -> None:
        self.stop_file = workdir / "stop"
        self.out = workdir / "reads.jsonl"
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                READER,
                str(warehouse),
                str(self.stop_file),
                str(self.out),
                json.dumps(DATA_HEALTH_VIEWS),
            ]
        )

    def wait_for_reads(self, n: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.out.exists() and len(self.out.read_text().splitlines()) >= n:
                return
            time.sleep(0.1)
        raise TimeoutError("the reader made no reads")

    def stop(self) -> list[dict[str, object]]:
        self.stop_file.touch()
        self.process.wait(timeout=60)
        return [json.loads(line) for line in self.out.read_text().splitlines()]


@pytest.fixture(scope="module")
def built_home(
    warehouse_templates: WarehouseTemplates, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A home of its own (the tests below change it), generated and built once:
    a copy of the run's BASE template (tests/warehouses.py)."""
    home = tmp_path_factory.mktemp("publish-home") / "home"
    return warehouse_templates.copy(BASE, home).home_dir


def test_build_publishes_warehouse_and_docs(built_home: Path) -> None:
    settings = Settings(home=built_home)
    assert settings.warehouse_path.is_file()
    assert settings.state_warehouse_path.is_file()
    assert not settings.build_warehouse_path.exists()
    assert not settings.warehouse_path.with_name("warehouse.duckdb.tmp").exists()
    for name in ("index.html", "manifest.json", "catalog.json", "run_results.json"):
        assert (settings.docs_dir / name).is_file(), name
    catalog = json.loads((settings.docs_dir / "catalog.json").read_text())
    assert any(".rpt_" in node for node in catalog["nodes"])
    run_results = json.loads((settings.docs_dir / "run_results.json").read_text())
    assert run_results["args"]["which"] == "build"

    with connect_published(settings) as con:
        reporting = con.execute(
            "select table_name from information_schema.tables where table_schema = 'reporting'"
        ).fetchall()
        assert reporting, "the dbt project published no reporting relation"
        with pytest.raises(duckdb.Error):
            con.execute("create table reporting.scratch (x int)")


def test_small_warehouse_fixture(small_warehouse: Settings) -> None:
    with connect_published(small_warehouse) as con:
        (days,) = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'reporting' and table_name = 'rpt_daily_sales'"
        ).fetchone()
        assert days == 1
        (rows,) = con.execute("select count(*) from reporting.rpt_daily_sales").fetchone()
        assert rows > 0


def test_connect_published_before_any_build(tmp_path: Path) -> None:
    with pytest.raises(WarehouseNotBuiltError, match="run `analytics build` first"):
        connect_published(Settings(home=tmp_path))


def test_readers_see_only_complete_warehouses(
    built_home: Path, tmp_path: Path, analytics_cli
) -> None:
    run_cli = analytics_cli
    settings = Settings(home=built_home)
    published = settings.warehouse_path
    before = fingerprint(published)
    assert before["counts"], "no reporting relation to read"

    reader = Reader(published, tmp_path)
    try:
        reader.wait_for_reads(5)
        # (a) new data, then a second, successful build while the reader reads.
        published_before = sha256(published)
        run_cli("generate", "--increment", "--days", "3", home=built_home, check=True)
        assert sha256(published) == published_before, "the generator touched the published file"
        run_cli("build", home=built_home, check=True)
        after = fingerprint(published)
        docs_target = settings.docs_dir.resolve()

        # (b) a build that fails for real: a raw contract column goes missing.
        with duckdb.connect(str(settings.state_warehouse_path)) as con:
            con.execute("alter table raw_data.shop_orders drop column customer_id")
        state_data = data_digest(settings.state_warehouse_path)
        published_data = data_digest(published)
        log_rows = run_log_rows(settings.state_warehouse_path)
        failed = run_cli("build", home=built_home)
        reader.wait_for_reads(10)
    finally:
        reads = reader.stop()

    assert failed.returncode == 1, failed.stdout
    last = failed.stderr.strip().splitlines()[-1]
    assert last.startswith("error: dbt build failed"), failed.stderr
    assert "shop_orders" in last and "customer_id" in last, last
    assert str(settings.dbt_log_path / "dbt.log") in last
    assert "Traceback" not in failed.stderr

    # The data stays as it was; the run log may only have grown (dbt records
    # what ran before the contract check stopped it, e.g. source freshness).
    assert data_digest(published) == published_data, "a failed build changed published data"
    assert data_digest(settings.state_warehouse_path) == state_data, "it changed the state's data"
    assert run_log_rows(settings.state_warehouse_path) >= log_rows
    assert run_log_rows(published) == run_log_rows(settings.state_warehouse_path)
    assert not settings.build_warehouse_path.exists()
    assert settings.docs_dir.resolve() == docs_target

    errors = [r["error"] for r in reads if not r["ok"]]
    assert not errors, errors[:3]
    assert len(reads) >= 10
    assert before != after, "the increment changed no reporting relation"
    seen = {json.dumps({"relations": r["relations"], "counts": r["counts"]}) for r in reads}
    allowed = {json.dumps(before), json.dumps(after)}
    assert seen <= allowed, "a reader saw a warehouse that no build published"
    assert seen == allowed, "the reader never saw both builds"
