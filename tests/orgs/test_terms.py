"""Terms: making them, putting classes in them, archiving a term's classes in one action (read-only, nothing
lost), copying a class's structure into the next term (nothing of the students' work), and who may do it."""
from __future__ import annotations

import io
from datetime import date, timedelta

import pytest

from lms.audit.models import AuditAction, AuditEvent
from lms.checkins.models import Checkin, CheckinTask
from lms.circles.models import Circle, CircleKind, JoinPolicy, Membership, MembershipStatus, Role
from lms.core.types import utcnow
from lms.extensions import db
from lms.feed.notices.models import Notice, NoticeRead
from lms.files import operations as file_ops
from lms.files.models import CircleFile, FileVersion, Folder
from lms.grading.models import Criterion, Grade, GradeCategory, Rubric
from lms.homework.models import Assignment, Submission
from lms.live.models import LessonState, LiveAttendance, LiveLesson
from lms.orgs import operations as org_ops
from lms.orgs.console import terms as term_ops
from lms.orgs.models import Term
from lms.storage import get_storage, new_key
from tests.orgs.school import build_school

AUTUMN = (date(2026, 9, 1), date(2026, 12, 20))
SPRING = (date(2027, 1, 12), date(2027, 6, 30))


@pytest.fixture
def term(school) -> Term:
    made = term_ops.create_term(school.org, "Autumn 2026", *AUTUMN)
    school.klass.term_id = made.id
    db.session.commit()
    return made


@pytest.fixture
def spring(school) -> Term:
    made = term_ops.create_term(school.org, "Spring 2027", *SPRING)
    db.session.commit()
    return made


@pytest.fixture
def full(make, hw, grading, school, term):
    """The autumn class (owner Tom, teacher Tina, an assistant, 2 students) holds: a rubric of 2 criteria, a
    category, 2 assignments (one with the rubric and category, due 10 days into the term), hand-ins, grades,
    a live lesson held with a replay and attendance, a notice read by a student, a daily check-in task with
    check-ins, and a file "plan.txt" in a folder "Week 1"."""
    klass = school.klass
    org_ops.assign_teacher(klass, school.teacher2, school.site_admin)
    make.member(klass, make.user("Ada Assistant"), Role.assistant)
    s1, s2 = make.member(klass, make.user("Stu One")).user, make.member(klass, make.user("Stu Two")).user
    rubric = grading.rubric(klass, school.teacher)
    category = grading.category(klass, school.teacher, "Projects", 60)
    due = utcnow().replace(year=2026, month=9, day=11, hour=9, minute=0, second=0, microsecond=0)
    first = hw.assignment(klass, author=school.teacher, title="Film a scene", rubric_id=rubric.id,
                          category_id=category.id, due_at=due)
    second = hw.assignment(klass, author=school.teacher, title="Write a review")
    hw.submission(first, s1), hw.submission(first, s2), hw.submission(second, s1)
    hw.grade(first, s1, score=90), hw.grade(first, s2, score=70)
    media = hw.media(school.teacher)
    lesson = LiveLesson(circle_id=klass.id, title="Opening", starts_at=utcnow(), state=LessonState.ended,
                        went_live_at=utcnow(), ended_at=utcnow(), replay_media_id=media.id, replay_state="ready")
    db.session.add(lesson)
    db.session.flush()
    db.session.add(LiveAttendance(lesson_id=lesson.id, user_id=s1.id))
    notice = Notice(circle_id=klass.id, title="Welcome", publish_at=utcnow())
    db.session.add(notice)
    db.session.flush()
    db.session.add(NoticeRead(notice_id=notice.id, user_id=s1.id))
    task = CheckinTask(circle_id=klass.id, title="Practice", starts_on=AUTUMN[0], ends_on=AUTUMN[1])
    db.session.add(task)
    db.session.flush()
    db.session.add(Checkin(task_id=task.id, user_id=s1.id, day=AUTUMN[0]))
    week = file_ops.create_folder(file_ops.root_folder(klass), school.teacher, "Week 1")
    key = new_key("files")
    get_storage().put(key, io.BytesIO(b"the plan"))
    file = CircleFile(circle_id=klass.id, folder_id=week.id, name="plan.txt", name_key="plan.txt",
                      uploaded_by_id=school.teacher.id)
    db.session.add(file)
    db.session.flush()
    version = FileVersion(file_id=file.id, number=1, storage_key=key, bytes=8, content_type="text/plain")
    db.session.add(version)
    db.session.flush()
    file.current_version_id = version.id
    db.session.commit()
    return klass, (s1, s2), (first, second)


