"""bench_build.py's report: the tables it prints and the verdicts against
issue 16's targets."""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from build_baseline import BaselineResult
from build_measure import BUILD_TYPES, BuildMeasurement, CommandRun, NothingNew, gib

#: Days of history ``generate`` writes (see orchestration.generator.timeline).
HISTORY_DAYS = 730
INCREMENT_DAYS = 7

GENERATE_TARGET_SECONDS = 60.0
#: Issue 16's targets: a full build's wall at most 1.5x the baseline; with
#: nothing new, under 5 s or at most 10% of a full build; after a 1%
#: increment, wall at most 25% and model time at most 10% of the full
#: build's, bytes copied and written in proportion to the change.
BASELINE_TARGET_RATIO = 1.5
NOTHING_NEW_SECONDS = 5.0
NOTHING_NEW_RATIO = 0.10
INCREMENT_WALL_RATIO = 0.25
INCREMENTAL_TARGET_RATIO = 0.10
INCREMENT_BYTES_RATIO = 0.10

#: How the report names a resource type (default: the type plus "s").
KIND_LABELS = {"operation": "hooks (on-run-start, on-run-end)", "test": "data tests"}


# --------------------------------------------------------------------------- output


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: Iterable[int] = ()) -> str:
    right_cols = set(right)
    rows = [[*r, *[""] * (len(headers) - len(r))] for r in rows]
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows, strict=False)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            str(c).rjust(w) if i in right_cols else str(c).ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


