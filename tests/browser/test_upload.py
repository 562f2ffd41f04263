"""Uploading a video in a real browser: progress, live processing state, playback, refusals, resuming."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from lms.jobs import Queue
from tests.browser.conftest import PASSWORD, make_clip

pytestmark = pytest.mark.browser

NOT_A_VIDEO = "This file is not a video."
PROCESSING_MS = 60_000  # probe, full decode and transcode of a 3-second clip on a slow CI machine


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """A real 3-second 320×240 H.264/AAC MP4 made by ffmpeg."""
    return make_clip(tmp_path_factory.mktemp("clips"), "dance-practice.mp4", 3)


def sign_up(live_server, new_context, who: str = "student"):
    """A new person, registered and signed in, on the My uploads page with its socket connected."""
    page = new_context().new_page()
    page.errors = []  # script errors and console errors (a CSP violation is one)
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on("response", lambda r: page.errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.on("console", lambda message: page.errors.append(f"{message.text} {message.location.get('url')}")
            if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico") else None)
    page.goto("/register")
    email = live_server.unique_email(who)
    page.get_by_label("Your name").fill("Chen Jing")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your mail")
    page.goto(live_server.confirmation_path(email))  # the link mailed to finish the registration
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Create my account").click()
    expect(page.locator(".flash-success")).to_contain_text("Your account is ready.")
    open_library(page)
    return page


def open_library(page):
    page.goto("/media/")
    expect(page.get_by_role("heading", level=1)).to_have_text("My uploads")
    page.wait_for_function("() => window.Circles && Circles.socket && Circles.socket.connected()")
    # Record what the page hears, to tell pushed states from polled ones.
    page.evaluate("""() => {
        window.heard = {pushed: [], states: [], progress: []};
        document.addEventListener('socket:media_state', e => heard.pushed.push(e.detail.state));
        document.addEventListener('upload:state', e => heard.states.push(e.detail.state));
        document.addEventListener('upload:progress', e => heard.progress.push(e.detail.loaded));
    }""")


def requests_to(page, method: str, pattern: str) -> list[str]:
    """Start collecting the URLs of `method` requests matching `pattern`; returns the live list."""
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url) if r.method == method and re.search(pattern, r.url) else None)
    return seen


def test_a_video_uploads_processes_live_and_plays(live_server, new_context, screenshots, clip):
    """Does a chosen video show its upload reaching 100 %, its processing state arriving by push
    until "Ready.", then play in the page, and is it listed (playable) after a reload?"""
    page = sign_up(live_server, new_context)
    uploader = page.locator("[data-uploader]")
    item = uploader.locator(".upload-item")
    with screenshots.on_failure(page, "upload"):
        uploader.get_by_label("Choose a video to upload").set_input_files(clip)
        expect(item.locator(".upload-name")).to_have_text("dance-practice.mp4")
        expect(item.locator(".upload-bar")).to_have_js_property("value", 100)
        expect(item.locator(".upload-percent")).to_have_text("100%")
        media_id = item.locator("input[type=hidden][name=media_id]").input_value()
        assert media_id.isdigit()

    with screenshots.on_failure(page, "processing"):
        expect(item.locator(".upload-state")).to_have_text("Ready.", timeout=PROCESSING_MS)
        expect(item.locator("[data-upload-cancel]")).to_be_hidden()
        heard = page.evaluate("heard")
        assert heard["progress"][-1] == clip.stat().st_size
        assert heard["states"][0] == "uploading" and heard["states"][-1] == "ready", heard
        assert "ready" in heard["pushed"], f"the ready state was polled, never pushed: {heard}"
        screenshots.take(page, "uploaded-and-ready")

    with screenshots.on_failure(page, "playback"):
        video = item.locator(".upload-preview video")
        expect(video).to_have_count(1)
        video.focus()
        page.keyboard.press("k")  # the player's play/pause key (a real key press lets it play)
        page.wait_for_function("v => v.readyState >= 2 && v.currentTime > 0.5", arg=video.element_handle())
        assert video.evaluate("v => v.videoWidth") == 320
        player = item.locator("[data-player]")
        now = player.evaluate("p => p.circlesPlayer.currentTime()")
        assert now > 0.5
        player.evaluate("p => p.circlesPlayer.seek(2, false)")
        page.wait_for_function("p => Math.abs(p.circlesPlayer.currentTime() - 2) < 0.3", arg=player.element_handle())

    with screenshots.on_failure(page, "library"):
        page.reload()
        card = page.locator(f".media-card[data-media-id='{media_id}']")
        expect(card).to_contain_text("dance-practice.mp4")
        expect(card.locator("video")).to_have_attribute("poster", re.compile(r"/m/"))
        card.locator("video").evaluate("v => { v.muted = true; return v.play(); }")
        page.wait_for_function("v => v.readyState >= 2 && v.currentTime > 0.3", arg=card.locator("video").element_handle())

    with screenshots.on_failure(page, "markers"):
        # What the homework pages do: markers on the timeline, and a comment's time link beside the
        # player in the same [data-player-scope].
        player = card.locator("[data-player]")
        player.evaluate("p => p.circlesPlayer.setMarkers([{at: 1, label: 'Arms'}, {at: 2.5, label: 'Turn'}])")
        marker = card.get_by_role("button", name="Jump to 0:02: Turn")
        expect(marker).to_be_visible()
        marker.click()
        page.wait_for_function("p => Math.abs(p.circlesPlayer.currentTime() - 2.5) < 0.4", arg=player.element_handle())
        card.evaluate("""c => {
            c.setAttribute('data-player-scope', '');
            const link = document.createElement('a');
            link.href = '#'; link.dataset.seek = '1'; link.textContent = '0:01';
            c.appendChild(link);
        }""")
        card.get_by_role("link", name="0:01").click()
        page.wait_for_function("p => Math.abs(p.circlesPlayer.currentTime() - 1) < 0.4", arg=player.element_handle())
        assert "#" not in page.url
        assert page.errors == []


def test_a_text_file_named_mp4_fails_with_the_reason(live_server, new_context, screenshots, tmp_path):
    """Does a text file renamed .mp4 upload, then end "failed" with the not-a-video sentence, live?"""
    fake = tmp_path / "homework.mp4"
    fake.write_text("These are my notes, not a video.\n" * 200)
    page = sign_up(live_server, new_context)
    item = page.locator("[data-uploader] .upload-item")
    with screenshots.on_failure(page, "fake-video"):
        page.get_by_label("Choose a video to upload").set_input_files(fake)
        expect(item.locator(".upload-state")).to_contain_text(NOT_A_VIDEO, timeout=PROCESSING_MS)
        expect(item.locator(".upload-state")).to_have_class(re.compile(r"\berror\b"))
        expect(item.locator("video")).to_have_count(0)
        assert page.evaluate("heard.states.at(-1)") == "failed"
        page.reload()
        expect(page.locator(".media-card", has_text="homework.mp4")).to_contain_text(NOT_A_VIDEO)


def test_a_file_chosen_before_the_widget_script_ran_is_sent(live_server, new_context, screenshots, clip):
    """On a slow network a person may choose a file before the upload widget's script has run: is it sent once the
    script runs? It was left unsent (the script listened only for later choices), and the form went without it
    (CI: the peer-review example never uploaded)."""
    page = sign_up(live_server, new_context)
    held = {"first": True}

    def hold_back_once(route):  # the page's own copy of the script arrives empty; the later one is the real one
        if held.pop("first", False):
            route.fulfill(status=200, content_type="text/javascript", body="")
        else:
            route.continue_()

    page.route(re.compile(r"/static/js/uploads/uploader\.js"), hold_back_once)
    with screenshots.on_failure(page, "early-choice"):
        page.goto("/media/")
        expect(page.locator("[data-uploader].is-enhanced")).to_have_count(0)
        page.get_by_label("Choose a video to upload").set_input_files(clip)
        page.add_script_tag(url="/static/js/uploads/uploader.js?late")
        item = page.locator("[data-uploader] .upload-item")
        expect(item).to_have_attribute("data-state", "ready", timeout=PROCESSING_MS)


def test_a_file_over_the_limit_is_refused_before_sending(live_server, new_context, screenshots, clip):
    """Is a file larger than the page's limit refused in the browser, with the limit, sending nothing?"""
    page = sign_up(live_server, new_context)
    created = requests_to(page, "POST", r"/uploads$")
    page.locator("[data-uploader]").evaluate("root => root.dataset.maxBytes = '10240'")  # a 10 KB limit
    item = page.locator("[data-uploader] .upload-item")
    with screenshots.on_failure(page, "too-big"):
        page.get_by_label("Choose a video to upload").set_input_files(clip)
        expect(item.locator(".upload-state")).to_contain_text("more than the limit of 10 KB")
        expect(item.locator(".upload-state")).to_contain_text("dance-practice.mp4")
        expect(item.locator("input[type=hidden]")).to_have_count(0)
        assert created == []


