"""Undoing a merge from its audit record: everything moved goes back, the account is enabled again; only
within the window, once, and not under a later merge of the same accounts."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from lms.accounts.models import User
from lms.api.models import ApiToken
from lms.audit.models import AuditEvent
from lms.circles.models import Membership, MembershipStatus
from lms.core.types import utcnow
from lms.extensions import db
from lms.grading.models import Grade
from lms.homework.models import Submission
from lms.identity.models import ExternalIdentity
from lms.merge import operations as merge_ops
from lms.merge.operations import MergeError, merge_accounts, undo_blocker, undo_merge


def _snapshot(kept, merged, circle):
    def rows(model, column, owner):
        return sorted(db.session.scalars(sa.select(model.id).where(column == owner.id)))
    db.session.expire_all()
    return {
        "submissions": [(s.id, s.student_id, s.version) for s in db.session.scalars(
            sa.select(Submission).where(Submission.student_id.in_([kept.id, merged.id])).order_by(Submission.id))],
        "grades": (rows(Grade, Grade.student_id, kept), rows(Grade, Grade.student_id, merged)),
        "identities": (rows(ExternalIdentity, ExternalIdentity.user_id, kept),
                       rows(ExternalIdentity, ExternalIdentity.user_id, merged)),
        "memberships": [(m.id, m.user_id, m.status, m.role, m.display_name, m.student_no) for m in db.session.scalars(
            sa.select(Membership).where(Membership.user_id.in_([kept.id, merged.id])).order_by(Membership.id))],
        "count": circle.member_count,
    }


def test_undo_gives_everything_back(klass, make, hw, client_as):
    kept = klass.student
    merged = make.user("Student Again", "student.again@other.example")
    make.member(klass.circle, merged, display_name="Student Twice", real_name="Stu Dent", student_no="S-42")
    lone = make.circle(klass.owner)
    make.member(lone, merged, display_name="Only Here")
    task = hw.assignment(klass.circle, accepts="text")
    hw.submission(task, kept, text="kept v1")
    hw.submission(task, merged, text="merged v1")
    hw.submission(task, merged, text="merged v2")
    hw.grade(task, kept, score=3)
    other_task = hw.assignment(lone, accepts="text")
    hw.grade(other_task, merged, score=7)
    db.session.add(ExternalIdentity(user_id=merged.id, issuer="https://idp.example", subject="abc"))
    token = ApiToken(user_id=merged.id, name="t", token_hash="h" * 64, scopes=["read"],
                     expires_at=utcnow() + timedelta(days=30))
    db.session.add(token)
    db.session.commit()
    before = _snapshot(kept, merged, klass.circle)

    admin = client_as(klass.admin)
    page = admin.get(f"/merge/{kept.id}/{merged.id}").get_data(as_text=True)
    assert "can be undone from its record for 14 days" in page and "open sessions end" in page
    done = admin.post(f"/merge/{kept.id}/{merged.id}", data={})
    event_id = int(done.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    assert _snapshot(kept, merged, klass.circle) != before
    assert db.session.get(ApiToken, token.id).revoked_at is not None
    result = admin.get(f"/merge/done/{event_id}").get_data(as_text=True)
    assert f"/merge/done/{event_id}/undo" in result and "Undo the merge" in result

    # the undo asks first, saying what it will put back; the GET changes nothing
    ask = admin.get(f"/merge/done/{event_id}/undo")
    asked = ask.get_data(as_text=True)
    assert ask.status_code == 200 and 'id="undo-plan"' in asked and "Grades:" in asked and "2 submission versions get their numbers back" in asked
    assert "Linked sign-ins (school, LMS):" in asked and "1 API token revoked by the merge works again" in asked
    assert "<form method=\"post\"" in asked and db.session.get(User, merged.id).is_disabled
    undo = admin.post(f"/merge/done/{event_id}/undo", data={}, follow_redirects=True)
    assert "is a separate account again" in undo.get_data(as_text=True), undo.get_data(as_text=True)[-3000:]
    assert _snapshot(kept, merged, klass.circle) == before
    db.session.expire_all()
    again = db.session.get(User, merged.id)
    assert not again.is_disabled and again.merged_into_id is None
    assert db.session.get(ApiToken, token.id).revoked_at is None
    undone = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "accounts_unmerged"))
    assert undone.details["merge_event_id"] == event_id
    # once only
    assert "already undone" in admin.get(f"/merge/done/{event_id}").get_data(as_text=True)
    assert admin.post(f"/merge/done/{event_id}/undo", data={}, follow_redirects=True).status_code == 200
    # a teacher, a stranger: no undo
    for who in (klass.teacher, klass.stranger):
        assert client_as(who).post(f"/merge/done/{event_id}/undo", data={}).status_code == 404


def test_no_undo_after_the_window_or_under_a_later_merge(klass, make, monkeypatch):
    kept, merged, third = klass.student, make.user(), make.user()
    make.member(klass.circle, merged)
    make.member(klass.circle, third)
    first = merge_accounts(kept, merged, klass.admin)
    db.session.commit()
    event = db.session.get(AuditEvent, first["audit_event_id"])
    assert undo_blocker(event) is None
    assert "days only" in undo_blocker(event, now=event.at + merge_ops.UNDO_WINDOW + timedelta(minutes=1))
    second = merge_accounts(kept, third, klass.admin)
    db.session.commit()
    assert "later merge" in undo_blocker(event)
    try:
        undo_merge(event, klass.admin)
    except MergeError:
        db.session.rollback()
    else:
        raise AssertionError("undone under a later merge")
    undo_merge(db.session.get(AuditEvent, second["audit_event_id"]), klass.admin)  # the later one first
    db.session.commit()
    assert undo_blocker(db.session.get(AuditEvent, first["audit_event_id"])) is None
    undo_merge(db.session.get(AuditEvent, first["audit_event_id"]), klass.admin)
    db.session.commit()
    db.session.expire_all()
    assert all(not db.session.get(User, u.id).is_disabled for u in (merged, third))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Membership).where(
        Membership.circle_id == klass.circle.id, Membership.status == MembershipStatus.active)) == \
        klass.circle.member_count
