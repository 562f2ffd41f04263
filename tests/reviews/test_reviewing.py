"""The reviewing side of peer review: a student's tasks and progress, the task page with the classmate's
video served by the task, drafts that save themselves, comments at moments, the final hand-in with its
checks, a teacher's reopen, the window and who may open what, and the reminder before the window closes."""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import timedelta

import pytest

from lms.extensions import db
from lms.homework.models import Assignment
from lms.notifications.models import Notification
from lms.reviews import reviewing as rv
from lms.reviews.models import AllocationState, PeerReview, ReviewAllocation
from lms.storage import get_storage
from tests.fixtures.app import page_text
from tests.fixtures.homework import ago, later
from tests.reviews.conftest import run_periodic, turn_on

MP4 = b"\x00\x00\x00\x18ftypmp42 neutral bytes of a video"
POSTER = b"\xff\xd8\xff a poster"
SEGMENT = b"\x47" + b"\x00" * 187
PLAYLIST = b"#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXTINF:6.0,\nseg0.ts\n#EXT-X-ENDLIST\n"


def ready_video(hw, student, *, media_id: int | None = None):
    """A processed video of `student` with its renditions in storage (bytes stand in for real ones)."""
    media = hw.media(student, filename=f"{student.name} dance.mov")
    if media_id is not None:
        old_id = media.id
        db.session.expunge(media)
        db.session.execute(db.text("UPDATE media SET id = :new WHERE id = :old"), {"new": media_id, "old": old_id})
        db.session.commit()
        db.session.expire_all()
        media = db.session.get(type(media), media_id)
    prefix = f"media/{student.id}/{media.id}"
    media.original_key = f"{prefix}/original"
    media.mp4_key, media.poster_key, media.hls_prefix = f"{prefix}/video.mp4", f"{prefix}/poster.jpg", f"{prefix}/hls"
    storage = get_storage()
    for key, data in ((media.original_key, b"original"), (media.mp4_key, MP4), (media.poster_key, POSTER),
                      (f"{prefix}/hls/seg0.ts", SEGMENT), (f"{prefix}/hls/index.m3u8", PLAYLIST)):
        storage.put(key, io.BytesIO(data))
    db.session.commit()
    return media


def call(client, method: str, url: str, body=None):
    """A JSON request as static/js/reviews/review.js and homework/comments.js send it (CSRF header)."""
    headers = {"X-CSRFToken": client.csrf_token(), "Accept": "application/json"}
    return client.open(url, method=method, json=body, headers=headers)


@dataclass
class Round:
    klass: object
    assignment: Assignment
    students: list

    @property
    def circle_id(self) -> int:
        return self.klass.circle.id

    @property
    def tasks_url(self) -> str:
        return f"/circles/{self.circle_id}/assignments/{self.assignment.id}/peer-review/tasks"

    def task_url(self, allocation) -> str:
        return f"/circles/{self.circle_id}/reviews/tasks/{allocation.id}"

    def tasks_of(self, user) -> list[ReviewAllocation]:
        db.session.expire_all()
        return list(db.session.scalars(db.select(ReviewAllocation).where(
            ReviewAllocation.assignment_id == self.assignment.id, ReviewAllocation.reviewer_id == user.id)
            .order_by(ReviewAllocation.id)))

    def task_of(self, reviewer) -> ReviewAllocation:
        return self.tasks_of(reviewer)[0]


def video_round(app, klass, hw, make, *, authors=(), **settings) -> Round:
    """A video assignment due two hours ago; the klass's student and classmate and `authors` (or two more)
    handed in ready videos on time; peer review on (k = 2 unless given), the first round allocated."""
    due = ago(hours=2).replace(microsecond=0)
    assignment = hw.assignment(klass.circle, accepts="video", due_at=due, late_policy="accept")
    students = [klass.student, klass.classmate, *authors]
    if not authors:
        students += [make.member(klass.circle, make.user(f"Mover {i}")).user for i in range(2)]
    for student in students:
        hw.submission(assignment, student, media=ready_video(hw, student), now=due - timedelta(hours=1))
    settings.setdefault("reviews_per_submission", 2)
    turn_on(_Review(klass, assignment), **settings)
    run_periodic(app)
    return Round(klass, assignment, students)


