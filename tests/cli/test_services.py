"""Services that ``analytics up`` runs together."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest

from orchestration.services import ServiceError, ServiceGroup, StaticSite


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
