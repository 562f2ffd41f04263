"""Chat times in a real browser: the messages static/js/chat.js writes (the history it loads, a message that
arrives live) read as the server writes them (lms.chat.hooks.chat_time): a time of day under a day line, in the
page's one zone and language, whatever zone the browser runs in."""
from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date, format_time
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD

pytestmark = pytest.mark.browser

ZONE = "Asia/Shanghai"
#: 30 November 2026 23:50 in Shanghai
OLD = datetime(2026, 11, 30, 15, 50, tzinfo=timezone.utc)


@pytest.fixture
def chat(live_server):
    from lms.accounts import operations as account_ops
    from lms.chat import operations as chat_ops
    from lms.chat import queries as chat_q
    from lms.circles import operations as circle_ops
    from lms.circles.models import Role
    from lms.extensions import db

    tag = uuid.uuid4().hex[:6]
    with live_server.app.app_context():
        teacher = account_ops.register_user(f"times-t-{tag}@example.org", PASSWORD, "Teacher Ng", timezone=ZONE)
        sam = account_ops.register_user(f"times-s-{tag}@example.org", PASSWORD, "Sam", timezone=ZONE)
        li = account_ops.register_user(f"times-l-{tag}@example.org", PASSWORD, "Li", timezone=ZONE)
        circle = circle_ops.create_circle(teacher, f"Clocks {tag}")
        circle_ops.add_member(circle, sam, Role.student, display_name="Sam In Class")
        circle_ops.add_member(circle, li, Role.student, display_name="李")
        channel = chat_ops.ensure_main_channel(circle)
        old = chat_ops.send_message(channel, chat_q.reader_of(circle, teacher), body="an old message")
        old.created_at = OLD
        db.session.commit()
        found = {"path": f"/c/{circle.id}/chat/{channel.id}", "sam": sam.email, "li": li.email}
        db.session.remove()
    return found


def _sign_in(page, email: str, path: str):
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto(path)
    expect(page.locator("[data-chat][data-chat-ready]")).to_be_attached()
    return page


def _plain(text: str) -> str:
    """Spaces as a reader sees them (CLDR versions differ in narrow and thin spaces)."""
    return re.sub(r"\s+", " ", text.replace("\u202f", " ").replace("\u2009", " ")).strip()


def _expected(iso: str, kind: str, locale: str) -> str:
    moment = datetime.fromisoformat(iso).astimezone(ZoneInfo(ZONE))
    if kind == "day":
        return _plain(format_date(moment, "full", locale=locale))
    return _plain(format_time(moment, "short", tzinfo=ZoneInfo(ZONE), locale=locale))


def _lines(page) -> list[dict]:
    return page.evaluate("""() => Array.from(document.querySelectorAll('[data-chat-messages] > li')).map(li => ({
        id: li.dataset.messageId,
        at: li.querySelector('.chat-meta time').getAttribute('datetime'),
        time: li.querySelector('.chat-meta time').textContent,
        day: li.querySelector(':scope > .chat-day') ? li.querySelector(':scope > .chat-day').dataset.chatDay : null,
        dayText: li.querySelector(':scope > .chat-day') ? li.querySelector(':scope > .chat-day').textContent : null,
    }))""")


@pytest.mark.parametrize("browser_locale, locale", [("en-US", "en"), ("zh-CN", "zh_Hans")])
def test_live_and_loaded_messages_read_as_the_server_writes_them(browser_locale, locale, new_context, chat,
                                                                  screenshots):
    """In a browser running in New York, does the history the script loads and a message that arrives live each
    read its Shanghai time of day in the server's format, under a day line for each Shanghai day (the old
    message's 30 November, today's), and no day line above a second message of the same day?"""
    page = _sign_in(new_context(locale=browser_locale, timezone_id="America/New_York").new_page(), chat["sam"],
                    chat["path"])
    with screenshots.on_failure(page, "times"):
        expect(page.locator('meta[name="time-zone"]')).to_have_attribute("content", ZONE)
        for text in ("first words today", "second words today"):
            page.fill("[data-chat-body]", text)
            page.locator("[data-chat-body]").press("Enter")
            expect(page.locator(".chat-message").filter(has_text=text)).to_have_count(1)
        old, first, second = _lines(page)
        assert old["day"] == "2026-11-30" and _plain(old["dayText"]) == _expected(old["at"], "day", locale)
        today = datetime.fromisoformat(first["at"]).astimezone(ZoneInfo(ZONE)).date().isoformat()
        assert first["day"] == today and _plain(first["dayText"]) == _expected(first["at"], "day", locale)
        assert second["day"] is None
        for line in (old, first, second):
            assert _plain(line["time"]) == _expected(line["at"], "time", locale), line


def test_words_typed_while_a_message_is_on_its_way_stay_in_the_box(new_context, chat, screenshots):
    """A message is sent and its author goes on typing before the server's answer comes: does the answer take only
    the words sent out of the box, leaving the next message there? (It emptied the box, taking them with it.)"""
    page = _sign_in(new_context().new_page(), chat["sam"], chat["path"])
    with screenshots.on_failure(page, "typing-on"):
        expect(page.locator("[data-chat-ready]")).to_be_attached()
        # in one task: sent, then the box holds the next words before any answer can arrive
        page.evaluate("""() => {
            const box = document.querySelector("[data-chat-body]");
            box.value = "sent first";
            window.Circles.chat.send();
            box.value = "typed while it was sent";
        }""")
        expect(page.locator(".chat-message").filter(has_text="sent first")).to_have_count(1)
        expect(page.locator("[data-chat-send]")).to_be_enabled()  # the answer came
        expect(page.locator("[data-chat-body]")).to_have_value("typed while it was sent")
        page.locator("[data-chat-body]").press("Enter")
        expect(page.locator(".chat-message").filter(has_text="typed while it was sent")).to_have_count(1)
        expect(page.locator("[data-chat-body]")).to_have_value("")
