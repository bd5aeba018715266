"""Where the tools the infrastructure tests run are (one definition)."""

from __future__ import annotations

import os
import shutil
import sys


def uv_command() -> list[str]:
    """uv, to run checkov with ``uv tool run``: on PATH (``pip install uv``
    puts it there); else the uv that runs these tests (``uv run`` sets ``UV``
    to its own binary); else the module of this interpreter."""
    found = shutil.which("uv")
    if found:
        return [found]
    running = os.environ.get("UV")
    if running and os.access(running, os.X_OK):
        return [running]
    return [sys.executable, "-m", "uv"]


#: checkov through uv, cached after the first run.
CHECKOV = [*uv_command(), "tool", "run", "--from", "checkov>=3.2,<4", "checkov"]
