"""Muting reaches every place a member would write, live: 云妮 has the chat, a post (its comment form) and her
homework (its video comment form) open in three tabs; the teacher mutes her from the chat and every tab says until
when and why and its form waits; the teacher unmutes her from the members page and every form opens again, without
a reload. And a Chinese reader sees a live reply's quote joined by the full-width colon."""
from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD

pytestmark = pytest.mark.browser

REASON = "刷屏，请冷静一下"


@pytest.fixture
def klass(live_server):
    """Teacher 陈美, students 云妮 and 浩然, the main channel with one message of 云妮's, a post of the teacher's and
    an assignment 云妮 handed a video in for."""
    from lms.accounts import operations as account_ops
    from lms.chat import operations as chat_ops
    from lms.chat import queries as chat_q
    from lms.circles import operations as circle_ops
    from lms.circles.models import Role
    from lms.extensions import db
    from lms.feed.posts import operations as feed_ops
    from lms.feed.posts import queries as feed_q
    from tests.fixtures.homework import HomeworkFactory

    tag = uuid.uuid4().hex[:6]
    with live_server.app.app_context():
        teacher = account_ops.register_user(f"gap-mei-{tag}@example.org", PASSWORD, "Mei Chen")
        yunni = account_ops.register_user(f"gap-yunni-{tag}@example.org", PASSWORD, "Zhang Yunni", locale="zh_Hans")
        haoran = account_ops.register_user(f"gap-haoran-{tag}@example.org", PASSWORD, "Li Haoran")
        circle = circle_ops.create_circle(teacher, f"Piano {tag}")
        circle_ops.add_member(circle, yunni, Role.student, display_name="云妮")
        circle_ops.add_member(circle, haoran, Role.student, display_name="浩然")
        main = chat_ops.ensure_main_channel(circle)
        db.session.flush()
        chat_ops.send_message(main, chat_q.reader_of(circle, yunni), body="老师好")
        post = feed_ops.create_post(circle, teacher, feed_q.feed_settings(circle), body_md="Scales for Monday")
        db.session.commit()
        homework = HomeworkFactory()
        assignment = homework.assignment(circle, title="Scales video")
        submission = homework.submission(assignment, yunni)
        found = {"chat": f"/c/{circle.id}/chat/{main.id}", "post": f"/circles/{circle.id}/feed/{post.id}",
                 "homework": f"/circles/{circle.id}/assignments/{assignment.id}/submissions/{submission.id}",
                 "members": f"/c/{circle.id}/members", "teacher": teacher.email, "yunni": yunni.email,
                 "haoran": haoran.email}
        db.session.remove()
    return found


def _sign_in(context, email: str):
    page = context.new_page()
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(lambda url: "/login" not in url)
    return page


def _open(context, path: str, ready: str):
    page = context.new_page()
    page.goto(path)
    expect(page.locator(ready)).to_be_attached()
    # the default-namespace socket (bell.js loads it) is connected: pushes to this person reach the page
    page.wait_for_function("() => window.Circles && Circles.socket && Circles.socket.connected()")
    return page


def test_a_mute_and_its_lifting_reach_every_form_of_the_member_live(new_context, klass, screenshots):
    """Muted from the chat: do 云妮's chat, post and homework tabs all show until when and why, with the composer,
    the comment form and the video comment form waiting? Unmuted from the members page: do they all open again
    without a reload?"""
    student = new_context()
    _sign_in(student, klass["yunni"]).close()
    chat = _open(student, klass["chat"], "[data-chat][data-chat-ready]")
    post = _open(student, klass["post"], "#comment-form")
    homework = _open(student, klass["homework"], "[data-comment-form]")
    teacher_context = new_context()
    teacher = _sign_in(teacher_context, klass["teacher"])
    teacher.goto(klass["chat"])
    expect(teacher.locator("[data-chat][data-chat-ready]")).to_be_attached()
    with screenshots.on_failure(teacher, "mute-from-chat"):
        teacher.locator(".chat-message").filter(has_text="老师好").locator('[data-action="mute"]').click()
        dialog = teacher.locator("[data-mute-dialog]")
        dialog.locator("[data-mute-reason]").fill(REASON)
        dialog.locator("[data-mute-confirm]").click()
        expect(dialog).to_be_hidden()
    with screenshots.on_failure(chat, "chat-muted"):
        expect(chat.locator("[data-chat-muted]")).to_contain_text(REASON)
        expect(chat.locator("[data-chat-body]")).to_be_disabled()
    with screenshots.on_failure(post, "post-muted"):
        note = post.locator("[data-muted-notice]")
        expect(note).to_be_visible()
        expect(note).to_contain_text(REASON)
        expect(post.locator("#comment-form textarea")).to_be_disabled()
        expect(post.locator("#comment-form button[type=submit]")).to_be_disabled()
    with screenshots.on_failure(homework, "homework-muted"):
        note = homework.locator("[data-muted-notice]")
        expect(note).to_be_visible()
        expect(note).to_contain_text(REASON)
        expect(homework.locator("[data-comment-form] textarea")).to_be_disabled()
    with screenshots.on_failure(homework, "homework-muted-after-reload"):
        homework.reload()
        expect(homework.locator("[data-muted-notice]")).to_contain_text(REASON)
        expect(homework.locator("[data-comment-form] textarea")).to_be_disabled()
        homework.wait_for_function("() => window.Circles && Circles.socket && Circles.socket.connected()")
    with screenshots.on_failure(teacher, "unmute-from-members"):
        teacher.goto(klass["members"])
        teacher.locator("form[action$='/unmute'] button").click()
        expect(teacher.locator("[data-muted-member]")).to_have_count(0)
    with screenshots.on_failure(chat, "chat-unmuted"):
        expect(chat.locator("[data-chat-muted]")).to_be_hidden()
        expect(chat.locator("[data-chat-body]")).to_be_enabled()
    with screenshots.on_failure(post, "post-unmuted"):
        expect(post.locator("[data-muted-notice]")).to_be_hidden()
        expect(post.locator("#comment-form textarea")).to_be_enabled()
        post.locator("#comment-form textarea").fill("Thank you")
        post.locator("#comment-form button[type=submit]").click()
        expect(post.locator(".comment").filter(has_text="Thank you")).to_be_visible()
    with screenshots.on_failure(homework, "homework-unmuted"):
        expect(homework.locator("[data-muted-notice]")).to_be_hidden()
        expect(homework.locator("[data-comment-form] textarea")).to_be_enabled()


def test_a_live_reply_quote_uses_the_readers_colon(new_context, klass, screenshots):
    """Does a Chinese reader's page join the quoted name and text of a reply arriving live with "："?"""
    reader = new_context(locale="zh-CN")
    _sign_in(reader, klass["yunni"]).close()
    page = _open(reader, klass["chat"], "[data-chat][data-chat-ready]")
    writer_context = new_context()
    writer = _sign_in(writer_context, klass["haoran"])
    writer.goto(klass["chat"])
    expect(writer.locator("[data-chat][data-chat-ready]")).to_be_attached()
    with screenshots.on_failure(writer, "reply"):
        writer.locator(".chat-message").filter(has_text="老师好").locator('[data-action="reply"]').click()
        writer.locator("[data-chat-body]").fill("你好")
        writer.locator("[data-chat-body]").press("Enter")
    with screenshots.on_failure(page, "reply-quote-zh"):
        quote = page.locator(".chat-message").filter(has_text="你好").locator(".chat-reply-quote")
        expect(quote).to_have_text("云妮：老师好")
