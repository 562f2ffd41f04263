"""A video whose worker died mid-transcode: the uploader's page says the server is retrying, not "56 %"."""
from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from lms.core.types import utcnow
from lms.extensions import db
from lms.jobs.backends import run_task
from lms.uploads import operations as ops
from lms.uploads.models import Media, MediaState
from lms.uploads.queries import stall_seconds
from tests.browser.conftest import make_clip
from tests.browser.test_upload import HeldJobs, open_library, sign_up

pytestmark = pytest.mark.browser

#: a page hears of a silent worker by its poll, every few seconds once pushes stop
POLLED_MS = 20_000
PROCESSING_MS = 60_000


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("clips"), "science-fair.mp4", 3)


@pytest.fixture
def held_jobs(live_server, monkeypatch):
    held = HeldJobs(live_server.app.extensions["lms_jobs"])
    monkeypatch.setitem(live_server.app.extensions, "lms_jobs", held)
    return held


def test_a_page_whose_worker_went_silent_says_the_server_is_retrying(live_server, new_context, screenshots, clip,
                                                                     held_jobs):
    """When the worker transcoding a video dies at 56 % (no push comes any more), does the uploader's
    page say that the server is retrying it instead of freezing at 56 %, show the sweep's re-queue
    with its attempt (on My uploads too), and still end with a playable video?"""
    app = live_server.app
    page = sign_up(live_server, new_context)
    item = page.locator("[data-uploader] .upload-item")
    state = item.locator(".upload-state")
    with screenshots.on_failure(page, "uploaded"):
        page.get_by_label("Choose a video to upload").set_input_files(clip)
        expect(state).to_have_text("Uploaded. Waiting for its turn to be processed…")
        media_id = int(item.locator("input[type=hidden]").input_value())

    with screenshots.on_failure(page, "worker-dies-at-56"):
        with app.app_context():  # a worker claims it, reports 56 %, and is killed: its heartbeat stops
            attempt = ops.claim_media(media_id)
            db.session.commit()
            media = db.session.get(Media, media_id)
            ops.update_processing(media, attempt, state=MediaState.processing, progress=56)
            db.session.commit()
            db.session.remove()
        expect(state).to_have_text("Preparing the video for playback: 56% done.")
        with app.app_context():
            db.session.execute(db.update(Media).where(Media.id == media_id)
                               .values(heartbeat_at=utcnow() - timedelta(seconds=stall_seconds() + 1)))
            db.session.commit()
            db.session.remove()
        # Nothing is pushed (the worker is dead): the page's own poll learns it.
        expect(state).to_have_text("The server is retrying this video (attempt 2 of 3)…", timeout=POLLED_MS)
        assert page.evaluate("heard.pushed").count("processing") >= 1

    with screenshots.on_failure(page, "sweep-requeues"):
        with app.app_context():  # the sweep, once MEDIA_STALE_SECONDS passed, queues it again
            db.session.execute(db.update(Media).where(Media.id == media_id).values(
                heartbeat_at=utcnow() - timedelta(seconds=app.config["MEDIA_STALE_SECONDS"] + 1)))
            db.session.commit()
            ops.sweep_media()
            db.session.commit()
            db.session.remove()
        page.wait_for_function("() => heard.pushed.includes('uploaded')")
        expect(state).to_have_text("The server is retrying this video (attempt 2 of 3)…")

        library = page.context.new_page()  # the same person's My uploads, opened now
        open_library(library)
        card = library.locator(f".media-card[data-media-id='{media_id}']")
        expect(card.locator("[data-state-line]")).to_have_text("The server is retrying this video (attempt 2 of 3)…")

    with screenshots.on_failure(page, "second-attempt-finishes"):
        for path, args in held_jobs.jobs:  # a live worker takes the jobs: attempt 2 runs to the end
            run_task(app, path, args)
        expect(state).to_have_text("Ready.", timeout=PROCESSING_MS)
        expect(card.locator("video")).to_have_count(1, timeout=PROCESSING_MS)
        with app.app_context():
            media = db.session.get(Media, media_id)
            assert (media.state, media.attempts) == (MediaState.ready, 2)
            db.session.remove()
        assert page.errors == []
