"""Benchmark of the report service (not a test): rendering, external-function
batches and job-status reads, each beside a baseline measured in the same run.

    uv run python benchmarks/bench_report_service.py            # scale 1 (builds one)
    uv run python benchmarks/bench_report_service.py --home H   # an existing built home
    uv run python benchmarks/bench_report_service.py --scale 0.05 --quick

| measure | target | baseline |
|---|---|---|
| ``daily_sales`` HTML render, p95 (warm) | < 300 ms | the report's own queries, replayed bare |
| ``daily_sales`` PDF render, p95 (warm) | < 1.5 s | the same bare queries |
| external-function batch of 500 rows | < 1 s | the same body posted to an empty FastAPI route |
| ``GET /v1/reports/jobs/{id}`` under load | > 1,000 req/s, p99 < 50 ms | empty GET, same load |

The service runs as ``analytics serve report-service`` (its own process, one
uvicorn worker, INFO logs to a file) and the baseline app the same way; the
load generator is an asyncio HTTP/1.1 keep-alive client in this process.
Progress goes to stderr, results to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
API_KEY = "bench-key-0123456789"


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def timed(fn: Callable[[], Any], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        out.append(time.perf_counter() - started)
    return out


# -- a home with a built warehouse ---------------------------------------------------------
def prepare_home(args: argparse.Namespace, tmp: Path) -> Path:
    if args.home:
        home = Path(args.home).resolve()
        if not (home / "warehouse.duckdb").is_file():
            sys.exit(f"no published warehouse in {home}")
        return home
    home = tmp / "home"
    env = {**os.environ, "ANALYTICS_HOME": str(home), "ANALYTICS_TARGET": "local"}
    for step in (
        ["generate", "--scale", str(args.scale), "--seed", "42", "--end-date", "2026-06-30"],
        ["build"],
    ):
        say(f"analytics {' '.join(step)} ...")
        subprocess.run(  # noqa: S603
            [str(VENV_BIN / "analytics"), *step], env=env, check=True, stdout=sys.stderr
        )
    return home


# -- rendering --------------------------------------------------------------------------------
class Recorder:
    """Wraps a warehouse client and records the queries a render runs."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.calls: list[tuple[str, Mapping[str, Any]]] = []

    def query(self, sql: str, params: Mapping[str, Any]) -> Any:
        self.calls.append((sql, dict(params)))
        return self.client.query(sql, params)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


def bench_rendering(home: Path, runs: int) -> dict[str, Any]:
    from analytics_core.settings import Settings
    from analytics_core.warehouse import DuckDBClient
    from report_service.reports import render_report

    client = DuckDBClient(Settings(home=home).warehouse_path)
    out_dir = Path(tempfile.mkdtemp(prefix="bench-render-"))
    recorder = Recorder(client)
    say("warming up (first chart and PDF renders load their engines)")
    render_report("daily_sales", {}, ["pdf"], client, out_dir)
    render_report("daily_sales", {}, ["html"], recorder, out_dir)
    one_render = list(recorder.calls)  # the queries of one render

    def bare() -> None:
        for sql, params in one_render:
            client.query(sql, params)

    say(f"rendering daily_sales: {runs} x html, {max(5, runs // 2)} x pdf, {runs} x bare queries")
    html = timed(lambda: render_report("daily_sales", {}, ["html"], client, out_dir), runs)
    pdf = timed(
        lambda: render_report("daily_sales", {}, ["pdf"], client, out_dir), max(5, runs // 2)
    )
    baseline = timed(bare, runs)
    client.close()
    shutil.rmtree(out_dir, ignore_errors=True)
    return {"html": html, "pdf": pdf, "bare": baseline, "queries": len(one_render)}


# -- servers -----------------------------------------------------------------------------------
def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"{url} exited with {process.returncode}")
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    sys.exit(f"{url} did not answer")


def start_service(home: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "ANALYTICS_HOME": str(home),
        "REPORT_SERVICE_API_KEYS": API_KEY,
        "REPORT_SERVICE_WORKERS": "0",
        "REPORT_SERVICE_QUEUE_LIMIT": "10000000",
    }
    process = subprocess.Popen(  # noqa: S603
        [str(VENV_BIN / "analytics"), "serve", "report-service", "--port", str(port)],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    wait_http(f"{url}/health", process)
    return process, url


def start_baseline(log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, __file__, "--serve-baseline", str(port)],
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )
    url = f"http://127.0.0.1:{port}"
    wait_http(f"{url}/empty", process)
    return process, url


def serve_baseline(port: int) -> None:
    """An empty FastAPI app on uvicorn, configured like the service."""
    import uvicorn
    from fastapi import FastAPI, Request

    app = FastAPI()

    @app.get("/empty")
    def empty() -> dict[str, str]:
        return {}

    @app.post("/empty")
    async def empty_post(request: Request) -> dict[str, Any]:
        await request.json()
        return {"data": []}

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


# -- external-function batches ---------------------------------------------------------------
def bench_batches(url: str, baseline_url: str, runs: int) -> dict[str, list[float]]:
    rows = [[n, "daily_sales", {"date": "2026-06-29"}] for n in range(500)]
    body = {"data": rows}
    service_times, baseline_times = [], []
    with httpx.Client(timeout=60, headers={"x-api-key": API_KEY}) as http:
        http.post(f"{url}/v1/external/generate_report", json=body)  # warm-up (no batch id)
        http.post(f"{baseline_url}/empty", json=body)
        for _ in range(runs):
            batch = uuid.uuid4().hex
            headers = {
                "sf-external-function-current-query-id": batch,
                "sf-external-function-query-batch-id": f"{batch}:0",
            }
            started = time.perf_counter()
            response = http.post(f"{url}/v1/external/generate_report", json=body, headers=headers)
            service_times.append(time.perf_counter() - started)
            if response.status_code != 200 or len(response.json()["data"]) != 500:
                sys.exit(f"batch failed: {response.status_code} {response.text[:200]}")
            started = time.perf_counter()
            http.post(f"{baseline_url}/empty", json=body)
            baseline_times.append(time.perf_counter() - started)
    return {"service": service_times, "baseline": baseline_times}