def test_a_file_just_over_the_limit_reads_apart_from_it_with_advice_for_its_kind(live_server, new_context, screenshots,
                                                                                   tmp_path):
    """A 10,300-byte .bin against a 10 KB (10,240-byte) limit in a file widget: do the sizes differ on screen
    ("10.1 KB", not "10 KB is more than 10 KB"), and is the advice for any file, not about a video?"""
    big = tmp_path / "data.bin"
    big.write_bytes(b"\0" * 10_300)
    page = sign_up(live_server, new_context)
    page.locator("[data-uploader]").evaluate("root => { root.dataset.maxBytes = '10240'; root.dataset.kind = 'file'; }")
    item = page.locator("[data-uploader] .upload-item")
    with screenshots.on_failure(page, "just-over"):
        page.locator("[data-uploader] input[type=file]").set_input_files(big)
        state = item.locator(".upload-state")
        expect(state).to_contain_text("“data.bin” is 10.1 KB, more than the limit of 10 KB. Choose a smaller file.")
        expect(state).not_to_contain_text("video")


@pytest.fixture
def small_chunks(live_server):
    """The server asks for 32 KB chunks, so a small clip takes several PATCH requests."""
    config = live_server.app.config
    saved = config["UPLOAD_CHUNK_BYTES"]
    config["UPLOAD_CHUNK_BYTES"] = 32 * 1024
    yield
    config["UPLOAD_CHUNK_BYTES"] = saved


def test_a_dropped_connection_is_retried_and_a_reload_resumes(live_server, new_context, screenshots, clip,
                                                             small_chunks):
    """When a chunk fails on the network the uploader retries by itself; when the page is reloaded
    halfway, choosing the same file again continues the same upload from the server's offset."""
    assert clip.stat().st_size > 3 * 32 * 1024, "the clip must take several chunks"
    page = sign_up(live_server, new_context)
    created = requests_to(page, "POST", r"/uploads$")
    patches = {"count": 0}

    def flaky(route):
        # The 2nd PATCH fails on the network; from the 4th on, nothing gets through (the "reload").
        if route.request.method == "PATCH":
            patches["count"] += 1
            if patches["count"] == 2 or patches["count"] >= 4:
                route.abort("connectionreset")
                return
        route.continue_()

    page.route(re.compile(r"/uploads/[\w-]+$"), flaky)
    item = page.locator("[data-uploader] .upload-item")
    with screenshots.on_failure(page, "retry"):
        page.get_by_label("Choose a video to upload").set_input_files(clip)
        expect(item.locator(".upload-state")).to_contain_text("The connection was interrupted")
        page.wait_for_function("() => heard.progress.length && Math.max(...heard.progress) >= 2 * 32768")
        media_id = item.locator("input[type=hidden]").input_value()
        offset_before = max(page.evaluate("heard.progress"))
        assert offset_before < clip.stat().st_size

    with screenshots.on_failure(page, "resume"):
        page.unroute(re.compile(r"/uploads/[\w-]+$"))
        page.on("dialog", lambda dialog: dialog.accept())  # "leave the page while uploading?"
        page.reload()
        open_library(page)
        offsets = requests_to(page, "HEAD", r"/uploads/[\w-]+$")
        page.get_by_label("Choose a video to upload").set_input_files(clip)
        expect(item.locator(".upload-state")).to_have_text("Ready.", timeout=PROCESSING_MS)
        assert item.locator("input[type=hidden]").input_value() == media_id
        assert len(created) == 1, "the reload must resume the same upload, not start another"
        assert offsets, "the server's offset was not asked for"
        progress = page.evaluate("heard.progress")
        assert progress[0] >= 2 * 32768, f"the resumed upload started from {progress[0]}, not the server's offset"


