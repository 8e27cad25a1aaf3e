"""Whole-run replay: a `preflight check` run whose every input is unchanged writes the
report it wrote last time, with the same exit code, without loading the checks.

A run records, beside the results cache (``<cache folder>/runs/``), what it wrote to
stdout and stderr and its exit code, under a key of everything the command line and the
process could change: the arguments as typed, the working directory, the user and group,
the whole environment, the interpreter and its flags, preflight's version and the output
streams' encodings. With the record go the run's dependencies, each as it was when the run ended:

- every file and folder the main process opened, listed or looked up while the run went,
  caught by an audit hook (``sys.addaudithook``: open, os.listdir, os.scandir) and by
  wrapping ``os.stat`` and ``os.lstat``: discovery's walk and its probes (build outputs,
  Content Builder owners, .git), every config looked for on the way up, the audiences
  files, the members CSVs, the workflows, the baseline. A file counts by its whole
  stat() (size, times, inode, device, mode), or its absence; a folder that was listed by
  its entries (names, kinds, links' targets), one only looked up by its identity; a path
  resolved through links by what each step is and where a link points;
- every file the items read, as the results cache knows it (template, text part, sidecar,
  layouts and partials), and the absence of those looked for and not found;
- preflight's code and rules/ data, and the folders of ``sys.path`` (an install or an
  upgrade of any package changes its site-packages folder).

The next run with the same key replays the record only when every dependency is as it
was. A file that had changed less than two seconds before the run (``SETTLED_NS``, as for
the results cache) is also compared by the hash of its bytes: a later write within the
same tick of the file clock could keep its stat(). Any difference is a miss, and the run
goes on as usual (and records afresh). A record is written only when nothing the run
looked at changed while it went.

Never replayed or recorded: a terminal on stdout (colour), --online, --spam, --output,
--write-baseline, --refresh, --no-cache, a run with an internal error, a run whose config
turns the results cache off or puts it where the replay does not look first (a
`cache: {path: …}` other than the default), and anything but POSIX.

This module imports only the standard library's cheapest modules: the replay runs before
click and the engine are imported.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
from _thread import get_ident

from preflight.constants import SETTLED_NS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Any

    from preflight.model.report import Report

FORMAT = 1
KEEP = 16
"""Records kept per cache folder (one per command line and environment), newest first."""
NEVER = frozenset(
    {
        "--online",
        "--spam",
        "--output",
        "--write-baseline",
        "--refresh",
        "--no-cache",
        "--help",
        "-h",
        "--version",
    }
)
"""Options whose runs do more than print a report from files (or print no report)."""
_VOLATILE_ENV = frozenset({"_", "OLDPWD"})
"""Set by shells to the last command and folder: nothing preflight reads."""
_CACHE_ENV = "PREFLIGHT_CACHE_DIR"
_CONFIG_NAMES = ("preflight.yaml", ".preflight.yaml")

argv: list[str] | None = None
"""The command line as typed (without the program), set by the launcher: only a run
started from the launcher records (a CliRunner or library call never does)."""

Key = tuple[object, ...]


# -- replaying -----------------------------------------------------------------------------


def replay(args: list[str]) -> int | None:
    """Write the recorded output of this very run and return its exit code; None when
    there is no valid record (the run then goes on as usual)."""
    try:
        if not eligible(args):
            return None
        folder = record_folder(args)
        if folder is None:
            return None
        key = run_key(args)
        stream = open(_record_path(folder, key), "rb")  # noqa: SIM115 (closed below)
    except Exception:  # no record: a full run
        return None
    with stream:
        try:
            import marshal

            magic = stream.read(len(_MAGIC) + 8)
            if magic[: len(_MAGIC)] != _MAGIC:
                return None
            header = marshal.loads(stream.read(int.from_bytes(magic[len(_MAGIC) :], "big")))
            if header[0] != FORMAT or header[1] != key or not _unchanged(header[2]):
                return None
            events, code = header[3], int(header[4])
            offset = stream.tell()
        except Exception:  # an unreadable record, a dependency that cannot be read: a full run
            return None
        try:
            for fd, length in events:
                (sys.stdout if fd == 1 else sys.stderr).flush()
                _copy(stream.fileno(), offset, length, fd)
                offset += length
        except OSError:  # a closed pipe: as click's echo would end
            return 2
    return code


def _copy(source: int, offset: int, length: int, fd: int) -> None:
    """``length`` bytes of the record from ``offset`` to descriptor ``fd``, by the kernel
    when it can (sendfile: the report is never copied through this process)."""
    end = offset + length
    try:
        while offset < end:
            sent = os.sendfile(fd, source, offset, end - offset)
            if sent == 0:
                break
            offset += sent
    except OSError:
        pass  # a descriptor sendfile does not serve: copied below
    while offset < end:
        data = os.pread(source, min(end - offset, 1 << 20), offset)
        if not data:
            raise OSError("the record is shorter than it says")
        offset += os.write(fd, data)


def eligible(args: list[str]) -> bool:
    """A `check` run that only prints its report, on POSIX, to stdout that is no terminal."""
    if os.name != "posix" or not args or args[0] != "check":
        return False
    for arg in args[1:]:
        if arg.split("=", 1)[0] in NEVER:
            return False
        if arg.startswith("-") and not arg.startswith("--") and "h" in arg:
            return False  # -h in a group of short flags (-vh)
    try:
        return not os.isatty(sys.stdout.fileno()) and sys.stdout.buffer is not None
    except Exception:
        return False


def run_key(args: list[str]) -> Key:
    from preflight.constants import VERSION

    environment = tuple(sorted((k, v) for k, v in os.environ.items() if k not in _VOLATILE_ENV))
    streams = tuple(
        (stream.encoding, stream.errors, os.isatty(stream.fileno()))
        for stream in (sys.stdout, sys.stderr)
    )
    return (
        FORMAT,
        VERSION,
        sys.executable,
        sys.version,
        repr((sys.flags, sys.warnoptions, sys._xoptions)),
        os.getcwd(),
        (os.getuid(), os.geteuid(), os.getgid(), os.getegid()),
        tuple(args),
        environment,
        streams,
    )


def record_folder(args: list[str]) -> str | None:
    """Where the record of this command line is looked for: the cache folder the run would
    use without a `cache: {path}` in its config ($PREFLIGHT_CACHE_DIR, else .preflight_cache
    beside the nearest config above the working directory or --config, else in the working
    directory). A run records only when its cache folder is this one."""
    named = os.environ.get(_CACHE_ENV)
    if named:
        return named
    config: str | None = None
    for index, arg in enumerate(args):
        if arg == "--config" and index + 1 < len(args):
            config = args[index + 1]
        elif arg.startswith("--config="):
            config = arg.split("=", 1)[1]
    if config is not None:
        return os.path.join(os.path.dirname(os.path.realpath(config)), ".preflight_cache")
    cwd = os.getcwd()
    folder = os.path.realpath(cwd)
    while True:
        for name in _CONFIG_NAMES:
            if os.path.isfile(os.path.join(folder, name)):
                return os.path.join(folder, ".preflight_cache")
        pyproject = os.path.join(folder, "pyproject.toml")
        if os.path.isfile(pyproject):
            try:
                with open(pyproject, "rb") as stream:
                    if b"[tool.preflight" in stream.read(16 << 20):
                        return os.path.join(folder, ".preflight_cache")
            except OSError:
                pass
        parent = os.path.dirname(folder)
        if parent == folder:
            return os.path.join(cwd, ".preflight_cache")
        folder = parent


def _record_path(folder: str, key: Key) -> str:
    import zlib

    name = f"{zlib.crc32(repr(key).encode('utf-8', 'surrogateescape')):08x}.run"
    return os.path.join(folder, "runs", name)


LINK, PROBE, FULL, LIST = 0, 1, 2, 3
"""How much of a dependency counts. LINK: what kind of entry it is and, for a symbolic
link, where it points (resolving a path lstat()s each of its folders); PROBE: a folder's
identity (looked up, not listed), else the whole stat(); FULL: the whole stat(); LIST: a
folder's identity and its entries (name, kind, a link's target), not its times, which
change with every entry added to it (the cache folder, made in the working directory by
the first run, is left out of its parent's entries)."""
NOLINK = 8
"""With PROBE or FULL: looked up with lstat(), and not a link (see ``_merged``)."""


def _state(path: str, level: int, skip: str | None = None) -> object:
    """What a dependency is now (see LINK, PROBE, FULL, LIST), None when it is not there,
    or the error. ``skip``: an entry left out of a LIST."""
    try:
        if level & NOLINK:  # one lstat(): not a link, so its stat() is the same
            found = _lstat(path)
            if stat.S_ISLNK(found.st_mode):
                return "link"
            return _projected(path, found, level & ~NOLINK, skip)
        return _projected(path, _lstat(path) if level == LINK else _stat(path), level, skip)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as error:
        return ("error", error.errno)


def _projected(path: str, found: os.stat_result, level: int, skip: str | None = None) -> object:
    mode = found.st_mode
    if level == LINK:
        return (stat.S_IFMT(mode), os.readlink(path) if stat.S_ISLNK(mode) else None)
    if level == LIST and stat.S_ISDIR(mode):
        return (found.st_ino, found.st_dev, _entries(path, skip))
    if level in (PROBE, LIST) and stat.S_ISDIR(mode):
        return (stat.S_IFMT(mode), found.st_ino, found.st_dev)
    return (found.st_size, found.st_mtime_ns, found.st_ctime_ns, found.st_ino, found.st_dev, mode)


def _entries(path: str, skip: str | None) -> tuple[tuple[str, str], ...]:
    """A folder's entries, sorted: (name, "d" folder | "f" file | "o" other | "l" + the
    target of a symbolic link)."""
    found = []
    with os.scandir(path) as entries:
        for entry in entries:
            if entry.name == skip:
                continue
            if entry.is_symlink():
                kind = "l" + os.readlink(entry.path)
            elif entry.is_dir(follow_symlinks=False):
                kind = "d"
            elif entry.is_file(follow_symlinks=False):
                kind = "f"
            else:
                kind = "o"
            found.append((entry.name, kind))
    return tuple(sorted(found))


Dependency = tuple[str, int, object, object]
"""(path, level, state, extra): extra is the hash of a file's bytes when its stat() alone
is not to be trusted (it changed just before it was read), the entry a LIST leaves out,
or None."""


def _unchanged(dependencies: Iterable[Dependency]) -> bool:
    for path, level, state, extra in dependencies:
        if level == LIST:
            if _state(path, level, extra) != state:  # type: ignore[arg-type]
                return False
            continue
        if _state(path, level) != state:
            return False
        if extra is not None and _digest(path) != extra:
            return False
    return True


def _digest(path: str) -> str | None:
    import hashlib

    try:
        with open(path, "rb") as stream:
            return hashlib.blake2b(stream.read(), digest_size=16).hexdigest()
    except OSError:
        return None


# -- recording -----------------------------------------------------------------------------


class Recorder:
    """Watches the main process's file system look-ups while a run goes, and writes the
    run's record at its end."""

    def __init__(self, args: list[str]) -> None:
        self.args = args
        self.started = _now()
        self.pid = os.getpid()
        self.seen: dict[tuple[str, int], object] = {}
        """(path, level) -> its state when first looked up (stat, lstat), opened for
        reading (FULL) or listed (LIST, without the cache folder: see ``finish``)."""
        self.cache = ""
        """The cache folder (``record_folder``): the only one a record is written to."""
        self.busy: int | None = None
        """The thread looking something up for the recorder itself (its own stat() and
        scandir() are not the run's)."""
        self.cwd = os.getcwd()
        self.events: list[tuple[int, bytes]] = []
        self.active = True

    def name(self, path: object) -> str | None:
        """An absolute, normal spelling of ``path`` (None for a descriptor)."""
        if isinstance(path, str):
            name = path
        elif isinstance(path, int):
            return None  # a descriptor: its file was opened (and seen) by name
        else:
            try:
                name = os.fsdecode(path)  # type: ignore[arg-type]
            except TypeError:
                return None
        return os.path.normpath(name if name.startswith("/") else f"{self.cwd}/{name}")

    def look(self, path: object, level: int) -> None:
        """Keep what ``path`` is now, on its first look-up at ``level``."""
        thread = get_ident()
        if self.busy == thread:
            return  # its own look-ups (listing a folder is audited too)
        name = self.name(path)
        if name is None or (name, level) in self.seen:
            return
        self.busy = thread
        try:
            skip = _skipped(name, self.cache) if level == LIST else None
            self.seen[(name, level)] = _state(name, level, skip)
        finally:
            self.busy = None

    def stated(self, path: object, level: int, found: object) -> None:
        """Keep what a watched stat() or lstat() found (``found``: its result, or the error
        it raised), on the path's first look-up at ``level``."""
        name = self.name(path)
        if name is None or (name, level) in self.seen:
            return
        if isinstance(found, os.stat_result):
            state = _projected(name, found, level)
        elif isinstance(found, (FileNotFoundError, NotADirectoryError)):
            state = None
        else:
            state = ("error", getattr(found, "errno", None))
        self.seen[(name, level)] = state

    def audit(self, event: str, args: tuple[Any, ...]) -> None:
        if event == "open":
            path, mode, flags = args
            writes = (mode is not None and any(c in mode for c in "wax+")) or (
                mode is None and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT)
            )
            if not writes:
                self.look(path, FULL)
        elif event in ("os.listdir", "os.scandir"):
            self.look(args[0] if args and args[0] is not None else ".", LIST)

    def say(self, fd: int, text: str) -> None:
        """What the run wrote to stdout (1) or stderr (2), as the stream received it (and
        encoded it: write by write)."""
        stream = sys.stdout if fd == 1 else sys.stderr
        try:
            self.events.append((fd, text.encode(stream.encoding, stream.errors or "strict")))
        except Exception:
            self.active = False

    def finish(self, code: int, report: Report) -> None:
        """Write the record (quietly not, when this run may not be replayed)."""
        stop()
        stats = report.stats
        folder = stats.get("cache_folder")
        try:
            if report.internal_errors or not self.active or not stats.get("replayable"):
                return
            if folder is None or os.path.abspath(folder) != self.cache:
                return
            folder = self.cache
            listed = [path for paths in report.skipped.values() for path in paths]
            listed += [info.path for info in report.files]
            if any(_inside(self.name(path) or "", folder) for path in listed):
                return  # the cache folder is among the inputs: each run changes them
            import gc

            paused = gc.isenabled()
            gc.disable()  # the tuples made here would set off collections of the whole run
            try:
                dependencies = self._dependencies(stats.get("inputs", []), folder)
            finally:
                if paused:
                    gc.enable()
            if dependencies is None:
                return
            key = run_key(self.args)
            _write(
                folder, key, (FORMAT, key, dependencies, _lengths(self.events), code), self.events
            )
        except Exception:  # a record is an optimisation: never a reason to fail a run
            return

    def _dependencies(
        self, inputs: Iterable[tuple[Mapping[str, str], Mapping[str, Any]]], folder: str
    ) -> list[Dependency] | None:
        """Every dependency of the run as it is now; None when one changed while the run
        went (the record could not say which state the output belongs to)."""
        cache = os.path.abspath(folder)
        levels: dict[tuple[str, bool], int] = {}
        current: dict[tuple[str, int], object] = {}
        for (name, level), then in self.seen.items():
            if _inside(name, cache):
                continue  # the cache's own files (no input is in it: see ``finish``)
            if level in (LINK, PROBE):
                # as the run first saw it: if it changed since, it differs from the record
                # when replayed (a stat() never comes back: the ctime only grows)
                current[(name, level)] = then
            else:  # read or listed: what was read must be what the record says
                now = current[(name, level)] = _state(name, level, _skipped(name, cache))
                if now != then:
                    return None
            by = (name, level == LINK)
            levels[by] = max(level, levels.get(by, level))
        items: dict[str, str] = {}  # what the items read (results cache entries)
        settled_stats: dict[str, Any] = {}
        names: dict[str, str] = {}
        for read, kept_stats in inputs:
            for written, digest in read.items():
                path = names.get(written)
                if path is None:
                    path = names[written] = self.name(written) or written
                if items.setdefault(path, digest) != digest:
                    return None  # two items read the file with other bytes: it changed
            for written, kept in kept_stats.items():
                settled_stats[names.get(written) or self.name(written) or written] = kept
        for path in items:
            levels.setdefault((path, False), FULL)
        for name in _installation():
            levels.setdefault((name, False), FULL)
        found: list[Dependency] = []
        for (name, link), level in levels.items():
            now = current.get((name, level), _MISSING)
            if level == LIST:
                skip = _skipped(name, cache)
                found.append((name, level, now if now is not _MISSING else None, skip))
                continue
            if now is _MISSING:
                now = _state(name, level)
            extra: object = None
            item = None if link else items.get(name)
            full = isinstance(now, tuple) and len(now) == 6
            if item == "absent":
                if now is not None:
                    return None
            elif item is not None:
                if not full:
                    return None
                kept = settled_stats.get(name)
                # settled and unchanged, as the results cache trusts it; else by content
                if kept is None or tuple(kept) != now[:4]:  # type: ignore[index]
                    extra = item
            elif level == FULL and full and not self._settled(now):  # type: ignore[arg-type]
                if not stat.S_ISREG(now[5]):  # type: ignore[index]
                    return None  # a device, a pipe, a folder that changed just now
                extra = _digest(name)
            found.append((name, level, now, extra))
        return _merged(found)

    def _settled(self, state: tuple[int, ...]) -> bool:
        """Last changed more than SETTLED_NS before the run started."""
        return self.started - max(state[1], state[2]) > SETTLED_NS


