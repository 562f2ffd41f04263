"""SpeedGrader through HTTP: grading with and without a rubric, validation, history, navigation, filters, who may."""
from __future__ import annotations

import pytest

from lms.extensions import db
from lms.grading.models import Grade, GradeChange
from tests.fixtures.app import page_text
from tests.fixtures.homework import ago


def _url(klass, assignment, student=None, **query):
    url = f"/circles/{klass.circle.id}/assignments/{assignment.id}/grade"
    if student is not None:
        url += f"/{student.id}"
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return url


def _grade(klass, assignment, student):
    db.session.expire_all()
    return db.session.scalar(db.select(Grade).where(Grade.assignment_id == assignment.id,
                                                    Grade.student_id == student.id))


@pytest.fixture
def essay(klass, hw):
    """A text assignment worth 10 points that the student has handed in."""
    assignment = hw.assignment(klass.circle, accepts="text", points=10, title="Essay")
    hw.submission(assignment, klass.student, text="My *essay*")
    return assignment


def test_teacher_grades_with_a_plain_score(klass, client_as, essay):
    """Does saving a score and comment store the grade (unreleased) and one history row?"""
    client = client_as(klass.teacher)
    page = client.get(_url(klass, essay, klass.student))
    assert page.status_code == 200
    assert "Student In Class" in page_text(page) and "<em>essay</em>" in page.get_data(as_text=True)
    response = client.post(_url(klass, essay, klass.student), data={"score": "7.5", "feedback": "Good **work**"})
    assert response.status_code == 302
    grade = _grade(klass, essay, klass.student)
    assert (grade.score, grade.feedback_md, grade.graded_by_id, grade.released_at) == (
        7.5, "Good **work**", klass.teacher.id, None)
    [change] = db.session.scalars(db.select(GradeChange).where(GradeChange.grade_id == grade.id))
    assert (change.action, change.score, change.changed_by_id) == ("graded", 7.5, klass.teacher.id)


@pytest.mark.parametrize("score, message", [
    ("11", "The score must be between 0 and 10."),
    ("-1", "The score must be between 0 and 10."),
    ("", "Enter a score."),
    ("ten", "Not a valid float value."),
])
def test_out_of_range_scores_are_refused(klass, client_as, essay, score, message):
    """Is a score outside 0..points (or not a number) refused with a clear message and nothing saved?"""
    response = client_as(klass.teacher).post(_url(klass, essay, klass.student), data={"score": score})
    assert response.status_code == 422
    assert message in page_text(response)
    assert _grade(klass, essay, klass.student) is None


@pytest.fixture
def performance(klass, hw, grading):
    """A text assignment of 20 points graded with a rubric of two criteria of 5 points (scaled ×2)."""
    rubric = grading.rubric(klass.circle, klass.owner)
    assignment = hw.assignment(klass.circle, accepts="text", points=20, rubric_id=rubric.id, title="Recital")
    hw.submission(assignment, klass.student, text="Recording notes")
    return assignment


def test_rubric_scores_make_the_total(klass, client_as, performance):
    """With a rubric, do the chosen levels make the score (scaled to the assignment's points) and show on the page?"""
    tone, rhythm = performance.rubric.criteria
    client = client_as(klass.assistant)
    page = client.get(_url(klass, performance, klass.student)).get_data(as_text=True)
    assert f'name="c{tone.id}" value="5.0"' in page and "Excellent" in page
    response = client.post(_url(klass, performance, klass.student), data={f"c{tone.id}": "5", f"c{rhythm.id}": "3"})
    assert response.status_code == 302
    grade = _grade(klass, performance, klass.student)
    assert grade.criterion_scores == {str(tone.id): 5.0, str(rhythm.id): 3.0}
    assert grade.score == 16  # (5 + 3) of 10 rubric points, scaled to 20
    again = client.get(_url(klass, performance, klass.student)).get_data(as_text=True)
    assert f'name="c{tone.id}" value="5.0" data-points="5.0"\n                checked' in again