def test_cancel_stops_the_upload_and_empties_the_field(live_server, new_context, screenshots, clip, small_chunks):
    """Does Cancel stop sending, tell the server, and take the media id out of the form?"""
    page = sign_up(live_server, new_context)
    deleted = requests_to(page, "DELETE", r"/uploads/[\w-]+$")
    held = []

    def slow(route):
        if route.request.method == "PATCH" and len(held) >= 1:
            held.append(route)  # never answered until the test ends: the upload stays "in flight"
            return
        if route.request.method == "PATCH":
            held.append(None)
        route.continue_()

    page.route(re.compile(r"/uploads/[\w-]+$"), slow)
    item = page.locator("[data-uploader] .upload-item")
    with screenshots.on_failure(page, "cancel"):
        page.get_by_label("Choose a video to upload").set_input_files(clip)
        expect(item.locator("input[type=hidden]")).to_have_count(1)
        page.wait_for_function("() => heard.progress.length > 0")
        with page.expect_request(lambda r: r.method == "DELETE" and "/uploads/" in r.url):
            item.get_by_role("button", name="Cancel").click()
        expect(item.locator(".upload-state")).to_have_text("Upload cancelled.")
        expect(item.locator("input[type=hidden]")).to_have_count(0)
        assert len(deleted) == 1
    page.unroute(re.compile(r"/uploads/[\w-]+$"))


@pytest.fixture
def hls_for_short_videos(live_server):
    """Processing also cuts HLS for videos of a second or more (normally only long ones)."""
    config = live_server.app.config
    saved = config["MEDIA_HLS_MIN_SECONDS"]
    config["MEDIA_HLS_MIN_SECONDS"] = 1
    yield
    config["MEDIA_HLS_MIN_SECONDS"] = saved


# A browser without native HLS (Chrome before it had it, Firefox): hls.js must do the work.
NO_NATIVE_HLS = """
const canPlayType = HTMLMediaElement.prototype.canPlayType;
HTMLMediaElement.prototype.canPlayType = function (type) {
    return /mpegurl/i.test(type) ? "" : canPlayType.call(this, type);
};
"""


@pytest.mark.parametrize("native", [False, True], ids=["hls.js", "native"])
def test_a_video_with_hls_plays_through_hls(live_server, new_context, screenshots, clip, hls_for_short_videos,
                                            native):
    """Does a video that has an HLS rendition play from its playlist: through the vendored hls.js
    (loaded on demand, its worker allowed by the CSP) where the browser has Media Source Extensions,
    natively where it has none (Safari on an older iPhone)?"""
    from tests.browser.test_player import NO_MEDIA_SOURCE

    page = sign_up(live_server, new_context)
    page.context.add_init_script(NO_MEDIA_SOURCE if native else NO_NATIVE_HLS)
    with screenshots.on_failure(page, "hls-upload"):
        page.get_by_label("Choose a video to upload").set_input_files(clip)
        expect(page.locator(".upload-item .upload-state")).to_have_text("Ready.", timeout=PROCESSING_MS)
        media_id = page.locator(".upload-item input[type=hidden]").input_value()
        page.reload()
    card = page.locator(f".media-card[data-media-id='{media_id}']")
    video = card.locator("video")
    with screenshots.on_failure(page, "hls-play"):
        expect(video).to_have_attribute("data-hls", re.compile(r"/hls/index\.m3u8"))
        video.evaluate("v => { v.muted = true; return v.play(); }")
        page.wait_for_function("v => v.readyState >= 2 && v.currentTime > 0.5", arg=video.element_handle())
        uses_hlsjs = card.locator("[data-player]").evaluate("p => Boolean(p.hls) && Boolean(window.Hls)")
        assert uses_hlsjs is (not native)
        src = video.evaluate("v => v.currentSrc")
        assert src.startswith("blob:") if not native else "/hls/index.m3u8" in src
        assert page.errors == []


@pytest.fixture
def s3_live(live_server, s3_storage, monkeypatch):
    """The live server stores in a moto bucket (CORS for the live server's origin), 5 MB parts."""
    s3_storage.ensure_bucket([live_server.url])
    app = live_server.app
    monkeypatch.setitem(app.extensions, "lms_storage", s3_storage)
    monkeypatch.setitem(app.config, "STORAGE_BACKEND", "s3")  # the CSP lets pages reach the bucket
    monkeypatch.setitem(app.config, "S3_ENDPOINT_URL", s3_storage.client.meta.endpoint_url)
    monkeypatch.setitem(app.config, "S3_PART_BYTES", 5 * 1024**2)
    return s3_storage