def _census(circle_id: int) -> dict[str, int]:
    """How many rows of each kind the class holds."""
    def count(query) -> int:
        return db.session.scalar(db.select(db.func.count()).select_from(query.subquery()))

    assignments = db.select(Assignment.id).where(Assignment.circle_id == circle_id)
    return {
        "members": count(db.select(Membership.id).where(Membership.circle_id == circle_id,
                                                        Membership.status == MembershipStatus.active)),
        "students": count(db.select(Membership.id).where(Membership.circle_id == circle_id,
                                                         Membership.role == Role.student)),
        "assignments": count(assignments),
        "submissions": count(db.select(Submission.id).where(Submission.assignment_id.in_(assignments))),
        "grades": count(db.select(Grade.id).where(Grade.assignment_id.in_(assignments))),
        "rubrics": count(db.select(Rubric.id).where(Rubric.circle_id == circle_id)),
        "categories": count(db.select(GradeCategory.id).where(GradeCategory.circle_id == circle_id)),
        "lessons": count(db.select(LiveLesson.id).where(LiveLesson.circle_id == circle_id)),
        "replays": count(db.select(LiveLesson.id).where(LiveLesson.circle_id == circle_id,
                                                        LiveLesson.replay_media_id.is_not(None))),
        "attendance": count(db.select(LiveAttendance.id).join(LiveLesson, LiveLesson.id == LiveAttendance.lesson_id)
                            .where(LiveLesson.circle_id == circle_id)),
        "notices": count(db.select(Notice.id).where(Notice.circle_id == circle_id)),
        "notice_reads": count(db.select(NoticeRead.id).join(Notice, Notice.id == NoticeRead.notice_id)
                              .where(Notice.circle_id == circle_id)),
        "checkin_tasks": count(db.select(CheckinTask.id).where(CheckinTask.circle_id == circle_id)),
        "checkins": count(db.select(Checkin.id).join(CheckinTask, CheckinTask.id == Checkin.task_id)
                          .where(CheckinTask.circle_id == circle_id)),
        "files": count(db.select(CircleFile.id).where(CircleFile.circle_id == circle_id)),
        "folders": count(db.select(Folder.id).where(Folder.circle_id == circle_id)),
    }


# -- making terms and putting classes in them --------------------------------------------------------

def test_an_admin_adds_a_term(client, login, school):
    """Does the admin add a term from the terms page, and is an end before the start or a repeated name
    refused with the reason?"""
    login(school.admin)
    url = f"/orgs/{school.org.id}/terms"
    response = client.post(url, data={"name": "Autumn 2026", "starts_on": "2026-09-01", "ends_on": "2026-12-20"})
    assert response.status_code == 302
    assert db.session.scalar(db.select(Term).where(Term.org_id == school.org.id)).name == "Autumn 2026"
    response = client.post(url, data={"name": "Late", "starts_on": "2026-09-01", "ends_on": "2026-08-01"})
    assert response.status_code == 422 and "cannot end before it starts" in response.get_data(as_text=True)
    response = client.post(url, data={"name": "autumn 2026", "starts_on": "2026-09-01", "ends_on": "2026-12-20"})
    assert response.status_code == 422 and "already has a term named" in response.get_data(as_text=True)
    page = client.get(url).get_data(as_text=True)
    assert "Autumn 2026" in page


def test_an_admin_puts_ticked_classes_in_a_term(client, login, make, school, term):
    """Do the classes ticked in the console go into the chosen term (or into none), and is a class of another
    organization refused with a 404 and nothing changed?"""
    [other] = org_ops.create_classes(school.org, ["Art 9"], school.teacher, CircleKind.teaching, JoinPolicy.code,
                                     actor=school.site_admin)
    db.session.commit()
    login(school.admin)
    response = client.post(f"/orgs/{school.org.id}/console/term", data={"class_ids": [other.id], "term_id": term.id})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Circle, other.id).term_id == term.id
    client.post(f"/orgs/{school.org.id}/console/term", data={"class_ids": [other.id], "term_id": 0})
    db.session.expire_all()
    assert db.session.get(Circle, other.id).term_id is None
    elsewhere = build_school(make, "Other School").klass
    response = client.post(f"/orgs/{school.org.id}/console/term",
                           data={"class_ids": [other.id, elsewhere.id], "term_id": term.id})
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Circle, other.id).term_id is None and db.session.get(Circle, elsewhere.id).term_id is None


# -- archiving a term ---------------------------------------------------------------------------------

