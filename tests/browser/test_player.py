"""The video player in Chromium: a long video (one with an HLS playlist) plays through hls.js with
either storage, although Chromium claims native HLS; any HLS failure falls back to the MP4, showing
no broken player."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import make_clip
from tests.browser.test_upload import PROCESSING_MS, sign_up

pytestmark = pytest.mark.browser

# A browser without Media Source Extensions (Safari on an older iPhone): native HLS or nothing.
NO_MEDIA_SOURCE = """
for (const name of ["MediaSource", "ManagedMediaSource", "WebKitMediaSource"]) {
    Object.defineProperty(window, name, {value: undefined, configurable: true});
}
"""


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("player"), "lesson-recording.mp4", 4)


@pytest.fixture
def long_videos(live_server, monkeypatch):
    """Every video counts as long (HLS_MIN_SECONDS 1): processing also cuts its HLS playlist."""
    monkeypatch.setitem(live_server.app.config, "MEDIA_HLS_MIN_SECONDS", 1)


@pytest.fixture(params=["local", "s3"])
def storage_kind(request, live_server, monkeypatch):
    """The live server on local disk, or on a moto bucket set up as `flask storage setup-bucket`
    does (CORS for the site's origin)."""
    if request.param == "s3":
        s3_storage = request.getfixturevalue("s3_storage")
        assert s3_storage.ensure_bucket([live_server.url]) == []
        app = live_server.app
        monkeypatch.setitem(app.extensions, "lms_storage", s3_storage)
        monkeypatch.setitem(app.config, "STORAGE_BACKEND", "s3")  # the CSP lets pages reach the bucket
        monkeypatch.setitem(app.config, "S3_ENDPOINT_URL", s3_storage.client.meta.endpoint_url)
        monkeypatch.setitem(app.config, "S3_PART_BYTES", 5 * 1024**2)
        return s3_storage.client.meta.endpoint_url
    return None


def _ready_video(page, clip, screenshots):
    """Upload `clip` on My uploads, wait until it is processed, reload: its player's locators."""
    with screenshots.on_failure(page, "upload"):
        page.get_by_label("Choose a video to upload").set_input_files(clip)
        expect(page.locator(".upload-item .upload-state")).to_have_text("Ready.", timeout=PROCESSING_MS)
        media_id = page.locator(".upload-item input[type=hidden]").input_value()
        page.reload()
    player = page.locator(f".media-card[data-media-id='{media_id}'] [data-player]")
    expect(player.locator("video")).to_have_attribute("data-hls", re.compile(r"/hls/index\.m3u8"))
    return player, player.locator("video")


def _plays(page, video) -> None:
    """Press play (muted, as autoplay rules allow) and wait until the picture moves on."""
    video.evaluate("v => { v.muted = true; v.play().catch(() => {}); }")
    page.wait_for_function("v => v.readyState >= 2 && v.currentTime > 0.5 && !v.error", arg=video.element_handle())


def test_a_long_video_plays_through_hlsjs_with_either_storage(live_server, new_context, screenshots, clip,
                                                              long_videos, storage_kind):
    """Does Chromium, which answers "maybe" for native HLS, play a long video's playlist through
    hls.js, segments from the bucket included (CORS), with local storage and with S3?"""
    page = sign_up(live_server, new_context)
    bucket_gets = []
    if storage_kind:
        page.on("requestfinished", lambda r: bucket_gets.append(r.url) if r.url.startswith(storage_kind)
                and r.method == "GET" else None)
    player, video = _ready_video(page, clip, screenshots)
    with screenshots.on_failure(page, "play"):
        _plays(page, video)
        expect(player).to_have_attribute("data-source", "hls.js")
        assert video.evaluate("v => v.currentSrc").startswith("blob:")
        assert player.evaluate("p => Boolean(p.hls)")
        expect(player.locator("[data-player-error]")).to_have_count(0)
        assert page.errors == []
    if storage_kind:
        assert any(re.search(r"\.ts\?", url) for url in bucket_gets), bucket_gets


@pytest.mark.parametrize("media_source", [True, False], ids=["hls.js", "native-hls"])
def test_a_playlist_that_fails_falls_back_to_the_mp4(live_server, new_context, screenshots, clip, long_videos,
                                                     media_source):
    """When the playlist does not load, through hls.js or natively (a browser without MSE), does the
    player carry on with the MP4, with no error shown?"""
    page = sign_up(live_server, new_context)
    if not media_source:
        page.context.add_init_script(NO_MEDIA_SOURCE)
    player, video = _ready_video(page, clip, screenshots)
    playlist_requests = []

    def refuse(route):
        playlist_requests.append(route.request.url)
        route.fulfill(status=503, body="unavailable")

    page.route(re.compile(r"/hls/index\.m3u8"), refuse)
    page.reload()
    native = page.evaluate("() => document.createElement('video').canPlayType('application/vnd.apple.mpegurl')")
    with screenshots.on_failure(page, "fallback"):
        _plays(page, video)
        expect(player).to_have_attribute("data-source", "mp4")
        assert video.evaluate("v => v.getAttribute('src')") == video.get_attribute("data-mp4")
        assert re.search(r"/video\.mp4", video.evaluate("v => v.currentSrc"))
        expect(player.locator("[data-player-error]")).to_have_count(0)
        if media_source or native:
            assert playlist_requests, "the player never tried the playlist"
        assert player.evaluate("p => !p.hls")
        # the only failures are the refused playlist's
        assert [e for e in page.errors if "index.m3u8" not in e and "503" not in e] == []


def test_a_video_whose_mp4_cannot_play_either_says_so(live_server, new_context, screenshots, clip, long_videos):
    """With the playlist and the MP4 both failing, does the player say the video cannot be played
    rather than sit there broken?"""
    page = sign_up(live_server, new_context)
    player, video = _ready_video(page, clip, screenshots)
    page.route(re.compile(r"/hls/index\.m3u8|/video\.mp4"), lambda route: route.fulfill(status=503, body="no"))
    page.reload()
    with screenshots.on_failure(page, "unplayable"):
        video.evaluate("v => { v.muted = true; v.play().catch(() => {}); }")
        expect(player.locator("[data-player-error]")).to_have_text(
            "This video cannot be played right now. Reload the page to try again.", timeout=30_000)
