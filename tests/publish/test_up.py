"""``analytics up``: generate when there is no data, build, serve the docs, the report
service and the UI, run the scheduler, stop on Ctrl-C."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import httpx
import pytest

from tests.conftest import ANALYTICS, analytics_env

pytestmark = pytest.mark.slow

#: Any free port for the docs site, the report service and the UI.
PORTS = ("--port", "0", "--report-port", "0", "--ui-port", "0")


def test_up_generates_builds_serves_and_stops(tmp_path: Path) -> None:
    home = tmp_path / "home"
    log = tmp_path / "up.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(ANALYTICS), "up", "--scale", "0.005", *PORTS],
            env=analytics_env(home),
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            url = _wait_for_url(process, log, timeout=600)
            with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310
                assert b"dbt" in response.read()
            with urllib.request.urlopen(url + "catalog.json", timeout=10) as response:  # noqa: S310
                catalog = json.load(response)
            assert any(".rpt_" in node for node in catalog["nodes"])
            reports = re.search(r"report service: (http://\S+)/docs", log.read_text())
            assert reports, log.read_text()
            key = (home / "report_service" / "api_key").read_text().strip()
            listed = httpx.get(reports.group(1) + "/v1/reports", headers={"x-api-key": key})
            assert "daily_sales" in {entry["type"] for entry in listed.json()["reports"]}
            assert httpx.get(reports.group(1) + "/v1/reports").status_code == 401
            assert httpx.get(reports.group(1) + "/ready", timeout=30).json()["status"] == "ready"
            ui = re.search(r"UI: (http://\S+)", log.read_text())
            assert ui, log.read_text()
            assert httpx.get(ui.group(1) + "_stcore/health", timeout=10).text == "ok"
            assert "scheduler: 5 jobs" in log.read_text()
            assert (home / "scheduler" / "state.sqlite3").is_file()
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=30) == 0
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    output = log.read_text()
    assert "no raw data yet" in output
    assert "Traceback" not in output
    assert (home / "warehouse.duckdb").is_file()
    with pytest.raises(OSError):
        urllib.request.urlopen(url, timeout=2)  # noqa: S310
    with pytest.raises(httpx.HTTPError):
        httpx.get(ui.group(1) + "_stcore/health", timeout=2)


def _wait_for_url(process: subprocess.Popen[str], log: Path, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        match = re.search(r"dbt docs: (http://\S+)", log.read_text())
        if match:
            return match.group(1)
        if process.poll() is not None:
            pytest.fail(f"analytics up exited {process.returncode}:\n{log.read_text()}")
        time.sleep(0.2)
    pytest.fail(f"analytics up printed no URL in {timeout} s:\n{log.read_text()}")
