"""The only place that runs ffmpeg and ffprobe: safe inputs, resource limits, typed errors.

Uploads are untrusted (DESIGN.md §5 rule 3). A protocol whitelist alone does not stop ffmpeg from
reading other local files (the hls, dash and concat demuxers open them through the `file`
protocol), so every input here is opened with the demuxers limited to real containers and is
named by a `file:` URL, so a path can never be parsed as a protocol (`concat:a|b`). Each run is
niced, has an address-space limit and a wall-clock timeout, runs in a process group of its own that
is killed on any error, and (on Linux) dies with the thread that started it, so a worker killed with
SIGKILL leaves no ffmpeg behind.
"""
from __future__ import annotations

import collections
import ctypes
import functools
import logging
import os
import resource
import shutil
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence

import ffmpeg as ffmpeg_python

log = logging.getLogger(__name__)

#: Demuxers an upload may be opened with: ISO-BMFF (mp4/mov/3gp) and Matroska/WebM. Neither
#: opens other files (mov's external data references stay off: `enable_drefs` defaults to 0).
#: AVI is left out on purpose: its GAB2 subtitle chunks have carried HLS playlists that read
#: local files.
INPUT_FORMATS = "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm"
#: Demuxers a sound file may be opened with (a circle file's preview, lms.media.audio): MP3, Ogg, FLAC
#: and WAV besides the containers above; none of them opens other files.
AUDIO_INPUT_FORMATS = "mp3,ogg,flac,wav,mov,mp4,m4a,3gp,3g2,mj2,matroska,webm"
#: Protocols an input may use; `file` only (no http, no data:, no crypto).
INPUT_PROTOCOLS = "file"
#: A live stream the app receives itself (the teacher's browser's MediaRecorder WebM pieces), read
#: from ffmpeg's stdin: the Matroska/WebM demuxer only, the `pipe` protocol only.
LIVE_INPUT_FORMATS = "matroska,webm"
LIVE_INPUT_PROTOCOLS = "pipe"
#: Files the app wrote itself with ffmpeg (a live lesson's MPEG-TS segments joined into one recording):
#: the MPEG-TS demuxer, which opens no other file.
OWN_INPUT_FORMATS = "mpegts"

#: Address-space limit of an ffmpeg/ffprobe process; env FFMPEG_MEMORY_LIMIT (bytes, 0 = none).
DEFAULT_MEMORY_LIMIT = 3 * 1024**3
#: Niceness added to every run; env FFMPEG_NICE.
DEFAULT_NICENESS = 10

#: Keep this much of stderr for error messages.
_STDERR_TAIL = 64 * 1024
#: Refuse more stdout than this from a run without a progress callback (ffprobe's JSON is small).
_MAX_STDOUT = 16 * 1024**2


class FFmpegError(Exception):
    """ffmpeg or ffprobe failed; `returncode` (negative: killed by that signal) and `stderr` say how."""

    def __init__(self, message: str, *, returncode: int | None = None, stderr: str = ""):
        super().__init__(message)
        self.returncode = returncode
        self.stderr = stderr


class FFmpegTimeout(FFmpegError):
    """The run passed its wall-clock limit and was killed."""


class FFmpegNotFound(FFmpegError):
    """No ffmpeg/ffprobe executable: set FFMPEG_BIN/FFPROBE_BIN or install ffmpeg."""


@dataclass(frozen=True)
class RunResult:
    """What a finished run printed: stdout as bytes, the tail of stderr as text."""

    stdout: bytes
    stderr: str


def ffmpeg_bin() -> str:
    """The ffmpeg executable: env FFMPEG_BIN, else `ffmpeg` on PATH; raises FFmpegNotFound."""
    return _binary("FFMPEG_BIN", "ffmpeg")


def ffprobe_bin() -> str:
    """The ffprobe executable: env FFPROBE_BIN, else `ffprobe` on PATH; raises FFmpegNotFound."""
    return _binary("FFPROBE_BIN", "ffprobe")


def _binary(env: str, name: str) -> str:
    wanted = os.environ.get(env) or name
    found = shutil.which(wanted)
    if not found:
        raise FFmpegNotFound(f"{name} not found ({wanted!r}): install ffmpeg or set {env}")
    return found


def has_filters(*names: str) -> bool:
    """Whether this ffmpeg build has every filter in `names` (zscale needs libzimg, for instance)."""
    return set(names) <= _filters(ffmpeg_bin())


