"""Merging two accounts of one person: what moves, what stays, what the log says."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from lms.accounts import operations as account_ops
from lms.accounts.models import User, UserSession
from lms.audit.models import AuditEvent
from lms.circles.models import Membership, MembershipStatus
from lms.circles.notifications import JOIN_REQUESTED
from lms.extensions import db
from lms.feed.posts import operations as post_ops
from lms.feed.posts.queries import feed_settings
from lms.grading.models import Grade
from lms.homework.models import Submission
from lms.identity.models import ExternalIdentity
from lms.merge.operations import MergeError, merge_accounts, preview_merge
from lms.notifications import notify
from lms.notifications.models import Notification
from lms.uploads.models import Media
from tests.fixtures.factories import PASSWORD


@pytest.fixture
def pair(klass, make):
    """`kept` (the class's student) and `merged`, a second account of the same person made at another
    provider, in the class too, and alone in a second circle."""
    merged = make.user("Student Again", "student.again@other.example")
    make.member(klass.circle, merged, display_name="Student Twice", real_name="Stu Dent", student_no="S-42")
    other = make.circle(klass.owner)
    make.member(other, merged, display_name="Only Here")
    return klass.student, merged, other


def test_everything_moves_to_the_kept_account(klass, pair, hw, make):
    """Do submissions, grades, comments, uploads, notifications, identities and the lone membership move?"""
    kept, merged, other = pair
    task = hw.assignment(other, accepts="text")
    submission = hw.submission(task, merged, text="mine")
    hw.grade(task, merged, score=91)
    media = hw.media(merged)
    settings = feed_settings(other)
    post = post_ops.create_post(other, klass.owner, settings, body_md="Hello")
    comment = post_ops.add_comment(post, merged, "Hi")
    notify(JOIN_REQUESTED, [merged.id], url="/x", params={"name": "A", "circle": "B"})
    identity = ExternalIdentity(user_id=merged.id, issuer="https://idp.example", subject="abc")
    db.session.add(identity)
    db.session.commit()
    preview = preview_merge(kept, merged)
    assert preview["submissions.student_id"]["move"] == 1

    report = merge_accounts(kept, merged, klass.admin)
    db.session.commit()

    assert db.session.get(Submission, submission.id).student_id == kept.id
    assert db.session.scalar(sa.select(Grade.student_id).where(Grade.assignment_id == task.id)) == kept.id
    assert db.session.get(Media, media.id).owner_id == kept.id
    assert db.session.get(type(comment), comment.id).author_id == kept.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)
                             .where(Notification.user_id == merged.id)) == 0
    assert db.session.get(ExternalIdentity, identity.id).user_id == kept.id
    lone = db.session.scalar(sa.select(Membership).where(Membership.circle_id == other.id,
                                                         Membership.display_name == "Only Here"))
    assert lone.user_id == kept.id
    assert report["moved"]["submissions.student_id"] == 1


def test_one_membership_stays_where_both_were_members(klass, pair):
    """Where both accounts were in one circle, does one active membership stay with the number and the
    earlier join, the other marked left (not deleted), and the member count drop by one?"""
    kept, merged, _other = pair
    count = klass.circle.member_count
    report = merge_accounts(kept, merged, klass.admin)
    db.session.commit()
    rows = {m.user_id: m for m in db.session.scalars(sa.select(Membership).where(Membership.circle_id == klass.circle.id,
                                                                                 Membership.user_id.in_([kept.id, merged.id])))}
    assert rows[kept.id].status == MembershipStatus.active
    assert rows[kept.id].student_no == "S-42" and rows[kept.id].real_name == "Stu Dent"
    assert rows[merged.id].status == MembershipStatus.left
    db.session.refresh(klass.circle)
    assert klass.circle.member_count == count - 1
    assert report["memberships_joined"][0]["circle_id"] == klass.circle.id


def test_versions_and_grades_of_one_assignment(klass, pair, hw):
    """Where both handed in one assignment, are the merged account's versions numbered after the kept
    one's, and does the kept account's grade stay (the other kept on the merged account, reported)?"""
    kept, merged, _other = pair
    task = hw.assignment(klass.circle, accepts="text")
    hw.submission(task, kept, text="one")
    hw.submission(task, merged, text="two")
    hw.grade(task, kept, score=70)
    hw.grade(task, merged, score=90)
    report = merge_accounts(kept, merged, klass.admin)
    db.session.commit()
    versions = db.session.execute(sa.select(Submission.version, Submission.text)
                                  .where(Submission.assignment_id == task.id, Submission.student_id == kept.id)
                                  .order_by(Submission.version)).all()
    assert [tuple(v) for v in versions] == [(1, "one"), (2, "two")]
    grades = dict(db.session.execute(sa.select(Grade.student_id, Grade.score).where(Grade.assignment_id == task.id)).all())
    assert grades == {kept.id: 70, merged.id: 90}
    assert report["conflicts"]["grades.student_id"] == 1


def test_the_merged_account_is_disabled_and_signed_out(klass, pair):
    """Does the merged account point at the kept one, refuse sign-in and lose its sessions?"""
    kept, merged, _other = pair
    account_ops.start_session(merged, user_agent="x", ip=None)
    db.session.commit()
    merge_accounts(kept, merged, klass.admin)
    db.session.commit()
    merged = db.session.get(User, merged.id)
    assert merged.is_disabled and merged.merged_into_id == kept.id
    assert account_ops.authenticate(merged.email, PASSWORD) is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UserSession).where(
        UserSession.user_id == merged.id, UserSession.ended_at.is_(None))) == 0


def test_api_tokens_of_the_merged_account_are_revoked(klass, pair):
    """Are the merged account's API tokens revoked (not moved: their scopes were chosen for it)?"""
    from lms.api.models import ApiToken, Scope
    from lms.api.operations import create_token

    kept, merged, _other = pair
    token, _secret = create_token(merged, name="script", scopes=[Scope.circles_read], days=30)
    db.session.commit()
    report = merge_accounts(kept, merged, klass.admin)
    db.session.commit()
    token = db.session.get(ApiToken, token.id)
    assert token.user_id == merged.id and token.revoked_at is not None
    assert report["tokens_revoked"] == 1


def test_likes_both_gave_count_once(klass, pair):
    """Where both accounts liked one post, does one like stay (the kept account's; the duplicate is
    removed and kept in the merge record for undo), while a like only the merged account gave moves?"""
    from lms.feed.posts.models import Like

    kept, merged, other = pair
    settings = feed_settings(klass.circle)
    post = post_ops.create_post(klass.circle, klass.owner, settings, body_md="Both")
    lone = post_ops.create_post(klass.circle, klass.owner, settings, body_md="One")
    db.session.add_all([Like(post_id=post.id, user_id=kept.id), Like(post_id=post.id, user_id=merged.id),
                        Like(post_id=lone.id, user_id=merged.id)])
    db.session.commit()
    report = merge_accounts(kept, merged, klass.admin)
    db.session.commit()
    likes = db.session.execute(sa.select(Like.post_id, Like.user_id).order_by(Like.post_id, Like.user_id)).all()
    assert [tuple(row) for row in likes] == [(post.id, kept.id), (lone.id, kept.id)]
    assert "feed_likes.user_id" not in report["conflicts"] and report["deduplicated"] == {"feed_likes.user_id": 1}


def test_the_audit_log_explains_the_merge(klass, pair):
    """Is there one accounts_merged record, by the admin, with the counts and conflicts?"""
    kept, merged, _other = pair
    merge_accounts(kept, merged, klass.admin)
    db.session.commit()
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "accounts_merged"))
    assert event.actor_id == klass.admin.id
    assert event.details["merged_id"] == merged.id
    assert event.details["_report"]["moved"]["memberships.user_id"] == 1
    assert event.details["moved"]["Circle memberships"] == 1  # the log page reads labels


