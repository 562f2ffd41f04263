"""A student records a voice clip in the chat with the (fake) microphone, sends it, and a classmate hears it in
an <audio> element."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_chat import _sign_in, chat  # noqa: F401  (the chat fixture)

pytestmark = pytest.mark.browser


def test_record_and_send_a_voice_clip(new_context, live_server, chat, screenshots):  # noqa: F811
    """Record two seconds, use the recording (it goes through the clip uploader and the media pipeline), send:
    does the message play as sound on the sender's and a classmate's open page?"""
    sam = _sign_in(new_context().new_page(), chat["sam"], chat["path"])
    li = _sign_in(new_context().new_page(), chat["li"], chat["path"])
    errors = []
    sam.on("pageerror", lambda error: errors.append(str(error)))
    with screenshots.on_failure(sam, "record"):
        sam.locator(".chat-attach summary").click()
        sam.locator("[data-recorder-open]").click()
        sam.locator("[data-recorder-start]").click()
        expect(sam.locator("[data-recorder-time]")).to_have_text(re.compile(r"^0:0[2-9]$"))
        sam.locator("[data-recorder-stop]").click()
        sam.locator("[data-recorder-use]").click()
        item = sam.locator("[data-recorder-target] [data-media-id]")
        expect(item).to_have_attribute("data-state", "ready", timeout=60_000)
    with screenshots.on_failure(sam, "send"):
        sam.locator("[data-chat-send]").click()
        expect(sam.locator("[data-chat-messages] li.chat-message audio")).to_have_count(1, timeout=30_000)
    with screenshots.on_failure(li, "hear"):
        sound = li.locator("[data-chat-messages] li.chat-message audio")
        expect(sound).to_have_count(1)
        expect(li.locator("[data-chat-messages] li.chat-message video")).to_have_count(0)
        src = sound.get_attribute("src")
        answer = li.request.get(src, max_redirects=5)
        assert answer.ok and answer.headers["content-type"].startswith("video/mp4")
    assert errors == []
