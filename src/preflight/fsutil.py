"""Writing files safely: atomic replacement, streams left as streams, no temp files left.

``atomic_write`` writes a regular file through a temporary file in the same directory
and a rename, so readers see the old file or the new one. Around that:

- the new file keeps an existing file's permissions (a new one gets the umask's);
- a FIFO, a device or a link into /dev or /proc (``--output /dev/stdout``) is written
  to as a stream, never replaced by a regular file; a symbolic link to a regular file is
  followed, and the link kept;
- the temporary file is removed when writing fails or the process is interrupted or
  terminated; one left by a run that was killed outright (SIGKILL, power loss) is
  removed by the next write to that directory, once its process is gone.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

TEMP_PREFIX = ".preflight-tmp-"
_TEMP_NAME = re.compile(re.escape(TEMP_PREFIX) + r"(\d+)-[0-9a-f]+-")
_STREAM_ROOTS = ("/dev/", "/proc/")


def atomic_write(path: Path, data: str | bytes | Iterable[str] | Iterable[bytes]) -> None:
    """Write ``data`` (or its chunks) to ``path``: readers see the old file or the new one."""
    path = Path(path)
    if _is_stream(path):
        with open(path, "wb") as handle:
            for piece in _pieces(data):
                handle.write(piece)
        return
    path = Path(os.path.realpath(path)) if path.is_symlink() else path
    directory = path.parent if str(path.parent) else Path(".")
    directory.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(directory)
    try:
        mode: int | None = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        mode = None  # a new file: the umask decides, as for any file the user creates
    import secrets  # on a write only: it costs 4 ms of start-up (hmac, random)

    temp = directory / f"{TEMP_PREFIX}{os.getpid()}-{secrets.token_hex(4)}-{path.name[:80]}"
    with _removed_on_exit(temp):
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(fd, "wb") as handle:
            if mode is not None:
                os.fchmod(handle.fileno(), mode)
            for piece in _pieces(data):
                handle.write(piece)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)


def _pieces(data: str | bytes | Iterable[str] | Iterable[bytes]) -> Iterator[bytes]:
    if isinstance(data, bytes):
        yield data
    elif isinstance(data, str):
        yield data.encode("utf-8")
    else:
        for piece in data:
            yield piece if isinstance(piece, bytes) else piece.encode("utf-8")


def _is_stream(path: Path) -> bool:
    """True for a FIFO, a device, a socket, or a path that is (or links) into /dev or /proc."""
    try:
        info = os.stat(path)
    except OSError:
        return False
    if not stat.S_ISREG(info.st_mode):
        return True
    current = os.path.abspath(path)
    for _ in range(40):  # the chain of links as written: /dev/stdout -> /proc/self/fd/1
        if current.startswith(_STREAM_ROOTS):
            return True
        if not os.path.islink(current):
            return False
        current = os.path.normpath(os.path.join(os.path.dirname(current), os.readlink(current)))
    return False


def remove_stale_temps(directory: Path) -> None:
    """Remove temporary files that runs killed outright left in ``directory``."""
    try:
        names = [n for n in os.listdir(directory) if n.startswith(TEMP_PREFIX)]
    except OSError:
        return
    for name in names:
        match = _TEMP_NAME.match(name)
        if match is None or _alive(int(match.group(1))):
            continue
        with contextlib.suppress(OSError):
            os.unlink(directory / name)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True  # someone else's process (or a number no process has): leave it
    return True


class _Terminated(BaseException):
    pass


@contextlib.contextmanager
def _removed_on_exit(temp: Path) -> Iterator[None]:
    """Remove ``temp`` unless the block finishes; SIGTERM and SIGHUP end the block first
    (Python would otherwise die at once and leave it)."""
    import signal  # on a write only (1 ms of start-up)

    previous: dict[int, Any] = {}

    def terminated(signum: int, frame: object) -> None:
        raise _Terminated(signum)

    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
            if signum is not None:
                with contextlib.suppress(ValueError, OSError):
                    previous[signum] = signal.signal(signum, terminated)
    try:
        yield
    except _Terminated as error:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        _restore(previous)
        signum = int(error.args[0])
        os.kill(os.getpid(), signum)  # now die of the signal, as whoever sent it expects
        raise SystemExit(128 + signum) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    finally:
        _restore(previous)


def _restore(previous: dict[int, Any]) -> None:
    import signal

    for signum, handler in previous.items():
        with contextlib.suppress(ValueError, OSError, TypeError):
            signal.signal(signum, handler)


def leads_outside(path: Path, folder: str) -> bool:
    """True when ``path`` (a link, followed to the end) ends outside ``folder``, a real
    path (os.path.realpath): a link out of a checked folder is not the folder's to show."""
    return os.path.commonpath([folder, os.path.realpath(path)]) != folder


def same_file(a: Path, b: Path) -> bool:
    """True when both paths name one existing file (through links, or hard links)."""
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        return False


def is_file(path: Path) -> bool:
    """Path.is_file for a name that came from an input (a workflow's `send:`, a members
    path): False, not OSError or ValueError, for a name the system refuses (too long, NUL)."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False