@dataclass
class _Review:  # what conftest.turn_on reads
    klass: object
    assignment: Assignment


@pytest.fixture
def rnd(app, klass, hw, make) -> Round:
    return video_round(app, klass, hw, make)


# -- my tasks --------------------------------------------------------------------------------------

def test_my_tasks_show_progress_and_anonymous_labels(rnd, client_as):
    """Does a reviewer see their tasks as Classmate A, B with "0 of 2 handed in", and no author's name?"""
    client = client_as(rnd.klass.student)
    response = client.get(rnd.tasks_url)
    assert response.status_code == 200
    text = page_text(response)
    assert "Classmate A" in text and "Classmate B" in text
    assert "0 of 2 reviews handed in" in text
    for task in rnd.tasks_of(rnd.klass.student):
        author = db.session.get(type(rnd.klass.student), task.author_id)
        assert author.email not in text and (author.name == "Classmate" or author.name not in text)


def test_my_tasks_name_the_close_in_the_readers_zone_with_the_offset_of_that_day(rnd, client_as):
    """The window closes 1 July 2031 00:00 UTC; a reviewer in New York reads "Review until 6/30/31, 8:00 PM
    America/New_York (GMT-04:00)": the summer offset of that day, in any season, and no "(…(…))" nesting?"""
    from datetime import datetime, timezone

    rv.q.settings_of(rnd.assignment).closes_at = datetime(2031, 7, 1, tzinfo=timezone.utc)
    rnd.klass.student.timezone = "America/New_York"
    db.session.commit()
    text = page_text(client_as(rnd.klass.student).get(rnd.tasks_url)).replace("\u202f", " ")
    assert "Review until 6/30/31, 8:00 PM America/New_York (GMT-04:00)." in text


def test_the_assignment_page_links_to_the_tasks_for_reviewers_only(rnd, client_as, klass, make):
    """Does the assignment page offer "My review tasks" to a student with tasks, and not to one without?"""
    show = f"/circles/{rnd.circle_id}/assignments/{rnd.assignment.id}"
    assert "data-review-tasks" in client_as(rnd.klass.student).get(show).get_data(as_text=True)
    newcomer = make.member(klass.circle, make.user("Newcomer")).user
    assert "data-review-tasks" not in client_as(newcomer).get(show).get_data(as_text=True)


def test_authors_named_shows_the_name(app, klass, hw, make, client_as):
    """With authors named, does the reviewer see whose work it is?"""
    rnd = video_round(app, klass, hw, make, anonymity="authors_named")
    task = rnd.task_of(klass.student)
    author = db.session.get(type(klass.student), task.author_id)
    assert author.name in page_text(client_as(klass.student).get(rnd.task_url(task)))


# -- the task page and the video -------------------------------------------------------------------

def test_the_task_page_plays_the_video_through_the_task(rnd, client_as):
    """Does the task page's player use the task's own URLs, and do they serve the video, poster and HLS
    with ranges and without a file name, date or validator?"""
    client = client_as(rnd.klass.student)
    task = rnd.task_of(rnd.klass.student)
    html = client.get(rnd.task_url(task)).get_data(as_text=True)
    base = rnd.task_url(task)
    assert f'data-mp4="{base}/video"' in html and f'data-hls="{base}/hls/index.m3u8"' in html
    assert f'poster="{base}/poster"' in html and "/m/" not in html
    video = client.get(base + "/video")
    assert video.status_code == 200 and video.data == MP4 and video.mimetype == "video/mp4"
    part = client.get(base + "/video", headers={"Range": "bytes=4-7"})
    assert part.status_code == 206 and part.data == MP4[4:8] and part.headers["Content-Range"] == f"bytes 4-7/{len(MP4)}"
    assert client.get(base + "/poster").data == POSTER
    assert client.get(base + "/hls/index.m3u8").data == PLAYLIST
    assert client.get(base + "/hls/seg0.ts").data == SEGMENT
    assert client.get(base + "/hls/..%2Foriginal").status_code == 404
    for response in (video, part):
        for header in ("Content-Disposition", "Last-Modified", "ETag"):
            assert header not in response.headers


