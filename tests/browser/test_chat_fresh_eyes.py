"""What a fresh-eyes trial of the circle chat found, as people meet it: @mentions picked with the keyboard and
found by any part of a Chinese name; the chat on a 390 px phone as a full-height view (messages scrolling, the
composer at the bottom, also with the on-screen keyboard up) with its channels in a drawer; muting through a
dialog that needs a reason, the muted student's composer waiting with until when and why (also after a reload),
and the staff's Unmute."""
from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, TIMEOUT_MS
from tests.browser.test_phone_width import IPHONE, PHONE

pytestmark = pytest.mark.browser


@pytest.fixture
def klass(live_server):
    """Teacher 陈美 (Mei Chen), students 张云妮 and 李浩然 (in the circle as 云妮 and 李浩然), the main channel with
    40 messages (more than a phone shows) and a direct conversation of 浩然 with the teacher holding one unread
    message."""
    from lms.accounts import operations as account_ops
    from lms.chat import operations as chat_ops
    from lms.chat import queries as chat_q
    from lms.circles import operations as circle_ops
    from lms.circles.models import Role
    from lms.extensions import db

    tag = uuid.uuid4().hex[:6]
    with live_server.app.app_context():
        teacher = account_ops.register_user(f"fe-mei-{tag}@example.org", PASSWORD, "Mei Chen")
        yunni = account_ops.register_user(f"fe-yunni-{tag}@example.org", PASSWORD, "Zhang Yunni")
        haoran = account_ops.register_user(f"fe-haoran-{tag}@example.org", PASSWORD, "Li Haoran")
        circle = circle_ops.create_circle(teacher, f"Jazz {tag}")
        circle_ops.add_member(circle, yunni, Role.student, display_name="云妮")
        circle_ops.add_member(circle, haoran, Role.student, display_name="李浩然")
        teacher_membership = circle.membership_of(teacher)
        teacher_membership.display_name = "Mei Chen 陈美"
        main = chat_ops.ensure_main_channel(circle)
        db.session.flush()
        for n in range(40):
            author = (yunni, haoran, teacher)[n % 3]
            chat_ops.send_message(main, chat_q.reader_of(circle, author), body=f"message {n + 1}")
        direct = chat_ops.open_direct(circle, teacher, circle.membership_of(haoran))
        chat_ops.send_message(direct, chat_q.reader_of(circle, teacher), body="Come early on Saturday")
        db.session.commit()
        found = {"path": f"/c/{circle.id}/chat/{main.id}", "direct": direct.id, "teacher": teacher.email,
                 "yunni": yunni.email, "haoran": haoran.email}
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


def _phone(chromium, live_server):
    context = chromium.new_context(base_url=live_server.url, locale="zh-CN", viewport=PHONE, user_agent=IPHONE,
                                   is_mobile=True, has_touch=True, timezone_id="Asia/Shanghai")
    context.set_default_timeout(TIMEOUT_MS)
    return context


def test_mentions_find_any_part_of_a_chinese_name_and_are_picked_with_the_keyboard(new_context, klass,
                                                                                   screenshots):
    """Does "@浩" (the middle of 李浩然) offer only 李浩然, do the arrows move and Enter pick (not send), and does
    the picked name notify 浩然?"""
    yunni = _sign_in(new_context().new_page(), klass["yunni"], klass["path"])
    haoran = _sign_in(new_context().new_page(), klass["haoran"], klass["path"])
    body = yunni.locator("[data-chat-body]")
    options = yunni.locator("[data-mention-list] [role=option]")
    with screenshots.on_failure(yunni, "mention-filter"):
        body.click()
        body.press_sequentially("请看@浩")
        expect(options).to_have_count(1)
        expect(options.first).to_have_text("李浩然")
        body.press_sequentially("x")  # "@浩x" matches nobody: the list closes
        expect(yunni.locator("[data-mention-list]")).to_be_hidden()
        body.press("Backspace")
        expect(options).to_have_count(1)
        body.fill("")
        body.press_sequentially("@")
        expect(options).to_have_count(2)  # 李浩然 and Mei Chen 陈美, not the writer herself
        body.press_sequentially("陈")  # the Chinese part of "Mei Chen 陈美"
        expect(options).to_have_count(1)
        expect(options.first).to_have_text("Mei Chen 陈美")
        body.fill("")
        body.press_sequentially("@")
        expect(options).to_have_count(2)
        expect(options.nth(0)).to_have_text("李浩然")  # by name, Chinese by pinyin: li before Mei
        expect(options.nth(1)).to_have_text("Mei Chen 陈美")
        expect(options.nth(0)).to_have_attribute("aria-selected", "true")
        body.press("ArrowUp")  # wraps round to the last
        expect(options.nth(1)).to_have_attribute("aria-selected", "true")
        body.press("ArrowDown")  # wraps round to the first
        expect(options.nth(0)).to_have_attribute("aria-selected", "true")
        body.press("ArrowDown")
        expect(options.nth(1)).to_have_attribute("aria-selected", "true")
        body.press("ArrowUp")
        expect(options.nth(0)).to_have_attribute("aria-selected", "true")
        body.press("Enter")  # picks; nothing is sent
        expect(body).to_have_value("@李浩然 ")
        expect(yunni.locator("[data-mention-list]")).to_be_hidden()
        body.press_sequentially("下课后留一下")
        body.press("Enter")
        expect(body).to_have_value("")
    with screenshots.on_failure(haoran, "mention-notified"):
        expect(haoran.locator(".chat-message.mentions-me")).to_contain_text("下课后留一下")