# -- load ----------------------------------------------------------------------------------------
async def _load(
    host: str, port: int, path: str, headers: Mapping[str, str], seconds: float, connections: int
) -> dict[str, Any]:
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        + "\r\n"
    ).encode()
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def one_connection() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                writer.write(request)
                status_line = await reader.readline()
                length = 0
                while True:
                    line = await reader.readline()
                    if line in (b"\r\n", b""):
                        break
                    name, _, value = line.decode("latin-1").partition(":")
                    if name.lower() == "content-length":
                        length = int(value)
                await reader.readexactly(length)
                latencies.append(time.perf_counter() - started)
                if not status_line.startswith(b"HTTP/1.1 200"):
                    errors += 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(one_connection() for _ in range(connections)))
    elapsed = time.perf_counter() - started
    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "lat": latencies,
        "errors": errors,
    }


def load(
    url: str, path: str, headers: Mapping[str, str], seconds: float, connections: int
) -> dict[str, Any]:
    parsed = httpx.URL(url)
    return asyncio.run(_load(parsed.host, parsed.port or 80, path, headers, seconds, connections))


# -- main ---------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--home", help="an ANALYTICS_HOME with a published warehouse")
    parser.add_argument("--quick", action="store_true", help="fewer runs, shorter load")
    parser.add_argument("--serve-baseline", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_baseline:
        serve_baseline(args.serve_baseline)
        return

    runs = 10 if args.quick else 30
    load_seconds = 5.0 if args.quick else 15.0
    say(f"load average at start: {os.getloadavg()}; cpus: {os.cpu_count()}")
    with tempfile.TemporaryDirectory(prefix="bench-report-service-") as tmp_name:
        tmp = Path(tmp_name)
        home = prepare_home(args, tmp)
        rendering = bench_rendering(home, runs)

        service_home = tmp / "service-home"
        service_home.mkdir()
        shutil.copy2(home / "warehouse.duckdb", service_home / "warehouse.duckdb")
        service, url = start_service(service_home, tmp / "service.log")
        baseline, baseline_url = start_baseline(tmp / "baseline.log")
        try:
            say(f"external-function batches: {runs} x 500 rows")
            batches = bench_batches(url, baseline_url, runs)
            with httpx.Client(headers={"x-api-key": API_KEY}) as http:
                job_id = http.post(
                    f"{url}/v1/reports/jobs", json={"report_type": "daily_sales"}
                ).json()["job_id"]
            say(f"load: GET job status for {load_seconds:.0f} s, 16 connections (and the baseline)")
            load(url, f"/v1/reports/jobs/{job_id}", {"x-api-key": API_KEY}, 2, 16)  # warm-up
            service_load = load(
                url, f"/v1/reports/jobs/{job_id}", {"x-api-key": API_KEY}, load_seconds, 16
            )
            baseline_load = load(baseline_url, "/empty", {}, load_seconds, 16)
        finally:
            for process in (service, baseline):
                process.terminate()
                process.wait(timeout=60)

    ms = 1000.0
    rows = [
        (
            "daily_sales HTML p95",
            f"{pct(rendering['html'], 95) * ms:.0f} ms",
            "< 300 ms",
            f"bare queries ({rendering['queries']}) p95 {pct(rendering['bare'], 95) * ms:.0f} ms",
        ),
        (
            "daily_sales PDF p95",
            f"{pct(rendering['pdf'], 95) * ms:.0f} ms",
            "< 1500 ms",
            f"bare queries p95 {pct(rendering['bare'], 95) * ms:.0f} ms",
        ),
        (
            "external batch, 500 rows, p95",
            f"{pct(batches['service'], 95) * ms:.0f} ms",
            "< 1000 ms",
            f"empty POST route p95 {pct(batches['baseline'], 95) * ms:.0f} ms",
        ),
        (
            "GET job status: throughput",
            f"{service_load['rps']:,.0f} req/s",
            "> 1,000 req/s",
            f"empty GET route {baseline_load['rps']:,.0f} req/s",
        ),
        (
            "GET job status: p99",
            f"{pct(service_load['lat'], 99) * ms:.1f} ms",
            "< 50 ms",
            f"empty GET route p99 {pct(baseline_load['lat'], 99) * ms:.1f} ms",
        ),
        (
            "GET job status: errors",
            f"{service_load['errors']} of {service_load['requests']:,}",
            "0",
            f"{baseline_load['errors']} of {baseline_load['requests']:,}",
        ),
    ]
    print(
        f"\nreport service benchmark ({args.home or f'scale {args.scale}'}, "
        f"{os.cpu_count()} cpus, python {sys.version.split()[0]})\n"
    )
    print("| measure | result | target | baseline (same run) |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print(
        f"\nmedians: html {statistics.median(rendering['html']) * ms:.0f} ms, "
        f"pdf {statistics.median(rendering['pdf']) * ms:.0f} ms, "
        f"batch {statistics.median(batches['service']) * ms:.0f} ms"
    )


if __name__ == "__main__":
    main()
