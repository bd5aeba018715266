"""Private files (the local report service key, ``snowflake-ddl --out``) are
0600 from the moment they exist, whatever the umask or a stale temporary file;
a key file that is not private is refused, and nothing is lost."""

from __future__ import annotations

import contextlib
import os
import stat
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from analytics_core.private_files import PrivateFileError, read_private, write_private
from analytics_core.settings import Settings
from report_service.server import service_settings
from report_service.service import local_api_key
from tests.conftest import ANALYTICS, analytics_env, free_port

GATEWAY = "https://abc123defg.execute-api.eu-west-1.amazonaws.com/prod"
ROLE = "arn:aws:iam::123456789012:role/analytics-snowflake-api"
KEY = "test-key-0123456789"


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


@contextlib.contextmanager
def umask(value: int) -> Iterator[None]:
    old = os.umask(value)
    try:
        yield
    finally:
        os.umask(old)


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name in ("REPORT_SERVICE_API_KEYS", "REPORT_SERVICE_API_KEYS_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ANALYTICS_HOME", str(tmp_path / "home"))
    return Settings()


def test_a_new_key_is_0600_with_umask_000(settings: Settings) -> None:
    with umask(0o000):
        key = local_api_key(settings)
    path = settings.report_service_key_path
    assert mode(path) == 0o600
    assert path.read_text().strip() == key and len(key) >= 40
    assert local_api_key(settings) == key  # made once
    assert settings.local_report_service_key() == key
    # No temporary file is left next to it.
    assert sorted(p.name for p in path.parent.iterdir()) == ["api_key"]


def test_a_stale_world_readable_temp_file_does_not_make_the_key_readable(
    settings: Settings,
) -> None:
    folder = settings.report_service_key_path.parent
    folder.mkdir(parents=True)
    for name in ("api_key.tmp", ".api_key.tmp"):  # the old temp name, and one like ours
        stale = folder / name
        stale.write_text("stale\n")
        stale.chmod(0o644)
    with umask(0o022):
        key = local_api_key(settings)
    assert mode(settings.report_service_key_path) == 0o600
    assert settings.report_service_key_path.read_text() == key + "\n"


@pytest.mark.parametrize("bits", [0o644, 0o640, 0o604, 0o620, 0o602, 0o660], ids=oct)
def test_a_key_others_can_read_or_change_is_refused(settings: Settings, bits: int) -> None:
    path = settings.report_service_key_path
    path.parent.mkdir(parents=True)
    path.write_text("old-key-that-may-have-leaked\n")
    path.chmod(bits)
    for call in (lambda: local_api_key(settings), settings.local_report_service_key):
        with pytest.raises(PrivateFileError, match=rf"mode {bits:04o}.*delete it"):
            call()
    # Refused, not changed: the file and its mode are as they were.
    assert path.read_text() == "old-key-that-may-have-leaked\n" and mode(path) == bits
    with pytest.raises(PrivateFileError, match=str(path)):
        service_settings()


def test_a_symlinked_key_is_refused_and_its_target_untouched(
    settings: Settings, tmp_path: Path
) -> None:
    target = tmp_path / "elsewhere"
    target.write_text("not a key\n")
    target.chmod(0o600)
    path = settings.report_service_key_path
    path.parent.mkdir(parents=True)
    path.symlink_to(target)
    for call in (lambda: local_api_key(settings), settings.local_report_service_key):
        with pytest.raises(PrivateFileError, match="symbolic link"):
            call()
    dangling = tmp_path / "home" / "report_service" / "missing"
    path.unlink()
    path.symlink_to(dangling)  # a link to nowhere is not "no key yet"
    with pytest.raises(PrivateFileError, match="symbolic link"):
        local_api_key(settings)
    assert not dangling.exists() and target.read_text() == "not a key\n"
    assert path.is_symlink()