@functools.lru_cache(maxsize=8)
def _filters(binary: str) -> frozenset[str]:
    listing = run([binary, "-hide_banner", "-nostdin", "-filters"], timeout=30).stdout.decode("utf-8", "replace")
    names = set()
    for line in listing.splitlines():
        fields = line.split()
        # " TSC zscale  V->V  Apply resizing, …": three flag characters, then the name.
        if len(fields) >= 3 and len(fields[0]) == 3 and set(fields[0]) <= set(".TSCA|") and "->" in fields[2]:
            names.add(fields[1])
    return frozenset(names)


def file_url(path: str | os.PathLike) -> str:
    """`file:` + the absolute path, so ffmpeg never reads a path as another protocol or option."""
    return "file:" + os.path.abspath(os.fspath(path))


def safe_input(path: str | os.PathLike, **options):
    """An ffmpeg-python input node for `path` with the demuxer and protocol whitelists set.

    `options` are further input options (e.g. ``ss=5``). The node is then combined with
    ``.output(...)`` as usual and run with `run_ffmpeg`.
    """
    options = {**options, "format_whitelist": INPUT_FORMATS, "protocol_whitelist": INPUT_PROTOCOLS}
    return ffmpeg_python.input(file_url(path), **options)


def ffmpeg_argv(spec, *, progress: bool = False) -> list[str]:
    """The full ffmpeg argv for `spec` (an ffmpeg-python output node, or a list of arguments).

    Adds ``-nostdin -v error -nostats -y`` and, with `progress`, ``-progress pipe:1``. Raises
    ValueError if an input is not a `file:` URL opened with both whitelists (a programming error:
    build inputs with `safe_input` or `input_args`).
    """
    args = [str(a) for a in spec] if isinstance(spec, (list, tuple)) else spec.get_args()
    argv = [ffmpeg_bin(), "-nostdin", "-v", "error", "-nostats", "-y"]
    if progress:
        argv += ["-progress", "pipe:1"]
    argv += args
    check_inputs(argv)
    return argv


def input_args(path: str | os.PathLike, *options: str, formats: str = INPUT_FORMATS) -> list[str]:
    """Plain-list form of `safe_input`: input `options`, the whitelists, then ``-i file:<path>``.
    `formats`: INPUT_FORMATS, or AUDIO_INPUT_FORMATS for a sound file."""
    if formats not in (INPUT_FORMATS, AUDIO_INPUT_FORMATS):
        raise ValueError(f"not a whitelist of uploads: {formats!r}")
    return [
        *options,
        "-format_whitelist", formats,
        "-protocol_whitelist", INPUT_PROTOCOLS,
        "-i", file_url(path),
    ]  # fmt: skip


def pipe_input_args(*options: str) -> list[str]:
    """Input arguments for a live WebM/Matroska stream written to ffmpeg's stdin (see `spawn`):
    `options`, ``-f webm``, the live whitelists, then ``-i pipe:0``."""
    return [
        *options,
        "-f", "webm",
        "-format_whitelist", LIVE_INPUT_FORMATS,
        "-protocol_whitelist", LIVE_INPUT_PROTOCOLS,
        "-i", "pipe:0",
    ]  # fmt: skip


def own_input_args(path: str | os.PathLike, *options: str) -> list[str]:
    """Input arguments for an MPEG-TS file the app made itself (joined live segments): ``-f mpegts``
    with the MPEG-TS demuxer alone whitelisted, ``-i file:<path>``. Never for uploads."""
    return [
        *options,
        "-f", "mpegts",
        "-format_whitelist", OWN_INPUT_FORMATS,
        "-protocol_whitelist", INPUT_PROTOCOLS,
        "-i", file_url(path),
    ]  # fmt: skip


def check_inputs(argv: Sequence[str]) -> None:
    """Raise ValueError unless every ``-i`` of `argv` is opened through one of the whitelists above."""
    formats = protocols = None
    for i, arg in enumerate(argv):
        if arg == "-format_whitelist":
            formats = argv[i + 1]
        elif arg == "-protocol_whitelist":
            protocols = argv[i + 1]
        elif arg == "-i":
            source = argv[i + 1]
            from_file = source.startswith("file:") and protocols == INPUT_PROTOCOLS \
                and formats in (INPUT_FORMATS, OWN_INPUT_FORMATS, AUDIO_INPUT_FORMATS)
            from_stdin = source == "pipe:0" and protocols == LIVE_INPUT_PROTOCOLS and formats == LIVE_INPUT_FORMATS
            if not (from_file or from_stdin):
                raise ValueError(f"unsafe ffmpeg input {source!r}: use safe_input(), input_args(), "
                                 f"pipe_input_args() or own_input_args()")
            formats = protocols = None  # each input needs its own whitelist options


