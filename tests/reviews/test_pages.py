"""The teacher's peer-review pages: who may open them, the set-up form's validation, the allocation view,
reassigning a task and adding one by hand (audited)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from lms.audit.models import AuditEvent
from lms.extensions import db
from lms.reviews.models import AllocationState, Anonymity, ReviewAllocation
from tests.fixtures.app import page_text
from tests.fixtures.homework import later
from tests.reviews.conftest import run_periodic, turn_on


def _local(value) -> str:
    return value.strftime("%Y-%m-%dT%H:%M")


def _form(**values) -> dict:
    data = {"is_enabled": "y", "reviews_per_submission": "3", "opens_at": "", "closes_at": _local(later(days=2)),
            "anonymity": "double_blind", "rubric_id": "0", "comment_min_length": "0",
            "min_timestamped_comments": "0", "score_share": "20", "reviewing_share": "10"}
    data.update(values)
    return {k: v for k, v in data.items() if v is not None}


# -- permissions -----------------------------------------------------------------------------

PAGES = ["", "/allocation"]


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("role, status", [("stranger", 404), ("student", 403), ("owner", 200), ("teacher", 200)])
def test_who_may_open_the_pages(review, client_as, page, role, status):
    """Does someone outside the circle get 404, a student 403, and the owner and teachers the page?"""
    turn_on(review)
    assert client_as(getattr(review.klass, role)).get(review.base + page).status_code == status


def test_an_assistant_sees_the_allocation_but_not_the_set_up(review, client_as):
    """May an assistant see who reviews whom, but neither change the set-up nor reassign?"""
    turn_on(review)
    assistant = client_as(review.klass.assistant)
    assert assistant.get(review.base + "/allocation").status_code == 200
    assert assistant.get(review.base).status_code == 403
    assert assistant.post(review.base, data=_form()).status_code == 403
    assert assistant.post(review.base + "/allocation/add", data={"reviewer_id": "1", "author_id": "2"}).status_code == 403


@pytest.mark.parametrize("role, status", [("stranger", 404), ("student", 403), ("assistant", 403)])
def test_changes_are_refused_to_others(app, review, client_as, role, status):
    """Can anyone but the owner and teachers save the set-up, run a round, reassign a task or add one?"""
    turn_on(review)
    run_periodic(app)
    task = db.session.scalars(db.select(ReviewAllocation)).first()
    client = client_as(getattr(review.klass, role))
    assert client.post(review.base, data=_form()).status_code == status
    assert client.post(review.base + "/allocation/run").status_code == status
    assert client.post(f"{review.base}/allocation/{task.id}/reassign",
                       data={"reviewer_id": str(review.klass.student.id)}).status_code == status
    assert client.post(review.base + "/allocation/add", data={
        "reviewer_id": str(task.author_id), "author_id": str(task.reviewer_id)}).status_code == status
    db.session.expire_all()
    assert db.session.get(ReviewAllocation, task.id).state == AllocationState.assigned
    assert db.session.scalar(db.select(db.func.count()).select_from(ReviewAllocation)) == 15


def test_a_draft_assignment_is_not_found_by_a_student(review, client_as):
    """Does a student get 404 (not 403) for the pages of an assignment they cannot see?"""
    review.assignment.is_published = False
    db.session.commit()
    assert client_as(review.klass.student).get(review.base).status_code == 404


def test_the_assignment_page_links_staff_only(review, client_as):
    """Does the assignment page link the teacher to the set-up, and not the student?"""
    path = f"/circles/{review.klass.circle.id}/assignments/{review.assignment.id}"
    assert review.base in client_as(review.klass.teacher).get(path).get_data(as_text=True)
    assert review.base not in client_as(review.klass.student).get(path).get_data(as_text=True)


# -- the set-up form -------------------------------------------------------------------------

def test_saving_the_set_up(review, client_as):
    """Does the form save every field and audit the change?"""
    teacher = client_as(review.klass.teacher)
    closes = later(days=3).replace(second=0, microsecond=0)
    response = teacher.post(review.base, data=_form(closes_at=_local(closes), anonymity="authors_named",
                                                    comment_min_length="50", min_timestamped_comments="2",
                                                    non_submitters_review="y"))
    assert response.status_code == 302
    settings = review.settings()
    assert settings.is_enabled and settings.reviews_per_submission == 3
    assert settings.closes_at == closes and settings.opens_at is None
    assert settings.anonymity == Anonymity.authors_named
    assert (settings.comment_min_length, settings.min_timestamped_comments) == (50, 2)
    assert (settings.score_share, settings.reviewing_share, settings.non_submitters_review) == (20, 10, True)
    event = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "peer_review_changed")).one()
    assert event.details["assignment_id"] == review.assignment.id
    assert "Double blind" in page_text(teacher.get(review.base)) or "Authors named" in page_text(teacher.get(review.base))


@pytest.mark.parametrize("values, field, message", [
    ({"reviews_per_submission": "0"}, "reviews_per_submission", "Give a whole number from 1 to 20."),
    ({"reviews_per_submission": ""}, "reviews_per_submission", "Give the number of reviews per submission."),
    ({"closes_at": ""}, "closes_at", "Give the time the review window closes."),
    ({"opens_at": "later", "closes_at": "sooner"}, "closes_at", "The review window must close after it opens."),
    ({"opens_at": "before due"}, "opens_at", "The review window opens at the due time or later."),
    ({"score_share": "70", "reviewing_share": "40"}, "reviewing_share",
     "The two peer shares add up to more than 100 %."),
    ({"score_share": "120"}, "score_share", "Give a percentage from 0 to 100."),
    ({"comment_min_length": "-1"}, "comment_min_length", "Give a whole number from 0 to 5000."),
    ({"rubric_id": "999999"}, "rubric_id", "Not a valid choice."),
])
def test_the_form_says_what_is_wrong(review, client_as, values, field, message):
    """Does each inconsistent set-up come back (422) with the message next to its field, saving nothing?"""
    if values.get("opens_at") == "later":
        values = {**values, "opens_at": _local(later(days=2)), "closes_at": _local(later(days=1))}
    if values.get("opens_at") == "before due":
        values = {**values, "opens_at": _local(review.due - timedelta(hours=1))}
    response = client_as(review.klass.teacher).post(review.base, data=_form(**values))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in page_text(response)
    assert f'name="{field}"' in html
    assert review.settings() is None


def test_no_due_time_needs_an_opening_time(klass, hw, client_as):
    """Without a due time, does turning peer review on ask for the window's opening time?"""
    assignment = hw.assignment(klass.circle, accepts="text")
    base = f"/circles/{klass.circle.id}/assignments/{assignment.id}/peer-review"
    response = client_as(klass.teacher).post(base, data=_form())
    assert response.status_code == 422
    assert "The assignment has no due time: give the time the review window opens." in page_text(response)


