"""Writing an output file the safe way: check the path before any work, then write it whole or not at all.

Used by the commands that write a file a user names (``capture -o``, ``live --pcap``): a bad path
is one :class:`~xcon_teach.errors.UsageError` naming the option and the value, and a file is
written beside its place and renamed into it, so a failure leaves no partial file behind.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from .errors import MachineError, UsageError

_MACHINE = {errno.ENOSPC, errno.EIO, errno.EDQUOT, errno.EROFS}
"""Errors of the machine, not of the request (exit status 1)."""

__all__ = ["output_path", "write_whole"]


def output_path(path: str | os.PathLike[str], field: str, suffix: str, what: str) -> Path:
    """``path`` if a ``suffix`` file can be written there, else a UsageError naming ``field`` and the value.

    >>> output_path("kb.txt", "-o", ".pcap", "a capture")
    Traceback (most recent call last):
    ...
    xcon_teach.errors.UsageError: -o: 'kb.txt' needs a file name ending in .pcap (a capture)
    """
    where = Path(path)
    shown = repr(os.fspath(path))
    if len(where.name.encode()) > 255 or len(os.fsencode(where)) > 4095:
        raise UsageError(f"{field}: the file name is too long for this system (got {shown[:60]}…)")
    if where.is_dir():
        raise UsageError(f"{field}: {shown} is a folder; give a file name ending in {suffix}")
    if where.exists() and not where.is_file():
        raise UsageError(f"{field}: {shown} is a device or a pipe, not a file; give a file name ending in {suffix}")
    if where.suffix.lower() != suffix:
        raise UsageError(f"{field}: {shown} needs a file name ending in {suffix} ({what})")
    if not where.parent.is_dir():
        raise UsageError(f"{field}: {shown}: the folder {str(where.parent)!r} does not exist")
    if not os.access(where.parent, os.W_OK) or (where.exists() and not os.access(where, os.W_OK)):
        raise UsageError(f"{field}: {shown} cannot be written (permission denied)")
    return where


def write_whole(path: Path, data: bytes, field: str) -> None:
    """Write ``data`` to ``path`` through a temporary file beside it; on failure leave nothing behind."""
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=".xcon-", suffix=".part", dir=path.parent)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)  # as open() would make it (mkstemp makes 0600): readable by the user's Wireshark
        os.replace(tmp, path)
    except OSError as exc:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        error = MachineError if exc.errno in _MACHINE else UsageError  # a full disk is the machine's failure: exit 1
        raise error(f"{field}: {str(path)!r} cannot be written ({exc.strerror or exc})") from None
