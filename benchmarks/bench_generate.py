"""Time the raw data generator against a plain DuckDB baseline (not a test).

    uv run python benchmarks/bench_generate.py [--scale 1] [--seed 42] [--end-date D]

Generates a history into a temporary DuckDB file and prints the wall time and
rows per second. The baseline, measured in the same run on the same machine,
is DuckDB writing the same number of rows with a plain
``CREATE TABLE AS SELECT ... FROM range(n)`` of similar columns (ids,
timestamps, a short string, a decimal): roughly the cost of just storing that
many rows, with no simulation.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

import duckdb

from orchestration.generator import DuckDBSink, GeneratorConfig, generate

BASELINE_SQL = """
create table baseline as
select range as id,
       range % 100000 as other_id,
       timestamp '2024-01-01' + to_microseconds(range * 61000) as changed_at,
       timestamp '2024-01-01' + to_microseconds(range * 61000 + 300000000) as loaded_at,
       ['web', 'mobile', 'store', 'partner'][range % 4 + 1] as label,
       (range % 10000 / 100)::decimal(12, 2) as amount
from range(?)
"""


def time_generator(config: GeneratorConfig, directory: Path) -> tuple[float, int]:
    started = time.perf_counter()
    with DuckDBSink(directory / "generated.duckdb") as sink:
        summary = generate(config, sink)
    seconds = time.perf_counter() - started
    return seconds, sum(summary.rows.values())


def time_baseline(rows: int, directory: Path) -> float:
    started = time.perf_counter()
    with duckdb.connect(str(directory / "baseline.duckdb")) as con:
        con.execute(BASELINE_SQL, [rows])
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark the raw data generator.")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--end-date", type=dt.date.fromisoformat, default=None)
    args = parser.parse_args()
    config = GeneratorConfig(seed=args.seed, scale=args.scale, end_date=args.end_date)

    with tempfile.TemporaryDirectory(prefix="bench-generate-") as name:
        directory = Path(name)
        seconds, rows = time_generator(config, directory)
        baseline = time_baseline(rows, directory)

    print(f"scale {args.scale:g}: {rows:,} rows in all tables")
    print(f"{'generator':<28} {seconds:8.2f} s {rows / seconds:14,.0f} rows/s")
    print(f"{'baseline (DuckDB CTAS range)':<28} {baseline:8.2f} s {rows / baseline:14,.0f} rows/s")
    print(f"generator / baseline: {seconds / baseline:.1f}x")


if __name__ == "__main__":
    main()
