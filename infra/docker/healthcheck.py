"""Container health check: ``python healthcheck.py report-service|ui``.

Asks the running app for its liveness route on the host and port it listens
on, read from the same settings the app reads (``REPORT_SERVICE_HOST``/``_PORT``,
``UI_HOST``/``_PORT``), so the check follows the app when they change. Exit 0
when the route answers 200, 1 otherwise (the reason on stderr). Standard
library and the project's settings only: the images have no curl.
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.request

#: What each image checks: its settings class (by name) and liveness route.
CHECKS: dict[str, tuple[str, str]] = {
    "report-service": ("ReportServiceSettings", "/health"),
    "ui": ("UISettings", "/_stcore/health"),
}

#: Addresses that mean "every interface": reach the app over loopback instead.
WILDCARDS = {"", "0.0.0.0", "::", "[::]"}  # noqa: S104 - compared against, never bound


def url_for(name: str) -> str:
    """The liveness URL of ``name`` as its settings configure it."""
    if name not in CHECKS:
        raise ValueError(f"unknown app {name!r}; expected one of: {', '.join(sorted(CHECKS))}")
    from analytics_core import settings as settings_module

    class_name, path = CHECKS[name]
    settings = getattr(settings_module, class_name)()
    host = str(settings.host).strip()
    if host in WILDCARDS:
        host = "::1" if ":" in host else "127.0.0.1"
    host = host.strip("[]")
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{int(settings.port)}{path}"


def check(url: str, timeout: float = 4.0) -> str | None:
    """``None`` when ``url`` answers 200; otherwise why not, in one line."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - http only
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        return f"{url} answered {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return f"{url} cannot be reached: {reason}"
    if status != 200:
        return f"{url} answered {status}"
    return None


def main(argv: list[str]) -> int:
    """Docker's convention: 0 healthy, 1 unhealthy (2 is reserved, never used)."""
    if len(argv) != 1 or argv[0] not in CHECKS:
        print(f"usage: healthcheck.py {'|'.join(sorted(CHECKS))}", file=sys.stderr)
        return 1
    try:
        url = url_for(argv[0])
    except Exception as exc:  # settings the app would refuse too: unhealthy, say why
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1
    problem = check(url)
    if problem:
        print(f"unhealthy: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
