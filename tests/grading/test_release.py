"""Releasing grades: per student and all at once, hiding again, what students see before and after, the mail."""
from __future__ import annotations

import pytest

from lms.extensions import db
from lms.grading.models import Grade
from lms.homework import operations as hw_ops
from lms.homework.models import Submission
from tests.fixtures.app import page_text

SECRET_FEEDBACK = "Intonation drifts in bar twelve"


@pytest.fixture
def graded(klass, hw, grading):
    """A video assignment both students handed in; the teacher graded both and pinned a comment, nothing released."""
    assignment = hw.assignment(klass.circle, points=10, title="Scales")
    mine = hw.submission(assignment, klass.student)
    hw.submission(assignment, klass.classmate)
    hw_ops.add_video_comment(mine, klass.teacher, SECRET_FEEDBACK, at_seconds=12)
    db.session.commit()
    grading.grade(assignment, klass.student, klass.teacher, score=7, feedback="Solid **start**")
    grading.grade(assignment, klass.classmate, klass.teacher, score=4, feedback="Classmate's private note")
    return assignment


def _feedback(klass, assignment):
    return f"/circles/{klass.circle.id}/assignments/{assignment.id}/feedback"


def _released(assignment):
    db.session.expire_all()
    return {g.student_id for g in db.session.scalars(db.select(Grade).where(Grade.assignment_id == assignment.id,
                                                                         Grade.released_at.is_not(None)))}


def test_unreleased_grade_is_invisible_to_the_student(klass, client_as, graded):
    """Before release, does the student see neither score, comment nor pinned feedback, in HTML and JSON?"""
    client = client_as(klass.student)
    page = client.get(_feedback(klass, graded))
    text = page_text(page)
    assert page.status_code == 200
    assert "Your teacher has not released a grade yet." in text
    for secret in ("7 / 10", "Solid", SECRET_FEEDBACK):
        assert secret not in page.get_data(as_text=True)
    data = client.get(_feedback(klass, graded), headers={"Accept": "application/json"}).get_json()
    assert data["grade"] is None and "Solid" not in str(data)
    book = client.get(f"/circles/{klass.circle.id}/grades", headers={"Accept": "application/json"}).get_json()
    assert [s["grades"][0]["score"] for s in book["students"]] == [None]


def test_release_one_student_then_everyone(klass, client_as, graded, mailbox):
    """Does releasing one student show them (only them) their grade, and "release all" the rest?"""
    teacher = client_as(klass.teacher)
    base = f"/circles/{klass.circle.id}/assignments/{graded.id}"
    response = teacher.post(f"{base}/release", data={"student_id": klass.student.id})
    assert response.status_code == 302
    assert _released(graded) == {klass.student.id}
    page = client_as(klass.student).get(_feedback(klass, graded))
    html = page.get_data(as_text=True)
    assert "7 / 10" in page_text(page) and "<strong>start</strong>" in html and SECRET_FEEDBACK in html
    assert "Classmate's private note" not in html
    other = client_as(klass.classmate).get(_feedback(klass, graded))
    assert "has not released a grade yet" in page_text(other) and "Solid" not in other.get_data(as_text=True)
    assert [m["To"] for m in mailbox.messages()] == [klass.student.email]

    response = teacher.post(f"{base}/release", headers={"Accept": "application/json"})
    assert response.get_json()["changed"] == [klass.classmate.id]
    assert _released(graded) == {klass.student.id, klass.classmate.id}
    assert sorted(m["To"] for m in mailbox.messages()) == sorted([klass.student.email, klass.classmate.email])


def test_release_mail_links_to_the_feedback(klass, client_as, graded, mailbox):
    """Is the released student mailed, in their language, with a link to their feedback page?"""
    klass.student.locale = "zh_Hans"
    db.session.commit()
    client_as(klass.teacher).post(f"/circles/{klass.circle.id}/assignments/{graded.id}/release",
                                  data={"student_id": klass.student.id})
    [message] = mailbox.to(klass.student.email)
    body = message.get_payload(decode=True).decode()
    assert f"/circles/{klass.circle.id}/assignments/{graded.id}/feedback" in body
    assert "Scales" in message["Subject"] or "Scales" in body


def test_releasing_again_does_not_mail_twice(klass, client_as, graded, mailbox):
    """Does "release all" skip grades already released (no second mail) and grades not given yet?"""
    teacher = client_as(klass.teacher)
    base = f"/circles/{klass.circle.id}/assignments/{graded.id}"
    teacher.post(f"{base}/release")
    teacher.post(f"{base}/release")
    assert len(mailbox.messages()) == 2


def test_hide_again(klass, client_as, graded):
    """Can staff hide a released grade again, so that the student no longer sees it?"""
    teacher = client_as(klass.teacher)
    base = f"/circles/{klass.circle.id}/assignments/{graded.id}"
    teacher.post(f"{base}/release")
    assert teacher.post(f"{base}/hide", data={"student_id": klass.student.id}).status_code == 302
    assert _released(graded) == {klass.classmate.id}
    data = client_as(klass.student).get(_feedback(klass, graded), headers={"Accept": "application/json"}).get_json()
    assert data["grade"] is None
    teacher.post(f"{base}/hide")
    assert _released(graded) == set()