def test_archiving_a_term_keeps_everything_and_makes_it_read_only(client, login, school, term, full):
    """Does archiving the term archive each of its classes in one action, keep every row (members, work,
    grades, replays, check-ins, files), keep the pages open to members, and refuse changes (403 for members
    and overseers, 404 for strangers)?"""
    klass, (s1, _s2), (first, _second) = full
    [other] = org_ops.create_classes(school.org, ["Not in the term"], school.teacher, CircleKind.teaching,
                                     JoinPolicy.code, actor=school.site_admin)
    db.session.commit()
    before = _census(klass.id)
    login(school.admin)
    response = client.post(f"/orgs/{school.org.id}/terms/{term.id}/archive")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Circle, klass.id).is_archived and db.session.get(Term, term.id).archived_at is not None
    assert not db.session.get(Circle, other.id).is_archived
    assert _census(klass.id) == before
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == AuditAction.term_archived))
    assert event.org_id == school.org.id and event.actor_id == school.admin.id and event.details["classes"] == 1
    login(s1)
    assert client.get(f"/c/{klass.id}").status_code == 200
    assert client.get(f"/circles/{klass.id}/assignments/{first.id}").status_code == 200
    response = client.post(f"/circles/{klass.id}/assignments/{first.id}/submit", data={"text": "again"})
    assert response.status_code == 403 and "archived" in response.get_data(as_text=True)
    login(school.teacher)
    response = client.post(f"/circles/{klass.id}/notices/new", data={"title": "Late news", "body_md": "x"})
    assert response.status_code == 403
    login(school.outsider)
    assert client.post(f"/circles/{klass.id}/notices/new", data={"title": "x"}).status_code == 404
    assert _census(klass.id) == before


def test_the_archive_guard_refuses_every_write_under_an_archived_circle(app, client, login, school):
    """Does every write route under a circle's URL (but the few listed as allowed: restoring, leaving,
    reporting...) answer 403 for a site admin once the circle is archived, before its view runs?"""
    from lms.circles.archived import ALLOWED_ENDPOINTS
    from lms.circles import operations as circle_ops

    circle_ops.set_archived(school.klass, True)
    db.session.commit()
    login(school.site_admin)
    checked = 0
    for rule in app.url_map.iter_rules():
        methods = rule.methods - {"GET", "HEAD", "OPTIONS"}
        if not methods or "circle_id" not in rule.arguments or rule.endpoint in ALLOWED_ENDPOINTS:
            continue
        values = {name: sorted(getattr(rule._converters.get(name), "items", None) or [999999])[0]
                  for name in rule.arguments}
        values["circle_id"] = school.klass.id
        path = rule.build(values, append_unknown=False)[1]
        response = client.open(path, method=sorted(methods)[0], data={})
        assert response.status_code == 403, (rule.rule, response.status_code)
        checked += 1
    assert checked > 100


def test_restoring_an_archived_class_is_still_possible(client, login, school, term):
    """Can the admin restore one class of an archived term (the guard lets the archive switch through)?"""
    term_ops.archive_term(term)
    db.session.commit()
    login(school.admin)
    assert client.post(f"/c/{school.klass.id}/archive").status_code == 302
    db.session.expire_all()
    assert not db.session.get(Circle, school.klass.id).is_archived


# -- copying into the next term -----------------------------------------------------------------------

def test_copying_a_class_into_the_next_term(client, login, school, term, spring, full):
    """Does copying the autumn class into spring make a class of spring with the same teachers (no assistant,
    no students), its rubric (with criteria), category, assignments as drafts with dates moved by the
    terms' distance, check-in task and file (bytes copied to a new key); nothing of the students' work; and
    the autumn class unchanged?"""
    klass, _students, (first, _second) = full
    before = _census(klass.id)
    login(school.admin)
    response = client.post(f"/orgs/{school.org.id}/terms/{term.id}/copy",
                           data={"class_ids": [klass.id], "term_id": spring.id})
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]
    copy = db.session.scalar(db.select(Circle).where(Circle.term_id == spring.id))
    assert copy is not None and copy.name == klass.name and copy.org_id == school.org.id and copy.id != klass.id
    assert _census(klass.id) == before
    after = _census(copy.id)
    assert after == {"members": 2, "students": 0, "assignments": 2, "submissions": 0, "grades": 0, "rubrics": 1,
                     "categories": 1, "lessons": 0, "replays": 0, "attendance": 0, "notices": 0,
                     "notice_reads": 0, "checkin_tasks": 1, "checkins": 0, "files": 1, "folders": 2}
    staff = {(m.user_id, m.role) for m in db.session.scalars(db.select(Membership)
                                                             .where(Membership.circle_id == copy.id))}
    assert staff == {(school.teacher.id, Role.owner), (school.teacher2.id, Role.teacher)}
    film = db.session.scalar(db.select(Assignment).where(Assignment.circle_id == copy.id,
                                                         Assignment.title == "Film a scene"))
    assert not film.is_published
    assert film.due_at - first.due_at == timedelta(days=(SPRING[0] - AUTUMN[0]).days)
    rubric = db.session.get(Rubric, film.rubric_id)
    assert rubric.circle_id == copy.id and len(rubric.criteria) == 2
    assert db.session.get(GradeCategory, film.category_id).circle_id == copy.id
    task = db.session.scalar(db.select(CheckinTask).where(CheckinTask.circle_id == copy.id))
    assert task.starts_on == SPRING[0] and task.ends_on == AUTUMN[1] + (SPRING[0] - AUTUMN[0])
    file = db.session.scalar(db.select(CircleFile).where(CircleFile.circle_id == copy.id))
    original = db.session.scalar(db.select(CircleFile).where(CircleFile.circle_id == klass.id))
    assert file.name == "plan.txt" and db.session.get(Folder, file.folder_id).name == "Week 1"
    assert file.current_version.storage_key != original.current_version.storage_key
    with get_storage().open(file.current_version.storage_key) as stream:
        assert stream.read() == b"the plan"
    assert db.session.scalar(db.select(db.func.count()).select_from(Criterion)
                             .where(Criterion.rubric_id == rubric.id)) == 2
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == AuditAction.class_copied_to_term))
    assert event.circle_id == copy.id and event.details["from_id"] == klass.id