def _merged(found: list[Dependency]) -> list[Dependency]:
    """A path looked at both ways, no link then and its stat() or absence kept, as one
    lstat() (NOLINK): half the system calls of a replay."""
    links = {name: state for name, level, state, _ in found if level == LINK}
    said: set[str] = set()
    for name, level, state, _ in found:
        link = links.get(name, _MISSING)
        if level in (PROBE, FULL) and (
            (link is None and state is None)
            or (
                isinstance(link, tuple)
                and link[1] is None
                and isinstance(state, tuple)
                and state[0] != "error"
            )
        ):
            said.add(name)
    merged: list[Dependency] = []
    for name, level, state, extra in found:
        if name in said:
            if level == LINK:
                continue  # said by the NOLINK one
            if level in (PROBE, FULL):
                level |= NOLINK
        merged.append((name, level, state, extra))
    return merged


_MISSING = object()
_recorder: Recorder | None = None
_hooked = False
_stat = os.stat
_lstat = os.lstat


def start(args: list[str] | None = None) -> Recorder | None:
    """Start recording this run, when it was started from the launcher and may be
    replayed."""
    global _recorder, _hooked
    args = argv if args is None else args
    if args is None or not eligible(args):
        return None
    _recorder = Recorder(list(args))
    _recorder.cache = os.path.abspath(record_folder(args) or "")  # before os.stat is watched
    if not _hooked:
        sys.addaudithook(_audit)  # for good: an audit hook cannot be removed
        os.register_at_fork(after_in_child=stop)  # worker processes look up for themselves
        _hooked = True
    os.stat = _watched_stat
    os.lstat = _watched_lstat
    return _recorder


