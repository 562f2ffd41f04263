"""Going live from the browser in each picture mode, through chromium's fake devices: the camera, the screen, and the
screen with the camera in a corner (composited on a canvas). `--use-fake-ui-for-media-stream` (tests/browser/conftest.py)
also answers getDisplayMedia's picker with the whole (fake) screen, so no auto-select flag is needed here. For each
mode: what the page sends is that picture, the ingest receives it and writes segments that decode, and a student's
player plays them (hls.js).

Then the VP8 path: a browser that cannot record H.264 (Firefox; here MediaRecorder.isTypeSupported is told so) sends
VP8, which the server encodes to H.264 (an encode slot); the student plays it. (This test found that chromium's VP8
recorder sends the WebM header's first byte as a piece of its own, which the server used to refuse: see
tests/live/test_ingest.py::test_a_first_piece_of_one_byte_is_joined_to_the_next.)

And Safari's path: a browser without Media Source Extensions that plays HLS itself (canPlayType
'application/vnd.apple.mpegurl'); MSE is removed from the student's page before its scripts run, so the player takes
its native path (no hls.js), and this chromium, which plays HLS natively, plays the checked playlist."""
from __future__ import annotations

import json
import subprocess

import pytest
from playwright.sync_api import expect

from tests.browser.test_live_broadcast import _segments, _setup, _sign_in, _wait_for
from tests.media.tools import FFPROBE

pytestmark = pytest.mark.browser

#: a page where MediaRecorder cannot record H.264: broadcast.js then picks VP8
NO_H264 = """(() => {
  const supported = MediaRecorder.isTypeSupported.bind(MediaRecorder);
  MediaRecorder.isTypeSupported = (type) => !/h264|avc1/i.test(type) && supported(type);
})();"""
#: Safari without MSE (an iPhone's): no MediaSource of any kind; HLS through the <video> element itself
NO_MSE = """(() => {
  for (const name of ["MediaSource", "ManagedMediaSource", "WebKitMediaSource"]) {
    Object.defineProperty(window, name, { value: undefined, configurable: true, writable: true });
  }
  const canPlay = HTMLMediaElement.prototype.canPlayType;
  HTMLMediaElement.prototype.canPlayType = function (type) {
    return /mpegurl/i.test(type) ? "maybe" : canPlay.call(this, type);
  };
})();"""


def _probe(path) -> dict:
    out = subprocess.run([FFPROBE, "-v", "error", "-select_streams", "v:0", "-show_entries",
                          "stream=codec_name,width,height", "-of", "json", str(path)],
                         capture_output=True, timeout=30, check=True)
    return json.loads(out.stdout)["streams"][0]


def _go_live(live_server, new_context, screenshots, tmp_path, monkeypatch, mode: str, init_script: str | None = None):
    """The teacher opens the broadcast page, picks `mode`, goes live; returns (ids, page, the lesson's folder)
    once three pieces reached the server."""
    from lms.extensions import db
    from lms.live.models import LiveLesson

    live_dir = tmp_path / "live"
    monkeypatch.setitem(live_server.app.config, "LIVE_DIR", str(live_dir))
    ids = _setup(live_server)
    circle_id, lesson_id, teacher_email, _student = ids
    with live_server.app.app_context():
        folder = live_dir / db.session.get(LiveLesson, lesson_id).stream_path
        db.session.remove()
    context = new_context()
    if init_script:
        context.add_init_script(init_script)
    teacher = context.new_page()
    errors: list[str] = []
    teacher.on("pageerror", lambda error: errors.append(str(error)))
    with screenshots.on_failure(teacher, f"go-live-{mode}"):
        _sign_in(teacher, teacher_email)
        teacher.goto(f"/c/{circle_id}/live/{lesson_id}/broadcast")
        go = teacher.locator("[data-go-live]")
        expect(go).to_be_enabled()  # the camera's preview is up
        if mode != "camera":
            teacher.locator(f'input[name="source"][value="{mode}"]').check()
            # the page asks for the screen (getDisplayMedia) and sets the picture up again
            teacher.wait_for_function(
                "(mode) => { const b = document.querySelector('[data-broadcast]').broadcast;"
                " const track = b.stream && b.stream.getVideoTracks()[0];"
                " return mode === 'both' ? Boolean(b.compositor) && track === b.compositor.track"
                " : Boolean(track) && track.label.startsWith('screen:') && !b.compositor; }", arg=mode)
        expect(go).to_be_enabled()
        go.click()
        expect(teacher.locator("[data-broadcast-status]")).to_contain_text("You are live.")
        # VP8 is encoded in software by chromium: its pieces come later on a busy machine
        teacher.wait_for_function("() => Number(document.querySelector('[data-broadcast]').dataset.sent || 0) >= 3",
                                  timeout=60_000)
    _wait_for(lambda: len(_segments(folder)) >= 2, timeout=60)
    return ids, teacher, folder, errors