def test_k_is_kept_once_allocated(app, review, client_as):
    """Once reviews are allocated, is changing k refused with the reason?"""
    turn_on(review)
    run_periodic(app)
    response = client_as(review.klass.teacher).post(review.base, data=_form(reviews_per_submission="4"))
    assert response.status_code == 422
    assert "Reviews are already allocated" in page_text(response)
    assert review.settings().reviews_per_submission == 3


# -- the allocation view and the teacher's changes --------------------------------------------

def test_the_allocation_view_lists_who_reviews_whom(app, review, client_as):
    """Does the teacher see each task with both names, the round and its state, and the spread?"""
    turn_on(review)
    run_periodic(app)
    response = client_as(review.klass.teacher).get(review.base + "/allocation")
    html = response.get_data(as_text=True)
    assert html.count("data-allocation=") == 15
    text = page_text(response)
    assert "Student In Class" in text and "Classmate In Class" in text
    assert "15 review tasks" in text and "3 to 3 tasks per reviewer" in text and "3 to 3 reviews per submission" in text
    assert "15 not started · 0 started · 0 handed in · 0 reassigned" in text


def test_the_allocation_view_says_what_could_not_be_covered(app, small_review, client_as):
    """With two students and k = 3, does the page say each one's work is 2 reviews short, and why?"""
    turn_on(small_review)
    run_periodic(app)
    text = page_text(client_as(small_review.klass.teacher).get(small_review.base + "/allocation"))
    assert "2 reviews missing for the work of S Student In Class" in text
    assert "only 1 classmate may review it" in text
    assert "2 review tasks missing for C Classmate In Class" in text


