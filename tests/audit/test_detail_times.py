"""Times inside an audit event's details (an extension's due and close times) are read in the viewer's
zone with the zone named, like the rest of the page; the record and the CSV keep UTC."""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone

from lms.audit.models import AuditEvent
from lms.extensions import db
from tests.fixtures.app import page_text

UTC = timezone.utc


def test_extension_times_in_details_follow_the_viewers_zone(klass, client_as, hw):
    """An extension due Friday 14 March 2031 12:00 UTC, closing 12:00 the next day, then moved a day later:
    does a site admin in Shanghai read "8:00 PM Asia/Shanghai (GMT+08:00)" in Details of both events, with no raw UTC
    text, while the stored record and the CSV keep the UTC ISO time?"""
    assignment = hw.assignment(klass.circle, accepts="text", due_at=datetime(2031, 3, 10, 12, tzinfo=UTC))
    teacher = client_as(klass.teacher)
    url = f"/circles/{klass.circle.id}/assignments/{assignment.id}/extensions"
    teacher.post(url, data={"student_id": str(klass.student.id), "due_at": "2031-03-14T12:00",
                            "closes_at": "2031-03-15T12:00", "reason": ""})
    teacher.post(url, data={"student_id": str(klass.student.id), "due_at": "2031-03-15T12:00",
                            "closes_at": "2031-03-15T12:00", "reason": ""})
    klass.admin.timezone = "Asia/Shanghai"
    db.session.commit()
    admin = client_as(klass.admin)
    text = page_text(admin.get("/admin/audit?action=extension_granted"))
    assert "Due: Mar 14, 2031, 8:00:00 PM Asia/Shanghai (GMT+08:00)" in text.replace("\u202f", " ")
    assert "Closes: Mar 15, 2031, 8:00:00 PM Asia/Shanghai (GMT+08:00)" in text.replace("\u202f", " ")
    assert "2031-03-14 12:00" not in text and "+00:00" not in text
    changed = page_text(admin.get("/admin/audit?action=extension_changed")).replace("\u202f", " ")
    assert "Due: Mar 15, 2031, 8:00:00 PM Asia/Shanghai (GMT+08:00)" in changed
    stored = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "extension_granted"))
    assert stored.details["due_at"] == "2031-03-14 12:00:00+00:00"
    rows = list(csv.reader(io.StringIO(admin.get("/admin/audit.csv?action=extension_granted")
                                       .get_data(as_text=True).lstrip("\ufeff"))))
    assert json.loads(rows[1][-1])["due_at"] == "2031-03-14 12:00:00+00:00"


def test_a_text_that_only_looks_like_a_date_is_left_alone(klass, client_as, hw):
    """A reason typed as "2031-03-14" (a date, no time or zone): is it shown as typed, not as a time?"""
    assignment = hw.assignment(klass.circle, accepts="text", due_at=datetime(2031, 3, 10, 12, tzinfo=UTC))
    client_as(klass.teacher).post(f"/circles/{klass.circle.id}/assignments/{assignment.id}/extensions", data={
        "student_id": str(klass.student.id), "due_at": "2031-03-14T12:00", "closes_at": "", "reason": "2031-03-14"})
    text = page_text(client_as(klass.admin).get("/admin/audit?action=extension_granted"))
    assert "Reason: 2031-03-14" in text
