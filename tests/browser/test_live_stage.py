"""The live stage in two real browsers (issue 18), against the real Janus that tests/live/stage starts: the teacher
publishes camera and microphone from the broadcast page in real-time mode; a student's lesson page plays it over
WebRTC (a video element fed by an RTCPeerConnection's receiver, while the HLS player holds); the student raises a
hand, is invited, passes the device check and comes on stage, and the teacher receives the student's video; the
teacher mutes the student and takes them down. A student whose browser gets no ICE connection falls back to the
lesson's HLS by itself.

Each person is a chromium of their own (separate processes, fake camera and microphone). Chromium gathers no
loopback candidates unless told (--allow-loopback-in-peer-connection), and this Janus listens on loopback only.
"""
from __future__ import annotations

import re
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PASSWORD, TIMEOUT_MS
from tests.live.stage.conftest import janus_server  # noqa: F401  (the real Janus, one per session)

pytestmark = pytest.mark.browser

WEBRTC_ARGS = ["--allow-loopback-in-peer-connection", "--disable-features=WebRtcHideLocalIpsWithMdns",
               "--autoplay-policy=no-user-gesture-required"]

#: how long a WebRTC step may take (ICE, DTLS, the first keyframe) on a busy two-core machine
WEBRTC_MS = 30_000

#: A network that lets no WebRTC through and offers no TURN server: every peer connection may use relay
#: candidates only, and there are none, so ICE never connects (as behind a firewall that drops UDP).
BLOCK_WEBRTC = """
(() => {
  const Native = window.RTCPeerConnection;
  if (!Native) { return; }
  function Blocked(config, ...rest) {
    return new Native(Object.assign({}, config || {}, { iceServers: [], iceTransportPolicy: "relay" }), ...rest);
  }
  Blocked.prototype = Native.prototype;
  Object.setPrototypeOf(Blocked, Native);
  window.RTCPeerConnection = Blocked;
})();
"""

#: Is the element's picture coming from a peer connection? Its stream's video track is one of the tracks the
#: page's RTCPeerConnection receives (not an HLS source: no src URL, no MediaSource), and frames move on.
FROM_PEER_CONNECTION = """([selector, holder]) => {
  const video = document.querySelector(selector);
  const owner = document.querySelector(holder);
  const pc = owner && owner.__pc && owner.__pc();
  if (!video || !pc || !(video.srcObject instanceof MediaStream) || video.getAttribute("src")) { return false; }
  const track = video.srcObject.getVideoTracks()[0];
  return !!track && pc.connectionState === "connected"
    && pc.getReceivers().some(r => r.track === track) && video.currentTime > 0.5 && video.videoWidth > 0;
}"""


@pytest.fixture
def stage_server(live_server, janus_server, monkeypatch, tmp_path):  # noqa: F811
    """The browser tests' app pointed at the real Janus (its client rebuilt), live HLS in a temporary folder."""
    for key, value in janus_server.settings.app_config().items():
        monkeypatch.setitem(live_server.app.config, key, value)
    monkeypatch.setitem(live_server.app.config, "LIVE_DIR", str(tmp_path / "live"))
    live_server.app.extensions.pop("circles_janus", None)
    yield live_server
    live_server.app.extensions.pop("circles_janus", None)


