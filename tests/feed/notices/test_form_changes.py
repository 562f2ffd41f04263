"""Editing a published notice: telling the members (on request), asking them to confirm again, and the
history page showing what changed."""
from __future__ import annotations

from lms.extensions import db
from lms.feed.notices import operations as ops
from lms.feed.notices import queries as q
from lms.feed.notices.changes import text_diff


def _edit(client, notice, **extra):
    data = {"title": notice.title, "body_md": "Bring a coat and boots.", "when": "now", "receipt_level": "confirmed",
            "is_must_read": "y", **extra}
    return client.post(f"/circles/{notice.circle_id}/notices/{notice.id}/edit", data=data)


def test_a_plain_edit_keeps_confirmations_and_tells_nobody(klass, notices, client_as):
    """With both boxes left unticked (the default), do confirmations stay and no change notification go out?"""
    notice = notices.notice(klass.circle, klass.teacher, title="Trip", body_md="Bring a coat.", is_must_read=True)
    ops.confirm_notice(notice, klass.student)
    db.session.commit()
    teacher = client_as(klass.teacher)
    form = teacher.get(f"/circles/{klass.circle.id}/notices/{notice.id}/edit").get_data(as_text=True)
    assert "Ask members to confirm again" in form and "Notify members of this change" in form
    assert 'name="confirm_again" type="checkbox" value="y">' in form  # not checked
    assert _edit(teacher, notice).status_code == 302
    assert q.read_of(notice, klass.student).confirmed_at is not None
    assert notices.notifications("notice_changed") == []


def test_asking_to_confirm_again_clears_confirmations_and_tells_the_members(klass, notices, client_as):
    """Does "Ask members to confirm again" clear the student's confirmation (the notice is back on top for
    them) and tell every member but the editor, with the confirm-again wording?"""
    notice = notices.notice(klass.circle, klass.teacher, title="Trip", body_md="Bring a coat.", is_must_read=True)
    ops.confirm_notice(notice, klass.student)
    db.session.commit()
    assert _edit(client_as(klass.teacher), notice, confirm_again="y").status_code == 302
    db.session.expire_all()
    read = q.read_of(notice, klass.student)
    assert read.opened_at is not None and read.confirmed_at is None
    told = notices.notifications("notice_changed")
    assert {n.user_id for n in told} == {klass.student.id, klass.classmate.id}  # the audience: learners
    assert all(n.params.get("variant") == "confirm_again" for n in told)
    page = client_as(klass.student).get(f"/circles/{klass.circle.id}/notices/{notice.id}").get_data(as_text=True)
    assert "I have read this" in page


def test_notify_members_of_a_change_to_any_notice(klass, notices, client_as):
    """Does "Notify members of this change" tell the members of an ordinary notice, confirmations untouched?"""
    notice = notices.notice(klass.circle, klass.teacher, title="Menu", body_md="Soup.")
    client_as(klass.teacher).post(f"/circles/{klass.circle.id}/notices/{notice.id}/edit",
                                  data={"title": "Menu", "body_md": "Soup and bread.", "when": "now",
                                        "receipt_level": "opened", "notify_change": "y"})
    told = notices.notifications("notice_changed")
    assert klass.student.id in {n.user_id for n in told} and klass.teacher.id not in {n.user_id for n in told}
    assert "variant" not in told[0].params


def test_the_history_shows_what_changed_escaped(klass, notices, client_as):
    """Does the history mark the words removed and added between versions, with user text escaped?"""
    notice = notices.notice(klass.circle, klass.teacher, title="Trip", body_md="Meet at nine.\nBring lunch.")
    teacher = client_as(klass.teacher)
    teacher.post(f"/circles/{klass.circle.id}/notices/{notice.id}/edit",
                 data={"title": "Trip <b>moved</b>", "body_md": "Meet at ten.\nBring lunch.", "when": "now",
                       "receipt_level": "opened"})
    page = teacher.get(f"/circles/{klass.circle.id}/notices/{notice.id}/history").get_data(as_text=True)
    assert "<del>nine</del><ins>ten</ins>" in page
    assert "Title changed" in page and "Trip &lt;b&gt;moved&lt;/b&gt;" in page and "<b>moved" not in page


def test_the_word_diff_reads_chinese_by_character():
    """Is a Chinese sentence compared character by character (it has no spaces between words)?"""
    pieces = [(p.kind, p.text) for p in text_diff("周五交作业", "周六交作业")]
    assert pieces == [("same", "周"), ("removed", "五"), ("added", "六"), ("same", "交作业")]