def _student_watches(new_context, screenshots, ids, source: str, init_script: str | None = None) -> list[str]:
    circle_id, lesson_id, _teacher, student_email = ids
    context = new_context()
    if init_script:
        context.add_init_script(init_script)
    student = context.new_page()
    errors: list[str] = []
    student.on("pageerror", lambda error: errors.append(str(error)))
    with screenshots.on_failure(student, f"watch-{source}"):
        _sign_in(student, student_email)
        student.goto(f"/c/{circle_id}/live/{lesson_id}")
        player = student.locator("[data-live-player]")
        expect(player).to_have_attribute("data-source", source, timeout=20_000)
        expect(player).to_have_attribute("data-playing", "1", timeout=30_000)
        student.wait_for_function(
            "() => { const v = document.querySelector('[data-live-video]'); return v && v.currentTime > 0.5; }",
            timeout=20_000)
        if source == "native-hls":
            # the element itself plays the checked playlist: no hls.js, no blob: URL of a MediaSource
            src = student.evaluate("() => document.querySelector('[data-live-video]').src")
            assert src.endswith(f"/c/{circle_id}/live/{lesson_id}/hls/index.m3u8")
            assert student.evaluate("() => typeof window.Hls") == "undefined"
    return errors


@pytest.mark.parametrize("mode", ["camera", "screen", "both"])
def test_each_picture_mode_reaches_the_ingest_and_plays(live_server, new_context, screenshots, tmp_path,
                                                        monkeypatch, mode):
    ids, teacher, folder, errors = _go_live(live_server, new_context, screenshots, tmp_path, monkeypatch, mode)
    sent = teacher.evaluate("() => { const b = document.querySelector('[data-broadcast]').broadcast;"
                            " const s = b.stream.getVideoTracks()[0].getSettings();"
                            " return {mime: b.mime, width: s.width, height: s.height}; }")
    assert sent["mime"].startswith("video/webm;codecs=h264")  # Chromium records H.264: copied by the server
    made = _segments(folder)
    first = _probe(folder / f"{made[0]}.ts")
    assert first["codec_name"] == "h264"
    if mode != "both":  # the canvas track reports no size of its own; its picture is the screen's
        assert (first["width"], first["height"]) == (sent["width"], sent["height"])
    errors += _student_watches(new_context, screenshots, ids, "hls.js")
    assert errors == []


def test_vp8_from_a_browser_without_h264_is_encoded_and_plays(live_server, new_context, screenshots, tmp_path,
                                                              monkeypatch):
    from lms.live import ingest

    ids, teacher, folder, errors = _go_live(live_server, new_context, screenshots, tmp_path, monkeypatch, "camera",
                                            init_script=NO_H264)
    assert teacher.evaluate("() => document.querySelector('[data-broadcast]').broadcast.mime") == \
        "video/webm;codecs=vp8,opus"
    with live_server.app.app_context():
        session = ingest.get(ids[1])
        assert session is not None and session.encode_slot  # the server encodes it (and counts it against the cap)
    assert _probe(folder / f"{_segments(folder)[0]}.ts")["codec_name"] == "h264"
    errors += _student_watches(new_context, screenshots, ids, "hls.js")
    assert errors == []


def test_a_browser_without_media_source_plays_hls_natively(live_server, new_context, screenshots, tmp_path,
                                                           monkeypatch):
    ids, _teacher, _folder, errors = _go_live(live_server, new_context, screenshots, tmp_path, monkeypatch, "camera")
    errors += _student_watches(new_context, screenshots, ids, "native-hls", init_script=NO_MSE)
    assert errors == []
