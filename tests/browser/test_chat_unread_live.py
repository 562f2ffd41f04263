"""The top bar's and the circle tab's unread chat counts follow a new message live, without a reload."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_chat import _send, _sign_in, chat  # noqa: F401  (the chat fixture)

pytestmark = pytest.mark.browser


def test_unread_counts_rise_on_another_page_without_a_reload(new_context, chat, screenshots):  # noqa: F811
    """Sam is on the circle's home page; the teacher writes in the chat: do the Chat tab's and the top bar's
    counts show it (a content-free signal, then one ask for the counts) while the page stays as it is?"""
    teacher = _sign_in(new_context().new_page(), chat["teacher"], chat["path"])
    sam = _sign_in(new_context().new_page(), chat["sam"], chat["path"])
    with screenshots.on_failure(sam, "sam-elsewhere"):
        sam.goto(chat["path"].rsplit("/chat/", 1)[0])
        sam.wait_for_function("() => window.Circles && Circles.socket && Circles.socket.connected()")
        expect(sam.locator("[data-chat-unread]")).to_be_hidden()
    with screenshots.on_failure(teacher, "teacher-writes"):
        _send(teacher, "Homework for tonight: read chapter 4.")
    with screenshots.on_failure(sam, "sam-sees-the-count"):
        # the page asks a few seconds after the signal (spread over the members): wait for that state
        expect(sam.locator("a[data-chat-unread-circle] .chat-tab-unread")).to_have_text("1", timeout=20_000)
        expect(sam.locator("[data-chat-unread]")).to_have_text("1")
