"""The classmates' gallery: who may browse whose work, and when."""
from __future__ import annotations

from lms.circles import operations as circle_ops
from lms.circles.models import Role
from lms.extensions import db
from lms.homework.models import LatePolicy, PeerVisibility
from tests.fixtures.app import page_text
from tests.fixtures.homework import ago, later
from tests.fixtures.queries import QueryCounter


def _gallery(assignment) -> str:
    return f"/circles/{assignment.circle_id}/assignments/{assignment.id}/gallery"


def _page(submission) -> str:
    a = submission.assignment
    return f"/circles/{a.circle_id}/assignments/{a.id}/submissions/{submission.id}"


def test_hidden_means_staff_only(klass, hw, client_as):
    """With 'hidden', can a classmate who handed in open the gallery or another's work? (403) Staff can."""
    assignment = hw.assignment(klass.circle, due_at=ago(days=1), peer_visibility=PeerVisibility.hidden)
    theirs = hw.submission(assignment, klass.student, media=hw.media(klass.student, received_at=ago(days=2)),
                           now=ago(days=2))
    hw.submission(assignment, klass.classmate, media=hw.media(klass.classmate, received_at=ago(days=2)),
                  now=ago(days=2))
    classmate = client_as(klass.classmate)
    assert classmate.get(_gallery(assignment)).status_code == 403
    assert classmate.get(_page(theirs)).status_code == 403
    assert "Classmates' work" not in page_text(classmate.get(_page(theirs).split("/submissions")[0]))
    assert client_as(klass.assistant).get(_gallery(assignment)).status_code == 200


def test_after_submit_opens_once_the_viewer_handed_in(klass, hw, client_as):
    """With 'after they submitted', is the gallery closed until the classmate hands in, then shows
    the others' latest work under their circle name (not the viewer's own)?"""
    assignment = hw.assignment(klass.circle, due_at=later(days=1), peer_visibility=PeerVisibility.after_submit)
    old = hw.submission(assignment, klass.student, media=hw.media(klass.student))
    latest = hw.submission(assignment, klass.student, media=hw.media(klass.student))
    classmate = client_as(klass.classmate)
    assert classmate.get(_gallery(assignment)).status_code == 403
    hw.submission(assignment, klass.classmate, media=hw.media(klass.classmate))
    response = classmate.get(_gallery(assignment))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Student In Class" in html and "Classmate In Class" not in html
    assert _page(latest) in html and _page(old) not in html
    assert classmate.get(_page(latest)).status_code == 200
    assert classmate.get(_page(old)).status_code == 403  # earlier versions stay between student and staff


def test_after_due_opens_at_the_due_time(klass, hw, client_as):
    """With 'after the due time', is the gallery closed before the due time and open after, even
    for a student who has not handed in?"""
    before = hw.assignment(klass.circle, due_at=later(hours=1), peer_visibility=PeerVisibility.after_due)
    after = hw.assignment(klass.circle, due_at=ago(hours=1), peer_visibility=PeerVisibility.after_due,
                          late_policy=LatePolicy.accept)
    hw.submission(before, klass.student, media=hw.media(klass.student))
    hw.submission(after, klass.student, media=hw.media(klass.student, received_at=ago(hours=2)))
    classmate = client_as(klass.classmate)
    assert classmate.get(_gallery(before)).status_code == 403
    response = classmate.get(_gallery(after))
    assert response.status_code == 200 and "Student In Class" in page_text(response)


def test_gallery_shows_posters_and_former_members(klass, hw, client_as, make):
    """Does a ready video show its poster, and does the work of someone who left stay, under their circle name?"""
    assignment = hw.assignment(klass.circle, due_at=later(days=1), peer_visibility=PeerVisibility.after_submit)
    media = hw.media(klass.student)
    media.poster_key, media.mp4_key = "x/poster.jpg", "x/video.mp4"
    db.session.commit()
    hw.submission(assignment, klass.student, media=media)
    leaver = make.user()
    membership = circle_ops.add_member(klass.circle, leaver, Role.student, display_name="Gone Student")
    db.session.commit()
    hw.submission(assignment, leaver, media=hw.media(leaver))
    circle_ops.leave_circle(membership)
    db.session.commit()
    hw.submission(assignment, klass.classmate, media=hw.media(klass.classmate))
    html = client_as(klass.classmate).get(_gallery(assignment)).get_data(as_text=True)
    assert 'class="poster"' in html and "poster.jpg" in html
    assert html.count('class="gallery-item card"') == 2 and "Gone Student" in html