def test_rubric_points_are_shown_as_the_rubric_gives_them(klass, client_as, performance):
    """Are the rubric's points shown out of the rubric's total (8 / 10), and the assignment's score (16 / 20)
    beside them only because the two differ, with how one maps to the other?"""
    tone, rhythm = performance.rubric.criteria
    client = client_as(klass.teacher)
    client.post(_url(klass, performance, klass.student), data={f"c{tone.id}": "5", f"c{rhythm.id}": "3"})
    text = page_text(client.get(_url(klass, performance, klass.student)))
    assert "Rubric: 8 / 10 Score: 16 / 20" in text
    assert "the score is the rubric's points × 20 ÷ 10." in text
    performance.points = 10
    db.session.commit()
    text = page_text(client.get(_url(klass, performance, klass.student)))
    assert "Rubric: 8 / 10" in text and "Score:" not in text and "÷" not in text


def test_student_feedback_shows_the_rubric_total_and_how_it_became_the_score(klass, client_as, performance, grading):
    """Does the student's feedback give the rubric's total as the rubric gives it (8 / 10) and, since the
    assignment is worth 20, how that became the score ("8 of 10 rubric points = 16 / 20"); and only the total
    once the two are worth the same?"""
    tone, rhythm = performance.rubric.criteria
    grading.grade(performance, klass.student, klass.teacher, criterion_scores={str(tone.id): 5, str(rhythm.id): 3},
                  release=True)
    url = f"/circles/{klass.circle.id}/assignments/{performance.id}/feedback"
    text = page_text(client_as(klass.student).get(url))
    assert "16 / 20" in text and "Rubric total 8 / 10" in text
    assert "8 of 10 rubric points = 16 / 20" in text
    performance.points = 10
    db.session.commit()
    text = page_text(client_as(klass.student).get(url))
    assert "Rubric total 8 / 10" in text and "rubric points =" not in text


@pytest.mark.parametrize("scores, message", [
    ({"tone": "6", "rhythm": "3"}, "“Tone” takes between 0 and 5 points."),
    ({"tone": "-1", "rhythm": "3"}, "“Tone” takes between 0 and 5 points."),
    ({"rhythm": "3"}, "Score the criterion “Tone”."),
    ({"tone": "5", "rhythm": "3", "other": "1"}, "This criterion is not part of the rubric."),
])
def test_criterion_out_of_range_is_refused(klass, client_as, performance, scores, message):
    """Is a criterion score outside 0..its points, a missing criterion or a foreign one refused, naming it?"""
    tone, rhythm = performance.rubric.criteria
    keys = {"tone": f"c{tone.id}", "rhythm": f"c{rhythm.id}", "other": "c999999"}
    response = client_as(klass.teacher).post(_url(klass, performance, klass.student),
                                             data={keys[k]: v for k, v in scores.items()})
    assert response.status_code == 422
    assert message in page_text(response)
    assert _grade(klass, performance, klass.student) is None


def test_every_change_is_kept_in_the_history(klass, client_as, essay):
    """Does regrading keep the earlier values in the history that staff see, newest first?"""
    client = client_as(klass.teacher)
    client.post(_url(klass, essay, klass.student), data={"score": "4"})
    client_as(klass.owner).post(_url(klass, essay, klass.student), data={"score": "6"})
    client.post(f"/circles/{klass.circle.id}/assignments/{essay.id}/release", data={"student_id": klass.student.id})
    grade = _grade(klass, essay, klass.student)
    changes = list(db.session.scalars(db.select(GradeChange).where(GradeChange.grade_id == grade.id)
                                      .order_by(GradeChange.id)))
    assert [(c.action, c.score, c.changed_by_id) for c in changes] == [
        ("graded", 4, klass.teacher.id), ("graded", 6, klass.owner.id), ("released", 6, klass.teacher.id)]
    text = page_text(client.get(_url(klass, essay, klass.student)))
    history = text[text.index("History (3 changes)"):]
    assert history.index("Released") < history.index("Owner Graded 6") < history.index("Teacher Graded 4")


