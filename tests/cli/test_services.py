"""Services that ``analytics up`` runs together."""

from __future__ import annotations

import socket
import urllib.request
from pathlib import Path

import pytest

from orchestration.services import ServiceError, ServiceGroup, StaticSite, StreamlitUI


def test_static_site_serves_files_and_stops(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<h1>docs</h1>")
    site = StaticSite("docs", tmp_path, port=0)
    with ServiceGroup([site]).running():
        assert site.port != 0
        with urllib.request.urlopen(site.url + "index.html", timeout=5) as response:  # noqa: S310
            assert response.read() == b"<h1>docs</h1>"
        url = site.url
    with pytest.raises(OSError):
        urllib.request.urlopen(url, timeout=2)  # noqa: S310


def test_a_failing_service_stops_the_ones_already_started(tmp_path: Path) -> None:
    first = StaticSite("first", tmp_path, port=0)
    group = ServiceGroup([first])
    group.start()
    clash = StaticSite("second", tmp_path, port=first.port)
    started = StaticSite("third", tmp_path, port=0)
    group2 = ServiceGroup([started, clash])
    with pytest.raises(ServiceError, match=f"cannot serve second on 127.0.0.1:{first.port}"):
        group2.start()
    with pytest.raises(OSError):
        urllib.request.urlopen(started.url, timeout=2)  # noqa: S310
    group.stop()


def test_the_ui_starts_answers_and_stops(tmp_path: Path) -> None:
    ui = StreamlitUI(
        tmp_path / "ui.log",
        port=0,
        env=lambda: {"ANALYTICS_HOME": str(tmp_path / "home"), "REPORT_SERVICE_URL": "http://x"},
    )
    with ServiceGroup([ui]).running():
        assert ui.port != 0
        with urllib.request.urlopen(ui.url + "_stcore/health", timeout=10) as response:  # noqa: S310
            assert response.read() == b"ok"
        with urllib.request.urlopen(ui.url, timeout=10) as response:  # noqa: S310
            assert b"<noscript>" in response.read()
        url = ui.url
    with pytest.raises(OSError):
        urllib.request.urlopen(url, timeout=2)  # noqa: S310


def test_a_ui_that_cannot_listen_says_why(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        ui = StreamlitUI(tmp_path / "ui.log", port=port, start_timeout=60)
        with pytest.raises(ServiceError) as raised:
            ui.start()
    assert (
        str(raised.value)
        == f"cannot serve the UI on 127.0.0.1:{port}: Port {port} is not available"
    )


def _analytics_env(home: Path) -> dict[str, str]:
    import os

    return {**os.environ, "ANALYTICS_HOME": str(home), "PYTHONUNBUFFERED": "1"}


def test_serve_docs_serves_the_last_builds_site_alone(tmp_path: Path) -> None:
    """`analytics serve docs`: the published docs site as it is, no build, until Ctrl-C."""
    import re
    import signal
    import subprocess
    import sys

    from analytics_core.settings import Settings

    home = tmp_path / "home"
    docs = Settings(home=home).docs_dir
    docs.mkdir(parents=True)
    (docs / "index.html").write_text("<h1>the project's docs</h1>")
    analytics = Path(sys.executable).parent / "analytics"
    process = subprocess.Popen(
        [str(analytics), "serve", "docs", "--port", "0"],
        env=_analytics_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        match = re.search(r"dbt docs site on (http://\S+/)", line)
        assert match, line
        with urllib.request.urlopen(match.group(1) + "index.html", timeout=10) as response:  # noqa: S310
            assert response.read() == b"<h1>the project's docs</h1>"
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
        assert "stopped" in process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert not (home / "state").exists() or not any((home / "state").iterdir()), "no build ran"


def test_serve_docs_without_a_site_says_how_to_make_one(tmp_path: Path) -> None:
    import subprocess
    import sys

    analytics = Path(sys.executable).parent / "analytics"
    proc = subprocess.run(
        [str(analytics), "serve", "docs", "--port", "0"],
        env=_analytics_env(tmp_path / "empty"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode != 0
    assert proc.stderr.startswith("error: there is no dbt docs site")
    assert "analytics build --docs" in proc.stderr and "Traceback" not in proc.stderr