def test_s3_mode_puts_parts_in_parallel_and_retries_one(live_server, new_context, screenshots, tmp_path, s3_live):
    """With S3 storage, does the browser PUT the parts straight to the bucket, several at a time,
    send a part again after a network failure, complete, and end with the file in the bucket?"""
    data = bytes(range(256)) * (4096 * 12 + 100)  # 12.6 MB: three parts of 5 MB
    path = tmp_path / "lecture-notes.pdf"
    path.write_bytes(data)
    page = sign_up(live_server, new_context)
    page.locator("[data-uploader]").evaluate("root => root.dataset.kind = 'file'")  # no processing needed
    puts: list[int] = []
    failed_once = set()

    def bucket(route):
        number = int(re.search(r"partNumber=(\d+)", route.request.url).group(1))
        if route.request.method == "PUT":
            puts.append(number)
            if number == 2 and number not in failed_once:
                failed_once.add(number)
                route.abort("connectionreset")
                return
        route.continue_()

    page.route(re.compile(r"partNumber="), bucket)
    flight = {"now": 0, "most": 0}

    def put_started(request):
        if request.method == "PUT":
            flight["now"] += 1
            flight["most"] = max(flight["most"], flight["now"])

    def put_ended(request):
        if request.method == "PUT":
            flight["now"] -= 1

    page.on("request", put_started)
    page.on("requestfinished", put_ended)
    page.on("requestfailed", put_ended)
    item = page.locator("[data-uploader] .upload-item")
    with screenshots.on_failure(page, "s3"):
        page.get_by_label("Choose a video to upload").set_input_files(path)
        expect(item.locator(".upload-percent")).to_have_text("100%", timeout=30_000)
        expect(item.locator(".upload-state")).to_have_text("Ready.", timeout=PROCESSING_MS)
        assert sorted(puts) == [1, 2, 2, 3], puts
        assert flight["most"] >= 2, "the parts were sent one at a time"
        assert [e for e in page.errors if "ERR_CONNECTION_RESET" not in e] == []  # only the one we caused
    media_id = int(item.locator("input[type=hidden]").input_value())
    with live_server.app.app_context():
        from lms.extensions import db
        from lms.uploads.models import Media

        media = db.session.get(Media, media_id)
        with s3_live.open(media.original_key) as f:
            assert f.read() == data


