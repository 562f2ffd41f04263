"""Work handed in again after it was graded (Canvas's "resubmitted"): it waits for a grade again in SpeedGrader's
"Ungraded" filter, the gradebook cell carries a marker, the graders are told; the old grade stays until the
teacher grades again, and grading again clears it all."""
from __future__ import annotations

import re
from email.header import decode_header, make_header

import pytest

from lms.extensions import db
from lms.grading.models import Grade
from lms.homework.models import Submission
from lms.notifications.models import Notification
from tests.fixtures.app import page_text
from tests.fixtures.homework import ago

KIND = "resubmitted_after_grading"
NEW_VERSION = "New version since graded"


def _base(klass, assignment) -> str:
    return f"/circles/{klass.circle.id}/assignments/{assignment.id}"


def _hand_in(client, klass, assignment, text: str, **data):
    response = client.post(f"{_base(klass, assignment)}/submit", data={"text": text, **data})
    assert response.status_code == 302, page_text(response)
    return response


def _grade(client, klass, assignment, student, score: str):
    response = client.post(f"{_base(klass, assignment)}/grade/{student.id}", data={"score": score, "save": "1"})
    assert response.status_code == 302, page_text(response)


def _told(klass, assignment) -> list[int]:
    db.session.expire_all()
    return sorted(db.session.scalars(db.select(Notification.user_id).where(
        Notification.kind == KIND, Notification.subject_id == assignment.id)))


def _sg_list(html: str) -> str:
    return re.search(r'<ol class="sg-list">(.*?)</ol>', html, flags=re.S).group(1)


def _cell(html: str, name: str) -> str:
    """The first assignment cell of `name`'s row in the staff gradebook."""
    row = re.search(rf'<th scope="row">{re.escape(name)}</th>(.*?)</tr>', html, flags=re.S).group(1)
    return re.findall(r'<td class="num">(.*?)</td>', row, flags=re.S)[0]


@pytest.fixture
def essay(klass, hw):
    """A text assignment worth 5 points."""
    return hw.assignment(klass.circle, accepts="text", points=5, title="Essay")


@pytest.fixture
def regraded(klass, client_as, essay):
    """The student hands in, the teacher grades 5/5, the student hands in a second version (all over HTTP)."""
    student, teacher = client_as(klass.student), client_as(klass.teacher)
    _hand_in(student, klass, essay, "first take")
    _grade(teacher, klass, essay, klass.student, "5")
    _hand_in(student, klass, essay, "second take")
    return teacher


def test_speedgrader_counts_and_lists_the_new_version_to_grade(klass, essay, regraded):
    """After a re-hand-in of graded work, does "Ungraded" count 1 and list the student, marked in words, with
    their existing grade still shown?"""
    page = regraded.get(f"{_base(klass, essay)}/grade?filter=ungraded", follow_redirects=True)
    html = page.get_data(as_text=True)
    assert "Ungraded (1)" in page_text(page)
    listed = _sg_list(html)
    assert "Student In Class" in listed and "Classmate In Class" not in listed
    assert NEW_VERSION in listed
    # the page opened on that student, at the new version, with the old grade in the form and in words
    assert re.search(r'<option value="2"\s+selected>', html)
    assert re.search(r'name="score"[^>]*value="5.0"', html)
    assert "Final score: 5 of 5." in page_text(page)
    assert "version 2 was handed in after that" in page_text(page)
    grade = db.session.scalar(db.select(Grade).where(Grade.assignment_id == essay.id))
    assert grade.score == 5.0  # nothing about the grade changed


def test_save_and_next_goes_to_the_new_version(klass, client_as, essay, regraded, hw):
    """Grading the classmate with "Save and next" under "Ungraded": does it step on to the student's new
    version (not report that everything is graded)?"""
    hw.submission(essay, klass.classmate, text="mine")
    response = regraded.post(f"{_base(klass, essay)}/grade/{klass.classmate.id}?filter=ungraded",
                             data={"score": "4", "save_next": "1"})
    assert response.status_code == 302
    assert response.headers["Location"].split("?")[0].endswith(f"/grade/{klass.student.id}")


def test_gradebook_cell_marks_the_new_version_without_changing_the_score(klass, essay, regraded, client_as):
    """Does the student's cell keep 5 and the totals, and carry a marker whose words say what it is?"""
    html = regraded.get(f"/circles/{klass.circle.id}/grades").get_data(as_text=True)
    cell = _cell(html, "Student In Class")
    assert cell.startswith("5 ")
    assert f'title="{NEW_VERSION}"' in cell and f'<span class="visually-hidden">{NEW_VERSION}</span>' in cell
    assert NEW_VERSION not in _cell(html, "Classmate In Class")
    data = regraded.get(f"/circles/{klass.circle.id}/grades", headers={"Accept": "application/json"}).get_json()
    mine = next(s for s in data["students"] if s["user_id"] == klass.student.id)
    assert (mine["points"], mine["grades"][0]["score"], mine["grades"][0]["new_version"]) == (5, 5, True)


def test_assignment_page_lists_the_student_as_new_version(klass, essay, regraded):
    """Does the staff list of the assignment's students say the work came in again after grading?"""
    text = page_text(regraded.get(_base(klass, essay)))
    assert f"Student In Class {NEW_VERSION}" in text


