"""Browser ingest: the WebM pieces a host's browser records (MediaRecorder, about one a second) are fed
to one ffmpeg per live lesson, which writes ~1 s HLS segments into the lesson's folder.

The folder is ``LIVE_DIR/<lesson.stream_path>/`` (index.m3u8, 0.ts, 1.ts, …), the same layout
nginx-rtmp writes for OBS. Segments are never deleted while the lesson runs: joined, they are the
recording the replay is made from (lms.live.replay). A host whose connection drops and comes back
starts a new WebM stream (a new MediaRecorder): a new ffmpeg continues the numbering and the clock
where the last one stopped, so the recording stays one.

Sessions live in this process (the Socket.IO process the host's browser is connected to): each has a
thread that owns its ffmpeg (the process dies with that thread) and a bounded queue of pieces.
Encoding VP8/VP9 to H.264 costs about half a core per lesson, so at most LIVE_MAX_ENCODES lessons
encode at once here; the next one is refused with a message (H.264 from Chromium is copied, and
does not count).
"""
from __future__ import annotations

import logging
import os
import queue
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext

from lms.media import live as live_media
from lms.media.ffmpeg import FFmpegError, Spawned, spawn

log = logging.getLogger(__name__)

#: pieces waiting for ffmpeg before the host is told the server cannot keep up (about a minute)
QUEUE_PIECES = 60
#: the largest piece taken (MediaRecorder's one-second pieces are ~100–600 KB at 720p)
MAX_PIECE_BYTES = 8 * 1024**2
#: how long ffmpeg may take to write its last segments once its input ends
FINISH_SECONDS = 15


class IngestRefused(Exception):
    """A stream this process will not take; `message` is for the host (translated)."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


def live_root() -> Path:
    return Path(current_app.config["LIVE_DIR"])


def lesson_folder(lesson) -> Path:
    """The folder of a lesson's live HLS (LIVE_DIR/<stream_path>), whichever ingest writes it."""
    return stream_folder(lesson.stream_path)


def stream_folder(name: str) -> Path:
    """LIVE_DIR/<name> for a lesson's stream path (ValueError for anything that could leave LIVE_DIR)."""
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise ValueError(f"bad stream path {name!r}")
    return live_root() / name


def max_encodes() -> int:
    configured = current_app.config.get("LIVE_MAX_ENCODES")
    return int(configured) if configured else max(1, os.cpu_count() or 1)


@dataclass
class _Stream:
    """One ffmpeg run: the pieces of one WebM stream (one MediaRecorder) of a lesson."""

    proc: Spawned | None = None
    pieces: queue.Queue = field(default_factory=lambda: queue.Queue(maxsize=QUEUE_PIECES))
    thread: threading.Thread | None = None
    started: threading.Event = field(default_factory=threading.Event)
    failed: str | None = None
    exit_code: int | None = None