def test_a_slow_connection_shows_speed_and_time_left_and_survives_going_offline(
        live_server, new_context, screenshots, clip, small_chunks):
    """On a slow line, are the speed and the time left shown; when the browser goes offline, does
    the uploader say so, wait, and finish by itself once the connection is back?"""
    page = sign_up(live_server, new_context)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": 20, "downloadThroughput": -1, "uploadThroughput": 48 * 1024})
    item = page.locator("[data-uploader] .upload-item")
    with screenshots.on_failure(page, "slow"):
        page.get_by_label("Choose a video to upload").set_input_files(clip)
        expect(item.locator(".upload-speed")).to_have_text(re.compile(r"^\d+(\.\d)? KB/s$"))
        expect(item.locator(".upload-left")).to_have_text(re.compile(r"^(\d+ minutes?)? ?(\d+ seconds?)? left$"))
        screenshots.take(page, "slow-upload")

    with screenshots.on_failure(page, "offline"):
        expect(item.locator(".upload-state")).to_have_text("Uploading…")
        # Playwright's set_offline would be overridden by this session's throttling: go offline here.
        cdp.send("Network.emulateNetworkConditions", {
            "offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
        expect(item.locator(".upload-state")).to_have_text(
            "You are offline. The upload will continue by itself when the connection is back.")
        assert page.evaluate("navigator.onLine") is False
        # Still waiting, not failed: the line has not changed while offline.
        expect(item.locator(".upload-state")).not_to_have_class(re.compile(r"\berror\b"))
        cdp.send("Network.emulateNetworkConditions", {
            "offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
        expect(item.locator(".upload-state")).to_have_text("Ready.", timeout=PROCESSING_MS)
        expect(item.locator(".upload-percent")).to_have_text("100%")


def test_an_offset_conflict_resumes_from_the_servers_offset(live_server, new_context, screenshots, clip, small_chunks):
    """When the server answers a PATCH with 409 (tus: the offset is not where its bytes end), does
    the uploader ask the server's offset (HEAD) and continue from there, finishing with the file
    intact (the server checks the length and the video decodes)?"""
    page = sign_up(live_server, new_context)
    conflicts = {"sent": 0}

    def conflict_once(route):
        if route.request.method == "PATCH" and route.request.headers.get("upload-offset") == str(2 * 32768) \
                and not conflicts["sent"]:
            conflicts["sent"] += 1  # as if another request had written meanwhile
            route.fulfill(status=409, content_type="application/json",
                          body='{"error": {"code": 409, "message": "Wrong offset."}, "offset": 32768}')
            return
        route.continue_()

    sent: list[str] = []
    page.on("request", lambda r: sent.append(f"{r.method} {r.headers.get('upload-offset', '')}".strip())
            if r.method in ("PATCH", "HEAD") else None)
    page.route(re.compile(r"/uploads/[\w-]+$"), conflict_once)
    item = page.locator("[data-uploader] .upload-item")
    with screenshots.on_failure(page, "conflict"):
        page.get_by_label("Choose a video to upload").set_input_files(clip)
        expect(item.locator(".upload-state")).to_have_text("Ready.", timeout=PROCESSING_MS)
        assert conflicts["sent"] == 1
        # HEAD, 0, 32768, 65536 (409) → HEAD (the server has 65536) → 65536, ...
        assert sent[:6] == ["HEAD", "PATCH 0", "PATCH 32768", "PATCH 65536", "HEAD", "PATCH 65536"], sent


class HeldJobs:
    """A job backend that keeps media jobs (a worker that has not started yet) until the test runs
    them; every other job (the sign-up mail) goes to the app's own backend as usual."""

    def __init__(self, backend):
        self.backend = backend
        self.jobs: list[tuple[str, tuple]] = []

    def enqueue(self, path: str, args: tuple, queue: str = "default", **options) -> None:
        if queue == Queue.media:
            self.jobs.append((path, args))
        else:
            self.backend.enqueue(path, args, queue=queue, **options)


@pytest.fixture
def held_jobs(live_server, monkeypatch):
    held = HeldJobs(live_server.app.extensions["lms_jobs"])
    monkeypatch.setitem(live_server.app.extensions, "lms_jobs", held)
    return held


def test_a_video_still_waiting_on_the_page_becomes_a_player_when_ready(live_server, new_context, screenshots,
                                                                      clip, held_jobs):
    """When the worker has not started yet, do the uploader and the library card say so, and does the
    card turn into a playable video by itself when processing finishes?"""
    from lms.jobs.backends import run_task

    page = sign_up(live_server, new_context)
    item = page.locator("[data-uploader] .upload-item")
    with screenshots.on_failure(page, "waiting"):
        page.get_by_label("Choose a video to upload").set_input_files(clip)
        expect(item.locator(".upload-state")).to_have_text("Uploaded. Waiting for its turn to be processed…")
        media_id = item.locator("input[type=hidden]").input_value()
        open_library(page)
        card = page.locator(f".media-card[data-media-id='{media_id}']")
        expect(card.locator("[data-state-line]")).to_have_text("Uploaded. Waiting for its turn to be processed…")
        expect(card.locator("video")).to_have_count(0)

    with screenshots.on_failure(page, "becomes-ready"):
        assert held_jobs.jobs, "the upload queued no processing job"
        for path, args in held_jobs.jobs:
            run_task(live_server.app, path, args)
        video = card.locator("video")
        expect(video).to_have_count(1)
        expect(card.locator("[data-state-line]")).to_have_count(0)
        video.evaluate("v => { v.muted = true; return v.play(); }")
        page.wait_for_function("v => v.readyState >= 2 && v.currentTime > 0.3", arg=video.element_handle())
        assert "ready" in page.evaluate("heard.pushed")
        assert page.errors == []


# -- homework: a draft that survives leaving, a connection that is cut and throttled, a closed window --

@pytest.fixture(scope="module")
def heavy_clip(tmp_path_factory):
    """A real 6-second 320×240 MP4 of about 1.3 MB (lossless H.264): several chunks on a slow link."""
    import subprocess

    path = tmp_path_factory.mktemp("clips") / "scales-take-2.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=6",
                    "-f", "lavfi", "-i", "sine=frequency=440:duration=6", "-shortest", "-c:v", "libx264",
                    "-qp", "0", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", str(path)],
                   check=True, timeout=60)
    return path


def _assignment_for_a_student(live_server, **fields) -> dict:
    """A circle with its teacher and one student, and a published video assignment (due tomorrow
    unless `fields` say otherwise), in the live app."""
    import uuid

    from lms.accounts import operations as account_ops
    from lms.circles import operations as circle_ops
    from lms.circles.models import Role
    from lms.core.types import utcnow
    from lms.extensions import db
    from lms.homework import operations as hw_ops

    tag = uuid.uuid4().hex[:8]
    fields.setdefault("due_at", utcnow() + timedelta(days=1))
    with live_server.app.app_context():
        teacher = account_ops.register_user(f"t-{tag}@example.org", PASSWORD, "Teacher Li")
        student = account_ops.register_user(f"s-{tag}@example.org", PASSWORD, "Chen Jing")
        circle = circle_ops.create_circle(teacher, f"Violin {tag}", owner_display_name="Ms Li")
        circle_ops.add_member(circle, student, Role.student, display_name="Jing")
        assignment = hw_ops.create_assignment(circle, teacher, publish=True, title="G major scale", **fields)
        db.session.commit()
        found = {"student": student.email, "assignment_id": assignment.id,
                 "url": f"/circles/{circle.id}/assignments/{assignment.id}"}
        db.session.remove()
    return found


def _sign_in(new_context, email: str):
    page = new_context().new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on("console", lambda m: page.errors.append(f"{m.text} {m.location.get('url')}")
            if m.type == "error" and not m.location.get("url", "").endswith("/favicon.ico") else None)
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My circles")
    return page


def _submissions(live_server, assignment_id: int) -> list[tuple[int, int | None]]:
    from lms.extensions import db
    from lms.homework.models import Submission

    with live_server.app.app_context():
        rows = [(s.version, s.media_id) for s in db.session.scalars(
            db.select(Submission).where(Submission.assignment_id == assignment_id))]
        db.session.remove()
    return rows


def test_an_upload_through_a_throttled_and_cut_connection_finishes_and_is_handed_in(
        live_server, new_context, screenshots, heavy_clip):
    """On a slow line (256 KB/s) whose requests stall and are cut, and that goes offline for a while,
    does the upload say it is waiting (no speed, no time left) while nothing moves, grow its chunks
    to the measured speed, finish, reach "Ready." and get handed in?"""
    setup = _assignment_for_a_student(live_server)
    page = _sign_in(new_context, setup["student"])
    page.goto(setup["url"])
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    slow = {"offline": False, "latency": 20, "downloadThroughput": -1, "uploadThroughput": 256 * 1024}
    cdp.send("Network.emulateNetworkConditions", slow)
    bodies: list[int] = []
    page.on("request", lambda r: bodies.append(len(r.post_data_buffer or b"")) if r.method == "PATCH" else None)
    held = []

    def stall_the_second(route):
        # The 2nd PATCH hangs (a socket that went quiet) until the test cuts it.
        if route.request.method == "PATCH" and len(bodies) == 2 and not held:
            held.append(route)
            return
        route.continue_()

    page.route(re.compile(r"/uploads/[\w-]+$"), stall_the_second)
    item = page.locator("[data-video-source] .upload-item")
    with screenshots.on_failure(page, "stalled"):
        page.get_by_label("Choose a video").set_input_files(heavy_clip)
        expect(item.locator(".upload-state")).to_have_text(  # a few seconds after the last byte moved
            "Waiting for the connection… Nothing sent so far is lost; the upload continues by itself.", timeout=20_000)
        expect(item.locator(".upload-speed")).to_have_text("")
        expect(item.locator(".upload-left")).to_have_text("")
        screenshots.take(page, "waiting-for-the-connection")
        held[0].abort("connectionreset")  # the cut
        expect(item.locator(".upload-state")).to_have_text("Uploading…")

    with screenshots.on_failure(page, "offline"):
        page.wait_for_function("() => Number(document.querySelector('[data-video-source] .upload-bar').value) >= 40")
        cdp.send("Network.emulateNetworkConditions", {**slow, "offline": True})
        expect(item.locator(".upload-state")).to_have_text(
            "You are offline. The upload will continue by itself when the connection is back.")
        cdp.send("Network.emulateNetworkConditions", slow)

    with screenshots.on_failure(page, "finished"):
        expect(item.locator(".upload-state")).to_have_text("Ready.", timeout=PROCESSING_MS)
        expect(item.locator(".upload-percent")).to_have_text("100%")
        assert bodies[0] == 256 * 1024, bodies
        assert max(bodies) >= 512 * 1024, f"the chunks never grew to the measured speed: {bodies}"
        page.get_by_role("button", name="Hand in").click()
        expect(page.locator(".flash-success")).to_contain_text("Handed in. The server received your work at")
        [(version, handed_media)] = _submissions(live_server, setup["assignment_id"])
        assert version == 1 and handed_media is not None
        assert [e for e in page.errors if "ERR_CONNECTION_RESET" not in e and "ERR_INTERNET_DISCONNECTED" not in e] == []
    page.unroute(re.compile(r"/uploads/[\w-]+$"))


def test_a_finished_upload_is_kept_when_the_student_leaves_and_is_handed_in_from_my_uploads(
        live_server, new_context, screenshots, clip):
    """The upload finished and the student left without pressing "Hand in": does the assignment page
    show the kept video when they come back, "My uploads" name the assignment and hand it in, and
    does "Discard" (on another run) take it off?"""
    setup = _assignment_for_a_student(live_server)
    page = _sign_in(new_context, setup["student"])
    page.goto(setup["url"])
    item = page.locator("[data-video-source] .upload-item")
    with screenshots.on_failure(page, "upload-and-leave"):
        page.get_by_label("Choose a video").set_input_files(clip)
        expect(item.locator(".upload-state")).to_have_text("Ready.", timeout=PROCESSING_MS)
        media_id = item.locator("input[type=hidden]").input_value()
        page.goto("/")  # leaves without handing in

    with screenshots.on_failure(page, "come-back"):
        page.goto(setup["url"])
        expect(page.locator("[data-draft]")).to_contain_text("Your video is kept here until you hand it in")
        kept = page.locator(f"[data-video-source] .upload-item[data-media-id='{media_id}']")
        expect(kept.locator(".upload-state")).to_have_text("Ready.")
        expect(kept.locator("video")).to_have_count(1)
        expect(page.locator("[data-submit-button]")).to_be_enabled()
        screenshots.take(page, "kept-video")

    with screenshots.on_failure(page, "library-hand-in"):
        page.goto("/media/")
        card = page.locator(f".media-card[data-media-id='{media_id}']")
        expect(card.locator("[data-media-use]")).to_contain_text("Kept for “G major scale”")
        card.get_by_role("button", name="Hand in").click()
        expect(page.locator(".flash-success")).to_contain_text("Handed in. The server received your work at")
        assert _submissions(live_server, setup["assignment_id"]) == [(1, int(media_id))]
        page.goto(setup["url"])
        expect(page.locator("[data-draft]")).to_have_count(0)
        expect(page.locator("table.versions tbody tr")).to_have_count(1)


def test_discard_takes_the_kept_video_off_the_assignment(live_server, new_context, screenshots, clip):
    setup = _assignment_for_a_student(live_server)
    page = _sign_in(new_context, setup["student"])
    page.goto(setup["url"])
    item = page.locator("[data-video-source] .upload-item")
    with screenshots.on_failure(page, "discard"):
        page.get_by_label("Choose a video").set_input_files(clip)
        expect(item.locator(".upload-state")).to_have_text("Ready.", timeout=PROCESSING_MS)
        page.reload()
        expect(page.locator("[data-draft]")).to_be_visible()
        page.get_by_role("button", name="Discard the kept video").click()
        expect(page.locator(".flash-success")).to_contain_text("It is still in “My uploads”.")
        expect(page.locator("[data-draft]")).to_have_count(0)
        expect(page.locator("[data-video-source] .upload-item")).to_have_count(0)
        expect(page.locator("[data-submit-button]")).to_be_disabled()


def test_a_page_left_open_past_the_close_refuses_before_the_first_byte(live_server, new_context, screenshots, clip):
    """The assignment closed while its page stayed open: is the file refused with the reason before
    any upload is created or any byte sent?"""
    from lms.core.types import utcnow
    from lms.extensions import db
    from lms.homework.models import Assignment

    setup = _assignment_for_a_student(live_server, closes_at=utcnow() + timedelta(days=2))
    page = _sign_in(new_context, setup["student"])
    page.goto(setup["url"])
    expect(page.get_by_label("Choose a video")).to_be_attached()
    with live_server.app.app_context():  # time passes: the close is now behind us
        assignment = db.session.get(Assignment, setup["assignment_id"])
        assignment.due_at = utcnow() - timedelta(hours=2)
        assignment.closes_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
        db.session.remove()
    created = requests_to(page, "POST", r"/uploads$")
    patched = requests_to(page, "PATCH", r"/uploads/")
    item = page.locator("[data-video-source] .upload-item")
    with screenshots.on_failure(page, "closed"):
        page.get_by_label("Choose a video").set_input_files(clip)
        expect(item.locator(".upload-state")).to_have_text(re.compile(r"^This assignment has closed"))
        expect(item.locator("input[type=hidden]")).to_have_count(0)
        expect(page.locator("[data-submit-button]")).to_be_disabled()
        assert created == [] and patched == []


def test_a_stopped_upload_is_not_continued_past_the_close(live_server, new_context, screenshots, heavy_clip,
                                                          small_chunks):
    """An upload stopped half way; the page showing it stays open past the close: does choosing the
    same file say the assignment closed before sending the rest, instead of sending it all and
    being refused at "Hand in"?"""
    from lms.core.types import utcnow
    from lms.extensions import db
    from lms.homework.models import Assignment

    setup = _assignment_for_a_student(live_server, closes_at=utcnow() + timedelta(days=2))
    page = _sign_in(new_context, setup["student"])
    page.goto(setup["url"])
    _stop_after(page, 2)
    item = page.locator("[data-video-source] .upload-item")
    with screenshots.on_failure(page, "first-visit"):
        page.get_by_label("Choose a video").set_input_files(heavy_clip)
        expect(item.locator(".upload-size")).to_contain_text("64 KB of")
        expect(item.locator(".upload-state")).to_contain_text("The connection was interrupted")  # the third was cut
        page.close(run_before_unload=False)
    assert _held_on_the_server(live_server, _media_of(live_server, setup)) == 64 * 1024  # the student left

    page = _sign_in(new_context, setup["student"])
    page.goto(setup["url"])
    item = page.locator("[data-video-source] .upload-item")
    expect(item.locator(".upload-state")).to_have_text("Stopped: waiting for the rest of the file.")
    with live_server.app.app_context():  # the page stays open; the close passes
        assignment = db.session.get(Assignment, setup["assignment_id"])
        assignment.due_at = utcnow() - timedelta(hours=2)
        assignment.closes_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
        db.session.remove()
    patched = requests_to(page, "PATCH", r"/uploads/")
    with screenshots.on_failure(page, "closed"):
        page.get_by_label("Choose a video").set_input_files(heavy_clip)
        expect(item.locator(".upload-state")).to_have_text(re.compile(r"^This assignment has closed"))
        assert patched == []


def _media_of(live_server, setup) -> int:
    """The media id of the one upload kept in the student's draft for the assignment of `setup`."""
    from lms.extensions import db
    from lms.homework.models import SubmissionDraft

    with live_server.app.app_context():
        media_id = db.session.scalar(db.select(SubmissionDraft.media_id).where(
            SubmissionDraft.assignment_id == setup["assignment_id"]))
        db.session.remove()
    return media_id


# -- an upload left unfinished: what the pages say, continuing it elsewhere, deleting it -------------

def _held_on_the_server(live_server, media_id: int, quiet_seconds: int = 300) -> int:
    """The bytes the server holds of `media_id`'s upload, after making its last byte `quiet_seconds`
    old (the student closed the tab then); the partial file is the server's truth. Waits (10 s at
    most) for the request that wrote the last byte to record it: backdating before that commit would
    be undone by it, and the upload would look as if it were still arriving."""
    import os
    import time

    from lms.core.types import utcnow
    from lms.extensions import db
    from lms.uploads import parts
    from lms.uploads.models import Upload

    deadline = time.monotonic() + 10
    with live_server.app.app_context():
        while True:
            upload = db.session.scalar(db.select(Upload).where(Upload.media_id == media_id))
            path = parts.part_path(live_server.app.config["UPLOAD_DIR"], upload.token)
            if upload.offset == path.stat().st_size or time.monotonic() > deadline:
                break
            db.session.rollback()
            time.sleep(0.05)
        past = time.time() - quiet_seconds
        os.utime(path, (past, past))
        upload.updated_at = utcnow() - timedelta(seconds=quiet_seconds)
        db.session.commit()
        size = path.stat().st_size
        db.session.remove()
    return size


def _stop_after(page, patches: int) -> list:
    """Let `patches` PATCH requests through, then cut every later one (the connection is gone)."""
    held = []
    counter = {"n": 0}

    def counting(route):
        if route.request.method == "PATCH":
            counter["n"] += 1
            if counter["n"] > patches:
                held.append(route.request.url)
                route.abort("connectionreset")
                return
        route.continue_()

    page.route(re.compile(r"/uploads/[\w-]+$"), counting)
    return held


def test_reopening_an_assignment_shows_what_the_server_kept_and_the_same_file_continues_it(
        live_server, new_context, screenshots, heavy_clip, small_chunks):
    """The student closed the tab after two chunks: does the assignment page (in another browser)
    say the upload stopped, with the bytes the server kept, not "Uploading…" at 0 %; and does
    choosing the same file continue that upload from the server's offset to "Ready."?"""
    setup = _assignment_for_a_student(live_server)
    page = _sign_in(new_context, setup["student"])
    page.goto(setup["url"])
    held = _stop_after(page, 2)
    item = page.locator("[data-video-source] .upload-item")
    with screenshots.on_failure(page, "first-visit"):
        page.get_by_label("Choose a video").set_input_files(heavy_clip)
        page.wait_for_function("() => document.querySelector('[data-video-source] input[type=hidden]')")
        media_id = int(item.locator("input[type=hidden]").input_value())
        expect(item.locator(".upload-size")).to_contain_text("64 KB of")  # two 32 KB chunks arrived
        expect(item.locator(".upload-state")).to_contain_text("The connection was interrupted")  # the third was cut
        page.close(run_before_unload=False)
    kept = _held_on_the_server(live_server, media_id)
    assert kept == 64 * 1024

    size = heavy_clip.stat().st_size
    page = _sign_in(new_context, setup["student"])  # another browser: nothing in its storage
    created = requests_to(page, "POST", r"/uploads$")
    page.goto(setup["url"])
    page.evaluate("() => { window.heard = []; document.addEventListener('upload:progress', e => heard.push(e.detail.loaded)); }")
    item = page.locator("[data-video-source] .upload-item")
    with screenshots.on_failure(page, "reopened"):
        expect(item.locator(".upload-state")).to_have_text("Stopped: waiting for the rest of the file.")
        percent = int(100 * kept / size)
        expect(item.locator("[data-upload-resume]")).to_have_text(
            re.compile(rf"^This upload stopped at {percent}% \(64 KB of [\d.]+ (KB|MB) kept\)\. "
                       r"Choose the same file to continue from there\.$"))
        screenshots.take(page, "reopened-stopped")
        page.get_by_label("Choose a video").set_input_files(heavy_clip)
        expect(item.locator(".upload-state")).to_have_text("Ready.", timeout=PROCESSING_MS)
        assert item.locator("input[type=hidden]").input_value() == str(media_id)
        assert created == [], "the same upload must continue, not a new one start"
        progress = page.evaluate("heard")
        assert progress and progress[0] >= kept, f"it started from {progress[:1]}, not the server's {kept}"


def test_my_uploads_continues_or_deletes_an_abandoned_upload(live_server, new_context, screenshots, clip,
                                                               small_chunks):
    """An upload stopped after one chunk: does "My uploads" say it stopped (not "Uploading…"), name
    the storage it reserves, continue it in its own card with "Continue" (refusing another file),
    and does "Delete" on another one remove it and free its storage?"""
    page = sign_up(live_server, new_context)
    _stop_after(page, 1)
    item = page.locator("[data-uploader] .upload-item")
    with screenshots.on_failure(page, "abandon"):
        page.get_by_label("Choose a video to upload").set_input_files(clip)
        expect(item.locator(".upload-size")).to_contain_text("32 KB of")
        media_id = int(item.locator("input[type=hidden]").input_value())
        expect(item.locator(".upload-state")).to_contain_text("The connection was interrupted")
    page.on("dialog", lambda dialog: dialog.accept())
    open_library(page)  # leaves the upload behind
    page.unroute(re.compile(r"/uploads/[\w-]+$"))
    _held_on_the_server(live_server, media_id)
    page.reload()
    card = page.locator(f".media-card[data-media-id='{media_id}']")
    with screenshots.on_failure(page, "library"):
        expect(card.locator("[data-unfinished-state]")).to_have_text("Stopped: waiting for the rest of the file.")
        expect(card).to_contain_text("counts its full size")
        expect(card).not_to_contain_text("Uploading…")
        screenshots.take(page, "library-stopped")
        # Another file is refused by name and size; the upload stays.
        other = clip.with_name("other-take.mp4")
        other.write_bytes(clip.read_bytes()[:-10])
        card.locator("[data-upload-continue-input]").set_input_files(other)
        expect(card.locator(".upload-state")).to_contain_text("is not the file this upload was started with")
        expect(card.get_by_role("button", name="Delete")).to_be_visible()  # still deletable after the refusal
        card.locator("[data-upload-continue-input]").set_input_files(clip)
        expect(card.locator(".upload-item .upload-state")).to_have_text("Ready.", timeout=PROCESSING_MS)
        expect(card.get_by_role("button", name="Delete")).to_be_hidden()  # finished: nothing to cancel

    with screenshots.on_failure(page, "delete"):
        page.route(re.compile(r"/uploads/[\w-]+$"), lambda route: route.abort() if route.request.method == "PATCH"
                   else route.continue_())
        page.get_by_label("Choose a video to upload").set_input_files(clip)
        top = page.locator("[data-uploader] .upload-item")
        page.wait_for_function("() => document.querySelector('[data-uploader] .upload-item input[type=hidden]')")
        second = int(top.locator("input[type=hidden]").input_value())
        page.unroute(re.compile(r"/uploads/[\w-]+$"))
        open_library(page)
        gone = page.locator(f".media-card[data-media-id='{second}']")
        expect(gone.locator("[data-unfinished-state]")).to_be_visible()
        gone.get_by_role("button", name="Delete").click()
        expect(page.locator(".flash-success")).to_contain_text("was deleted; its storage is free again.")
        expect(page.locator(f".media-card[data-media-id='{second}']")).to_have_count(0)
        expect(page.locator(f".media-card[data-media-id='{media_id}']")).to_have_count(1)


def test_a_two_kilobyte_link_reads_slow_not_waiting_and_offline_clears_speed(
        live_server, new_context, screenshots, clip, small_chunks):
    """At 2 KB/s, does the line say "Uploading… (slow connection)" with a time left in words, and
    never "Waiting for the connection" while bytes still move; and offline, are the speed and the
    time left cleared next to "You are offline…"?"""
    page = sign_up(live_server, new_context)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    crawl = {"offline": False, "latency": 40, "downloadThroughput": -1, "uploadThroughput": 2 * 1024}
    cdp.send("Network.emulateNetworkConditions", crawl)
    page.evaluate("""() => {
        window.lines = [];
        new MutationObserver(() => {
            const line = document.querySelector('[data-uploader] .upload-item .upload-state');
            if (line && lines[lines.length - 1] !== line.textContent) { lines.push(line.textContent); }
        }).observe(document.querySelector('[data-uploader] .uploader-items'), {subtree: true, childList: true, characterData: true});
    }""")
    item = page.locator("[data-uploader] .upload-item")
    with screenshots.on_failure(page, "crawl"):
        page.get_by_label("Choose a video to upload").set_input_files(clip)
        expect(item.locator(".upload-state")).to_have_text("Uploading… (slow connection)", timeout=30_000)
        expect(item.locator(".upload-left")).to_have_text(re.compile(r"^(\d+ minutes?)? ?(\d+ seconds?)? left$"))
        # Well past the old 4-second rule, over more than one 32 KB chunk at 2 KB/s.
        page.wait_for_function("() => heard.progress.length && Math.max(...heard.progress) >= 40 * 1024",
                               timeout=90_000)
        lines = page.evaluate("lines")
        assert not [line for line in lines if line.startswith("Waiting for the connection")], lines
        screenshots.take(page, "slow-connection")

    with screenshots.on_failure(page, "offline"):
        cdp.send("Network.emulateNetworkConditions", {**crawl, "offline": True})
        expect(item.locator(".upload-state")).to_have_text(
            "You are offline. The upload will continue by itself when the connection is back.")
        expect(item.locator(".upload-speed")).to_have_text("")
        expect(item.locator(".upload-left")).to_have_text("")
        cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1,
                                                      "uploadThroughput": -1})
        expect(item.locator(".upload-state")).to_have_text("Ready.", timeout=PROCESSING_MS)


def test_length_limits_read_as_lengths_not_times_of_day(live_server, new_context, screenshots, clip):
    """Does the assignment page write its limit in words ("2 seconds", never "0:02", which reads
    like a clock time), and does a longer video's refusal in the browser say both lengths in words?"""
    setup = _assignment_for_a_student(live_server, max_video_seconds=2)
    page = _sign_in(new_context, setup["student"])
    created = requests_to(page, "POST", r"/uploads$")
    page.goto(setup["url"])
    item = page.locator("[data-video-source] .upload-item")
    with screenshots.on_failure(page, "too-long"):
        expect(page.locator("[data-window]")).to_contain_text("Hand in a video of at most 2 seconds.")
        page.get_by_label("Choose a video").set_input_files(clip)
        expect(item.locator(".upload-state")).to_have_text(
            "“dance-practice.mp4” is 3 seconds long, more than the limit of 2 seconds. Shorten the video first.")
        assert created == []
