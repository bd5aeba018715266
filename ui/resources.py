"""What the pages share, opened once per UI process (``st.cache_resource``):
the question engine, the report service client and the warehouse client of
the monitoring views. Nothing here draws anything."""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import streamlit as st

from analytics_core.errors import AnalyticsError
from analytics_core.settings import (
    QuestionSettings,
    Settings,
    SnowflakeSettings,
    UISettings,
)
from analytics_core.warehouse import DuckDBClient, SnowflakeClient, WarehouseClient
from questions.answers import QuestionEngine
from questions.presenting import Catalog
from ui.report_client import ReportServiceClient


@st.cache_resource(show_spinner=False)
def _loading() -> Future[QuestionEngine]:
    """The background load of the question engine, once per UI process (and
    again after ``st.cache_resource.clear()``: another home, in the tests)."""
    from questions.choose import open_question_engine

    settings, questions, snowflake = core_settings(), QuestionSettings(), SnowflakeSettings()
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="load-semantic-layer")
    future = pool.submit(open_question_engine, settings, questions, snowflake)
    pool.shutdown(wait=False)
    return future


def start_loading() -> Future[QuestionEngine]:
    """Open the question engine in a background thread (the app calls this on
    every run, so the first visit to any page starts it): the Ask and Metrics
    pages then find it ready, or nearly. A load that failed is started again
    on the next call (the warehouse may have been built since)."""
    with _loading_lock:
        loading = _loading()
        if loading.done() and loading.exception() is not None:
            _loading.clear()
            loading = _loading()
        return loading


_loading_lock = threading.Lock()


def wait_for_engine(poll_seconds: float = 0.2) -> None:
    """Show how long the semantic layer has been loading until it is ready
    (nothing when it already is)."""
    loading = start_loading()
    if loading.done():
        return
    started = time.monotonic()
    with st.status("Loading the semantic layer ...", expanded=False) as status:
        while not loading.done():
            time.sleep(poll_seconds)
            status.update(
                label=f"Loading the semantic layer ({time.monotonic() - started:.0f} s) ..."
            )
        status.update(label="Semantic layer loaded", state="complete")


def question_engine() -> QuestionEngine:
    """The question engine (opened in the background by :func:`start_loading`;
    this waits for it, and raises what the load raised)."""
    return start_loading().result()


@st.cache_resource
def core_settings() -> Settings:
    """The shared settings (ANALYTICS_*), read once per UI process."""
    return Settings()


@st.cache_resource
def ui_settings() -> UISettings:
    return UISettings()


@st.cache_resource
def report_client() -> ReportServiceClient:
    settings = ui_settings()
    key = settings.report_service_api_key
    if not key:
        # Locally, the key the service generated (it never travels in the URL).
        key = core_settings().local_report_service_key()
    return ReportServiceClient(settings.report_service_url, key)


@st.cache_resource
def warehouse() -> WarehouseClient:
    """The read-only client of the reporting views (monitoring included)."""
    return open_ui_warehouse(ui_settings(), core_settings(), SnowflakeSettings())


def open_ui_warehouse(
    ui: UISettings, settings: Settings, snowflake: SnowflakeSettings
) -> WarehouseClient:
    """The client ``ui.warehouse`` asks for: the published DuckDB file of
    ``settings``, or the reporting schema on the Snowflake of ``snowflake``.
    No connection is opened yet."""
    if ui.warehouse == "snowflake":
        return SnowflakeClient(
            snowflake,
            schema=ui.reporting_schema,
            statement_timeout_seconds=ui.statement_timeout_seconds,
            query_tag=ui.query_tag,
        )
    return DuckDBClient(settings.warehouse_path)


@st.cache_resource
def semantic_catalog() -> dict[str, Any]:
    """Metrics and the dimensions people pick, with labels (no MetricFlow import)."""
    from questions.local.opening import built_manifest
    from questions.semantic import load_raw_semantic_manifest

    # The last build's manifest, as the question engine reads it: the
    # project's own may be stale or missing (a fresh clone), and parsing it
    # again took half a minute on the page's first load.
    raw = load_raw_semantic_manifest(manifest_path=built_manifest(core_settings()))
    metrics = {
        m["name"]: m.get("label") or m["name"]
        for m in raw.get("metrics", [])
        if not ((m.get("config") or {}).get("meta") or {}).get("internal")
    }
    return {"metrics": metrics}


@st.cache_resource
def answer_catalog() -> Catalog:
    """Labels, kinds and units of the answers' columns (the question engine's
    semantic layer; the project's manifest for Cortex Analyst, or when the
    engine cannot open: an answer shown then still reads the same)."""
    try:
        engine: object = question_engine()
    except AnalyticsError:
        engine = None
    return Catalog.for_engine(engine)


def data_through() -> Any:
    """The last day with data (a date), as the question engine read it (the
    local engine when it opened, Cortex Analyst's on first use); None when it
    is not known."""
    data = getattr(question_engine(), "data_range", None)
    return getattr(data, "last", None)


@st.cache_resource
def example_questions() -> list[str]:
    """Questions written from the semantic layer's saved queries, over periods
    that have data (see :func:`questions.presenting.example_questions`)."""
    from questions.presenting import example_questions as written

    layer = getattr(question_engine(), "layer", None)
    raw = getattr(layer, "raw_manifest", None)
    if raw is None:
        from questions.local.opening import built_manifest
        from questions.semantic import load_raw_semantic_manifest

        raw = load_raw_semantic_manifest(manifest_path=built_manifest(core_settings()))
    return written(raw, data_through())