def test_gallery_link_appears_only_when_allowed(klass, hw, client_as):
    """Is the 'Classmates' work' link on the assignment page shown exactly when the gallery opens?"""
    assignment = hw.assignment(klass.circle, due_at=later(days=1), peer_visibility=PeerVisibility.after_submit)
    show = f"/circles/{klass.circle.id}/assignments/{assignment.id}"
    classmate = client_as(klass.classmate)
    assert _gallery(assignment) not in classmate.get(show).get_data(as_text=True)
    hw.submission(assignment, klass.classmate, media=hw.media(klass.classmate))
    assert _gallery(assignment) in classmate.get(show).get_data(as_text=True)


def test_staff_page_and_gallery_issue_a_fixed_number_of_queries(klass, hw, client_as, make):
    """Do the assignment page (staff: every student's status) and the gallery cost the same number
    of queries for 2 or 8 students?"""
    assignment = hw.assignment(klass.circle, due_at=later(days=1), peer_visibility=PeerVisibility.after_submit)
    hw.submission(assignment, klass.classmate, media=hw.media(klass.classmate))

    def count(user, url) -> int:
        with QueryCounter() as counter:
            assert client_as(user).get(url).status_code == 200
        return counter.count

    def add(n):
        for _ in range(n):
            learner = make.user()
            circle_ops.add_member(klass.circle, learner, Role.student)
            db.session.commit()
            submission = hw.submission(assignment, learner, media=hw.media(learner))
            hw.grade(assignment, learner, released=False)
            assert submission.id

    show = f"/circles/{klass.circle.id}/assignments/{assignment.id}"
    add(2)
    count(klass.teacher, show), count(klass.classmate, _gallery(assignment))  # warm up
    few = (count(klass.teacher, show), count(klass.classmate, _gallery(assignment)))
    add(6)
    assert (count(klass.teacher, show), count(klass.classmate, _gallery(assignment))) == few


def test_a_student_who_has_not_handed_in_is_told_when_the_gallery_opens(klass, hw, client_as):
    """With 'after they submitted', does a classmate who has not handed in read on the assignment page and
    on the refused gallery (still 403) that it opens once they hand in, with a link back, and no longer
    see the note once they have?"""
    assignment = hw.assignment(klass.circle, due_at=later(days=1), peer_visibility=PeerVisibility.after_submit)
    hw.submission(assignment, klass.student, media=hw.media(klass.student))
    classmate = client_as(klass.classmate)
    show = _gallery(assignment).removesuffix("/gallery")
    assert "Classmates' work opens here once you hand in yours." in page_text(classmate.get(show))
    refused = classmate.get(_gallery(assignment))
    assert refused.status_code == 403
    assert "Classmates' work opens here once you hand in yours." in page_text(refused)
    assert f'href="{show}"' in refused.get_data(as_text=True)
    hw.submission(assignment, klass.classmate, media=hw.media(klass.classmate))
    assert "opens here" not in page_text(classmate.get(show))


def test_before_the_due_time_the_student_is_told_it_opens_then(klass, hw, client_as):
    """With 'after the due time', is a student told before it that the gallery opens after their due time?"""
    assignment = hw.assignment(klass.circle, due_at=later(hours=5), peer_visibility=PeerVisibility.after_due)
    student = client_as(klass.student)
    refused = student.get(_gallery(assignment))
    assert refused.status_code == 403
    assert "Classmates' work opens here after your due time" in page_text(refused)


def test_a_hidden_gallery_says_nothing_about_opening(klass, hw, client_as):
    """With 'hidden', is the refusal the plain 403 with no promise that it opens, and no note on the page?"""
    assignment = hw.assignment(klass.circle, due_at=later(days=1), peer_visibility=PeerVisibility.hidden)
    student = client_as(klass.student)
    refused = student.get(_gallery(assignment))
    assert refused.status_code == 403 and "opens here" not in page_text(refused)
    assert "opens here" not in page_text(student.get(_gallery(assignment).removesuffix("/gallery")))


def test_a_videos_length_reads_as_a_length(klass, hw, client_as):
    """Is a classmate's video length written in words ("3 minutes 30 seconds"), not "3:30", which
    reads like a time of day next to the hand-in time?"""
    assignment = hw.assignment(klass.circle, due_at=later(days=1), peer_visibility=PeerVisibility.after_submit)
    hw.submission(assignment, klass.student, media=hw.media(klass.student, duration=210.0))
    hw.submission(assignment, klass.classmate, media=hw.media(klass.classmate))
    text = page_text(client_as(klass.classmate).get(_gallery(assignment)))
    assert "3 minutes 30 seconds" in text and "3:30" not in text
