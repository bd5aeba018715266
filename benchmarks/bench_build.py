"""Benchmark: generate, full build, 1% incremental build, and dbt against plain DuckDB.

Run from the repository root::

    uv run python benchmarks/bench_build.py [--scale 1.0] [--keep DIR]

Everything happens in a fresh ANALYTICS_HOME (a temporary directory, or DIR
with ``--keep``), in one run:

1. ``generate`` (the generator API, DuckDB sink) at ``--scale``: wall seconds
   and order items per second.
2. ``analytics build`` on that data (a full build): wall seconds of the
   command, of the ``dbt build`` invocation, and dbt's model time (the sum of
   ``execution_time`` of seeds, models and snapshots in ``run_results.json``)
   and test time.
3. ``analytics generate --increment --days 7`` (about 1% of the 730-day
   history), then ``analytics build`` again (incremental): the ratio of its
   model time to the full build's.
4. A baseline: the SQL of the full build executed straight in DuckDB (no
   dbt), in one connection, on a copy of the raw data taken before the full
   build: the statements the on-run-start hooks ran (read from dbt.log, see
   parse_dbt_log), the compiled code of every seed, model, snapshot and data
   test, and the statements of the on-run-end hook. dbt's ``dbt build`` wall
   time divided by the baseline's is the overhead of dbt.

Results go to stdout (progress to stderr); the last block is a markdown table
for ``benchmarks/README.md``. The measurements are in ``build_measure.py``, the
baseline in ``build_baseline.py``, the report in ``build_report.py`` (next to
this script, which Python puts first on the path).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from build_baseline import BaselineResult, baseline_steps, row_counts, run_baseline, table_relations
from build_measure import (
    BUILD_TYPES,
    BuildMeasurement,
    file_size,
    log,
    machine_info,
    measure_build,
    measure_nothing_new,
    raw_counts,
    run_analytics,
)
from build_report import INCREMENT_DAYS, report

from analytics_core.settings import Settings
from orchestration import warehouse_publish as files

# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--scale", type=float, default=1.0, help="generator scale (default 1.0)")
    parser.add_argument("--seed", type=int, default=42, help="generator seed (default 42)")
    parser.add_argument(
        "--end-date",
        type=dt.date.fromisoformat,
        default=dt.date(2026, 6, 30),
        help="last day of generated history (default 2026-06-30, fixed for repeatability)",
    )
    parser.add_argument(
        "--keep",
        type=Path,
        metavar="DIR",
        help="work in DIR (must not exist or be empty) and keep it: home, artifacts, baseline",
    )
    parser.add_argument(
        "--skip-baseline",
        action="store_true",
        help="do not run the plain-DuckDB baseline (large scales: it needs another copy of raw)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if args.keep is not None:
        workdir = args.keep.resolve()
        if workdir.exists() and any(workdir.iterdir()):
            sys.exit(f"--keep {workdir}: the directory is not empty")
        workdir.mkdir(parents=True, exist_ok=True)
        benchmark(workdir, args)
    else:
        with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
            benchmark(Path(tmp), args)


def benchmark(workdir: Path, args: argparse.Namespace) -> None:
    machine = machine_info()
    home = workdir / "home"
    home.mkdir()
    settings = Settings(home=home, target="local")
    artifacts = workdir / "artifacts"

    # 1. generate --------------------------------------------------------------
    # Through the CLI, as a person runs it, and in its own process: this
    # process stays small, so the peak memory the kernel reports for each
    # command's process (which starts as a copy of this one) is the command's.
    generated = run_analytics(
        home,
        "generate",
        "--scale",
        f"{args.scale:g}",
        "--seed",
        str(args.seed),
        "--end-date",
        args.end_date.isoformat(),
    )
    generate_seconds = generated.wall
    counts = raw_counts(settings.state_warehouse_path)
    order_items = counts.get("shop_order_items", 0)
    total_rows = sum(counts.values())
    log(f"  {order_items:,} order items")

    # Raw data only, as the full build will see it. Renamed once the catalog
    # name dbt uses is known (DuckDB names the catalog after the file stem).
    state = settings.state_warehouse_path
    files.checkpoint(state)
    raw_copy = workdir / "baseline" / "raw.duckdb"
    if not args.skip_baseline:
        raw_copy.parent.mkdir()
        shutil.copyfile(state, raw_copy)

    # 2. full build ------------------------------------------------------------
    full = measure_build(home, settings, artifacts / "full")
    manifest = json.loads((artifacts / "full" / "manifest.json").read_text())
    full_results = json.loads((artifacts / "full" / "run_results.json").read_text())
    dbt_table_relations = table_relations(manifest, full.node_times)
    dbt_rows = row_counts(settings.warehouse_path, dbt_table_relations)
    warehouse_bytes = file_size(settings.warehouse_path)

    # 3. nothing new -------------------------------------------------------------
    nothing = measure_nothing_new(home, settings)

    # 4. increment + incremental build ---------------------------------------
    before = raw_counts(state)
    state_before_increment = file_size(state)
    increment_run = run_analytics(home, "generate", "--increment", "--days", str(INCREMENT_DAYS))
    after = raw_counts(state)
    raw_growth = file_size(state) - state_before_increment
    appended_items = after.get("shop_order_items", 0) - before.get("shop_order_items", 0)
    incremental = measure_build(home, settings, artifacts / "incremental")

    # 5. baseline, last: it runs in this process (DuckDB in-process), which
    # would otherwise grow before the builds' memory is measured. It needs
    # only what the full build left: its manifest, run results and hooks' SQL.
    baseline: BaselineResult | None = None
    if not args.skip_baseline:
        baseline = run_full_baseline(settings, manifest, full, full_results, raw_copy)
    load_at_end = ", ".join(f"{x:.2f}" for x in os.getloadavg())

    report(
        args=args,
        workdir=workdir,
        machine=machine,
        load_at_end=load_at_end,
        generate_seconds=generate_seconds,
        generate_peak=generated.peak_rss,
        order_items=order_items,
        total_rows=total_rows,
        full=full,
        nothing=nothing,
        increment_run=increment_run,
        appended_items=appended_items,
        raw_growth=raw_growth,
        incremental=incremental,
        baseline=baseline,
        dbt_rows=dbt_rows,
        warehouse_bytes=warehouse_bytes,
        manifest=manifest,
    )


def run_full_baseline(
    settings: Settings,
    manifest: Mapping[str, Any],
    full: BuildMeasurement,
    full_results: Mapping[str, Any],
    raw_copy: Path,
) -> BaselineResult:
    """The full build's SQL in plain DuckDB on ``raw_copy`` (see the module docstring)."""
    catalogs = {
        n["database"]
        for uid, n in manifest["nodes"].items()
        if uid in full.node_times and n["resource_type"] in BUILD_TYPES
    }
    if len(catalogs) != 1:
        sys.exit(f"expected one catalog in the manifest, found {sorted(catalogs)}")
    catalog = catalogs.pop()
    baseline_db = raw_copy.with_name(f"{catalog}.duckdb")
    raw_copy.rename(baseline_db)
    steps, skipped = baseline_steps(manifest, full_results, full.logged)
    hook_statements = sum(len(step.statements) for step in steps if step.kind == "operation")
    if not hook_statements:
        sys.exit(
            f"no hook statements for dbt build in {settings.dbt_log_path / 'dbt.log'}: "
            "the baseline needs the queries the hooks ran (dbt's debug file log)"
        )
    # What dbt build started from besides the raw data: the run log rows that
    # the hooks of `dbt source freshness` wrote (replayed, untimed).
    setup = [
        statement
        for invocation in full.logged_before
        for statements in invocation.hooks.values()
        for statement in statements
    ]
    setup_commands = sorted({f"dbt {i.command}" for i in full.logged_before if i.hooks})
    log(
        f"baseline: {len(steps)} nodes and hooks in plain DuckDB on {baseline_db} "
        f"(first, untimed: {len(setup)} hook statements of {', '.join(setup_commands) or '-'})"
    )
    result = run_baseline(baseline_db, steps, setup)
    log(f"  done in {result.seconds:.1f} s")
    result.skipped = skipped
    result.catalog = catalog
    result.database = baseline_db
    result.steps = len(steps)
    result.hook_statements = hook_statements
    result.setup_statements = len(setup)
    result.setup_commands = setup_commands
    dbt_relations = table_relations(manifest, full.node_times)
    result.rows = row_counts(baseline_db, dbt_relations)
    return result


if __name__ == "__main__":
    main()
