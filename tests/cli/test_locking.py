"""The warehouse lock (real fcntl locks; one holder per open file)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from orchestration.locking import LockTimeoutError, warehouse_lock


def test_second_holder_waits_until_the_first_releases(tmp_path: Path) -> None:
    lock = tmp_path / "state" / "warehouse.lock"
    order: list[str] = []
    waits: list[str] = []
    first_has_it = threading.Event()

    def first() -> None:
        with warehouse_lock(lock, purpose="build", timeout=5):
            first_has_it.set()
            time.sleep(0.5)
            order.append("first done")

    thread = threading.Thread(target=first)
    thread.start()
    first_has_it.wait(5)
    with warehouse_lock(lock, purpose="generate", timeout=10, on_wait=waits.append):
        order.append("second in")
    thread.join()
    assert order == ["first done", "second in"]
    assert len(waits) == 1
    assert waits[0].startswith("waiting for another build (pid ")


def test_timeout_names_the_holder(tmp_path: Path) -> None:
    lock = tmp_path / "warehouse.lock"
    with (
        warehouse_lock(lock, purpose="build", timeout=1),
        pytest.raises(LockTimeoutError, match=r"another build \(pid \d+\) still holds"),
        warehouse_lock(lock, purpose="build", timeout=0.3),
    ):
        pytest.fail("got a lock that is held")
    with warehouse_lock(lock, purpose="build", timeout=0):
        assert lock.read_text().split()[1] == "build"
