"""The details of each kind of audit event read as words an admin understands: translated labels, the
app's own words for roles, statuses and export choices, names instead of database ids, a release's
grades as one line per student, and never raw JSON. The CSV keeps the raw values."""
from __future__ import annotations

import csv
import io
import json
import re
from html import unescape
from datetime import datetime, timezone

import pytest

from lms.audit.models import AuditEvent
from lms.extensions import db
from lms.grading import operations as grading_ops
from tests.fixtures.app import page_text
from tests.orgs.school import build_school

UTC = timezone.utc
#: What must never show in the details: JSON syntax, storage keys, codes of the values.
RAW = ("{", "student_id", "status_before", "assignment_id", "nograde", "org_assignment", "released_only",
       "How: readmitted", "Role: student", "from:")


def _details(client, action: str) -> str:
    """The text of the Details cells of the log filtered to `action`."""
    html = client.get(f"/admin/audit?action={action}").get_data(as_text=True)
    cells = re.findall(r'<tr id="event-\d+">(?:.*?<td[^>]*>){6}(.*?)</td>', html, flags=re.S)
    assert cells, action
    return " ".join(re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", cell))).strip() for cell in cells)


def _assert_no_codes(text: str) -> None:
    for raw in RAW:
        assert raw not in text, raw


def _membership(circle, user):
    return circle.membership_of(user)


def test_membership_changes_read_as_words(klass, client_as):
    """Do a role change, a removal and a readmission read "Change: Student → Assistant", "Role: Student",
    "Membership before: Active / Removed" and "How: Readmitted by the staff", with no code?"""
    owner = client_as(klass.owner)
    member = _membership(klass.circle, klass.student)
    owner.post(f"/c/{klass.circle.id}/members/{member.id}/role", data={"role-role": "assistant"})
    classmate = _membership(klass.circle, klass.classmate)
    owner.post(f"/c/{klass.circle.id}/members/{classmate.id}/remove")
    owner.post(f"/c/{klass.circle.id}/members/{classmate.id}/readmit")
    admin = client_as(klass.admin)
    changed = _details(admin, "member_role_changed")
    assert "Change: Student → Assistant" in changed
    removed = _details(admin, "member_removed")
    assert "Role: Student" in removed and "Membership before: Active" in removed
    readmitted = _details(admin, "member_readmitted")
    assert "Membership before: Removed" in readmitted and "How: Readmitted by the staff" in readmitted
    for text in (changed, removed, readmitted):
        _assert_no_codes(text)


def test_ownership_transfer_names_the_previous_owner(klass, client_as):
    """Does a transfer read "Teacher → Owner" and name the previous owner, not their account number?"""
    teacher = _membership(klass.circle, klass.teacher)
    client_as(klass.owner).post(f"/c/{klass.circle.id}/members/{teacher.id}/transfer")
    text = _details(client_as(klass.admin), "owner_changed")
    owner_name = _membership(klass.circle, klass.owner).display_name
    assert "Change: Teacher → Owner" in text and f"Previous owner: {owner_name}" in text
    _assert_no_codes(text)


def test_org_teacher_assignment_reads_as_words(client_as, make):
    """Does an org admin assigning a teacher to a class read "Change: – → Teacher", "How: Assigned by the
    organization" and "Membership before: not a member", on the org's own log too?"""
    school = build_school(make)
    client_as(school.admin).post(f"/orgs/{school.org.id}/assign-teacher",
                                 data={"class_id": school.klass.id, "assignee_id": school.teacher2.id})
    text = _details(client_as(school.site_admin), "member_role_changed")
    assert "Change: – → Teacher" in text
    assert "How: Assigned by the organization" in text and "Membership before: not a member" in text
    _assert_no_codes(text)
    org_page = page_text(client_as(school.admin).get(f"/orgs/{school.org.id}/audit?action=member_role_changed"))
    assert "Assigned by the organization" in org_page


@pytest.fixture
def essay(klass, hw):
    assignment = hw.assignment(klass.circle, accepts="text", points=10, title="Essay")
    hw.submission(assignment, klass.student, text="My essay")
    hw.submission(assignment, klass.classmate, text="Mine")
    return assignment


def test_grades_read_with_names_and_one_line_per_student(klass, client_as, essay, grading):
    """Does a grade change name the assignment and the student, and a release list "Name: 6" and
    "Name: 8" lines instead of JSON with ids?"""
    url = f"/circles/{klass.circle.id}/assignments/{essay.id}"
    client_as(klass.teacher).post(f"{url}/grade/{klass.student.id}", data={"score": "6", "feedback": ""})
    grading.grade(essay, klass.classmate, klass.teacher, score=8)
    db.session.commit()
    client_as(klass.teacher).post(f"{url}/release")
    admin = client_as(klass.admin)
    changed = _details(admin, "grade_changed")
    assert "Assignment: Essay" in changed and f"Student: {klass.student.name}" in changed
    assert "Score: – → 6" in changed and "How: Graded" in changed
    released = _details(admin, "grade_released")
    assert f"{klass.student.name}: 6" in released and f"{klass.classmate.name}: 8" in released
    _assert_no_codes(changed)
    _assert_no_codes(released)


def test_an_old_event_with_ids_only_shows_current_names(klass, client_as, essay):
    """Does an event recorded before names were kept (ids only) show the student's and the assignment's
    name, found in a bounded lookup, and a deleted student as such?"""
    db.session.add(AuditEvent(at=datetime(2026, 3, 1, tzinfo=UTC), action="grade_released", actor_label="T",
                              details={"count": 2, "grades": [
                                  {"student_id": klass.student.id, "score": 5.0, "penalty_percent": 10.0,
                                   "excused": False},
                                  {"student_id": 999_999, "score": None, "penalty_percent": None, "excused": True}]}))
    db.session.add(AuditEvent(at=datetime(2026, 3, 2, tzinfo=UTC), action="extension_granted", actor_label="T",
                              details={"assignment_id": essay.id, "student_id": klass.student.id, "reason": "ill"}))
    db.session.commit()
    admin = client_as(klass.admin)
    released = _details(admin, "grade_released")
    assert f"{klass.student.name}: 5 (late 10 %)" in released
    assert "Student #999999 (deleted): excused" in released
    extension = _details(admin, "extension_granted")
    assert "Assignment: Essay" in extension and f"Student: {klass.student.name}" in extension
    _assert_no_codes(released)
    _assert_no_codes(extension)


def test_an_extension_keeps_the_names_of_the_time(klass, client_as, essay):
    """Is an extension recorded with the assignment's title and student's name, shown even after the
    assignment is renamed?"""
    client_as(klass.teacher).post(f"/circles/{klass.circle.id}/assignments/{essay.id}/extensions", data={
        "student_id": str(klass.student.id), "due_at": "2031-03-14T12:00", "closes_at": "", "reason": ""})
    essay.title = "Renamed"
    db.session.commit()
    text = _details(client_as(klass.admin), "extension_granted")
    assert "Assignment: Essay" in text and f"Student: {klass.student.name}" in text
    _assert_no_codes(text)


def test_an_export_reads_its_choices_as_the_form_words_them(klass, client_as, essay):
    """Does a Moodle export read "Format: Moodle grade import (CSV)", the blanks, match and scale choices
    as the form words them, while the CSV keeps the codes?"""
    client_as(klass.teacher).get(f"/circles/{klass.circle.id}/grades/export?format=moodle&moodle_scale=points")
    admin = client_as(klass.admin)
    text = _details(admin, "grades_exported")
    assert "Format: Moodle grade import (CSV)" in text
    assert "Blank grades: - (Moodle's “no grade”)" in text
    assert "Matched by: Moodle e-mail address" in text and "Scale: Points" in text
    _assert_no_codes(text)
    rows = list(csv.reader(io.StringIO(admin.get("/admin/audit.csv?action=grades_exported")
                                       .get_data(as_text=True).lstrip("\ufeff"))))
    assert json.loads(rows[1][-1])["blanks"] == "nograde"


def test_details_read_in_chinese(klass, client_as):
    """For an admin reading in Simplified Chinese, is a role change free of the English role codes?"""
    owner = client_as(klass.owner)
    member = _membership(klass.circle, klass.student)
    owner.post(f"/c/{klass.circle.id}/members/{member.id}/role", data={"role-role": "assistant"})
    klass.admin.locale = "zh_Hans"
    db.session.commit()
    text = _details(client_as(klass.admin), "member_role_changed")
    assert "student" not in text and "assistant" not in text