def run_ffmpeg(
    spec,
    *,
    timeout: float,
    on_progress: Callable[[dict[str, str]], None] | None = None,
    memory_limit: int | None = None,
    niceness: int | None = None,
) -> RunResult:
    """Run ffmpeg for `spec` (see `ffmpeg_argv`) and wait for it.

    `on_progress` receives each block of ``-progress`` key/values (``out_time_us``, ``progress``
    …) as ffmpeg reports them, about twice a second. Raises FFmpegTimeout after `timeout` seconds,
    FFmpegError on a non-zero exit, FFmpegNotFound without ffmpeg.
    """
    argv = ffmpeg_argv(spec, progress=on_progress is not None)
    return run(argv, timeout=timeout, on_progress=on_progress, memory_limit=memory_limit, niceness=niceness)


def run_ffprobe(
    path: str | os.PathLike,
    args: Iterable[str],
    *,
    timeout: float,
    memory_limit: int | None = None,
    niceness: int | None = None,
    formats: str = INPUT_FORMATS,
) -> RunResult:
    """Run ffprobe with `args` (e.g. ``-show_entries … -of json``) on `path` through the whitelists
    (`formats`: see `input_args`).

    ffprobe has no ``-nostdin``; its stdin is /dev/null instead. Raises FFmpegTimeout,
    FFmpegError (non-zero exit: the file could not be opened or parsed) or FFmpegNotFound.
    """
    argv = [ffprobe_bin(), "-v", "error", *args, *input_args(path, formats=formats)]
    check_inputs(argv)
    return run(argv, timeout=timeout, memory_limit=memory_limit, niceness=niceness)


def run(
    argv: Sequence[str],
    *,
    timeout: float,
    on_progress: Callable[[dict[str, str]], None] | None = None,
    memory_limit: int | None = None,
    niceness: int | None = None,
) -> RunResult:
    """Run `argv` (built by this module) niced, with an address-space limit and a wall-clock timeout.

    stdin is /dev/null; the process gets its own session (and process group), killed whole on a
    timeout or any exception here, and on Linux a parent-death signal (SIGKILL) so it also dies when
    the thread that started it does: a worker killed with SIGKILL leaves no ffmpeg behind. With
    `on_progress`, stdout is parsed as ``-progress`` output instead of returned.
    Raises FFmpegTimeout, FFmpegError (non-zero exit or signal; an exception raised by
    `on_progress` stops the run and propagates as is).
    """
    limit = _memory_limit(memory_limit)
    nice = int(os.environ.get("FFMPEG_NICE", DEFAULT_NICENESS)) if niceness is None else niceness
    log.debug("running %s", " ".join(argv))
    proc = subprocess.Popen(
        list(argv),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        # Runs in the forked child before exec; only plain system calls, no locks or imports,
        # so it is safe even when the jobs run in a thread of the web process.
        preexec_fn=_child_limits(limit, nice, _parent_death_signal()),
    )
    timed_out = threading.Event()

    def kill() -> None:
        timed_out.set()
        _kill(proc)

    timer = threading.Timer(timeout, kill)
    timer.daemon = True
    stderr_tail: collections.deque[bytes] = collections.deque()
    drain = threading.Thread(target=_drain, args=(proc.stderr, stderr_tail), daemon=True)
    drain.start()
    timer.start()
    try:
        stdout = _read_progress(proc.stdout, on_progress) if on_progress else _read_bounded(proc.stdout)
        returncode = proc.wait()
    except BaseException:
        _kill(proc)
        proc.wait()
        raise
    finally:
        timer.cancel()
        drain.join()
        proc.stdout.close()
        proc.stderr.close()
    stderr = b"".join(stderr_tail)[-_STDERR_TAIL:].decode("utf-8", "replace")
    name = Path(argv[0]).name
    if timed_out.is_set():
        raise FFmpegTimeout(f"{name} timed out after {timeout:g} s", returncode=returncode, stderr=stderr)
    if stdout is None:
        raise FFmpegError(f"{name} printed more than {_MAX_STDOUT} bytes", returncode=returncode, stderr=stderr)
    if returncode != 0:
        how = f"was killed by signal {-returncode}" if returncode < 0 else f"exited with {returncode}"
        detail = stderr.strip().splitlines()[-1] if stderr.strip() else "no message"
        raise FFmpegError(f"{name} {how}: {detail}", returncode=returncode, stderr=stderr)
    return RunResult(stdout=stdout, stderr=stderr)