def test_late_penalty_is_shown_and_can_be_waived(klass, client_as, hw):
    """Is a late submission's penalty applied to the final score, shown, and removed when waived?"""
    assignment = hw.assignment(klass.circle, accepts="text", points=10, due_at=ago(hours=30),
                               late_policy="penalty", late_penalty_per_day=10, late_penalty_cap=50)
    hw.submission(assignment, klass.student, text="late")
    client = client_as(klass.teacher)
    page = page_text(client.get(_url(klass, assignment, klass.student)))
    assert "Late penalty: 20 % of the points (2 days late)." in page
    client.post(_url(klass, assignment, klass.student), data={"score": "9"})
    grade = _grade(klass, assignment, klass.student)
    assert (grade.penalty_percent, grade.final_score) == (20, 7)
    client.post(_url(klass, assignment, klass.student), data={"score": "9", "waive_penalty": "y"})
    grade = _grade(klass, assignment, klass.student)
    assert (grade.penalty_percent, grade.final_score) == (0, 9)
    assert '<input checked id="waive_penalty" name="waive_penalty" type="checkbox" value="y">' in \
        client.get(_url(klass, assignment, klass.student)).get_data(as_text=True)


def test_earlier_versions_can_be_shown(klass, client_as, hw):
    """Can staff pick an earlier version of the work, and is that version the one graded?"""
    assignment = hw.assignment(klass.circle, accepts="text", points=10)
    first = hw.submission(assignment, klass.student, text="first draft")
    hw.submission(assignment, klass.student, text="second draft")
    client = client_as(klass.teacher)
    assert "second draft" in page_text(client.get(_url(klass, assignment, klass.student)))
    old = client.get(_url(klass, assignment, klass.student, version=1))
    assert "first draft" in page_text(old) and "second draft" not in page_text(old)
    client.post(_url(klass, assignment, klass.student), data={"score": "5", "submission_id": first.id})
    assert _grade(klass, assignment, klass.student).submission_id == first.id


@pytest.fixture
def class_of_four(klass, make, hw):
    """Students Ann (late), Bob (missing), Cy (graded), Dee (handed in, ungraded), plus the klass's two (missing)."""
    circle = klass.circle
    people = {}
    for name in ("Ann", "Bob", "Cy", "Dee"):
        people[name] = make.member(circle, make.user(name), display_name=f"{name} Student").user
    assignment = hw.assignment(circle, accepts="text", points=10, due_at=ago(hours=1))
    hw.submission(assignment, people["Ann"], text="late one")
    for name in ("Cy", "Dee"):
        hw.submission(assignment, people[name], text="on time", now=ago(hours=2))
    return assignment, people


def test_next_previous_and_filters(klass, client_as, class_of_four, grading):
    """Do next/previous follow the list by name, within the chosen filter (all, ungraded, late, missing),
    stepping over students with nothing handed in unless the teacher chose to step through everyone?"""
    assignment, p = class_of_four
    grading.grade(assignment, p["Cy"], klass.teacher, score=8)
    client = client_as(klass.teacher)
    # By display name: Ann, Bob, Classmate In Class, Cy, Dee, Student In Class.
    first = client.get(_url(klass, assignment))
    assert first.status_code == 302 and first.headers["Location"].endswith(_url(klass, assignment, p["Ann"],
                                                                                 filter="all"))
    html = client.get(_url(klass, assignment, p["Cy"], filter="all")).get_data(as_text=True)
    assert f'data-prev-url="{_url(klass, assignment, p["Ann"], filter="all")}"' in html  # Bob, Classmate: nothing
    assert f'data-next-url="{_url(klass, assignment, p["Dee"], filter="all")}"' in html
    html = client.get(_url(klass, assignment, p["Dee"], filter="all")).get_data(as_text=True)
    assert 'data-next-url=""' in html  # Student In Class handed nothing in
    html = client.get(_url(klass, assignment, p["Cy"], filter="all", everyone=1)).get_data(as_text=True)
    assert f'data-prev-url="{_url(klass, assignment, klass.classmate, filter="all", everyone=1)}"'.replace("&", "&amp;") in html
    html = client.get(_url(klass, assignment, p["Dee"], filter="all", everyone=1)).get_data(as_text=True)
    assert f'data-next-url="{_url(klass, assignment, klass.student, filter="all", everyone=1)}"'.replace("&", "&amp;") in html
    missing = client.get(_url(klass, assignment, p["Bob"], filter="missing")).get_data(as_text=True)
    assert f'data-next-url="{_url(klass, assignment, klass.classmate, filter="missing")}"' in missing
    ungraded = client.get(_url(klass, assignment, filter="ungraded"))
    assert ungraded.headers["Location"].endswith(_url(klass, assignment, p["Ann"], filter="ungraded"))
    html = client.get(_url(klass, assignment, p["Ann"], filter="ungraded")).get_data(as_text=True)
    assert 'data-prev-url=""' in html
    assert f'data-next-url="{_url(klass, assignment, p["Dee"], filter="ungraded")}"' in html
    text = page_text(client.get(_url(klass, assignment, p["Ann"], filter="ungraded")))
    assert "All (6) Ungraded (2) Late (1) Missing (3)" in text
    assert "3 students have not submitted" in text
    missing = client.get(_url(klass, assignment, filter="missing"))
    assert missing.headers["Location"].endswith(_url(klass, assignment, p["Bob"], filter="missing"))
    late = client.get(_url(klass, assignment, p["Ann"], filter="late")).get_data(as_text=True)
    assert 'data-prev-url=""' in late and 'data-next-url=""' in late
    client.post(_url(klass, assignment, p["Ann"]), data={"score": "5"})
    client.post(_url(klass, assignment, p["Dee"]), data={"score": "5"})
    nobody = client.get(_url(klass, assignment, filter="ungraded"))
    assert nobody.status_code == 200 and "No student matches this filter." in page_text(nobody)