@dataclass
class IngestSession:
    """A lesson's browser ingest in this process: who sends (`sid`), whether ffmpeg encodes, the current stream."""

    lesson_id: int
    folder: Path
    sid: str
    user_id: int
    encode_slot: bool  #: counts against LIVE_MAX_ENCODES (reserved at start from the announced type)
    config: dict
    stream: _Stream | None = None
    encoding: bool | None = None  #: what the current stream does (None before its first piece)
    pieces: int = 0
    bytes: int = 0
    last_piece_at: float = field(default_factory=time.monotonic)
    checked_at: float = field(default_factory=time.monotonic)
    #: one piece at a time (the page waits for each answer; a second window's would otherwise interleave)
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: a piece too short to tell whether a stream starts with it, waiting for the next one
    held: bytes = b""

    # -- feeding ------------------------------------------------------------------------------
    def feed(self, piece: bytes) -> dict:
        """Take one piece. The first piece of a WebM stream (its header) starts a new ffmpeg, after the
        previous one has written its last segments. Returns what the browser is told:
        {"ok": True, "segments": n} or {"ok": False, "restart": True} (a piece without a stream to
        belong to: start a new recording) / {"ok": False, "error": message}."""
        self.last_piece_at = time.monotonic()
        if self.held:  # the start of this piece came alone before it
            piece, self.held = self.held + piece, b""
        if live_media.header_prefix(piece):
            # Chromium's VP8 recorder sends its header's first byte as a piece of its own: kept for the next one
            self.held = piece
            return {"ok": True, "pieces": self.pieces}
        if live_media.starts_stream(piece):
            self._finish_stream()
            self._start_stream(piece)
        elif self.stream is None or self.stream.failed or not self._alive():
            return {"ok": False, "restart": True}
        try:
            self.stream.pieces.put_nowait(piece)
        except queue.Full:
            self._finish_stream(kill=True)
            return {"ok": False, "restart": True,
                    "error": _("The server could not keep up with your video. It starts again now; "
                               "if this repeats, choose a lower quality or close other programs.")}
        self.pieces += 1
        self.bytes += len(piece)
        return {"ok": True, "pieces": self.pieces}

    def _alive(self) -> bool:
        return self.stream is not None and self.stream.thread is not None and self.stream.thread.is_alive()

    def _start_stream(self, header: bytes) -> None:
        copy = self.config["copy_h264"] and live_media.sends_h264(header)
        self.encoding = not copy
        self.folder.mkdir(parents=True, exist_ok=True)
        start_number, offset = live_media.next_segment(self.folder)
        argv = live_media.live_hls_argv(
            self.folder, encode=self.encoding, start_number=start_number, ts_offset=offset,
            segment_seconds=self.config["segment_seconds"], max_seconds=self.config["max_seconds"],
            threads=self.config.get("threads"))
        stream = _Stream()
        stream.thread = threading.Thread(target=_run_stream, args=(stream, argv, self.config["idle_seconds"],
                                                                   self.lesson_id),
                                         name=f"live-ingest-{self.lesson_id}", daemon=True)
        self.stream = stream
        stream.thread.start()
        stream.started.wait(10)
        if stream.failed:
            raise IngestRefused(_("The server could not start the live video. Try again in a moment."), "ffmpeg")

    def _finish_stream(self, kill: bool = False) -> None:
        stream, self.stream = self.stream, None
        if stream is None:
            return
        if kill and stream.proc is not None:
            stream.proc.kill()
        try:
            stream.pieces.put(None, timeout=FINISH_SECONDS)
        except queue.Full:
            if stream.proc is not None:
                stream.proc.kill()
        if stream.thread is not None:
            stream.thread.join(FINISH_SECONDS + 5)

    def finish(self) -> None:
        """The host stopped (or dropped): let ffmpeg write its last segments and exit."""
        self._finish_stream()


def _run_stream(stream: _Stream, argv: list[str], idle_seconds: float, lesson_id: int) -> None:
    """The thread of one ffmpeg: starts it (so it dies with this thread), writes the pieces in order,
    closes its input at the end of the stream (None), after `idle_seconds` without a piece, or when
    ffmpeg stops reading."""
    try:
        stream.proc = spawn(argv, niceness=0, name=f"live-{lesson_id}")
    except FFmpegError as error:
        stream.failed = str(error)
        log.error("live lesson %s: ffmpeg did not start: %s", lesson_id, error)
        stream.started.set()
        return
    stream.started.set()
    proc = stream.proc
    try:
        while True:
            try:
                piece = stream.pieces.get(timeout=idle_seconds)
            except queue.Empty:
                # Not the end of the lesson (that waits out its grace for the host): this recording's segments are
                # written out now, and the host's next recording (a reconnect starts one) starts a new ffmpeg.
                log.info("live lesson %s: no video for %s s: its segments so far are written; the lesson waits "
                         "for the host's next recording", lesson_id, idle_seconds)
                break
            if piece is None:
                break
            try:
                proc.write(piece)
            except OSError:
                stream.failed = "ffmpeg stopped reading"
                break
    finally:
        proc.close()
        stream.exit_code = proc.wait(FINISH_SECONDS)
        if stream.exit_code not in (0, None) and not stream.failed:
            stream.failed = f"ffmpeg exited with {stream.exit_code}"
        if stream.failed:
            log.warning("live lesson %s: %s: %s", lesson_id, stream.failed, proc.stderr.strip()[-2000:])
        # Wake a feeder blocked on a full queue; later pieces find the thread gone and restart.
        while not stream.pieces.empty():
            try:
                stream.pieces.get_nowait()
            except queue.Empty:
                break


# -- the registry of this process ----------------------------------------------------------------

_sessions: dict[int, IngestSession] = {}
_lock = threading.RLock()


def _config() -> dict:
    config = current_app.config
    return {"copy_h264": bool(config.get("LIVE_COPY_H264", True)),
            "segment_seconds": float(config.get("LIVE_SEGMENT_SECONDS") or 1.0),
            "idle_seconds": float(config.get("LIVE_IDLE_SECONDS") or 20),
            "max_seconds": float(config.get("LIVE_MAX_SECONDS") or 6 * 3600),
            "threads": config.get("LIVE_ENCODE_THREADS")}