class Spawned:
    """A long-running ffmpeg started by `spawn`, fed on its stdin (a live lesson's stream).

    `write(data)` feeds it; `close()` ends its input so it finishes its output; `wait(timeout)`
    waits for the exit; `kill()` stops it at once (its whole process group). `stderr` is the
    tail of what it printed. Start it from a thread that outlives it (it dies with that thread).
    """

    def __init__(self, proc: subprocess.Popen, name: str):
        self.proc = proc
        self.name = name
        self._tail: collections.deque[bytes] = collections.deque()
        self._drain = threading.Thread(target=_drain, args=(proc.stderr, self._tail), daemon=True,
                                       name=f"{name}-stderr")
        self._drain.start()

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def stderr(self) -> str:
        return b"".join(self._tail)[-_STDERR_TAIL:].decode("utf-8", "replace")

    def running(self) -> bool:
        return self.proc.poll() is None

    def write(self, data: bytes) -> None:
        """Feed `data`; raises BrokenPipeError (an OSError) when ffmpeg has stopped reading."""
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def close(self) -> None:
        """End the input: ffmpeg writes what it holds and exits."""
        try:
            self.proc.stdin.close()
        except OSError:
            pass

    def wait(self, timeout: float) -> int:
        """Wait up to `timeout` seconds for the exit (killing it after that); return the exit code."""
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            code = self.proc.wait()
        self._drain.join(timeout=5)
        for stream in (self.proc.stdin, self.proc.stderr):
            try:
                stream.close()
            except OSError:
                pass
        return code

    def kill(self) -> None:
        _kill(self.proc)


def spawn(argv: Sequence[str], *, memory_limit: int | None = None, niceness: int | None = None,
          name: str = "ffmpeg") -> Spawned:
    """Start `argv` (ffmpeg, built with `ffmpeg_argv`: inputs checked) with its stdin as a pipe, niced,
    with the address-space limit, in a session of its own and (on Linux) dying with the thread that
    starts it. No wall-clock timeout: the caller watches it (a live lesson has no fixed length; give
    ffmpeg a ``-t`` cap). stdout goes to /dev/null. Raises FFmpegNotFound."""
    check_inputs(argv)
    limit = _memory_limit(memory_limit)
    nice = int(os.environ.get("FFMPEG_NICE", DEFAULT_NICENESS)) if niceness is None else niceness
    log.debug("spawning %s", " ".join(argv))
    try:
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
            preexec_fn=_child_limits(limit, nice, _parent_death_signal()),
        )
    except FileNotFoundError as error:
        raise FFmpegNotFound(str(error)) from None
    return Spawned(proc, name)


def _memory_limit(requested: int | None) -> int | None:
    limit = int(os.environ.get("FFMPEG_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT)) if requested is None else requested
    if not limit:
        return None
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    return limit if hard == resource.RLIM_INFINITY else min(limit, hard)


#: linux/prctl.h
_PR_SET_PDEATHSIG = 1


@functools.lru_cache(maxsize=1)
def _prctl():
    """libc's prctl on Linux (looked up once, before any fork), else None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    prctl.restype = ctypes.c_int
    return prctl


def _parent_death_signal() -> Callable[[], None] | None:
    """What the child runs to die (SIGKILL) when the thread that forked it ends; None off Linux.

    The kernel sends the signal when the forking *thread* exits: jobs call ffmpeg from the thread
    that runs them and wait for it, so that thread outlives every run it starts.
    """
    prctl = _prctl()
    if prctl is None:
        return None
    parent = os.getpid()

    def arm() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died between fork and prctl: nobody waits for us
            os.kill(os.getpid(), signal.SIGKILL)

    return arm


def _child_limits(memory_limit: int | None, niceness: int,
                  die_with_parent: Callable[[], None] | None = None) -> Callable[[], None]:
    def apply() -> None:
        if die_with_parent is not None:
            die_with_parent()
        if niceness:
            os.nice(niceness)
        if memory_limit:
            resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))

    return apply


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _drain(stream, tail: collections.deque[bytes]) -> None:
    kept = 0
    for chunk in iter(lambda: stream.read(8192), b""):
        tail.append(chunk)
        kept += len(chunk)
        while kept - len(tail[0]) > _STDERR_TAIL:
            kept -= len(tail.popleft())


def _read_bounded(stream) -> bytes | None:
    data = bytearray()
    for chunk in iter(lambda: stream.read(65536), b""):
        data += chunk
        if len(data) > _MAX_STDOUT:
            for _ in iter(lambda: stream.read(65536), b""):
                pass  # keep draining so the process can finish; the caller reports the error
            return None
    return bytes(data)


def _read_progress(stream, on_progress: Callable[[dict[str, str]], None]) -> bytes:
    block: dict[str, str] = {}
    for raw in stream:
        key, sep, value = raw.decode("utf-8", "replace").strip().partition("=")
        if not sep:
            continue
        block[key] = value
        if key == "progress":  # the last line of each block: "continue" or "end"
            on_progress(block)
            block = {}
    return b""