def test_the_task_page_after_a_draft_comment_keeps_markers(rnd, client_as):
    """Is a comment pinned at 12.5 s listed and drawn on the player's timeline when the page is opened again?"""
    client = client_as(rnd.klass.student)
    base = rnd.task_url(rnd.task_of(rnd.klass.student))
    assert call(client, "POST", base + "/comments", {"body": "Lovely turn", "at_seconds": 12.5}).status_code == 201
    html = client.get(base).get_data(as_text=True)
    assert 'data-seek="12.5"' in html and "Lovely turn" in html


# -- permissions and the window ----------------------------------------------------------------------

@pytest.mark.parametrize("suffix", ["", "/video", "/poster", "/hls/index.m3u8", "/comments"])
def test_someone_elses_task_is_not_found(rnd, client_as, suffix):
    """Does a classmate, a stranger, and anyone who is not the reviewer, get 404 for a task and its video?"""
    task = rnd.task_of(rnd.klass.student)
    others = [rnd.klass.stranger] + [s for s in rnd.students if s.id != task.reviewer_id]
    for other in others:
        assert client_as(other).get(rnd.task_url(task) + suffix).status_code == 404


def test_another_task_cannot_be_written(rnd, client_as):
    """Can a student save a draft, comment or hand in on someone else's task? (404, and nothing stored)"""
    task = rnd.task_of(rnd.klass.student)
    other = next(s for s in rnd.students if s.id not in (task.reviewer_id,))
    client = client_as(other)
    base = rnd.task_url(task)
    assert call(client, "POST", base + "/draft", {"overall": "x"}).status_code == 404
    assert call(client, "POST", base + "/comments", {"body": "x", "at_seconds": 1}).status_code == 404
    assert client.post(base + "/submit", data={"overall": "x"}).status_code == 404
    assert db.session.scalar(db.select(PeerReview).where(PeerReview.allocation_id == task.id)) is None


def test_staff_read_but_do_not_write(rnd, client_as):
    """May a teacher open a task (reading) but not write into the student's review?"""
    task = rnd.task_of(rnd.klass.student)
    teacher = client_as(rnd.klass.teacher)
    assert teacher.get(rnd.task_url(task)).status_code == 200
    assert call(teacher, "POST", rnd.task_url(task) + "/draft", {"overall": "x"}).status_code == 403


def test_no_reviewing_before_the_window(rnd, client_as):
    """Before the window opens, is the task refused (403) with the reason, and a hand-in shown again with
    the reason (422)?"""
    task = rnd.task_of(rnd.klass.student)
    settings = rv.q.settings_of(rnd.assignment)
    settings.opens_at, settings.closes_at = later(hours=1), later(days=1)
    db.session.commit()
    client = client_as(rnd.klass.student)
    for method, suffix in (("get", ""), ("get", "/video"), ("post", "/draft")):
        assert getattr(client, method)(rnd.task_url(task) + suffix).status_code == 403
    assert "has not opened yet" in page_text(client.get(rnd.task_url(task)))
    early = client.post(rnd.task_url(task) + "/submit", data={"overall": "Keen"})
    assert early.status_code == 422 and "has not opened yet" in page_text(early)


def test_after_the_close_the_task_reads_but_does_not_write(rnd, client_as):
    """After the close, does the reviewer still open their handed-in review read only (scores, comment, pinned
    comments, when the window closed), with the video, while saving and commenting are refused?"""
    task = rnd.task_of(rnd.klass.student)
    client = client_as(rnd.klass.student)
    call(client, "POST", rnd.task_url(task) + "/comments", {"body": "Lovely turn here", "at_seconds": 2})
    assert client.post(rnd.task_url(task) + "/submit", data={"overall": "Strong ending"}).status_code == 302
    settings = rv.q.settings_of(rnd.assignment)
    settings.closes_at = ago(minutes=1)
    db.session.commit()
    page = client.get(rnd.task_url(task))
    assert page.status_code == 200
    html, text = page.get_data(as_text=True), page_text(page)
    assert "Strong ending" in html and "Lovely turn here" in text and "data-window-closed" in html
    assert "The review window closed" in text and "UTC" in text
    assert "data-comment-form" not in html and "readonly" in html
    assert client.get(rnd.task_url(task) + "/video").status_code == 200
    assert call(client, "GET", rnd.task_url(task) + "/comments").get_json()["comments"][0]["can_edit"] is False
    assert call(client, "POST", rnd.task_url(task) + "/draft", {"overall": "x"}).status_code == 403
    assert call(client, "POST", rnd.task_url(task) + "/comments", {"body": "x", "at_seconds": 1}).status_code == 403
    assert f'href="{rnd.task_url(task)}"' in client.get(rnd.tasks_url).get_data(as_text=True)


