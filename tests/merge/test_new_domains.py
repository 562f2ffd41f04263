"""Merging accounts that hold check-ins, likes, circle files and roster links (the domains added after
the merge), and the refusal when a column has no rule."""
from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from lms.audit.models import AuditEvent
from lms.checkins import operations as checkin_ops
from lms.checkins.models import Checkin, CheckinLike, CheckinStreak
from lms.extensions import db
from lms.files import operations as file_ops
from lms.files.models import Folder
from lms.merge.operations import MergeError, merge_accounts, preview_merge, undo_merge
from lms.orgs.models import Organization
from lms.roster_sync.models import RosterLink, RosterLinkKind
from tests.checkins.support import make_task


@pytest.fixture
def pair(klass, make):
    merged = make.user("Student Again", "student.again@other.example")
    make.member(klass.circle, merged, display_name="Student Twice")
    return klass.student, merged


def _checkin(task, user, day, text="read"):
    checkin = Checkin(task_id=task.id, user_id=user.id, day=day, text=text)
    db.session.add(checkin)
    db.session.flush()
    return checkin


def test_checkins_keep_the_kept_accounts_day_and_likes_count_once(klass, pair):
    kept, merged = pair
    task = make_task(klass.circle, klass.owner)
    both_day, only_merged_day = date(2026, 2, 1), date(2026, 2, 2)
    mine = _checkin(task, kept, both_day, "kept's")
    theirs = _checkin(task, merged, both_day, "merged's")
    lone = _checkin(task, merged, only_merged_day)
    db.session.add_all([CheckinStreak(task_id=task.id, user_id=kept.id, total=1),
                        CheckinStreak(task_id=task.id, user_id=merged.id, total=2)])
    other = _checkin(task, klass.owner, both_day)
    db.session.commit()
    checkin_ops.set_like(other, kept, True)
    checkin_ops.set_like(other, merged, True)
    db.session.commit()
    assert db.session.get(Checkin, other.id).like_count == 2

    report = merge_accounts(kept, merged, klass.admin)
    db.session.commit()

    assert db.session.get(Checkin, mine.id).user_id == kept.id
    assert db.session.get(Checkin, theirs.id).user_id == merged.id  # kept on the merged account, reported
    assert db.session.get(Checkin, lone.id).user_id == kept.id
    assert {k: report["conflicts"][k] for k in ("checkins.user_id", "checkin_streaks.user_id")} == {
        "checkins.user_id": 1, "checkin_streaks.user_id": 1}
    likes = db.session.scalars(sa.select(CheckinLike.user_id).where(CheckinLike.checkin_id == other.id)).all()
    assert likes == [kept.id]
    assert db.session.get(Checkin, other.id).like_count == 1
    assert report["deduplicated"] == {"checkin_likes.user_id": 1}
    # the kept account's summary counts the day it gained (its row won the conflict and is recomputed)
    streak = db.session.scalar(sa.select(CheckinStreak).where(CheckinStreak.user_id == kept.id))
    assert streak.total == 2

    undo_merge(db.session.get(AuditEvent, report["audit_event_id"]), klass.admin)
    db.session.commit()
    db.session.expire_all()
    likes = db.session.scalars(sa.select(CheckinLike.user_id).where(CheckinLike.checkin_id == other.id)).all()
    assert sorted(likes) == sorted([kept.id, merged.id])
    assert db.session.get(Checkin, other.id).like_count == 2
    assert db.session.get(Checkin, lone.id).user_id == merged.id
    totals = dict(db.session.execute(sa.select(CheckinStreak.user_id, CheckinStreak.total)).all())
    assert totals == {kept.id: 1, merged.id: 2}


def test_folders_move_and_roster_link_follows_the_person(klass, pair, make):
    kept, merged = pair
    folder = file_ops.create_folder(file_ops.root_folder(klass.circle), merged, "Notes")
    org = Organization(name="School")
    db.session.add(org)
    db.session.flush()
    person = RosterLink(org_id=org.id, kind=RosterLinkKind.user, sourced_id="u-42", local_id=merged.id)
    # a class link whose circle id happens to equal the merged account's id: not a person, stays
    klass_link = RosterLink(org_id=org.id, kind=RosterLinkKind.klass, sourced_id="c-1", local_id=merged.id)
    db.session.add_all([person, klass_link])
    db.session.commit()
    assert preview_merge(kept, merged)["roster_links.local_id"]["move"] == 1

    report = merge_accounts(kept, merged, klass.admin)
    db.session.commit()

    assert db.session.get(Folder, folder.id).created_by_id == kept.id
    assert db.session.get(RosterLink, person.id).local_id == kept.id
    assert db.session.get(RosterLink, klass_link.id).local_id == merged.id
    assert report["moved"]["roster_links.local_id"] == 1
    undo_merge(db.session.get(AuditEvent, report["audit_event_id"]), klass.admin)
    db.session.commit()
    assert db.session.get(RosterLink, person.id).local_id == merged.id