def test_a_phone_shows_the_chat_full_height_with_channels_in_a_drawer(chromium, live_server, klass, screenshots):
    """On a 390 px phone: is the composer on screen at the bottom without scrolling the page, do the messages
    scroll inside, does it stay above the on-screen keyboard, and is the direct conversation with its unread
    count reachable in the channels drawer?"""
    phone = _phone(chromium, live_server)
    try:
        page = _sign_in(phone.new_page(), klass["haoran"], klass["path"])
        with screenshots.on_failure(page, "phone-full-height"):
            composer = page.locator("[data-chat-composer]")
            expect(composer).to_be_in_viewport()
            box = composer.bounding_box()
            assert box["y"] + box["height"] <= PHONE["height"] + 1
            assert box["y"] > PHONE["height"] / 2  # at the bottom, under the messages
            sizes = page.evaluate("""() => { const chat = document.querySelector('[data-chat]').getBoundingClientRect();
                return {top: chat.top, height: chat.height,
                        scroller: document.querySelector('[data-chat-scroll]').scrollHeight,
                        shown: document.querySelector('[data-chat-scroll]').clientHeight}; }""")
            # the chat fills the screen (the circle's header and tabs a scroll up, as a messaging app)
            assert abs(sizes["top"] + sizes["height"] - PHONE["height"]) <= 1 and sizes["top"] <= 1
            assert sizes["scroller"] > sizes["shown"]  # the messages scroll inside it
            expect(page.locator(".chat-message").filter(has_text="message 40")).to_be_in_viewport()
        with screenshots.on_failure(page, "phone-keyboard"):
            # the on-screen keyboard takes the lower half (the viewport shrinks as Android does)
            page.locator("[data-chat-body]").focus()
            page.set_viewport_size({"width": PHONE["width"], "height": 420})
            expect(composer).to_be_in_viewport(ratio=1)  # all of it, right above the keyboard
            page.set_viewport_size(PHONE)
        with screenshots.on_failure(page, "phone-tabs-above"):
            # the circle's tabs are a scroll up, not covered
            page.locator("nav.tabs a").first.scroll_into_view_if_needed()
            expect(page.locator("nav.tabs a").first).to_be_in_viewport()
            page.locator("[data-chat-body]").blur()
            page.locator("[data-chat-body]").focus()  # typing again brings the whole chat back
            expect(composer).to_be_in_viewport(ratio=1)
        with screenshots.on_failure(page, "phone-drawer"):
            opener = page.locator("[data-chat-drawer-open]")
            expect(opener).to_be_in_viewport()
            expect(opener.locator("[data-drawer-unread]")).to_have_text("1")
            opener.click()
            direct = page.locator(f'[data-channel-link="{klass["direct"]}"]')
            expect(direct).to_be_in_viewport()
            expect(direct.locator(".chat-unread")).to_have_text("1")
            direct.click()
            page.wait_for_url(f"**/chat/{klass['direct']}")
            expect(page.locator(".chat-message").filter(has_text="Come early on Saturday")).to_be_in_viewport()
    finally:
        phone.close()