def test_a_hand_in_just_after_the_close_keeps_what_was_typed(rnd, client_as):
    """A hand-in a minute after the close: is the task page shown again (422) with the refusal, the typed
    comment and the chosen scores kept, and nothing saved?"""
    task = rnd.task_of(rnd.klass.student)
    client = client_as(rnd.klass.student)
    client.get(rnd.task_url(task))
    settings = rv.q.settings_of(rnd.assignment)
    settings.closes_at = ago(minutes=1)
    db.session.commit()
    late = client.post(rnd.task_url(task) + "/submit", data={"overall": "Typed over ten careful minutes"})
    assert late.status_code == 422
    assert "has closed" in page_text(late) and "Typed over ten careful minutes" in late.get_data(as_text=True)
    db.session.expire_all()
    review = db.session.scalar(db.select(PeerReview).where(PeerReview.allocation_id == task.id))
    assert not review.is_submitted and review.overall_comment == ""


# -- drafts, comments, the hand-in and reopening ----------------------------------------------------

def test_the_draft_saves_and_comments_are_edited_and_deleted(rnd, client_as):
    """Does the autosave endpoint keep the overall comment, and can a draft's comment be changed and removed?"""
    client = client_as(rnd.klass.student)
    task = rnd.task_of(rnd.klass.student)
    base = rnd.task_url(task)
    assert call(client, "POST", base + "/draft", {"overall": "Half written"}).status_code == 200
    made = call(client, "POST", base + "/comments", {"body": "At the jump", "at_seconds": 3}).get_json()["comment"]
    assert call(client, "PATCH", f"{base}/comments/{made['id']}", {"body": "At the big jump"}).status_code == 200
    listed = call(client, "GET", base + "/comments").get_json()["comments"]
    assert [c["body"] for c in listed] == ["At the big jump"] and listed[0]["can_edit"]
    assert call(client, "DELETE", f"{base}/comments/{made['id']}").status_code == 204
    assert call(client, "GET", base + "/comments").get_json()["comments"] == []
    db.session.expire_all()
    review = db.session.scalar(db.select(PeerReview).where(PeerReview.allocation_id == task.id))
    assert review.overall_comment == "Half written" and review.draft_saved_at is not None
    assert db.session.get(ReviewAllocation, task.id).state == AllocationState.draft


def test_a_comment_needs_a_moment_and_text(rnd, client_as):
    """Is a comment with no moment, a moment past the video, or no text refused with a message?"""
    client = client_as(rnd.klass.student)
    base = rnd.task_url(rnd.task_of(rnd.klass.student))
    for body in ({"body": "x", "at_seconds": None}, {"body": "x", "at_seconds": 999}, {"body": " ", "at_seconds": 1}):
        response = call(client, "POST", base + "/comments", body)
        assert response.status_code == 422 and response.get_json()["error"]


