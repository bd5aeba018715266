"""Files only their owner may read: API keys and scripts that hold them.

:func:`write_private` writes a file atomically with mode 0600 whatever the
umask and whatever is already there: the data goes to a fresh temporary file
made with ``O_CREAT | O_EXCL`` and mode 0600 in the same folder
(:func:`tempfile.mkstemp`: a stale temporary file of an earlier run is never
reused), is flushed to disk, then renamed over the target, so a reader sees
the old file or the new one, never a partial or world-readable one.

:func:`read_private` reads such a file and refuses one that is not private:
a symbolic link, not a regular file, owned by another user, or with any
group or other permission bit. It refuses rather than repairs: a key others
could read must be taken as known to them, so making the file 0600 would keep
a possibly leaked key in use, and replacing the key silently would lock out
the clients that hold it without saying why. The error names the file, what
is wrong and what to do.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from analytics_core.errors import ConfigurationError

#: The one mode a private file has.
PRIVATE_MODE = 0o600


class PrivateFileError(ConfigurationError):
    """A private file is not private (or not a file): see the message."""


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # some file systems cannot sync a folder
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _check_target(path: Path) -> None:
    """A file about to be replaced must be a regular file (never a link to one)."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(info.st_mode):
        raise PrivateFileError(
            f"{path} is a symbolic link; a private file is written only as a regular file:"
            " remove the link or choose another path"
        )
    if not stat.S_ISREG(info.st_mode):
        raise PrivateFileError(f"{path} exists and is not a regular file; choose another path")


def write_private(path: Path, data: str | bytes, *, replace: bool = True) -> bool:
    """Write ``data`` to ``path`` atomically with mode 0600 (see the module docstring).

    ``replace=False`` creates the file only if it does not exist yet and
    returns ``False`` when another process created it first (its content is
    left as it is); otherwise the file is replaced and ``True`` returned. The
    folder must exist. A symbolic link or a non-regular file at ``path`` is
    refused, never followed or replaced.
    """
    content = data.encode("utf-8") if isinstance(data, str) else data
    path = Path(path)
    _check_target(path)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        # mkstemp creates it 0600; say so explicitly rather than rely on it.
        os.fchmod(fd, PRIVATE_MODE)
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        if replace:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)  # fails if the target exists: first writer wins
            except FileExistsError:
                return False
            finally:
                tmp.unlink(missing_ok=True)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)
    return True


def read_private(path: Path, remedy: str = "delete it") -> str | None:
    """The text of the private file ``path``, or ``None`` when there is none.
    ``remedy`` completes the error message: what to do about a bad file.

    Refuses (:class:`PrivateFileError`) a symbolic link, anything but a
    regular file, a file owned by another user, and a file with any group or
    other permission bit (see the module docstring for why it does not repair).
    """
    path = Path(path)
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if os.path.islink(path):
            raise PrivateFileError(
                f"{path} is a symbolic link, not a private file of yours: {remedy}"
            ) from exc
        raise PrivateFileError(f"{path} cannot be read: {exc.strerror}") from exc
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        problem = _not_private(info)
        if problem:
            raise PrivateFileError(f"{path} {problem}: {remedy}")
        return handle.read().decode("utf-8")


def _not_private(info: os.stat_result) -> str | None:
    if not stat.S_ISREG(info.st_mode):
        return "is not a regular file"
    uid = os.geteuid() if hasattr(os, "geteuid") else None
    if uid is not None and info.st_uid != uid:
        return f"is owned by user {info.st_uid}, not by you (user {uid})"
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        return (
            f"can be read or changed by other users (mode {mode:04o}), so its secret"
            " may be known to them"
        )
    return None
