"""The feed composer is not sent while its video upload shows an error ("not a video"): the text stays."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from lms.extensions import db
from lms.uploads import operations as ops
from lms.uploads.models import Media
from tests.browser.test_homework_journey import sign_in
from tests.browser.test_notices import _people
from tests.browser.test_upload import HeldJobs

pytestmark = pytest.mark.browser


@pytest.fixture
def held_jobs(live_server, monkeypatch):
    held = HeldJobs(live_server.app.extensions["lms_jobs"])
    monkeypatch.setitem(live_server.app.extensions, "lms_jobs", held)
    return held


def test_a_failed_video_blocks_the_post_and_keeps_the_text(live_server, new_context, screenshots, tmp_path,
                                                           held_jobs):
    people = _people(live_server)
    page = sign_in(new_context, people["student"])
    fake = tmp_path / "holiday.mp4"
    fake.write_bytes(b"this is a text file, not a video\n" * 64)
    with screenshots.on_failure(page, "upload-guard"):
        page.goto(f"/circles/{people['circle_id']}/feed")
        page.get_by_label("What would you like to share?").fill("Our trip")
        page.locator("[data-uploader] input[type=file]").set_input_files(str(fake))
        item = page.locator("[data-uploader] .upload-item")
        hidden = item.locator("input[type=hidden]")
        expect(hidden).to_have_count(1, timeout=30_000)
        media_id = int(hidden.input_value())
        # every byte is on the server (the last PATCH would otherwise mark the media uploaded again after the
        # worker's verdict below, as a slow machine showed)
        expect(item).to_have_class(re.compile("is-uploaded"), timeout=30_000)
        page.wait_for_function("() => window.Circles && Circles.socket && Circles.socket.connected()")
        with live_server.app.app_context():  # the worker finds it is not a video
            media = db.session.get(Media, media_id)
            ops.fail_media(media, "not_video")
            db.session.commit()
            ops.push_state(media)  # as the worker tells the uploader's page
            db.session.remove()
        expect(item).to_have_class(re.compile("is-failed"), timeout=30_000)
        url = page.url
        page.get_by_role("button", name="Post", exact=True).click()
        expect(page.locator("[data-upload-guard]")).to_be_visible()
        assert page.url == url
        expect(page.get_by_label("What would you like to share?")).to_have_value("Our trip")