@pytest.fixture
def browsers(chromium, stage_server):
    """browsers(block_webrtc=False) → a page in a chromium of its own on the live server."""
    opened = []

    def _open(block_webrtc: bool = False, viewport=None):
        browser = chromium.browser_type.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + WEBRTC_ARGS)
        opened.append(browser)
        context = browser.new_context(base_url=stage_server.url, locale="en-US", timezone_id="Asia/Shanghai",
                                      viewport=viewport or {"width": 1280, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        if block_webrtc:
            context.add_init_script(BLOCK_WEBRTC)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        return page

    yield _open
    for browser in opened:
        browser.close()


def _setup(live_server):
    from lms.accounts import operations as account_ops
    from lms.circles import operations as circle_ops
    from lms.circles.models import Role
    from lms.core.types import utcnow
    from lms.extensions import db
    from lms.live import operations as live_ops

    tag = uuid.uuid4().hex[:8]
    with live_server.app.app_context():
        teacher = account_ops.register_user(f"st-{tag}@example.org", PASSWORD, "Teacher Zhou")
        student = account_ops.register_user(f"ss-{tag}@example.org", PASSWORD, "Wu Lei")
        circle = circle_ops.create_circle(teacher, f"Acoustics {tag}")
        circle_ops.add_member(circle, student, Role.student, display_name="Lei")
        lesson = live_ops.create_lesson(circle, teacher, title="Standing waves", starts_at=utcnow() + timedelta(minutes=1))
        db.session.commit()
        ids = {"circle": circle.id, "lesson": lesson.id, "teacher": teacher.email, "student": student.email,
               "student_id": student.id}
        db.session.remove()
    return ids


def _sign_in(page, email):
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url("/login")


def _go_live_in_real_time(teacher, ids):
    """The teacher opens the broadcast page, turns real-time video on and goes live: Janus has the camera."""
    _sign_in(teacher, ids["teacher"])
    teacher.goto(f"/c/{ids['circle']}/live/{ids['lesson']}/broadcast")
    expect(teacher.locator("[data-live-room][data-room-ready]")).to_be_attached()
    mode = teacher.get_by_label("Real-time video: the class sees you in under a second, and students can come on stage")
    mode.check()
    expect(teacher.locator("[data-stage-host]")).to_have_attribute("data-mode", "realtime")
    go = teacher.locator("[data-go-live]")
    expect(go).to_be_enabled()  # the fake camera and microphone are open in the preview
    go.click()
    expect(teacher.locator("[data-broadcast-status]")).to_contain_text("You are live.")
    expect(teacher.locator("[data-stage-host]")).to_have_attribute("data-publishing", "1", timeout=WEBRTC_MS)
    expect(teacher.locator("[data-stage-status]")).to_have_text(
        "Real-time video is on: the class sees you in under a second.")


def _expose_peer_connections(page):
    """Test hooks: the element holding each page's WebRTC subscription answers with its RTCPeerConnection."""
    page.evaluate("""() => {
      const view = document.querySelector('[data-stage-view]');
      if (view) { view.__pc = () => view.stageView && view.stageView.watcher && view.stageView.watcher.peerConnection(); }
      const host = document.querySelector('[data-stage-host]');
      if (host) { host.__pc = () => host.stageHost && host.stageHost.pub && host.stageHost.pub.watcher
                                     && host.stageHost.pub.watcher.peerConnection(); }
    }""")


def test_a_student_watches_in_real_time_comes_on_stage_and_the_teacher_receives_them(stage_server, browsers, screenshots):
    ids = _setup(stage_server)
    teacher = browsers()
    with screenshots.on_failure(teacher, "teacher-goes-live"):
        _go_live_in_real_time(teacher, ids)

    student = browsers()
    with screenshots.on_failure(student, "student-watches"):
        _sign_in(student, ids["student"])
        student.goto(f"/c/{ids['circle']}/live/{ids['lesson']}")
        view = student.locator("[data-stage-view]")
        expect(view).to_have_attribute("data-source", "webrtc", timeout=WEBRTC_MS)
        expect(view).to_have_attribute("data-playing", "1")
        _expose_peer_connections(student)
        student.wait_for_function(FROM_PEER_CONNECTION, arg=["[data-rtc-main]", "[data-stage-view]"], timeout=WEBRTC_MS)
        # the HLS player stepped aside: held, nothing loaded, its video hidden
        player = student.locator("[data-live-player]")
        expect(player).to_have_attribute("data-held", "1")
        assert player.get_attribute("data-source") is None
        expect(student.locator("[data-live-video]")).to_be_hidden()
        expect(student.locator("[data-rtc-main]")).to_be_visible()

    with screenshots.on_failure(student, "student-raises-hand"):
        student.get_by_role("tab", name="Hands").click()
        student.locator("[data-hand]").click()
        expect(student.locator("[data-hand]")).to_have_attribute("aria-pressed", "true")

    with screenshots.on_failure(teacher, "teacher-invites"):
        teacher.get_by_role("tab", name="Hands").click()
        hand = teacher.locator('[data-list="hands"] .live-hand')
        expect(hand).to_have_count(1)
        hand.get_by_role("button", name="Invite Lei on stage").click()
        expect(teacher.locator("[data-stage-invited] [data-user-id]")).to_have_count(1)

    with screenshots.on_failure(student, "student-checks-devices-and-accepts"):
        dialog = student.get_by_role("dialog", name="The teacher invites you on stage")
        expect(dialog).to_be_visible()
        expect(dialog.locator("[data-check-preview]")).to_be_visible()
        expect(student.locator("[data-stage-invite]")).to_have_attribute("data-check-ready", "")
        student.wait_for_function(
            "() => document.querySelector('[data-check-preview]').videoWidth > 0")  # the camera preview plays
        expect(dialog.get_by_label("Camera:")).to_be_visible()
        expect(dialog.get_by_label("Microphone:")).to_be_visible()
        dialog.get_by_role("button", name="Join the stage").click()
        expect(dialog).to_be_hidden()
        expect(student.locator("[data-stage-view]")).to_have_attribute("data-publishing", "", timeout=WEBRTC_MS)
        expect(student.locator("[data-stage-me]")).to_contain_text("You are on stage")
        expect(student.get_by_role("button", name="Leave the stage")).to_be_focused()
        expect(student.locator(f'[data-stage-tiles] [data-tile="{ids["student_id"]}"]')).to_be_visible()

    with screenshots.on_failure(teacher, "teacher-receives-the-student"):
        tile = teacher.locator(f'[data-stage-tiles] [data-tile="{ids["student_id"]}"]')
        expect(tile).to_have_attribute("data-playing", "", timeout=WEBRTC_MS)
        expect(tile.locator(".member-name")).to_have_text("Lei")
        _expose_peer_connections(teacher)
        teacher.wait_for_function(FROM_PEER_CONNECTION,
                                  arg=[f'[data-stage-host] [data-tile="{ids["student_id"]}"] video', "[data-stage-host]"],
                                  timeout=WEBRTC_MS)
    with screenshots.on_failure(teacher, "teacher-mutes"):
        tile.get_by_role("button", name="Mute the microphone of Lei").click()
        expect(tile.locator("[data-tile-muted]")).to_be_visible()
        # silent here whatever the student's page sends (a reload publishes feeds Janus has not muted)
        assert tile.locator("video").evaluate("v => v.muted")
    with screenshots.on_failure(student, "student-is-muted"):
        expect(student.locator("[data-stage-muted]")).to_have_text("The teacher muted your microphone.")
        expect(student.locator("[data-stage-mic]")).to_be_disabled()
        student.wait_for_function("""() => { const v = document.querySelector('[data-stage-view]').stageView;
            return v.me && v.me.stream.getAudioTracks().every(t => !t.enabled); }""")

    with screenshots.on_failure(teacher, "teacher-takes-down"):
        tile.get_by_role("button", name="Take Lei off the stage").click()
        expect(tile).to_have_count(0)
    with screenshots.on_failure(student, "student-is-off"):
        expect(student.locator("[data-stage-told]")).to_have_text("The teacher took you off the stage.")
        expect(student.locator("[data-stage-me]")).to_be_hidden()
        expect(student.locator("[data-stage-view]")).not_to_have_attribute("data-publishing", "")
        # still watching the teacher in real time
        expect(student.locator("[data-stage-view]")).to_have_attribute("data-source", "webrtc")
    assert teacher.errors == [] and student.errors == []


def test_a_student_whose_network_blocks_webrtc_watches_over_hls(stage_server, browsers, screenshots):
    ids = _setup(stage_server)
    teacher = browsers()
    with screenshots.on_failure(teacher, "teacher-goes-live"):
        _go_live_in_real_time(teacher, ids)
        teacher.wait_for_function("() => Number(document.querySelector('[data-broadcast]').dataset.sent || 0) >= 3",
                                  timeout=WEBRTC_MS)  # the HLS fallback has its first pieces

    student = browsers(block_webrtc=True)
    with screenshots.on_failure(student, "student-falls-back"):
        _sign_in(student, ids["student"])
        student.goto(f"/c/{ids['circle']}/live/{ids['lesson']}")
        view = student.locator("[data-stage-view]")
        expect(view).to_have_attribute("data-source", "hls", timeout=WEBRTC_MS)
        expect(view).to_have_attribute("data-fallback", re.compile(r"^(timeout|ice)$"))  # ICE never connected
        expect(student.locator("[data-rtc-note]")).to_have_text(
            "Real-time video could not connect on this network, so the lesson plays a few seconds behind.")
        player = student.locator("[data-live-player]")
        expect(player).to_have_attribute("data-source", "hls.js")
        expect(player).to_have_attribute("data-playing", "1", timeout=WEBRTC_MS)
        assert player.get_attribute("data-held") is None
        expect(student.locator("[data-rtc-box]")).to_be_hidden()
        student.wait_for_function(
            "() => { const v = document.querySelector('[data-live-video]'); return v && v.currentTime > 0.5; }")
    assert teacher.errors == [] and student.errors == []


def test_taking_turns_shows_the_time_left_and_the_stage_fits_a_phone(stage_server, browsers, screenshots):
    """Take turns with 2 minutes each: the student with a raised hand is invited for their turn, and once on stage the
    time left counts down on their page and on the teacher's; the student's page fits a 390 px phone (no sideways
    scrolling, 44 px buttons)."""
    ids = _setup(stage_server)
    teacher = browsers()
    with screenshots.on_failure(teacher, "teacher-goes-live"):
        _go_live_in_real_time(teacher, ids)

    student = browsers(viewport={"width": 390, "height": 844})
    with screenshots.on_failure(student, "student-watches-and-raises-hand"):
        _sign_in(student, ids["student"])
        student.goto(f"/c/{ids['circle']}/live/{ids['lesson']}")
        expect(student.locator("[data-stage-view]")).to_have_attribute("data-source", "webrtc", timeout=WEBRTC_MS)
        student.get_by_role("tab", name="Hands").click()
        student.locator("[data-hand]").click()
        expect(student.locator("[data-hand]")).to_have_attribute("aria-pressed", "true")

    with screenshots.on_failure(teacher, "teacher-starts-turns"):
        teacher.get_by_role("tab", name="Hands").click()
        expect(teacher.locator('[data-list="hands"] .live-hand')).to_have_count(1)
        teacher.get_by_label("Time each:").select_option("120")
        teacher.get_by_role("button", name="Start taking turns").click()
        expect(teacher.get_by_role("button", name="Stop taking turns")).to_be_visible()

    with screenshots.on_failure(student, "student-takes-the-turn"):
        dialog = student.get_by_role("dialog", name="The teacher invites you on stage")
        expect(dialog).to_be_visible()
        expect(dialog.locator("[data-invite-turn]")).to_have_text("It is your turn: 2 minutes on stage.")
        expect(dialog.locator("[data-invite-expires]")).to_have_text(re.compile(r"^Answer within 0:\d\d\.$"))
        join = dialog.get_by_role("button", name="Join the stage")
        expect(join).to_be_enabled()
        join.click()
        expect(student.locator("[data-stage-view]")).to_have_attribute("data-publishing", "", timeout=WEBRTC_MS)
        expect(student.locator("[data-stage-my-turn]")).to_have_text(re.compile(r"^Your turn ends in [0-2]:[0-5]\d\.$"))
        mine = student.locator(f'[data-stage-tiles] [data-tile="{ids["student_id"]}"]')
        expect(mine.locator("[data-tile-turn]")).to_have_text(re.compile(r"^[0-2]:[0-5]\d left$"))

    with screenshots.on_failure(teacher, "teacher-sees-the-countdown"):
        tile = teacher.locator(f'[data-stage-tiles] [data-tile="{ids["student_id"]}"]')
        expect(tile.locator("[data-tile-turn]")).to_have_text(re.compile(r"^[0-2]:[0-5]\d left$"))
        expect(teacher.locator("[data-turns-line]")).to_contain_text(re.compile(r"Lei has [0-2]:[0-5]\d left\."))
        expect(teacher.locator("[data-turns-line]")).not_to_contain_text("more wait")  # nobody else waits: not "0 more"
        first = tile.locator("[data-tile-turn]").inner_text()
        expect(tile.locator("[data-tile-turn]")).not_to_have_text(first)  # it ticks

    with screenshots.on_failure(student, "phone-fits"):
        assert student.evaluate("() => document.documentElement.scrollWidth") <= 390
        for name in ("Leave the stage", "Mute my microphone"):
            box = student.get_by_role("button", name=name).bounding_box()
            assert box["height"] >= 44 and box["x"] >= 0 and box["x"] + box["width"] <= 390, (name, box)
        box = student.locator(f'[data-stage-tiles] [data-tile="{ids["student_id"]}"]').bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
        screenshots.take(student, "phone-on-stage")

    with screenshots.on_failure(teacher, "teacher-stops-turns"):
        teacher.get_by_role("button", name="Stop taking turns").click()
        expect(teacher.get_by_role("button", name="Start taking turns")).to_be_visible()
        expect(teacher.locator("[data-turns-line]")).to_be_hidden()
    with screenshots.on_failure(student, "student-leaves"):
        student.get_by_role("button", name="Leave the stage").click()
        expect(student.locator("[data-stage-told]")).to_have_text("You left the stage.")
        expect(student.locator("[data-stage-me]")).to_be_hidden()
    with screenshots.on_failure(teacher, "teacher-sees-the-stage-empty"):
        expect(teacher.locator("[data-stage-tiles] [data-tile]")).to_have_count(0)
        expect(teacher.locator("[data-stage-empty]")).to_be_visible()
    assert teacher.errors == [] and student.errors == []


#: What the teacher's page records now (its MediaRecorder's tracks), as
#: {tiles, canvas, mix, camera, microphone, fps, drawMs}: tiles drawn on the canvas that is sent (a canvas
#: capture track's own canvas), whether the sound sent is the stage's mix, or the camera and microphone
#: themselves.
RECORDED = """() => {
  const b = document.querySelector('[data-broadcast]').broadcast;
  const stream = b.recorder && b.recorder.stream;
  if (!stream) { return null; }
  const video = stream.getVideoTracks()[0], audio = stream.getAudioTracks()[0];
  const canvas = video && video.canvas;
  return { tiles: canvas ? Number(canvas.dataset.composedTiles || 0) : null, canvas: !!canvas,
           mix: !!b.mixer && audio === b.mixer.track,
           camera: !!b.picture && video === b.picture.video,
           microphone: !!b.picture && audio === b.picture.user.getAudioTracks()[0],
           fps: canvas ? Number(canvas.dataset.fps || 0) : null, drawMs: canvas ? Number(canvas.dataset.drawMs || 0) : null };
}"""

#: Is the one tile of the sent canvas a picture (not the grey of a tile waiting for its video, not black)? With one
#: person on stage the tile is the right quarter's middle cell (stageLayout in broadcast.js: 320×180 at x 960,
#: y 270 of 1280×720, its name on a band along its bottom 31 px); its pixels above the band are read back.
TILE_IS_A_PICTURE = """() => {
  const b = document.querySelector('[data-broadcast]').broadcast;
  const video = b.recorder && b.recorder.stream.getVideoTracks()[0];
  const canvas = video && video.canvas;
  if (!canvas || canvas.dataset.composedTiles !== "1") { return false; }
  const px = canvas.getContext("2d").getImageData(970, 280, 300, 120).data;
  let low = 765, high = 0, grey = 0;
  for (let i = 0; i < px.length; i += 4) {
    const sum = px[i] + px[i + 1] + px[i + 2];
    low = Math.min(low, sum);
    high = Math.max(high, sum);
    if (px[i] === 51 && px[i + 1] === 51 && px[i + 2] === 51) { grey += 1; }
  }
  return high - low > 60 && grey < px.length / 8;
}"""


def test_the_recording_shows_the_students_on_stage_while_they_are_on_it(stage_server, browsers, screenshots):
    """While a student is on the real-time stage, does what the teacher's page records (the HLS fallback and the
    replay) become the composed view, the teacher's camera with the student's camera as a tile, and the teacher's
    microphone mixed with the student's sound; does the server go on making segments of it; and once the student
    leaves, does the page record the camera and the microphone alone again?"""
    from lms.extensions import db
    from lms.live.models import LiveLesson
    from tests.browser.test_live_broadcast import _segments, _wait_for

    ids = _setup(stage_server)
    with stage_server.app.app_context():
        folder = Path(stage_server.app.config["LIVE_DIR"]) / db.session.get(LiveLesson, ids["lesson"]).stream_path
        db.session.remove()
    teacher = browsers()
    with screenshots.on_failure(teacher, "teacher-goes-live"):
        _go_live_in_real_time(teacher, ids)
        teacher.wait_for_function("() => Number(document.querySelector('[data-broadcast]').dataset.sent || 0) >= 3",
                                  timeout=WEBRTC_MS)
        alone = teacher.evaluate(RECORDED)
        assert alone["camera"] and alone["microphone"] and not alone["canvas"], alone
        expect(teacher.locator("[data-preview]")).to_have_attribute("data-composed-tiles", "0")
        expect(teacher.locator("[data-broadcast]")).to_have_attribute("data-outgoing-audio", "microphone")

    student = browsers()
    with screenshots.on_failure(student, "student-comes-on-stage"):
        _sign_in(student, ids["student"])
        student.goto(f"/c/{ids['circle']}/live/{ids['lesson']}")
        expect(student.locator("[data-stage-view]")).to_have_attribute("data-source", "webrtc", timeout=WEBRTC_MS)
        student.get_by_role("tab", name="Hands").click()
        student.locator("[data-hand]").click()
        expect(student.locator("[data-hand]")).to_have_attribute("aria-pressed", "true")
    with screenshots.on_failure(teacher, "teacher-invites"):
        teacher.get_by_role("tab", name="Hands").click()
        teacher.locator('[data-list="hands"] .live-hand').get_by_role("button", name="Invite Lei on stage").click()
    with screenshots.on_failure(student, "student-joins"):
        dialog = student.get_by_role("dialog", name="The teacher invites you on stage")
        expect(student.locator("[data-stage-invite]")).to_have_attribute("data-check-ready", "")
        dialog.get_by_role("button", name="Join the stage").click()
        expect(student.locator("[data-stage-view]")).to_have_attribute("data-publishing", "", timeout=WEBRTC_MS)

    with screenshots.on_failure(teacher, "teacher-records-the-stage"):
        tile = teacher.locator(f'[data-stage-tiles] [data-tile="{ids["student_id"]}"]')
        expect(tile).to_have_attribute("data-playing", "", timeout=WEBRTC_MS)
        expect(teacher.locator("[data-preview]")).to_have_attribute("data-composed-tiles", "1")
        expect(teacher.locator("[data-broadcast]")).to_have_attribute("data-outgoing-audio", "mix")
        expect(teacher.locator("[data-broadcast-composed]")).to_have_text(
            "The recording and the video of students who cannot watch in real time show you with 1 student on stage.")
        # the microphone and the student's sound in the mix (the student's track arrives with their video)
        expect(teacher.locator("[data-broadcast]")).to_have_attribute("data-mix-sources", "2", timeout=WEBRTC_MS)
        teacher.wait_for_function(TILE_IS_A_PICTURE, timeout=WEBRTC_MS)
        composed = teacher.evaluate(RECORDED)
        assert composed["tiles"] == 1 and composed["mix"] and not composed["camera"], composed
        screenshots.take(teacher, "teacher-with-the-student-on-stage")
    with screenshots.on_failure(teacher, "teacher-mutes-the-student-in-the-recording"):
        tile.get_by_role("button", name="Mute the microphone of Lei").click()
        # the student's sound leaves the mix (only the microphone's source stays), and comes back with the sound on
        expect(teacher.locator("[data-broadcast]")).to_have_attribute("data-mix-sources", "1")
        tile.get_by_role("button", name="Turn the microphone of Lei on").click()
        expect(teacher.locator("[data-broadcast]")).to_have_attribute("data-mix-sources", "2")
        assert not tile.locator("video").evaluate("v => v.muted")
        # and the student's own microphone is on again (it stayed off: the teacher heard nothing)
        expect(student.locator("[data-stage-mic]")).to_have_attribute("aria-pressed", "false")
        expect(student.locator("[data-stage-muted]")).to_be_hidden()
    # the server makes segments of the composed recording (a new WebM stream began with it)
    made = len(_segments(folder))
    _wait_for(lambda: len(_segments(folder)) >= made + 2, timeout=WEBRTC_MS / 1000)

    with screenshots.on_failure(student, "student-leaves"):
        # a publishing and watching chromium on a busy two-core machine can take seconds to take a click
        student.get_by_role("button", name="Leave the stage").click(timeout=WEBRTC_MS)
        expect(student.locator("[data-stage-told]")).to_have_text("You left the stage.")
    with screenshots.on_failure(teacher, "teacher-alone-again"):
        expect(teacher.locator("[data-stage-tiles] [data-tile]")).to_have_count(0)
        expect(teacher.locator("[data-preview]")).to_have_attribute("data-composed-tiles", "0")
        expect(teacher.locator("[data-broadcast]")).to_have_attribute("data-outgoing-audio", "microphone")
        expect(teacher.locator("[data-broadcast-composed]")).to_be_hidden()
        teacher.wait_for_function("""() => { const b = document.querySelector('[data-broadcast]').broadcast;
            const s = b.recorder && b.recorder.stream; if (!s) { return false; }
            return s.getVideoTracks()[0] === b.picture.video && !s.getVideoTracks()[0].canvas
              && s.getAudioTracks()[0] === b.picture.user.getAudioTracks()[0] && !b.mixer && !b.stageCompositor; }""")
    assert teacher.errors == [] and student.errors == []