def test_muting_asks_why_in_a_dialog_and_the_member_reads_it_until_unmuted(new_context, chromium, live_server,
                                                                           klass, screenshots):
    """Does the teacher mute 浩然 through a dialog that refuses an empty reason, does 浩然's phone disable the
    composer with until when and why (also after reloading), and does the teacher's Unmute give it back?"""
    teacher = _sign_in(new_context().new_page(), klass["teacher"], klass["path"])
    phone = _phone(chromium, live_server)
    try:
        haoran = _sign_in(phone.new_page(), klass["haoran"], klass["path"])
        dialog = teacher.locator("[data-mute-dialog]")
        with screenshots.on_failure(teacher, "mute-dialog"):
            message = teacher.locator(".chat-message").filter(has_text="message 38")
            message.locator('[data-action="mute"]').click()
            expect(dialog).to_be_visible()
            dialog.locator("[data-mute-confirm]").click()
            expect(dialog.locator("[data-mute-error]")).to_be_visible()
            expect(dialog).to_be_visible()
            dialog.locator("[data-mute-minutes]").select_option(index=1)
            dialog.locator("[data-mute-reason]").fill("刷屏，请冷静一下")
            dialog.locator("[data-mute-confirm]").click()
            expect(dialog).to_be_hidden()
            expect(teacher.locator("[data-chat-muted-items] [data-muted-user]")).to_contain_text("刷屏，请冷静一下")
        notice = haoran.locator("[data-chat-muted]")
        with screenshots.on_failure(haoran, "muted-live"):
            expect(notice).to_be_visible()
            expect(notice).to_contain_text("刷屏，请冷静一下")
            expect(haoran.locator("[data-chat-body]")).to_be_disabled()
        with screenshots.on_failure(haoran, "muted-after-reload"):
            haoran.reload()
            expect(haoran.locator("[data-chat][data-chat-ready]")).to_be_attached()
            expect(notice).to_be_visible()
            expect(notice).to_contain_text("刷屏，请冷静一下")
            expect(haoran.locator("[data-chat-body]")).to_be_disabled()
            expect(haoran.locator("[data-chat-send]")).to_be_disabled()
            expect(haoran.locator("[data-chat-composer]")).to_be_in_viewport()
        with screenshots.on_failure(teacher, "unmute"):
            teacher.locator("[data-chat-muted-items] [data-unmute]").click()
            expect(teacher.locator("[data-chat-muted-items] [data-muted-user]")).to_have_count(0)
        with screenshots.on_failure(haoran, "unmuted-live"):
            expect(notice).to_be_hidden()
            expect(haoran.locator("[data-chat-body]")).to_be_enabled()
    finally:
        phone.close()


def test_the_teacher_keeps_a_hidden_message_marked_and_shows_it_again(new_context, live_server, klass, screenshots):
    """After a message is hidden: is it gone from 云妮's screen, marked "hidden" on the teacher's, and back on
    云妮's screen when the teacher clicks "Show again"?"""
    from lms.accounts.models import User
    from lms.chat import operations as chat_ops
    from lms.chat.models import ChatMessage
    from lms.extensions import db

    teacher = _sign_in(new_context().new_page(), klass["teacher"], klass["path"])
    yunni = _sign_in(new_context().new_page(), klass["yunni"], klass["path"])

    with live_server.app.app_context():
        message = db.session.scalar(db.select(ChatMessage).where(
            ChatMessage.channel_id == int(klass["path"].rsplit("/", 1)[1]), ChatMessage.body == "message 38"))
        mei = db.session.scalar(db.select(User).where(User.email == klass["teacher"]))
        chat_ops.hide_message(message, actor=mei, reason="Off topic")
        db.session.commit()
        db.session.remove()
    shown = ".chat-message:has-text('message 38')"
    with screenshots.on_failure(yunni, "hidden-gone"):
        expect(yunni.locator(shown)).to_have_count(0)
    with screenshots.on_failure(teacher, "hidden-marked"):
        marked = teacher.locator(shown)
        expect(marked.locator("[data-hidden-badge]")).to_be_visible()
        marked.locator('[data-action="unhide"]').click()
        expect(marked.locator("[data-hidden-badge]")).to_have_count(0)
    with screenshots.on_failure(yunni, "shown-again"):
        expect(yunni.locator(shown)).to_have_count(1)


def test_a_channel_opened_for_a_student_appears_on_their_open_page(new_context, live_server, klass, screenshots):
    """When the teacher opens a channel for 云妮, does it appear in her channel list without a reload?"""
    from lms.accounts.models import User
    from lms.chat import operations as chat_ops
    from lms.chat.models import ChannelVisibility, ChatChannel
    from lms.extensions import db

    yunni = _sign_in(new_context().new_page(), klass["yunni"], klass["path"])
    with live_server.app.app_context():
        main = db.session.get(ChatChannel, int(klass["path"].rsplit("/", 1)[1]))
        mei = db.session.scalar(db.select(User).where(User.email == klass["teacher"]))
        student = db.session.scalar(db.select(User).where(User.email == klass["yunni"]))
        chat_ops.create_channel(main.circle, mei, name="第二组 Group 2", visibility=ChannelVisibility.chosen,
                                member_ids=[student.id])
        db.session.commit()
        db.session.remove()
    with screenshots.on_failure(yunni, "channel-appears"):
        expect(yunni.locator("[data-chat-channels] a").filter(has_text="第二组 Group 2")).to_have_count(1)


def test_the_report_dialog_shows_what_is_reported(new_context, klass, screenshots):
    """Does the Report dialog quote the message (its author and words) the student is about to report?"""
    yunni = _sign_in(new_context().new_page(), klass["yunni"], klass["path"])
    with screenshots.on_failure(yunni, "report-what"):
        message = yunni.locator(".chat-message").filter(has_text="message 38")
        message.locator("[data-report-kind]").click()
        expect(yunni.locator(".report-dialog [data-report-what]")).to_have_text("李浩然: “message 38”")