def test_a_refused_hand_in_keeps_what_was_typed(app, klass, hw, make, client_as):
    """With a minimum comment length and two pinned comments required, is a short review refused with both
    reasons, the typed comment kept, and a complete one handed in (final)?"""
    rnd = video_round(app, klass, hw, make, comment_min_length=30, min_timestamped_comments=2)
    client = client_as(klass.student)
    task = rnd.task_of(klass.student)
    base = rnd.task_url(task)
    client.get(base)
    refused = client.post(base + "/submit", data={"overall": "Too short"})
    assert refused.status_code == 422
    text = page_text(refused)
    assert "at least 30 characters" in text and "at least 2 comments" in text
    assert "Too short" in refused.get_data(as_text=True)
    for at in (1, 2):
        call(client, "POST", base + "/comments", {"body": f"moment {at}", "at_seconds": at})
    overall = "A clear, well-timed routine; the ending drags."
    assert client.post(base + "/submit", data={"overall": overall}).status_code == 302
    db.session.expire_all()
    review = db.session.scalar(db.select(PeerReview).where(PeerReview.allocation_id == task.id))
    assert review.is_submitted and review.overall_comment == overall
    assert db.session.get(ReviewAllocation, task.id).state == AllocationState.submitted
    assert call(client, "POST", base + "/draft", {"overall": "changed"}).status_code == 409
    assert call(client, "POST", base + "/comments", {"body": "late", "at_seconds": 3}).status_code == 422
    assert "1 of 2 reviews handed in" in page_text(client.get(rnd.tasks_url))


def test_a_teacher_reopens_a_handed_in_review(rnd, client_as):
    """After a teacher reopens a handed-in review, can its reviewer change it again (and a student not reopen)?"""
    client = client_as(rnd.klass.student)
    task = rnd.task_of(rnd.klass.student)
    client.post(rnd.task_url(task) + "/submit", data={"overall": "Done"})
    reopen = f"/circles/{rnd.circle_id}/assignments/{rnd.assignment.id}/peer-review/allocation/{task.id}/reopen"
    assert client.post(reopen).status_code == 403
    teacher = client_as(rnd.klass.teacher)
    assert "Reopen" in page_text(teacher.get(
        f"/circles/{rnd.circle_id}/assignments/{rnd.assignment.id}/peer-review/allocation"))
    assert teacher.post(reopen).status_code == 302
    db.session.expire_all()
    review = db.session.scalar(db.select(PeerReview).where(PeerReview.allocation_id == task.id))
    assert review.submitted_at is None and review.reopened_by_id == rnd.klass.teacher.id
    assert call(client, "POST", rnd.task_url(task) + "/draft", {"overall": "Better"}).status_code == 200
    from lms.audit.models import AuditEvent

    [event] = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "review_reopened"))
    assert event.actor_id == rnd.klass.teacher.id and event.details["reviewer_id"] == rnd.klass.student.id


# -- the reminder ------------------------------------------------------------------------------------

def test_the_reminder_goes_once_to_unfinished_reviewers(rnd, client_as):
    """A day before the window closes, are reviewers with unfinished tasks reminded once, and one who
    handed everything in not?"""
    for task in rnd.tasks_of(rnd.klass.classmate):
        client_as(rnd.klass.classmate).post(rnd.task_url(task) + "/submit", data={"overall": "ok"})
    settings = rv.q.settings_of(rnd.assignment)
    settings.closes_at = later(hours=20)
    db.session.commit()
    rv.remind_review_tasks()
    rv.remind_review_tasks()
    rows = list(db.session.scalars(db.select(Notification).where(Notification.kind == "review_reminder")))
    reminded = sorted(n.user_id for n in rows)
    assert reminded == sorted(s.id for s in rnd.students if s.id != rnd.klass.classmate.id)


# -- the rubric ---------------------------------------------------------------------------------------

def test_the_rubric_is_scored_level_by_level(app, klass, hw, make, client_as):
    """With the set-up's own rubric, does the task page offer each criterion's levels, refuse a hand-in
    that leaves one unscored (naming it), and keep the level and its points once handed in?"""
    from lms.grading import operations as grading_ops

    levels = [{"title": "Crisp", "points": 5}, {"title": "Blurry", "points": 2}]
    rubric = grading_ops.create_rubric(klass.circle, klass.teacher, "Footwork",
                                       [{"title": "Timing", "levels": levels}, {"title": "Balance", "levels": levels}])
    db.session.commit()
    timing, balance = rubric.criteria
    rnd = video_round(app, klass, hw, make, rubric_id=rubric.id)
    client = client_as(klass.student)
    base = rnd.task_url(rnd.task_of(klass.student))
    html = client.get(base).get_data(as_text=True)
    assert f'name="score-{timing.id}"' in html and "Crisp" in html and "Footwork" in html
    refused = client.post(base + "/submit", data={f"score-{timing.id}": "0", "overall": "fine"})
    assert refused.status_code == 422 and "missing: Balance" in page_text(refused)
    assert "checked" in refused.get_data(as_text=True)  # the level chosen is still chosen
    done = client.post(base + "/submit", data={f"score-{timing.id}": "0", f"score-{balance.id}": "1",
                                               f"score-{balance.id + 999}": "0", "overall": "fine"})
    assert done.status_code == 302
    db.session.expire_all()
    review = db.session.scalar(db.select(PeerReview).where(PeerReview.allocation_id == rnd.task_of(klass.student).id))
    assert review.criterion_scores == {str(timing.id): {"level": 0, "points": 5.0},
                                       str(balance.id): {"level": 1, "points": 2.0}}