def test_opens_on_the_first_work_waiting_for_a_grade(klass, client_as, class_of_four, grading):
    """Does SpeedGrader open on the first student in the list whose work waits for a grade (not on the first
    name, who may have handed in nothing), and once everything handed in is graded, on the first who handed in?"""
    assignment, p = class_of_four
    client = client_as(klass.teacher)
    grading.grade(assignment, p["Ann"], klass.teacher, score=6)
    grading.grade(assignment, p["Cy"], klass.teacher, score=8)
    # The list: Ann (graded), Bob (nothing), Classmate In Class (nothing), Cy (graded), Dee (to grade), Student.
    opened = client.get(_url(klass, assignment))
    assert opened.status_code == 302
    assert opened.headers["Location"].endswith(_url(klass, assignment, p["Dee"], filter="all"))
    grading.grade(assignment, p["Dee"], klass.teacher, score=7)
    opened = client.get(_url(klass, assignment))
    assert opened.headers["Location"].endswith(_url(klass, assignment, p["Ann"], filter="all"))
    missing = client.get(_url(klass, assignment, filter="missing"))  # nobody there handed in: the first of them
    assert missing.headers["Location"].endswith(_url(klass, assignment, p["Bob"], filter="missing"))


def test_save_and_next_moves_to_the_next_ungraded(klass, client_as, class_of_four):
    """Does "Save and next" in the ungraded filter go on to the next student still to grade?"""
    assignment, p = class_of_four
    client = client_as(klass.teacher)
    client.post(_url(klass, assignment, p["Cy"]), data={"score": "8"})
    response = client.post(_url(klass, assignment, p["Ann"], filter="ungraded"), data={"score": "6", "save_next": "1"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(_url(klass, assignment, p["Dee"], filter="ungraded"))


def test_save_and_next_skips_students_with_nothing_handed_in(klass, client_as, class_of_four):
    """In "All", does "Save and next" go on to the next work waiting for a grade (over Bob and the classmate,
    who handed nothing in; round to the top of the list), and after the last one stay put and say plainly
    that everything handed in is graded, with a way back?"""
    assignment, p = class_of_four
    client = client_as(klass.teacher)
    client.post(_url(klass, assignment, p["Cy"]), data={"score": "8"})
    response = client.post(_url(klass, assignment, p["Ann"], filter="all"), data={"score": "6", "save_next": "1"})
    assert response.headers["Location"].endswith(_url(klass, assignment, p["Dee"], filter="all"))
    response = client.post(_url(klass, assignment, p["Dee"], filter="all"), data={"score": "7", "save_next": "1"})
    assert response.headers["Location"].endswith(_url(klass, assignment, p["Dee"], filter="all", done=1))
    page = client.get(response.headers["Location"])
    assert "Everything handed in is graded. Back to the assignment" in page_text(page)
    assert f'href="/circles/{klass.circle.id}/assignments/{assignment.id}"' in page.get_data(as_text=True)
    assert "Everything handed in is graded" not in page_text(client.get(_url(klass, assignment, p["Dee"])))


def test_save_and_next_goes_round_and_can_step_through_everyone(klass, client_as, class_of_four):
    """Grading Dee (the list's last with work) first: does "Save and next" go round to Ann, still ungraded; in the
    "Late" filter after its only work, does it say that filter is done and point to the work left (Cy); and
    with "show all" chosen, go to the very next student even if they handed nothing in?"""
    assignment, p = class_of_four
    client = client_as(klass.teacher)
    response = client.post(_url(klass, assignment, p["Dee"], filter="all"), data={"score": "7", "save_next": "1"})
    assert response.headers["Location"].endswith(_url(klass, assignment, p["Ann"], filter="all"))
    response = client.post(_url(klass, assignment, p["Ann"], filter="late"), data={"score": "6", "save_next": "1"})
    assert response.headers["Location"].endswith(_url(klass, assignment, p["Ann"], filter="late", done=1))
    page = page_text(client.get(response.headers["Location"]))
    assert "Everything handed in under this filter is graded. Show the work still to grade" in page
    response = client.post(_url(klass, assignment, p["Ann"], filter="all", everyone=1),
                           data={"score": "6", "save_next": "1"})
    assert response.headers["Location"].endswith(_url(klass, assignment, p["Bob"], filter="all", everyone=1))


def test_the_phone_chooser_opens_the_chosen_student(klass, client_as, class_of_four):
    """Does the compact chooser (a GET form naming `student`) open that student, keeping the filter?"""
    assignment, p = class_of_four
    client = client_as(klass.teacher)
    response = client.get(_url(klass, assignment) + f"?filter=all&student={p['Cy'].id}")
    assert response.headers["Location"].endswith(_url(klass, assignment, p["Cy"], filter="all"))
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f'<option value="{p["Cy"].id}" selected>Cy Student — Not submitted</option>' not in html
    assert f'<option value="{p["Cy"].id}" selected>Cy Student — To grade</option>' in html
    stranger = client.get(_url(klass, assignment) + f"?filter=all&student={klass.stranger.id}")
    assert stranger.headers["Location"].endswith(_url(klass, assignment, p["Ann"], filter="all"))


def test_excuse_a_student(klass, client_as, class_of_four):
    """Does excusing take a student out of the missing list, and can it be undone?"""
    assignment, p = class_of_four
    client = client_as(klass.teacher)
    url = f"/circles/{klass.circle.id}/assignments/{assignment.id}/grade/{p['Bob'].id}/excuse"
    assert client.post(url, data={"excused": "1"}).status_code == 302
    assert _grade(klass, assignment, p["Bob"]).is_excused
    assert "Missing (2)" in page_text(client.get(_url(klass, assignment, p["Ann"])))
    client.post(url, data={"excused": "0"})
    assert not _grade(klass, assignment, p["Bob"]).is_excused


@pytest.mark.parametrize("role, status", [
    ("owner", 200), ("teacher", 200), ("assistant", 200), ("admin", 200),
    ("student", 403), ("classmate", 403), ("stranger", 404),
])
@pytest.mark.parametrize("as_json", [False, True])
def test_who_may_use_the_speedgrader(klass, client_as, essay, role, status, as_json):
    """Staff (and admins) grade; students get 403, people outside the circle 404, in HTML and JSON."""
    client = client_as(getattr(klass, role))
    headers = {"Accept": "application/json"} if as_json else {}
    base = f"/circles/{klass.circle.id}/assignments/{essay.id}"
    assert client.get(_url(klass, essay, klass.student), headers=headers).status_code == status
    posted = client.post(_url(klass, essay, klass.student), data={"score": "10"}, headers=headers)
    assert posted.status_code == (302 if status == 200 else status)
    released = client.post(f"{base}/release", headers=headers)
    assert released.status_code == (200 if as_json and status == 200 else 302 if status == 200 else status)
    if status != 200:
        assert _grade(klass, essay, klass.student) is None
        if as_json:
            assert posted.get_json()["error"]["code"] == status


def test_a_student_id_outside_the_circle_is_not_found(klass, client_as, essay):
    """Does asking the SpeedGrader for someone who is not a student of the circle answer 404?"""
    client = client_as(klass.teacher)
    assert client.get(_url(klass, essay, klass.stranger)).status_code == 404
    assert client.get(_url(klass, essay, klass.assistant)).status_code == 404


def test_a_text_hand_in_has_no_video_comments(klass, client_as, hw, essay):
    """A text hand-in has no video: does SpeedGrader, the student's feedback page and the submission's page leave
    out the comments pinned to moments of a video (they showed "Comments at moments of the video" with an add
    form reading a player that is not there), while a video hand-in keeps them?"""
    submission = hw.submission(essay, klass.student, text="Second version")
    teacher, student = client_as(klass.teacher), client_as(klass.student)
    circle = klass.circle.id
    pages = [teacher.get(_url(klass, essay, klass.student)),
             student.get(f"/circles/{circle}/assignments/{essay.id}/feedback"),
             teacher.get(f"/circles/{circle}/assignments/{essay.id}/submissions/{submission.id}")]
    for page in pages:
        assert page.status_code == 200, page.request.path
        assert "data-video-comments" not in page.get_data(as_text=True), page.request.path
    video = hw.assignment(klass.circle, accepts="video", points=10, title="Dance")
    hw.submission(video, klass.student)
    page = teacher.get(_url(klass, video, klass.student)).get_data(as_text=True)
    assert "data-video-comments" in page and "Comments at moments of the video" in page


def test_filter_counts_read_in_chinese_parentheses(klass, client_as, essay):
    """In Chinese the filters' counts take full-width parentheses (全部（2）), not "全部 (2)" pieced together in
    the template."""
    klass.teacher.locale = "zh_Hans"
    db.session.commit()
    text = page_text(client_as(klass.teacher).get(_url(klass, essay, klass.student)))
    assert "全部（2）" in text and "未评分（1）" in text and "全部 (" not in text  # the student and the classmate


def test_the_student_just_graded_stays_chosen_under_the_ungraded_filter(klass, client_as, essay):
    """Saved under "Ungraded", the student on screen no longer matches it: does the chooser still name them
    (chosen), not stand blank?"""
    import re

    client = client_as(klass.teacher)
    client.post(_url(klass, essay, klass.student, filter="ungraded"), data={"score": "7", "feedback": ""})
    html = client.get(_url(klass, essay, klass.student, filter="ungraded")).get_data(as_text=True)
    chooser = re.search(r'<select name="student".*?</select>', html, re.S).group(0)
    assert re.search(rf'<option value="{klass.student.id}" selected>Student In Class', chooser), chooser


def test_a_student_is_told_when_a_grade_they_see_changes(klass, client_as, essay):
    """Changing a released grade tells its student (as Canvas tells of a changed grade); saving it unchanged,
    or changing a grade not yet released, tells nobody."""
    from lms.notifications.models import Notification

    def told() -> int:
        db.session.expire_all()
        return len(db.session.scalars(db.select(Notification).where(
            Notification.kind == "grade_changed", Notification.user_id == klass.student.id)).all())

    client = client_as(klass.teacher)
    client.post(_url(klass, essay, klass.student), data={"score": "5", "feedback": "Fine"})
    client.post(_url(klass, essay, klass.student), data={"score": "6", "feedback": "Fine"})
    assert told() == 0  # not released: nothing they could see changed
    client.post(f"/circles/{klass.circle.id}/assignments/{essay.id}/release", data={"student_id": klass.student.id})
    assert _grade(klass, essay, klass.student).released_at is not None
    client.post(_url(klass, essay, klass.student), data={"score": "6", "feedback": "Fine"})
    assert told() == 0  # saved as it was
    client.post(_url(klass, essay, klass.student), data={"score": "4", "feedback": "Fine"})
    assert told() == 1
    client.post(_url(klass, essay, klass.student), data={"score": "4", "feedback": "Fine, but see the notes"})
    assert told() == 2
    from lms.grading import operations as grading_ops

    # a column kept up to date for the grader (live attendance, check-ins) changes quietly
    grading_ops.grade_submission(essay, klass.student, klass.teacher, score=3, action="live_attendance")
    db.session.commit()
    assert told() == 2
    client.post(_url(klass, essay, klass.student) + "/excuse", data={"excused": "1"})
    assert _grade(klass, essay, klass.student).is_excused and told() == 3  # excused: it changed too
    page = page_text(client_as(klass.student).get("/notifications"))
    assert "Your grade for “Essay” was changed." in page