def test_an_archived_class_can_be_copied_and_its_copy_is_open(client, login, school, term, spring, full):
    """After the term is archived, can the admin still start the next term from a copy, and is the copy open
    for changes while the original stays read-only?"""
    klass = full[0]
    login(school.admin)
    client.post(f"/orgs/{school.org.id}/terms/{term.id}/archive")
    response = client.post(f"/orgs/{school.org.id}/terms/{term.id}/copy",
                           data={"class_ids": [klass.id], "term_id": spring.id})
    assert response.status_code == 302
    copy = db.session.scalar(db.select(Circle).where(Circle.term_id == spring.id))
    assert not copy.is_archived
    login(school.teacher)
    assert client.post(f"/circles/{copy.id}/notices/new", data={"title": "Hello spring"}).status_code != 403
    assert client.post(f"/circles/{klass.id}/notices/new", data={"title": "Hello spring"}).status_code == 403


def test_copying_refuses_classes_of_another_term(client, login, school, term, spring):
    """Is a class that is not in the term refused (404) and nothing copied?"""
    [other] = org_ops.create_classes(school.org, ["Loose"], school.teacher, CircleKind.teaching, JoinPolicy.code,
                                     actor=school.site_admin)
    db.session.commit()
    login(school.admin)
    response = client.post(f"/orgs/{school.org.id}/terms/{term.id}/copy",
                           data={"class_ids": [other.id], "term_id": spring.id})
    assert response.status_code == 404
    assert db.session.scalar(db.select(Circle).where(Circle.term_id == spring.id)) is None


# -- who may ------------------------------------------------------------------------------------------

ROUTES = [
    ("terms", "GET", lambda s, t, sp: f"/orgs/{s.org.id}/terms", lambda s, t, sp: None),
    ("term", "GET", lambda s, t, sp: f"/orgs/{s.org.id}/terms/{t.id}", lambda s, t, sp: None),
    ("create_term", "POST", lambda s, t, sp: f"/orgs/{s.org.id}/terms",
     lambda s, t, sp: {"name": "Summer", "starts_on": "2027-07-01", "ends_on": "2027-08-30"}),
    ("archive_term", "POST", lambda s, t, sp: f"/orgs/{s.org.id}/terms/{t.id}/archive", lambda s, t, sp: {}),
    ("copy_classes", "POST", lambda s, t, sp: f"/orgs/{s.org.id}/terms/{t.id}/copy",
     lambda s, t, sp: {"class_ids": [s.klass.id], "term_id": sp.id}),
    ("set_classes_term", "POST", lambda s, t, sp: f"/orgs/{s.org.id}/console/term",
     lambda s, t, sp: {"class_ids": [s.klass.id], "term_id": sp.id}),
]


@pytest.mark.parametrize("who, expected", [("site_admin", "ok"), ("admin", "ok"), ("teacher", 404),
                                           ("other_teacher", 404), ("student", 404), ("outsider", 404),
                                           ("anonymous", "login")])
@pytest.mark.parametrize("name, method, url, data", ROUTES, ids=[r[0] for r in ROUTES])
def test_terms_routes_by_role(client, login, make, school, term, spring, who, expected, name, method, url, data):
    """Does each terms route answer its admins and site admins, and give 404 to its teachers, a teacher of
    another organization, its students and strangers (and send visitors to sign in)?"""
    if who == "other_teacher":
        login(build_school(make, "Other School").teacher)
    elif who != "anonymous":
        login(school.by_role(who))
    response = client.open(url(school, term, spring), method=method, data=data(school, term, spring))
    if expected == "login":
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    elif expected == "ok":
        assert response.status_code in ((200,) if method == "GET" else (302,)), response.get_data(as_text=True)[:800]
    else:
        assert response.status_code == expected
        assert db.session.scalar(db.select(db.func.count()).select_from(Term)
                                 .where(Term.org_id == school.org.id)) == 2