def test_a_late_hand_in_keeps_the_scores_and_points_read_in_the_singular(app, klass, hw, make, client_as):
    """With a rubric whose level is worth 1 point: does the task page say "(1 point)" (not "1 points"), and
    does a hand-in after the close come back (422) with the chosen levels still chosen?"""
    from lms.grading import operations as grading_ops

    levels = [{"title": "Crisp", "points": 1}, {"title": "Blurry", "points": 0.5}]
    rubric = grading_ops.create_rubric(klass.circle, klass.teacher, "Footwork", [{"title": "Timing", "levels": levels}])
    db.session.commit()
    [timing] = rubric.criteria
    rnd = video_round(app, klass, hw, make, rubric_id=rubric.id)
    client = client_as(klass.student)
    base = rnd.task_url(rnd.task_of(klass.student))
    text = page_text(client.get(base))
    assert "(1 point)" in text and "(0.5 points)" in text and "1 points" not in text
    settings = rv.q.settings_of(rnd.assignment)
    settings.closes_at = ago(minutes=1)
    db.session.commit()
    late = client.post(base + "/submit", data={f"score-{timing.id}": "1", "overall": "Tidy"})
    assert late.status_code == 422
    html = late.get_data(as_text=True)
    assert re.search(rf'name="score-{timing.id}" value="1"\s*checked', html) and "Tidy" in html


def test_the_reminder_and_the_missing_criteria_read_well_in_english(app, klass, hw, make, client_as):
    """A reviewer with one unfinished task reads "one unfinished review task" (not "1 … tasks"); a hand-in
    missing two criteria lists them as English writes a list; the allocation summary says "1 round, the
    last …" in one sentence the translator can punctuate."""
    from lms.grading import operations as grading_ops
    from lms.notifications.kinds import find_kind

    levels = [{"title": "Crisp", "points": 5}, {"title": "Blurry", "points": 2}]
    rubric = grading_ops.create_rubric(klass.circle, klass.teacher, "Footwork", [
        {"title": "Timing", "levels": levels}, {"title": "Balance", "levels": levels}, {"title": "Line", "levels": levels}])
    db.session.commit()
    timing = rubric.criteria[0]
    rnd = video_round(app, klass, hw, make, rubric_id=rubric.id)
    client = client_as(klass.student)
    first, _second = rnd.tasks_of(klass.student)
    refused = client.post(rnd.task_url(first) + "/submit", data={f"score-{timing.id}": "0", "overall": "ok"})
    assert "missing: Balance and Line" in page_text(refused)
    scores = {f"score-{c.id}": "0" for c in rubric.criteria}
    assert client.post(rnd.task_url(first) + "/submit", data={**scores, "overall": "ok"}).status_code == 302
    settings = rv.q.settings_of(rnd.assignment)
    settings.closes_at = later(hours=20)
    db.session.commit()
    rv.remind_review_tasks()
    row = db.session.scalar(db.select(Notification).where(Notification.kind == "review_reminder",
                                                          Notification.user_id == klass.student.id))
    text = str(find_kind("review_reminder").message_for(row.params)) % row.params
    assert "you have one unfinished review task." in text
    summary = page_text(client_as(klass.teacher).get(
        f"/circles/{rnd.circle_id}/assignments/{rnd.assignment.id}/peer-review/allocation"))
    assert "1 round, the last" in summary
