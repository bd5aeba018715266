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