def announced_h264(mime: str | None) -> bool:
    """Whether the browser's announced recording type is H.264 (copied, so no encode slot)."""
    mime = (mime or "").lower()
    return "h264" in mime or "avc1" in mime


def begin(lesson, user, sid: str, mime: str | None = None) -> IngestSession:
    """Take (or take over) the browser ingest of `lesson` from the socket `sid` of `user` (a host:
    the caller checked). The newest sender wins: a second tab, or the same page after a reconnect,
    takes the session over, and the older one's pieces are refused. A new lesson beyond
    LIVE_MAX_ENCODES encoding ones raises IngestRefused."""
    config = _config()
    slot = not (config["copy_h264"] and announced_h264(mime))
    with _lock:
        session = _sessions.get(lesson.id)
        if session is not None:  # taken over (another window, or this page after a reconnect)
            session.sid = sid
            session.user_id = user.id
            session.held = b""  # the other window's
            return session
        busy = sum(1 for s in _sessions.values() if s.encode_slot)
        if slot and busy >= max_encodes():
            raise IngestRefused(
                ngettext("This server is already encoding %(num)d live lesson, as many as it can. Try again in a "
                         "few minutes, stream from Chrome or Edge (whose video needs no encoding), or use OBS with "
                         "the lesson's stream key.",
                         "This server is already encoding %(num)d live lessons, as many as it can. Try again in a "
                         "few minutes, stream from Chrome or Edge (whose video needs no encoding), or use OBS with "
                         "the lesson's stream key.", busy), "busy")
        session = IngestSession(lesson_id=lesson.id, folder=lesson_folder(lesson), sid=sid, user_id=user.id,
                                encode_slot=slot, config=config)
        _sessions[lesson.id] = session
        return session


def get(lesson_id: int) -> IngestSession | None:
    with _lock:
        return _sessions.get(lesson_id)


def feed(lesson_id: int, sid: str, piece: bytes) -> dict:
    """Give a piece from socket `sid` to the lesson's session; see IngestSession.feed."""
    session = get(lesson_id)
    if session is None or session.sid != sid:
        return {"ok": False, "error": _("Another window took over this broadcast. Use that window, or press "
                                        "Go live here again."), "code": "taken"}
    if not isinstance(piece, (bytes, bytearray)) or not piece or len(piece) > MAX_PIECE_BYTES:
        return {"ok": False, "error": _("A piece of the broadcast could not be read."), "code": "bad_piece"}
    try:
        with session.lock:
            if session.sid != sid:  # taken over while this piece waited
                return {"ok": False, "error": _("Another window took over this broadcast. Use that window, or "
                                                "press Go live here again."), "code": "taken"}
            return session.feed(bytes(piece))
    except IngestRefused as refused:
        return {"ok": False, "error": refused.message, "code": refused.code}


def finish(lesson_id: int, sid: str | None = None) -> bool:
    """End the lesson's session (only when `sid`, if given, is its sender): its last segments are
    written before this returns. Returns whether there was one."""
    with _lock:
        session = _sessions.get(lesson_id)
        if session is None or (sid is not None and session.sid != sid):
            return False
        del _sessions[lesson_id]
    with session.lock:
        session.finish()
    return True


def sessions_of(sid: str) -> list[int]:
    """The lessons socket `sid` is sending (normally one)."""
    with _lock:
        return [lesson_id for lesson_id, s in _sessions.items() if s.sid == sid]


def encoding_count() -> int:
    with _lock:
        return sum(1 for s in _sessions.values() if s.encode_slot)


def finish_all() -> None:
    """Stop every session of this process (tests; a shutting-down process)."""
    with _lock:
        ids = list(_sessions)
    for lesson_id in ids:
        finish(lesson_id)


def mark_ended(folder: Path) -> None:
    """Close the live playlist for players: #EXT-X-ENDLIST, so they stop asking for more."""
    playlist = folder / live_media.PLAYLIST
    try:
        text = playlist.read_text()
    except FileNotFoundError:
        return
    if "#EXT-X-ENDLIST" not in text:
        tmp = playlist.with_name(playlist.name + ".end")
        tmp.write_text(text.rstrip("\n") + "\n#EXT-X-ENDLIST\n")
        os.replace(tmp, playlist)
