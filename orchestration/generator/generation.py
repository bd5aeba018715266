# mypy: disable-error-code="import-untyped"
"""``generate`` and ``increment``: decide which days and rows a call writes.

The world is a pure function of (seed, scale, defect rates, day); a call only
chooses a load window and writes the rows that land in it:

* ``generate(end)`` simulates orders placed in [end - 730 days, end] and writes
  every row with ``_loaded_at <= horizon`` (horizon = end + 1 day, 00:00 UTC).
* ``increment(N)`` re-simulates the order days that can still change
  ([previous end - 60 days, new end]) and writes exactly the rows with
  ``previous horizon < _loaded_at <= new horizon``: late rows, status changes
  and deletes of earlier orders arrive naturally. The full extracts are
  replaced by their state as of the new horizon.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import pyarrow as pa

from orchestration.generator.config import GeneratorConfig, check_end_date, check_increment_days
from orchestration.generator.errors import GeneratorError
from orchestration.generator.fx import LEAD_DAYS
from orchestration.generator.items import item_changes, simulate_items
from orchestration.generator.orders import order_changes, simulate_orders
from orchestration.generator.schema import (
    FX_RATES,
    RAW_TABLES,
    SHOP_CUSTOMERS,
    SHOP_ORDER_ITEMS,
    SHOP_ORDERS,
    SHOP_PRODUCTS,
    TableSpec,
)
from orchestration.generator.sink import Sink
from orchestration.generator.state import GeneratorState
from orchestration.generator.timeline import (
    HISTORY_DAYS,
    date_of,
    day_number,
    horizon_us,
)
from orchestration.generator.window import BEGINNING_OF_TIME, LoadWindow
from orchestration.generator.world import World

#: (step description, done, total)
Progress = Callable[[str, int, int], None]

#: Order days simulated (and written) together.
CHUNK_DAYS = 30
#: Rows of a change-log table collected before they are appended.
BATCH_ROWS = 500_000
#: How far back an increment re-simulates: no row of an order lands later than this.
LOOKBACK_DAYS = 60


@dataclass
class GenerationSummary:
    start_date: dt.date
    end_date: dt.date
    #: Rows written per table in this call.
    rows: dict[str, int] = field(default_factory=dict)


def generate(
    config: GeneratorConfig, sink: Sink, progress: Progress | None = None
) -> GenerationSummary:
    """(Re)create ``raw_data`` and write the history ending on ``config.end_date``."""
    config.validate()
    end = config.end_date or dt.datetime.now(dt.UTC).date()
    check_end_date(end, "end_date")
    start = end - dt.timedelta(days=HISTORY_DAYS)
    state = GeneratorState(
        seed=config.seed,
        scale=float(config.scale),
        defect_rates=config.resolved_rates(),
        start_date=start,
        end_date=end,
    )
    window = LoadWindow(BEGINNING_OF_TIME, horizon_us(end))
    with sink.transaction():
        sink.create_raw_tables(RAW_TABLES)
        rows = _write(
            state,
            sink,
            window,
            order_days=(day_number(start), day_number(end)),
            fx_days=(day_number(start) - LEAD_DAYS, day_number(end)),
            progress=progress,
        )
        sink.write_state(state)
    return GenerationSummary(start_date=start, end_date=end, rows=rows)


def increment(days: int, sink: Sink, progress: Progress | None = None) -> GenerationSummary:
    """Append the changes of the next ``days`` days after the last generated end date."""
    days = check_increment_days(days)
    state = sink.read_state()
    if state is None:
        raise GeneratorError(
            "nothing has been generated into this warehouse yet: run generate first"
        )
    new_end = state.end_date + dt.timedelta(days=days)
    check_end_date(new_end, "the end date after this increment")
    window = LoadWindow(horizon_us(state.end_date), horizon_us(new_end))
    previous_end = day_number(state.end_date)
    with sink.transaction():
        rows = _write(
            state,
            sink,
            window,
            order_days=(
                max(day_number(state.start_date), previous_end - LOOKBACK_DAYS),
                day_number(new_end),
            ),
            fx_days=(previous_end - LEAD_DAYS, day_number(new_end)),
            progress=progress,
        )
        sink.write_state(replace(state, end_date=new_end))
    return GenerationSummary(
        start_date=state.end_date + dt.timedelta(days=1), end_date=new_end, rows=rows
    )


def _write(
    state: GeneratorState,
    sink: Sink,
    window: LoadWindow,
    order_days: tuple[int, int],
    fx_days: tuple[int, int],
    progress: Progress | None,
) -> dict[str, int]:
    report = progress or _silent
    chunks = [
        (first, min(first + CHUNK_DAYS - 1, order_days[1]))
        for first in range(order_days[0], order_days[1] + 1, CHUNK_DAYS)
    ]
    total = 1 + len(chunks)
    rows = {table.name: 0 for table in RAW_TABLES}

    report("customers, products and exchange rates", 0, total)
    # Extracts at the horizon include signups up to the horizon day.
    world = World.build(state.seed, state.scale, state.defect_rates, order_days[1] + 1)
    extracts = {
        SHOP_CUSTOMERS: world.customers.extract(world.geography, window.hi_us),
        SHOP_PRODUCTS: world.products.extract(window.hi_us),
    }
    for table, data in extracts.items():
        sink.replace(table, data)
        rows[table.name] = data.num_rows
    fx = world.fx.published(
        world.rng, day_number(state.start_date), fx_days, window, world.rate("fx_gap")
    )
    sink.append(FX_RATES, fx)
    rows[FX_RATES.name] = fx.num_rows

    batches = {
        SHOP_ORDERS.name: _Batch(sink, SHOP_ORDERS),
        SHOP_ORDER_ITEMS.name: _Batch(sink, SHOP_ORDER_ITEMS),
    }
    for done, (first, last) in enumerate(chunks, start=1):
        report(f"orders placed {date_of(first)} to {date_of(last)}", done, total)
        orders = simulate_orders(world, first, last)
        items = simulate_items(world, orders)
        batches[SHOP_ORDERS.name].add(order_changes(world, orders, window))
        batches[SHOP_ORDER_ITEMS.name].add(item_changes(world, orders, items, window))
    for name, batch in batches.items():
        batch.flush()
        rows[name] = batch.written
    report("done", total, total)
    return rows


class _Batch:
    """Collects a table's chunks and appends them in large pieces (fewer, bigger loads)."""

    def __init__(self, sink: Sink, table: TableSpec) -> None:
        self.sink = sink
        self.table = table
        self.pending: list[pa.Table] = []
        self.pending_rows = 0
        self.written = 0

    def add(self, data: pa.Table) -> None:
        self.pending.append(data)
        self.pending_rows += data.num_rows
        if self.pending_rows >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        if self.pending_rows:
            self.sink.append(self.table, pa.concat_tables(self.pending))
        self.written += self.pending_rows
        self.pending, self.pending_rows = [], 0


def _silent(step: str, done: int, total: int) -> None:
    return None
