"""Start ``analytics serve ui`` for a browser test and stop it afterwards."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.conftest import ANALYTICS, analytics_env, free_port, stop_process


@contextmanager
def running_ui(home: Path, env: Mapping[str, str]) -> Iterator[str]:
    """The UI on a free port of 127.0.0.1 for ``home`` (``env`` added to the CLI's
    environment), once its health check answers; yields its base URL."""
    port = free_port()
    log_path = home.parent / "ui.log"
    with log_path.open("wb") as log:
        ui = subprocess.Popen(
            [str(ANALYTICS), "serve", "ui", "--port", str(port)],
            env=analytics_env(home, env),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{url}/_stcore/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if ui.poll() is not None or time.monotonic() > deadline:
                stop_process(ui)
                pytest.fail(f"the UI did not start:\n{log_path.read_text()}")
            time.sleep(0.3)
        try:
            yield url
        finally:
            stop_process(ui)
