"""Grades left on a merged-away account: the circle's graders choose which of the two grades stays."""
from __future__ import annotations

import sqlalchemy as sa

from lms.extensions import db
from lms.grading.models import Grade, GradeChange
from lms.merge.operations import merge_accounts


def _merged_pair_with_two_grades(klass, make, hw, grading):
    kept = klass.student
    merged = make.user("Student Again", "student.again@other.example")
    make.member(klass.circle, merged, display_name="Student Twice")
    task = hw.assignment(klass.circle, title="Lab report", points=10)
    grading.grade(task, kept, klass.teacher, score=4, feedback="Kept account's work", release=True)
    grading.grade(task, merged, klass.teacher, score=9, feedback="Other account's work", release=True)
    merge_accounts(kept, merged, klass.admin)
    db.session.commit()
    return kept, merged, task


def test_the_teacher_chooses_the_merged_accounts_grade(klass, make, hw, grading, client_as):
    kept, merged, task = _merged_pair_with_two_grades(klass, make, hw, grading)
    mine = db.session.scalar(sa.select(Grade).where(Grade.assignment_id == task.id, Grade.student_id == kept.id))
    theirs = db.session.scalar(sa.select(Grade).where(Grade.assignment_id == task.id, Grade.student_id == merged.id))
    history_before = {g.id: db.session.scalar(sa.select(sa.func.count()).select_from(GradeChange)
                                              .where(GradeChange.grade_id == g.id)) for g in (mine, theirs)}
    teacher = client_as(klass.teacher)
    url = f"/circles/{klass.circle.id}/merged-grades"
    page = teacher.get(url).get_data(as_text=True)
    assert "Lab report" in page and "student.again@other.example" in page and "9 of 10" in page and "9.0" not in page
    assert teacher.post(url, data={"grade": str(mine.id), "choice": "other"}).status_code == 302
    db.session.expire_all()
    now_counts = db.session.scalar(sa.select(Grade).where(Grade.assignment_id == task.id,
                                                          Grade.student_id == kept.id))
    assert now_counts.id == mine.id and now_counts.score == 9 and now_counts.feedback_md == "Other account's work"
    left = db.session.get(Grade, theirs.id)
    assert left.student_id == merged.id and left.score == 4  # the replaced grade stays, on the merged account
    # the histories followed their grades; the choice is one more entry on the grade that counts
    actions = db.session.scalars(sa.select(GradeChange.action).where(GradeChange.grade_id == mine.id)
                                 .order_by(GradeChange.id)).all()
    assert len(actions) == history_before[theirs.id] + 1 and actions[-1] == "merge_swapped"
    assert "No grade from a merged account" in teacher.get(url).get_data(as_text=True)
    # the student sees the chosen grade
    assert db.session.scalar(sa.select(Grade.score).where(Grade.student_id == kept.id,
                                                          Grade.assignment_id == task.id)) == 9


def test_keeping_the_grade_settles_it_and_strangers_and_students_get_404(klass, make, hw, grading, client_as):
    kept, merged, task = _merged_pair_with_two_grades(klass, make, hw, grading)
    mine = db.session.scalar(sa.select(Grade).where(Grade.assignment_id == task.id, Grade.student_id == kept.id))
    url = f"/circles/{klass.circle.id}/merged-grades"
    for who in (klass.stranger, klass.classmate, kept):
        assert client_as(who).get(url).status_code == 404
        assert client_as(who).post(url, data={"grade": str(mine.id), "choice": "other"}).status_code in (400, 404)
    teacher = client_as(klass.teacher)
    assert teacher.post(url, data={"grade": str(mine.id), "choice": "kept"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Grade, mine.id).score == 4
    assert teacher.post(url, data={"grade": str(mine.id), "choice": "other"}).status_code == 404  # settled
    # another circle's teacher cannot reach it by id
    other_owner = make.user()
    other = make.circle(other_owner)
    assert client_as(other_owner).post(f"/circles/{other.id}/merged-grades",
                                       data={"grade": str(mine.id), "choice": "other"}).status_code == 404
    assert db.session.get(Grade, mine.id).score == 4


def test_staff_are_told_and_the_gradebook_shows_a_banner_while_pairs_remain(klass, make, hw, grading, client_as):
    """Does the merge notify the circle's staff (not its students) of the grades to choose, and do the
    gradebook and SpeedGrader link to the merged-grades page until the choice is made?"""
    from lms.notifications.models import Notification

    kept, merged, task = _merged_pair_with_two_grades(klass, make, hw, grading)
    told = db.session.scalars(sa.select(Notification).where(Notification.kind == "merged_grades")).all()
    assert klass.teacher.id in {n.user_id for n in told} and klass.owner.id in {n.user_id for n in told}
    assert not {klass.classmate.id, kept.id, merged.id} & {n.user_id for n in told}
    assert all(n.url == f"/circles/{klass.circle.id}/merged-grades" and n.circle_id == klass.circle.id for n in told)
    teacher = client_as(klass.teacher)
    link = f'href="/circles/{klass.circle.id}/merged-grades"'
    book = teacher.get(f"/circles/{klass.circle.id}/grades")
    assert book.status_code == 200 and link in book.get_data(as_text=True)
    assert "1 grade needs your choice" in book.get_data(as_text=True)
    speed = teacher.get(f"/circles/{klass.circle.id}/assignments/{task.id}/grade", follow_redirects=True)
    assert speed.status_code == 200 and link in speed.get_data(as_text=True)
    assert link not in client_as(kept).get(f"/circles/{klass.circle.id}/grades").get_data(as_text=True)
    mine = db.session.scalar(sa.select(Grade).where(Grade.assignment_id == task.id, Grade.student_id == kept.id))
    assert teacher.post(f"/circles/{klass.circle.id}/merged-grades",
                        data={"grade": str(mine.id), "choice": "kept"}).status_code == 302
    assert link not in teacher.get(f"/circles/{klass.circle.id}/grades").get_data(as_text=True)