def test_reassigning_a_task(app, review, client_as):
    """Does reassigning keep the old task as reassigned, give the new reviewer a task by hand, refuse the
    author themselves and a repeated pair, and audit it?"""
    turn_on(review)
    run_periodic(app)
    task = db.session.scalars(db.select(ReviewAllocation).order_by(ReviewAllocation.id)).first()
    teacher = client_as(review.klass.teacher)
    url = f"{review.base}/allocation/{task.id}/reassign"
    assert teacher.get(url).status_code == 200
    refused = teacher.post(url, data={"reviewer_id": str(task.author_id)})
    assert refused.status_code == 422 and "Nobody reviews their own work." in page_text(refused)
    # someone who already reviews this author
    other = db.session.scalars(db.select(ReviewAllocation).where(
        ReviewAllocation.author_id == task.author_id, ReviewAllocation.id != task.id)).first()
    refused = teacher.post(url, data={"reviewer_id": str(other.reviewer_id)})
    assert refused.status_code == 422 and "already has (or had) this review task" in page_text(refused)
    free = next(s for s in review.students if s.id not in (task.author_id, task.reviewer_id) and not db.session.scalar(
        db.select(db.exists().where(ReviewAllocation.reviewer_id == s.id, ReviewAllocation.author_id == task.author_id))))
    assert teacher.post(url, data={"reviewer_id": str(free.id)}).status_code == 302
    db.session.expire_all()
    old = db.session.get(ReviewAllocation, task.id)
    new = db.session.scalars(db.select(ReviewAllocation).where(ReviewAllocation.reviewer_id == free.id,
                                                               ReviewAllocation.author_id == task.author_id)).one()
    assert old.state == AllocationState.reassigned and old.reassigned_at is not None
    assert new.is_by_hand and new.round == old.round and new.state == AllocationState.assigned
    event = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "review_reassigned")).one()
    assert (event.details["previous_reviewer_id"], event.details["reviewer_id"]) == (task.reviewer_id, free.id)
    # the old pair is never made again, by hand either
    again = teacher.post(f"{review.base}/allocation/add",
                         data={"reviewer_id": str(task.reviewer_id), "author_id": str(task.author_id)})
    assert again.status_code == 302
    assert db.session.scalar(db.select(db.func.count()).select_from(ReviewAllocation).where(
        ReviewAllocation.reviewer_id == task.reviewer_id, ReviewAllocation.author_id == task.author_id)) == 1


def test_adding_a_review_by_hand(app, review, client_as, make):
    """Can the teacher add a task by hand (round 0, audited), and is a student who handed nothing in refused as
    an author?"""
    turn_on(review)
    newcomer = make.member(review.klass.circle, make.user("Newcomer")).user
    teacher = client_as(review.klass.teacher)
    refused = teacher.post(f"{review.base}/allocation/add",
                           data={"reviewer_id": str(review.klass.student.id), "author_id": str(newcomer.id)},
                           follow_redirects=True)
    assert "This student has handed nothing in to review." in page_text(refused)
    response = teacher.post(f"{review.base}/allocation/add", data={
        "reviewer_id": str(review.klass.student.id), "author_id": str(review.klass.classmate.id)})
    assert response.status_code == 302
    task = db.session.scalars(db.select(ReviewAllocation)).one()
    assert (task.reviewer_id, task.author_id, task.round, task.is_by_hand) == (
        review.klass.student.id, review.klass.classmate.id, 0, True)
    assert db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "review_added")).one()
    # a stranger's id is not a student of the circle
    refused = teacher.post(f"{review.base}/allocation/add", data={
        "reviewer_id": str(review.klass.stranger.id), "author_id": str(review.klass.classmate.id)},
        follow_redirects=True)
    assert "Choose one of the circle's students." in page_text(refused)


def test_a_task_of_another_assignment_is_not_found(app, review, hw, client_as):
    """Is a task id of another assignment 404 under this one?"""
    turn_on(review)
    run_periodic(app)
    task = db.session.scalars(db.select(ReviewAllocation)).first()
    other = hw.assignment(review.klass.circle, accepts="text")
    url = f"/circles/{review.klass.circle.id}/assignments/{other.id}/peer-review/allocation/{task.id}/reassign"
    assert client_as(review.klass.teacher).get(url).status_code == 404


def test_the_teachers_changes_read_on_the_audit_log(app, review, client_as):
    """Does the site's audit log show a reassignment as the reviewer changing from one name to another, with
    whose work it is, and the set-up's changes field by field?"""
    turn_on(review)
    run_periodic(app)
    task = db.session.scalars(db.select(ReviewAllocation).order_by(ReviewAllocation.id)).first()
    free = next(s for s in review.students if s.id not in (task.author_id, task.reviewer_id) and not db.session.scalar(
        db.select(db.exists().where(ReviewAllocation.reviewer_id == s.id, ReviewAllocation.author_id == task.author_id))))
    teacher = client_as(review.klass.teacher)
    teacher.post(f"{review.base}/allocation/{task.id}/reassign", data={"reviewer_id": str(free.id)})
    teacher.post(review.base, data=_form(reviews_per_submission="3", comment_min_length="80"))
    names = q_names(review, task.reviewer_id, free.id, task.author_id)
    admin = client_as(review.klass.admin)
    text = page_text(admin.get("/admin/audit?action=review_reassigned"))
    assert "Review task reassigned" in text
    assert f"Reviewer: {names[0]} → {names[1]}" in text and f"Work of: {names[2]}" in text
    text = page_text(admin.get("/admin/audit?action=peer_review_changed"))
    assert "Shortest overall comment: 0 → 80" in text


