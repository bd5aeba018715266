"""Report service fixtures.

- ``moto_server``: a moto server process (AWS emulator) for the session;
  yields its endpoint URL (``http://127.0.0.1:<port>``). It is the
  ``moto_server`` console script's app, served one request at a time: the
  script's threaded server checks a DynamoDB condition and applies the write
  without a lock, so two concurrent conditional writes to one item can both
  succeed there (never in DynamoDB, which the concurrency tests rely on).
- ``aws_env``: fake AWS credentials and region in this test's environment.
- ``store_spec`` / ``store``: a job store of each backend (parametrized): a
  SQLite file in ``tmp_path`` and a fresh DynamoDB table on the moto server;
  ``store_spec`` is what :func:`open_store` opens (in another process too).
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from report_service.stores.base import JobStore
from report_service.stores.dynamodb import DynamoJobStore
from report_service.stores.sqlite import SQLiteJobStore
from tests.conftest import VENV_BIN, free_port, stop_process, wait_for_port

AWS_REGION = "us-east-1"

#: ``("sqlite", path)`` or ``("dynamodb", table, endpoint URL)``.
StoreSpec = tuple[str, ...]

#: ``moto.server.main`` with every request under one lock (see the module doc).
_SERIAL_MOTO_SERVER = """
import os, sys, threading
from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication, MotoRequestHandler, create_backend_app,
)
host, port = sys.argv[1], int(sys.argv[2])
os.environ.setdefault("MOTO_PORT", str(port))
app = DomainDispatcherApplication(create_backend_app)
lock = threading.Lock()
def serial(environ, start_response):
    with lock:
        return list(app(environ, start_response))
run_simple(host, port, serial, threaded=True, request_handler=MotoRequestHandler)
"""


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A moto server for the whole session: its endpoint URL."""
    host, port = "127.0.0.1", free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [str(VENV_BIN / "python"), "-c", _SERIAL_MOTO_SERVER, host, str(port)],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=env,
        )
        try:
            wait_for_port(host, port, timeout=60, process=process)
            yield f"http://{host}:{port}"
        finally:
            stop_process(process)


@pytest.fixture
def aws_env(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Fake credentials, the region and the moto endpoint, set in this test's
    environment (and returned, for subprocesses)."""
    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": AWS_REGION,
        "AWS_REGION": AWS_REGION,
        "AWS_ENDPOINT_URL": moto_server,
    }
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def open_store(spec: StoreSpec) -> JobStore:
    if spec[0] == "sqlite":
        return SQLiteJobStore(Path(spec[1]))
    import boto3

    client = boto3.client("dynamodb", region_name=AWS_REGION, endpoint_url=spec[2])
    return DynamoJobStore(spec[1], client)


@pytest.fixture(params=["sqlite", "dynamodb"])
def store_spec(request: pytest.FixtureRequest, tmp_path: Path) -> StoreSpec:
    if request.param == "sqlite":
        return ("sqlite", str(tmp_path / "jobs" / "jobs.sqlite3"))
    aws_env: dict[str, str] = request.getfixturevalue("aws_env")
    table = f"jobs-{uuid.uuid4().hex[:12]}"
    store = open_store(("dynamodb", table, aws_env["AWS_ENDPOINT_URL"]))
    assert isinstance(store, DynamoJobStore)
    store.ensure_table()
    store.ensure_table()  # idempotent
    return ("dynamodb", table, aws_env["AWS_ENDPOINT_URL"])


@pytest.fixture
def store(store_spec: StoreSpec) -> Iterator[JobStore]:
    opened = open_store(store_spec)
    yield opened
    opened.close()