def test_a_column_without_a_rule_refuses_the_merge_naming_the_kind_of_data(klass, pair):
    """Is the refusal a sentence naming the data in words (a labelled table, else its name in words),
    never a column name?"""
    kept, merged = pair
    probe = sa.Table("checkin_tasks_probe", db.metadata, sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("reviewer_id", sa.ForeignKey("users.id")), extend_existing=True)
    try:
        with pytest.raises(MergeError) as refused:
            merge_accounts(kept, merged, klass.admin)
        text = str(refused.value)
        assert "Checkin tasks probe" in text and "reviewer_id" not in text and "nothing was merged" in text
        db.session.rollback()
    finally:
        db.metadata.remove(probe)
    from lms.merge.operations import missing_rules_message
    assert "Circle files: uploaded by this account" in missing_rules_message([("circle_files", "uploaded_by_id")])


def test_the_preview_says_before_the_merge_that_it_would_be_refused(klass, pair, client_as):
    kept, merged = pair
    probe = sa.Table("folders_probe", db.metadata, sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("owner_id", sa.ForeignKey("users.id")))
    try:
        page = client_as(klass.admin).get(f"/merge/{kept.id}/{merged.id}").get_data(as_text=True)
    finally:
        db.metadata.remove(probe)
    assert "data-merge-refused" in page and "Folders probe" in page and "owner_id" not in page
    page = client_as(klass.admin).get(f"/merge/{kept.id}/{merged.id}").get_data(as_text=True)
    assert "data-merge-refused" not in page


def test_moderation_reports_and_actions_follow_the_person_one_report_each(klass, pair, make):
    """Do reports made, reports about one's writing, moderators' actions and first-post approvals move
    with the account, the same thing reported by both accounts staying reported once (the kept account's),
    and does undo give the merged account its rows back?"""
    from lms.moderation import operations as mod_ops
    from lms.moderation.models import ActionKind, ApprovedWriter, ModerationAction, Report, ReportKind, ReportReason
    from tests.moderation.support import make_post

    kept, merged = pair
    teacher = klass.owner
    both = make_post(klass.circle, teacher, "Reported by both accounts")
    only_merged = make_post(klass.circle, teacher, "Reported by the merged account")
    by_merged = make_post(klass.circle, merged, "Written by the merged account")
    mine, _ = mod_ops.file_report(klass.circle, kept, ReportKind.post, both.id, ReportReason.spam)
    twin, _ = mod_ops.file_report(klass.circle, merged, ReportKind.post, both.id, ReportReason.abuse)
    lone, _ = mod_ops.file_report(klass.circle, merged, ReportKind.post, only_merged.id, ReportReason.spam)
    about, _ = mod_ops.file_report(klass.circle, kept, ReportKind.post, by_merged.id, ReportReason.spam)
    db.session.commit()
    mod_ops.act(klass.circle, ReportKind.post, by_merged.id, ActionKind.warn, teacher, "Stay on topic")
    db.session.add_all([ApprovedWriter(circle_id=klass.circle.id, user_id=kept.id),
                        ApprovedWriter(circle_id=klass.circle.id, user_id=merged.id)])
    db.session.commit()
    assert about.author_id == merged.id

    report = merge_accounts(kept, merged, klass.admin)
    db.session.commit()

    assert db.session.get(Report, mine.id).reporter_id == kept.id
    assert db.session.get(Report, twin.id).reporter_id == merged.id  # the same thing, reported once by the kept
    assert db.session.get(Report, lone.id).reporter_id == kept.id
    assert db.session.get(Report, about.id).author_id == kept.id
    warning = db.session.scalar(sa.select(ModerationAction).where(ModerationAction.object_id == by_merged.id))
    assert warning.target_user_id == kept.id and warning.actor_id == teacher.id
    assert report["conflicts"]["moderation_reports.reporter_id"] == 1
    assert report["conflicts"]["moderation_approved_writers.user_id"] == 1

    undo_merge(db.session.get(AuditEvent, report["audit_event_id"]), klass.admin)
    db.session.commit()
    assert db.session.get(Report, lone.id).reporter_id == merged.id
    assert db.session.get(Report, about.id).author_id == merged.id
    assert db.session.get(ModerationAction, warning.id).target_user_id == merged.id