def test_an_error_changes_nothing(klass, pair, monkeypatch):
    """When a step fails half way, is every earlier move undone?"""
    kept, merged, other = pair
    import lms.merge.operations as merge_ops

    def boom(*_a, **_k):
        raise RuntimeError("boom")
    monkeypatch.setattr(merge_ops, "end_sessions", boom)
    with pytest.raises(RuntimeError):
        merge_accounts(kept, merged, klass.admin)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Membership)
                             .where(Membership.user_id == merged.id, Membership.status == MembershipStatus.active)) == 2
    assert not db.session.get(User, merged.id).is_disabled


def test_same_or_disabled_account_is_refused(klass, pair):
    kept, merged, _other = pair
    with pytest.raises(MergeError):
        merge_accounts(kept, kept, klass.admin)
    account_ops.set_disabled(merged, True, klass.admin)
    with pytest.raises(MergeError):
        merge_accounts(kept, merged, klass.admin)


def test_a_clash_inside_the_merge_changes_nothing(klass, pair, monkeypatch):
    """When a step fails half-way (here: a unique clash raised after the memberships were joined), does the
    merge refuse with a MergeError and change nothing (one savepoint)?"""
    kept, merged, other = pair

    def clash(*_args):
        raise sa.exc.IntegrityError("INSERT", {}, Exception("unique"))

    monkeypatch.setattr("lms.merge.operations._renumber_submissions", clash)
    with pytest.raises(MergeError):
        merge_accounts(kept, merged, klass.admin)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Membership)
                             .where(Membership.user_id == merged.id, Membership.circle_id == other.id)) == 1
    theirs = db.session.scalar(sa.select(Membership).where(Membership.user_id == merged.id,
                                                           Membership.circle_id == klass.circle.id))
    assert theirs.status == MembershipStatus.active  # the joining of the two class memberships was undone
    assert not db.session.get(User, merged.id).is_disabled


def test_the_audit_log_page_shows_the_merge(klass, pair, login):
    """Does the site's audit log page show the merge record (its report nested in the details)?"""
    kept, merged, _other = pair
    merge_accounts(kept, merged, klass.admin)
    db.session.commit()
    page = login(klass.admin).get("/admin/audit")
    assert page.status_code == 200
    assert "Accounts merged" in page.get_data(as_text=True)


def test_a_membership_the_teacher_removed_stays_removed(klass, pair):
    """Merging an account whose membership was removed with one still active in the same circle does not
    let the person back in by the back door: the kept membership stays removed (one way in), the report
    says so, and the merged account's membership is set aside."""
    kept, merged, _other = pair
    mine = db.session.scalar(sa.select(Membership).where(Membership.circle_id == klass.circle.id,
                                                         Membership.user_id == kept.id))
    theirs = db.session.scalar(sa.select(Membership).where(Membership.circle_id == klass.circle.id,
                                                           Membership.user_id == merged.id))
    assert theirs is not None and theirs.is_active
    mine.status = MembershipStatus.removed
    mine.display_key = None
    db.session.commit()
    report = merge_accounts(kept, merged, klass.admin)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Membership, mine.id).status == MembershipStatus.removed
    assert db.session.get(Membership, theirs.id).status == MembershipStatus.left
    assert [entry["membership_id"] for entry in report["stayed_removed"]] == [mine.id]