def stop() -> None:
    global _recorder
    _recorder = None
    os.stat = _stat
    os.lstat = _lstat


_AUDITED = frozenset({"open", "os.listdir", "os.scandir"})


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event not in _AUDITED:
        return  # the hook sees every audited event (id() raises one): out at once
    recorder = _recorder
    if recorder is not None and recorder.pid == os.getpid():
        try:
            recorder.audit(event, args)
        except Exception:  # an argument of an unexpected shape: the run is not recorded
            recorder.active = False


def _watched_stat(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
    return _watched(_stat, path, args, kwargs, PROBE)


def _watched_lstat(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
    return _watched(_lstat, path, args, kwargs, LINK)


def _watched(
    call: Any, path: Any, args: tuple[Any, ...], kwargs: dict[str, Any], level: int
) -> os.stat_result:
    recorder = _recorder
    if recorder is None or recorder.pid != os.getpid() or recorder.busy == get_ident():
        return call(path, *args, **kwargs)  # type: ignore[no-any-return]
    if args or kwargs.get("dir_fd") is not None:
        recorder.active = False  # a path relative to a descriptor: not recorded
    elif not kwargs.get("follow_symlinks", True):
        level = LINK
    try:
        found = call(path, *args, **kwargs)
    except OSError as error:
        recorder.stated(path, level, error)
        raise
    recorder.busy = get_ident()  # an lstat()'s readlink()
    try:
        recorder.stated(path, level, found)
    finally:
        recorder.busy = None
    return found  # type: ignore[no-any-return]


def _skipped(name: str, cache: str) -> str | None:
    """The entry of folder ``name`` that leads to the cache folder, if it is inside it."""
    if not cache or not cache.startswith(name.rstrip(os.sep) + os.sep):
        return None
    return cache[len(name.rstrip(os.sep)) + 1 :].split(os.sep, 1)[0]


def _inside(name: str, folder: str) -> bool:
    return name.startswith(folder) and (len(name) == len(folder) or name[len(folder)] == "/")


def _now() -> int:
    import time

    return time.time_ns()


def _installation() -> list[str]:
    """preflight's code and rules/ data (files and folders), and the folders on sys.path."""
    from preflight.resources import rules_dir

    found: list[str] = []
    here = os.path.dirname(os.path.abspath(__file__))
    for root in (here, str(rules_dir())):
        for directory, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
            found.append(directory)
            found.extend(
                os.path.join(directory, name)
                for name in sorted(filenames)
                if not name.endswith((".pyc", ".pyo"))
            )
    found.extend(os.path.abspath(entry or ".") for entry in sys.path)
    return found


def _lengths(events: list[tuple[int, bytes]]) -> list[tuple[int, int]]:
    """Consecutive writes to one stream as one: (stream, bytes written)."""
    joined: list[tuple[int, int]] = []
    for fd, data in events:
        if joined and joined[-1][0] == fd:
            joined[-1] = (fd, joined[-1][1] + len(data))
        else:
            joined.append((fd, len(data)))
    return joined


_MAGIC = b"preflight-run\n"


def _write(
    folder: str, key: Key, header: tuple[object, ...], events: list[tuple[int, bytes]]
) -> None:
    """The record: _MAGIC, the header's length (8 bytes), the header (marshal), then what
    the run wrote, as written."""
    import marshal
    from pathlib import Path

    from preflight.fsutil import atomic_write

    path = _record_path(folder, key)
    runs = os.path.dirname(path)
    os.makedirs(runs, exist_ok=True)
    said = marshal.dumps(header)  # type: ignore[arg-type]
    pieces = [_MAGIC + len(said).to_bytes(8, "big"), said, *(data for _, data in events)]
    atomic_write(Path(path), pieces)
    kept = sorted(
        (entry for entry in os.scandir(runs) if entry.name.endswith(".run")),
        key=lambda entry: entry.stat().st_mtime_ns,
        reverse=True,
    )
    for stale in kept[KEEP:]:
        with contextlib.suppress(OSError):
            os.unlink(stale.path)