def test_a_key_owned_by_another_user_is_refused(settings: Settings) -> None:
    if os.geteuid() == 0:
        path = settings.report_service_key_path
        path.parent.mkdir(parents=True)
        path.write_text("someone else's\n")
        path.chmod(0o600)
        os.chown(path, 65534, 65534)
        with pytest.raises(PrivateFileError, match="owned by user 65534"):
            local_api_key(settings)
    else:  # a file of root's: refused for its owner before its mode
        with pytest.raises(PrivateFileError, match="owned by user 0"):
            read_private(Path("/etc/passwd"))


def test_not_a_regular_file_is_refused(settings: Settings) -> None:
    path = settings.report_service_key_path
    path.parent.mkdir(parents=True)
    os.mkfifo(path, 0o600)
    with pytest.raises(PrivateFileError, match="not a regular file"):
        settings.local_report_service_key()
    with pytest.raises(PrivateFileError, match="not a regular file"):
        write_private(path, "x")


def test_two_first_starts_agree_on_one_key(settings: Settings) -> None:
    keys: list[str] = []
    barrier = threading.Barrier(8)

    def start() -> None:
        barrier.wait()
        keys.append(local_api_key(Settings()))

    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(keys)) == 1
    assert settings.report_service_key_path.read_text().strip() == keys[0]


def test_write_private_replaces_atomically_and_keeps_what_exists(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    path.write_text("old")
    path.chmod(0o644)
    with open(path) as reader:  # someone holding the old file sees only the old text
        with umask(0o000):
            assert write_private(path, "new") is True
        assert reader.read() == "old"
    assert path.read_text() == "new" and mode(path) == 0o600
    assert write_private(path, "other", replace=False) is False
    assert path.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["secret"]


def ddl(out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = analytics_env(out.parent / "home", {"REPORT_SERVICE_API_KEY": KEY})
    return subprocess.run(
        [
            str(ANALYTICS),
            "snowflake-ddl",
            *("--gateway-url", GATEWAY, "--role-arn", ROLE, "--database", "ANALYTICS"),
            *("--out", str(out)),
            *extra,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        umask=0o000,  # the child runs with umask 000
    )


def test_snowflake_ddl_out_is_created_0600_with_umask_000(tmp_path: Path) -> None:
    out = tmp_path / "deploy.sql"
    done = ddl(out)
    assert done.returncode == 0, done.stderr
    assert mode(out) == 0o600 and KEY in out.read_text()
    checks = tmp_path / "checks.sql"
    done = ddl(checks, "--checks")
    assert done.returncode == 0, done.stderr
    assert mode(checks) == 0o600


def test_snowflake_ddl_out_never_writes_the_key_into_a_readable_file(tmp_path: Path) -> None:
    out = tmp_path / "deploy.sql"
    out.write_text("")
    out.chmod(0o644)
    # Another user who opened the readable file before it is rewritten.
    with open(out) as other:
        done = ddl(out)
        assert done.returncode == 0, done.stderr
        assert KEY not in other.read()
    assert mode(out) == 0o600 and KEY in out.read_text()


def test_snowflake_ddl_out_refuses_a_symlink(tmp_path: Path) -> None:
    target = tmp_path / "public.sql"
    target.write_text("")
    target.chmod(0o644)
    link = tmp_path / "deploy.sql"
    link.symlink_to(target)
    done = ddl(link)
    assert done.returncode != 0
    assert "symbolic link" in done.stderr and "Traceback" not in done.stderr
    assert target.read_text() == "" and KEY not in done.stdout + done.stderr
    done = ddl(tmp_path / "no-such-folder" / "deploy.sql")
    assert done.returncode != 0 and "does not exist" in done.stderr


def test_the_service_refuses_to_start_on_a_readable_key(tmp_path: Path) -> None:
    home = tmp_path / "home"
    key = home / "report_service" / "api_key"
    key.parent.mkdir(parents=True)
    key.write_text("leaked\n")
    key.chmod(0o644)
    done = subprocess.run(
        [str(ANALYTICS), "serve", "report-service", "--port", str(free_port())],
        env=analytics_env(home),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    assert f"{key} can be read or changed by other users (mode 0644)" in done.stderr
    assert "Traceback" not in done.stderr
    assert key.read_text() == "leaked\n"
