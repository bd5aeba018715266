"""Where the browser tests' Chromium is (one definition).

The browser tests drive the system's Chromium through Playwright
(``playwright install`` cannot download a browser everywhere, and a
distribution's build is what an operator has). ``ANALYTICS_CHROMIUM`` names
another executable. A run that selects browser tests on a machine without
one stops at collection, before anything is built, saying what to install
(tests/conftest.py).
"""

from __future__ import annotations

import os
import shutil


def find_chromium() -> str | None:
    """The Chromium executable the browser tests launch, or None."""
    named = os.environ.get("ANALYTICS_CHROMIUM")
    if named:
        return named if os.path.isfile(named) and os.access(named, os.X_OK) else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


CHROMIUM = find_chromium()

#: Flags for a headless Chromium on a closed network, as root in a container.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

MISSING_CHROMIUM = (
    "{count} selected test(s) drive a browser, and this machine has no Chromium "
    "(looked for `chromium` and `chromium-browser` on PATH, or ANALYTICS_CHROMIUM). "
    "Install it first (Debian and Ubuntu: `sudo apt-get install chromium`; "
    "`.ci/run` does), or leave those tests out: pytest -m 'not browser'."
)