def test_the_graders_are_told_once(klass, essay, mailbox, regraded, client_as):
    """Are the circle's owner, teacher and assistant told (bell and mail), nobody else, and does a third
    version handed in before anyone graded again tell nobody a second time?"""
    assert _told(klass, essay) == sorted([klass.owner.id, klass.teacher.id, klass.assistant.id])
    row = db.session.scalar(db.select(Notification).where(Notification.kind == KIND,
                                                          Notification.user_id == klass.teacher.id))
    assert row.url == f"{_base(klass, essay)}/grade/{klass.student.id}"
    assert row.params["name"] == "Student In Class"
    notifications = page_text(regraded.get("/notifications"))
    assert "Student In Class handed in a new version of “Essay” after it was graded." in notifications
    subjects = [str(make_header(decode_header(m["Subject"]))) for m in mailbox.to(klass.teacher.email)]
    assert "New version of “Essay” to grade" in subjects
    _hand_in(client_as(klass.student), klass, essay, "third take")
    assert len(_told(klass, essay)) == 3


def test_grading_again_clears_the_marks(klass, essay, regraded):
    """Once the teacher grades the new version, is nothing left to grade and no marker shown?"""
    assert "Ungraded (1)" in page_text(regraded.get(f"{_base(klass, essay)}/grade/{klass.student.id}"))
    _grade(regraded, klass, essay, klass.student, "4")
    page = regraded.get(f"{_base(klass, essay)}/grade/{klass.student.id}")
    assert "Ungraded (0)" in page_text(page)
    assert NEW_VERSION not in page.get_data(as_text=True)
    html = regraded.get(f"/circles/{klass.circle.id}/grades").get_data(as_text=True)
    cell = _cell(html, "Student In Class")
    assert cell.startswith("4 ") and NEW_VERSION not in cell


def test_a_hand_in_without_a_grade_tells_nobody(klass, client_as, essay):
    """A first hand-in, and a second before any grade: no notification of a new version, and "Ungraded" counts
    the student once as ordinary work to grade, unmarked. Only the version after a grade tells the graders."""
    student, teacher = client_as(klass.student), client_as(klass.teacher)
    _hand_in(student, klass, essay, "first take")
    _hand_in(student, klass, essay, "second take")
    assert _told(klass, essay) == []
    page = teacher.get(f"{_base(klass, essay)}/grade?filter=ungraded", follow_redirects=True)
    assert "Ungraded (1)" in page_text(page)
    assert NEW_VERSION not in page.get_data(as_text=True)
    _grade(teacher, klass, essay, klass.student, "3")
    _hand_in(student, klass, essay, "third take")
    assert _told(klass, essay) == sorted([klass.owner.id, klass.teacher.id, klass.assistant.id])


def test_teachers_choose_how_they_hear_of_it(klass, client_as):
    """Is the kind offered on the preferences page to people who teach, and not to a student?"""
    label = "A student hands in a new version of graded work"
    assert label in page_text(client_as(klass.teacher).get("/notifications/preferences"))
    assert label not in page_text(client_as(klass.student).get("/notifications/preferences"))


def test_a_video_uploaded_before_the_grade_but_handed_in_after_is_new(klass, client_as, hw):
    """A video's receipt time is its last byte's (up to 15 minutes before the click): the second version's
    upload ended a minute before the teacher graded the first, and was handed in after. Is it still a new
    version to grade, and are the graders told?"""
    assignment = hw.assignment(klass.circle, points=5, title="Scales")
    student = client_as(klass.student)
    _hand_in(student, klass, assignment, "", media_id=hw.media(klass.student, received_at=ago(minutes=10)).id)
    second = hw.media(klass.student, received_at=ago(minutes=2))
    _grade(client_as(klass.teacher), klass, assignment, klass.student, "5")
    _hand_in(student, klass, assignment, "", media_id=second.id)
    latest = db.session.scalar(db.select(Submission).where(Submission.assignment_id == assignment.id,
                                                           Submission.version == 2))
    grade = db.session.scalar(db.select(Grade).where(Grade.assignment_id == assignment.id))
    assert latest.submitted_at < grade.graded_at  # the receipt time says "before"; the version says "after"
    page = client_as(klass.teacher).get(f"{_base(klass, assignment)}/grade?filter=ungraded", follow_redirects=True)
    assert "Ungraded (1)" in page_text(page)
    assert len(_told(klass, assignment)) == 3


def test_excusing_after_the_new_version_clears_it(klass, client_as, essay, regraded):
    """Excusing the student after their new version arrived is the teacher's answer to it: nothing waits."""
    assert "Ungraded (1)" in page_text(regraded.get(f"{_base(klass, essay)}/grade/{klass.student.id}"))
    response = regraded.post(f"{_base(klass, essay)}/grade/{klass.student.id}/excuse", data={"excused": "1"})
    assert response.status_code == 302
    page = regraded.get(f"{_base(klass, essay)}/grade/{klass.student.id}")
    assert "Ungraded (0)" in page_text(page)
    assert NEW_VERSION not in page.get_data(as_text=True)


def test_gradebook_marks_every_new_version_in_the_same_queries(app, make, hw, grading, client_as, count_queries):
    """With every student graded and then handing in again, does the gradebook mark each cell and still run the
    same number of SQL statements for 3 students as for 30?"""
    counts = {}
    for size in (3, 30):
        owner = make.user()
        circle = make.circle(owner)
        students = [make.member(circle, make.user(), display_name=f"Pupil {n}").user for n in range(size)]
        assignment = hw.assignment(circle, author=owner, accepts="text", points=10)
        for student in students:
            hw.submission(assignment, student, text="first")
            grading.grade(assignment, student, owner, score=7)
            hw.submission(assignment, student, text="second")
        client = client_as(owner)
        url = f"/circles/{circle.id}/grades"
        assert client.get(url).status_code == 200  # warm-up
        with count_queries:
            html = client.get(url).get_data(as_text=True)
        counts[size] = count_queries.count
        assert html.count(f'<span class="visually-hidden">{NEW_VERSION}</span>') == size
    assert counts[3] == counts[30], counts