def test_released_grade_json_for_the_student(klass, client_as, graded):
    """After release, does the student's JSON carry their score, penalty and final score, and nothing of others?"""
    client_as(klass.teacher).post(f"/circles/{klass.circle.id}/assignments/{graded.id}/release")
    data = client_as(klass.student).get(_feedback(klass, graded), headers={"Accept": "application/json"}).get_json()
    assert (data["grade"]["score"], data["grade"]["final_score"], data["grade"]["student_id"]) == (7, 7,
                                                                                                  klass.student.id)


def test_the_feedback_page_shows_rubric_levels(klass, client_as, hw, grading):
    """Does the student's feedback page show each criterion's level and points once released?"""
    rubric = grading.rubric(klass.circle, klass.owner)
    assignment = hw.assignment(klass.circle, accepts="text", points=10, rubric_id=rubric.id)
    hw.submission(assignment, klass.student, text="done")
    tone, rhythm = rubric.criteria
    grading.grade(assignment, klass.student, klass.teacher, criterion_scores={tone.id: 5, rhythm.id: 1}, release=True)
    text = page_text(client_as(klass.student).get(_feedback(klass, assignment)))
    assert "Tone Excellent 5 / 5" in text and "Rhythm Weak 1 / 5" in text and "6 / 10" in text


@pytest.mark.parametrize("role, status", [("stranger", 404), ("student", 200), ("teacher", 302), ("admin", 302)])
def test_who_opens_the_feedback_page(klass, client_as, graded, role, status):
    """Students open their feedback, staff are sent to the SpeedGrader, strangers get 404."""
    assert client_as(getattr(klass, role)).get(_feedback(klass, graded)).status_code == status


def test_release_pushes_a_live_notification_to_the_student_only(app, klass, client_as, graded):
    """Does releasing one student's grade push a "notification" to that student's open pages, and to nobody else?"""
    import contextvars

    from lms.extensions import socketio

    def socket_of(user):
        client = client_as(user)
        return contextvars.Context().run(socketio.test_client, app, flask_test_client=client)

    mine, theirs = socket_of(klass.student), socket_of(klass.classmate)
    assert mine.is_connected() and theirs.is_connected()
    client_as(klass.teacher).post(f"/circles/{klass.circle.id}/assignments/{graded.id}/release",
                                  data={"student_id": klass.student.id})
    [event] = [e for e in mine.get_received() if e["name"] == "notification"]
    payload = event["args"][0]
    # through the notification service (lms/notifications): the stored notification's id and a path
    assert payload["kind"] == "grade_released" and payload["unread"] >= 1 and isinstance(payload["id"], int)
    assert payload["url"] == f"/circles/{klass.circle.id}/assignments/{graded.id}/feedback"
    assert "Scales" in payload["message"]
    assert [e for e in theirs.get_received() if e["name"] == "notification"] == []
    mine.disconnect()
    theirs.disconnect()


def test_speedgrader_shows_the_video_with_pinned_comments(klass, client_as, graded):
    """Does the SpeedGrader show the student's video player and the teacher's comment as a moment to jump to?"""
    submission = db.session.scalar(db.select(Submission).where(Submission.student_id == klass.student.id))
    submission.media.mp4_key = "media/transcoded.mp4"  # as the pipeline leaves a ready video
    db.session.commit()
    html = client_as(klass.teacher).get(
        f"/circles/{klass.circle.id}/assignments/{graded.id}/grade/{klass.student.id}").get_data(as_text=True)
    assert "data-player-scope" in html and "<video" in html
    assert 'data-seek="12.0"' in html and SECRET_FEEDBACK in html
    assert "js/grading/speedgrader.js" in html and "<script>" not in html


def test_release_all_costs_the_same_queries_for_3_and_30_students_and_tells_each(app, make, hw, grading,
                                                                                 client_as, count_queries):
    """Is "release all" one notification step for the whole class (the same SQL statements for 3 students
    as for 30), and does every released student get their notification?"""
    from lms.notifications.models import Notification

    counts = {}
    for size in (3, 30):
        owner = make.user()
        circle = make.circle(owner)
        students = [make.member(circle, make.user()).user for _ in range(size)]
        assignment = hw.assignment(circle, author=owner, accepts="text", points=10)
        for n, student in enumerate(students):
            grading.grade(assignment, student, owner, score=n % 10)
        db.session.commit()
        teacher = client_as(owner)
        assert teacher.get(f"/circles/{circle.id}/grades").status_code == 200  # warm-up: first-request checks
        with count_queries:
            response = teacher.post(f"/circles/{circle.id}/assignments/{assignment.id}/release")
        assert response.status_code == 302
        counts[size] = count_queries.count
        told = set(db.session.scalars(db.select(Notification.user_id).where(
            Notification.kind == "grade_released", Notification.circle_id == circle.id)))
        assert told == {student.id for student in students}
    assert counts[3] == counts[30], counts
