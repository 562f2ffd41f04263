"""A browser's write refused because of the writer (over the circle's limit, muted, removed from the circle)
never loses the text: a limit or a mute goes back to the page the form was on with the message in place (the
page's script puts the text back: tests/browser/test_chat_refusals.py), a removed member reads that they were
removed, with their text to copy; the removal reaches their bell."""
from __future__ import annotations

from datetime import timedelta

import pytest

from lms.circles import operations as circle_ops
from lms.core.types import utcnow
from lms.extensions import db
from lms.moderation import operations as ops
from tests.fixtures.app import page_text
from tests.moderation.support import make_checkin, make_post, membership, notifications_of


@pytest.fixture
def limits_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "RATE_LIMITING", True)


def _limits(klass, **values):
    defaults = dict(first_posts_need_approval=False, word_list="", links_allowed=True, posts_per_hour=None,
                    comments_per_hour=None, chat_per_minute=None)
    defaults.update(values)
    ops.update_settings(klass.circle, klass.owner, **defaults)
    db.session.commit()


def _writes(klass):
    """(form page, form action, fields) for each kind of write a member makes through a page's form."""
    post = make_post(klass.circle, klass.teacher)
    checkin = make_checkin(klass.circle, klass.teacher)
    c = klass.circle.id
    return {
        "post": (f"/circles/{c}/feed", f"/circles/{c}/feed", {"body_md": "my third post"}),
        "comment": (f"/circles/{c}/feed/{post.id}", f"/circles/{c}/feed/{post.id}/comments",
                    {"body_md": "my third comment"}),
        "checkin_comment": (f"/c/{c}/checkins/{checkin.task_id}/entries/{checkin.id}",
                            f"/c/{c}/checkins/{checkin.task_id}/entries/{checkin.id}/comments",
                            {"body": "my third comment"}),
    }


@pytest.mark.parametrize("kind", ["post", "comment", "checkin_comment"])
def test_a_write_over_the_limit_goes_back_to_its_form_with_the_message(kind, klass, client_as, limits_on, app):
    _limits(klass, posts_per_hour=1, comments_per_hour=1)
    page, action, fields = _writes(klass)[kind]
    client = client_as(klass.student)
    host = "http://localhost"
    assert client.post(action, data={k: "first" for k in fields}, headers={"Referer": host + page}).status_code in (302, 303)
    refused = client.post(action, data=fields, headers={"Referer": host + page})
    assert refused.status_code == 303 and refused.headers["Location"].endswith(page)
    assert refused.headers["Retry-After"]
    back = client.get(page)
    assert back.status_code == 200
    assert "writing faster than this circle allows" in page_text(back)
    # no Referer (a script, another site): the plain 429 answer, as before
    assert client.post(action, data=fields).status_code == 429


def test_a_muted_member_is_sent_back_to_the_form_with_the_reason(klass, client_as):
    page, action, fields = _writes(klass)["post"]
    circle_ops.mute_member(membership(klass.circle, klass.student), until=utcnow() + timedelta(hours=1),
                           actor=klass.teacher, reason="cool down")
    db.session.commit()
    client = client_as(klass.student)
    refused = client.post(action, data=fields, headers={"Referer": "http://localhost" + page})
    assert refused.status_code == 303
    assert "muted in this circle" in page_text(client.get(page))


def test_a_removed_member_is_told_and_gets_their_text_back(klass, client_as):
    page, action, fields = _writes(klass)["comment"]
    client = client_as(klass.student)
    assert client.get(page).status_code == 200
    circle_ops.remove_member(membership(klass.circle, klass.student), klass.teacher)
    db.session.commit()
    [told] = notifications_of(klass.student, "member_removed")
    assert told.url == "/circles" or told.url.startswith("/")
    refused = client.post(action, data=fields, headers={"Referer": "http://localhost" + page})
    assert refused.status_code == 404
    text = page_text(refused)
    assert f"You were removed from {klass.circle.name}" in text and "my third comment" in text
    reload = client.get(page)
    assert reload.status_code == 404 and "You were removed from" in page_text(reload)
    assert "my third comment" not in page_text(reload)


def test_a_stranger_still_gets_the_plain_404(klass, client_as):
    page, action, fields = _writes(klass)["comment"]
    stranger = client_as(klass.stranger)
    response = stranger.post(action, data=fields, headers={"Referer": "http://localhost" + page})
    assert response.status_code == 404 and "removed" not in page_text(response)


def test_the_removed_pages_give_the_staffs_reason(klass, client_as):
    """Does a member removed with a reason read it on the pages they meet afterwards (a circle page, the circle's
    join page), not only in the bell; and does a removal without one say none?"""
    page, _action, _fields = _writes(klass)["comment"]
    client = client_as(klass.student)
    circle_ops.remove_member(membership(klass.circle, klass.student), klass.teacher, reason="Spam in the chat")
    db.session.commit()
    for path in (page, f"/c/{klass.circle.id}"):
        text = page_text(client.get(path))
        assert "You were removed from" in text and "Reason: Spam in the chat" in text, path
    other = client_as(klass.classmate)
    circle_ops.remove_member(membership(klass.circle, klass.classmate), klass.teacher)
    db.session.commit()
    text = page_text(other.get(page))
    assert "You were removed from" in text and "Reason:" not in text