def q_names(review, *user_ids) -> list[str]:
    from lms.reviews.queries import names

    found = names(review.assignment, set(user_ids))
    return [found[i].display_name for i in user_ids]


def test_the_allocation_page_costs_the_same_queries_for_a_bigger_class(app, klass, hw, make, client_as,
                                                                         count_queries):
    """Does the allocation page issue as many queries for 12 students as for 4?"""
    from datetime import timedelta

    from tests.fixtures.homework import ago
    from tests.reviews.conftest import Review

    counts = []
    for size in (4, 12):
        due = ago(hours=1).replace(microsecond=0)
        assignment = hw.assignment(klass.circle, accepts="text", due_at=due)
        students = [make.member(klass.circle, make.user(f"S{size}-{i}")).user for i in range(size)]
        for student in students:
            hw.submission(assignment, student, text="x", now=due - timedelta(minutes=5))
        case = Review(klass, assignment, students, due)
        turn_on(case)
        run_periodic(app)
        teacher = client_as(klass.teacher)
        teacher.get(case.base + "/allocation")
        with count_queries:
            assert teacher.get(case.base + "/allocation").status_code == 200
        counts.append(count_queries.count)
    assert counts[0] == counts[1]


def test_names_are_escaped(app, small_review, client_as):
    """Is a display name with markup shown as text on the allocation page (tasks and the shortfall)?"""
    from lms.circles.models import Membership

    membership = db.session.scalars(db.select(Membership).where(
        Membership.user_id == small_review.klass.student.id)).one()
    membership.display_name = "<b>Bold</b> & co"
    db.session.commit()
    turn_on(small_review)
    run_periodic(app)
    html = client_as(small_review.klass.teacher).get(small_review.base + "/allocation").get_data(as_text=True)
    assert "<b>Bold</b>" not in html and "&lt;b&gt;Bold&lt;/b&gt; &amp; co" in html


# -- before the window opens, and who takes part -------------------------------------------------------

def test_open_reviewing_now_moves_the_opening_and_allocates(app, review, client_as):
    """With the window set to open tomorrow, do students read when tasks arrive (not "no review tasks"), and
    does the teacher's "Open reviewing now" open it and run the first round at once?"""
    turn_on(review, reviews_per_submission=2, opens_at=later(days=1), closes_at=later(days=3))
    student = client_as(review.klass.student)
    waiting = page_text(student.get(f"{review.base}/tasks"))
    assert "Review tasks arrive when reviewing opens at" in waiting and "UTC" in waiting
    assert "You have no review tasks" not in waiting
    teacher = client_as(review.klass.teacher)
    assert "Open reviewing now" in page_text(teacher.get(f"{review.base}/allocation"))
    assert client_as(review.klass.classmate).post(f"{review.base}/allocation/open-now").status_code == 403
    done = teacher.post(f"{review.base}/allocation/open-now")
    assert done.status_code == 302
    assert "Reviewing is open: 10 review tasks were allocated." in page_text(teacher.get(done.headers["Location"]))
    settings = review.settings()
    assert settings.rounds == 1 and settings.window_state().value == "open"
    assert "Classmate A" in page_text(student.get(f"{review.base}/tasks"))
    assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "peer_review_changed")
                             .order_by(AuditEvent.id.desc())).details["peer_opens_at"]["to"] is not None


def test_a_student_who_handed_nothing_in_reads_one_clear_message(app, review, client_as, make):
    """Where only those who handed in review, does a student who handed nothing in read that once (no
    "practise first", no "no review tasks"), and their received page say they handed nothing in?"""
    turn_on(review, reviews_per_submission=2)
    run_periodic(app)
    idle = make.member(review.klass.circle, make.user("Idle")).user
    client = client_as(idle)
    text = page_text(client.get(f"{review.base}/tasks"))
    assert "Only students who handed in work review in this assignment." in text
    assert "no review tasks" not in text and "Practise" not in text
    received = page_text(client.get(f"{review.base}/received"))
    assert "You handed nothing in for this assignment" in received and "No classmate has" not in received