def markdown(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def short(uid: str) -> str:
    kind, _, rest = uid.partition(".")
    return f"{rest.split('.', 1)[-1]} ({kind})"


def ratio(part: float, whole: float) -> float:
    return part / whole if whole else float("inf")


def report(
    *,
    args: argparse.Namespace,
    workdir: Path,
    machine: Mapping[str, str],
    load_at_end: str,
    generate_seconds: float,
    generate_peak: int,
    order_items: int,
    total_rows: int,
    full: BuildMeasurement,
    nothing: NothingNew,
    increment_run: CommandRun,
    appended_items: int,
    raw_growth: int,
    incremental: BuildMeasurement,
    baseline: BaselineResult | None,
    dbt_rows: Mapping[str, int],
    warehouse_bytes: int,
    manifest: Mapping[str, Any],
) -> None:
    out: list[str] = []
    out.append("# analytics build benchmark")
    out.append("")
    out.append(table(["machine", ""], [[k, v] for k, v in machine.items()]))
    out.append(
        f"\nscale {args.scale}, seed {args.seed}, end date {args.end_date}; "
        f"work directory {workdir}{'' if args.keep else ' (removed at exit)'}; "
        f"load average at the end {load_at_end}"
    )

    out.append("\n## 1. generate")
    out.append(
        table(
            ["measure", "value", ""],
            [
                [
                    "wall",
                    f"{generate_seconds:.1f} s",
                    f"target < {GENERATE_TARGET_SECONDS:.0f} s at scale 1"
                    + (
                        f": {verdict(generate_seconds < GENERATE_TARGET_SECONDS)}"
                        if args.scale >= 1
                        else ""
                    ),
                ],
                ["order items", f"{order_items:,}"],
                ["order items / s", f"{order_items / generate_seconds:,.0f}"],
                ["raw rows, all tables", f"{total_rows:,}"],
                ["peak memory", gib(generate_peak)],
            ],
            right=[1],
        )
    )

    def build_rows(m: BuildMeasurement) -> list[list[str]]:
        parse = m.parse_invocation
        fresh = m.freshness_invocation
        docs = m.docs_invocation
        other = m.wall - m.dbt_invocation - (docs or 0.0) - (fresh or 0.0) - (parse or 0.0)
        return [
            ["analytics build, wall", f"{m.wall:.1f} s"],
            ["  dbt parse (once per build)", f"{parse:.1f} s" if parse is not None else "n/a"],
            ["  dbt source freshness invocation", f"{fresh:.1f} s" if fresh is not None else "n/a"],
            ["  dbt build invocation (hooks + nodes)", f"{m.dbt_invocation:.1f} s"],
            ["  dbt docs generate invocation", f"{docs:.1f} s" if docs is not None else "n/a"],
            ["  other (process start-up, copy, publish)", f"{other:.1f} s"],
            ["peak memory (command and dbt)", gib(m.peak_rss)],
            ["warehouse file copied", gib(m.copied)],
            ["written to storage (all)", gib(m.written)],
            ["nodes in run_results", f"{m.nodes}"],
            ["model time: seeds + models + snapshots", f"{m.model_time:.1f} s"],
            *[
                [f"  {kind}s", f"{m.by_type.get(kind, 0.0):.1f} s"]
                for kind in BUILD_TYPES
                if kind in m.by_type
            ],
            ["data test time", f"{m.test_time:.1f} s"],
            ["unit test time", f"{m.unit_test_time:.1f} s"],
            ["hooks (on-run-start, on-run-end)", f"{m.by_type.get('operation', 0.0):.1f} s"],
        ]

    out.append("\n## 2. full build (analytics build)")
    out.append("(execution_time is per node; dbt runs a thread per core, so sums can exceed wall)")
    out.append(table(["measure", "value"], build_rows(full), right=[1]))

    nothing_ok = nothing.said_so and nothing.published_unchanged
    nothing_fast = (
        nothing.wall < NOTHING_NEW_SECONDS or nothing.wall <= NOTHING_NEW_RATIO * full.wall
    )
    out.append("\n## 3. again, nothing new in raw (analytics build)")
    out.append(
        table(
            ["measure", "value", ""],
            [
                [
                    "wall",
                    f"{nothing.wall:.1f} s",
                    f"target < {NOTHING_NEW_SECONDS:.0f} s or <= {NOTHING_NEW_RATIO:.0%} of the "
                    f"full build ({ratio(nothing.wall, full.wall):.1%}): {verdict(nothing_fast)}",
                ],
                ["said 'nothing new'", "yes" if nothing.said_so else "NO"],
                ["published warehouse untouched", "yes" if nothing.published_unchanged else "NO"],
                ["written to storage", gib(nothing.written)],
            ],
            right=[1],
        )
    )

    incremental_models = [
        uid
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and node["config"].get("materialized") == "incremental"
    ]
    model_ratio = ratio(incremental.model_time, full.model_time)
    wall_ratio = ratio(incremental.wall, full.wall)
    bytes_ratio = ratio(incremental.copied + incremental.written, full.copied + full.written)
    out.append(f"\n## 4. 1% increment (generate --increment --days {INCREMENT_DAYS}, build)")
    out.append(
        table(
            ["measure", "value", ""],
            [
                ["generate --increment, wall", f"{increment_run.wall:.1f} s"],
                ["generate --increment, peak memory", gib(increment_run.peak_rss)],
                ["order item rows appended", f"{appended_items:,}"],
                ["state file growth", gib(max(raw_growth, 0))],
                *build_rows(incremental),
                [
                    "incremental / full wall",
                    f"{wall_ratio:.1%}",
                    f"target <= {INCREMENT_WALL_RATIO:.0%}: "
                    f"{verdict(wall_ratio <= INCREMENT_WALL_RATIO)}",
                ],
                [
                    "incremental / full model time",
                    f"{model_ratio:.1%}",
                    f"target <= {INCREMENTAL_TARGET_RATIO:.0%}: "
                    f"{verdict(model_ratio <= INCREMENTAL_TARGET_RATIO)}",
                ],
                [
                    "incremental / full bytes copied and written",
                    f"{bytes_ratio:.1%}",
                    f"target: in proportion to the change (<= {INCREMENT_BYTES_RATIO:.0%}): "
                    f"{verdict(bytes_ratio <= INCREMENT_BYTES_RATIO)}",
                ],
                ["incremental-materialised models", f"{len(incremental_models)}"],
            ],
            right=[1],
        )
    )

    baseline_ratio = ratio(full.wall, baseline.seconds) if baseline else 0.0
    if baseline is not None:
        baseline_model_time = sum(baseline.by_type.get(kind, 0.0) for kind in BUILD_TYPES)
        row_mismatches = [uid for uid in dbt_rows if dbt_rows[uid] != baseline.rows.get(uid)]
        dbt_failing = sorted(
            uid for uid, status in full.statuses.items() if status in ("fail", "warn", "error")
        )
        out.append("\n## 5. baseline: the full build's compiled SQL in plain DuckDB")
        out.append(
            f"catalog {baseline.catalog!r} (copy of the raw data named "
            f"{baseline.database.name}); {baseline.steps} steps, one connection, timed from "
            "connect to close: the on-run-start hooks, the nodes in topological order, the "
            f"on-run-end hook ({baseline.hook_statements} hook statements, as dbt.log shows "
            "the hooks ran them)"
        )
        out.append(
            f"before the timing: {baseline.setup_statements} statements the hooks of "
            f"{', '.join(baseline.setup_commands) or 'nothing'} ran (the run log rows dbt "
            "build starts from)"
        )
        skipped_text = ", ".join(f"{n} {kind}" for kind, n in sorted(baseline.skipped.items()))
        out.append(
            f"not in the baseline: {skipped_text or 'nothing'} (unit tests; saved queries and "
            "exposures run no SQL), persist_docs comments, dbt's parse"
        )
        out.append(
            table(
                ["measure", "value", ""],
                [
                    ["baseline, wall", f"{baseline.seconds:.1f} s"],
                    *[
                        [f"  {KIND_LABELS.get(kind, kind + 's')}", f"{seconds:.1f} s"]
                        for kind, seconds in sorted(baseline.by_type.items())
                    ],
                    [
                        "analytics build wall / baseline",
                        f"{baseline_ratio:.2f}x",
                        f"(baseline model time {baseline_model_time:.1f} s) "
                        f"target <= {BASELINE_TARGET_RATIO}x: "
                        f"{verdict(baseline_ratio <= BASELINE_TARGET_RATIO)}",
                    ],
                    [
                        "dbt build invocation / baseline",
                        f"{ratio(full.dbt_invocation, baseline.seconds):.2f}x",
                    ],
                    [
                        "table row counts equal to dbt's",
                        f"{len(dbt_rows) - len(row_mismatches)} of {len(dbt_rows)}",
                    ],
                    [
                        "failing tests (baseline / dbt)",
                        f"{len(baseline.failing_tests)} / {len(dbt_failing)}",
                    ],
                ],
                right=[1],
            )
        )
        for uid in row_mismatches:
            out.append(
                f"  rows differ: {short(uid)}: dbt {dbt_rows[uid]}, "
                f"baseline {baseline.rows.get(uid)}"
            )
        for uid in sorted(set(baseline.failing_tests) ^ set(dbt_failing)):
            out.append(f"  test result differs: {short(uid)}")

    def node_rows(uids: Sequence[str]) -> list[list[str]]:
        return [
            [
                short(uid),
                f"{full.node_times[uid]:.2f} s",
                f"{incremental.node_times[uid]:.2f} s" if uid in incremental.node_times else "-",
                f"{baseline.node_times[uid]:.2f} s"
                if baseline and uid in baseline.node_times
                else "-",
            ]
            for uid in uids
        ]

    def slowest(m: BuildMeasurement, kinds: Sequence[str], n: int) -> list[str]:
        chosen = [uid for uid in m.node_times if uid.split(".", 1)[0] in kinds]
        return sorted(chosen, key=lambda uid: -m.node_times[uid])[:n]

    headers = ["node", "dbt full", "dbt incr.", "baseline"]
    out.append("\n## slowest seeds, models and snapshots of the full build (execution_time)")
    slow_models = slowest(full, BUILD_TYPES, 10)
    out.append(table(headers, node_rows(slow_models), right=[1, 2, 3]))
    out.append("\n## slowest seeds, models and snapshots of the incremental build")
    out.append(table(headers, node_rows(slowest(incremental, BUILD_TYPES, 10)), right=[1, 2, 3]))
    out.append("\n## slowest tests (data and unit tests) of the full build")
    out.append(table(headers, node_rows(slowest(full, ("test", "unit_test"), 5)), right=[1, 2, 3]))

    out.append("\n## summary (markdown)\n")
    out.append(
        f"{machine['date']}; {machine['cpu']}, nproc {machine['nproc']}, {machine['memory']}; "
        f"Python {machine['python']}, duckdb {machine['duckdb']}, dbt-core {machine['dbt-core']}, "
        f"dbt-duckdb {machine['dbt-duckdb']}; scale {args.scale:g} ({order_items:,} order "
        f"items), seed {args.seed}; load average {machine['load average (1/5/15 min) at start']} "
        f"at the start, {load_at_end} at the end; published warehouse {gib(warehouse_bytes)}.\n"
    )
    rows = [
        [
            f"generate, scale {args.scale:g}",
            f"{generate_seconds:.1f} s ({order_items / generate_seconds:,.0f} order items/s)",
            f"< {GENERATE_TARGET_SECONDS:.0f} s at scale 1",
            verdict(generate_seconds < GENERATE_TARGET_SECONDS)
            if args.scale >= 1
            else "n/a (scale < 1)",
        ],
    ]
    if baseline is not None:
        rows.append(
            [
                "full build, wall / plain-DuckDB baseline",
                f"{full.wall:.1f} s / {baseline.seconds:.1f} s = {baseline_ratio:.2f}x "
                f"(dbt parse {full.parse_invocation or 0:.1f} s, model time "
                f"{full.model_time:.1f} s, tests {full.test_time:.1f} s; peak "
                f"{gib(full.peak_rss)})",
                f"<= {BASELINE_TARGET_RATIO}x",
                verdict(baseline_ratio <= BASELINE_TARGET_RATIO),
            ]
        )
    else:
        rows.append(
            [
                "full build, wall",
                f"{full.wall:.1f} s (model time {full.model_time:.1f} s; peak "
                f"{gib(full.peak_rss)}); baseline skipped",
                f"<= {BASELINE_TARGET_RATIO}x baseline",
                "not measured",
            ]
        )
    rows += [
        [
            "again, nothing new",
            f"{nothing.wall:.1f} s = {ratio(nothing.wall, full.wall):.1%} of full; "
            f"said so: {'yes' if nothing.said_so else 'no'}; published untouched: "
            f"{'yes' if nothing.published_unchanged else 'no'}",
            f"< {NOTHING_NEW_SECONDS:.0f} s or <= {NOTHING_NEW_RATIO:.0%}, publishing nothing",
            verdict(nothing_fast and nothing_ok),
        ],
        [
            f"after a {INCREMENT_DAYS}-day increment (~1%), wall",
            f"{incremental.wall:.1f} s = {wall_ratio:.1%} of full",
            f"<= {INCREMENT_WALL_RATIO:.0%}",
            verdict(wall_ratio <= INCREMENT_WALL_RATIO),
        ],
        [
            "after the increment, model time",
            f"{incremental.model_time:.1f} s = {model_ratio:.1%} of full",
            f"<= {INCREMENTAL_TARGET_RATIO:.0%}",
            verdict(model_ratio <= INCREMENTAL_TARGET_RATIO),
        ],
        [
            "after the increment, bytes copied + written",
            f"{gib(incremental.copied)} + {gib(incremental.written)} = {bytes_ratio:.1%} of "
            f"full ({gib(full.copied)} + {gib(full.written)})",
            f"in proportion to the change (<= {INCREMENT_BYTES_RATIO:.0%})",
            verdict(bytes_ratio <= INCREMENT_BYTES_RATIO),
        ],
        [
            "peak memory, full / increment",
            f"{gib(full.peak_rss)} / {gib(incremental.peak_rss)}",
            "within 24 GiB",
            verdict(max(full.peak_rss, incremental.peak_rss) < 24 * 2**30),
        ],
    ]
    out.append(markdown(["benchmark", "measured", "target", "result"], rows))
    print("\n".join(out), flush=True)
