"""The audit record itself: what record_event stores, and that nothing changes or deletes a record."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from lms.audit.models import AuditAction, AuditEvent, AuditEventImmutable
from lms.audit.operations import record_event
from lms.extensions import db


def test_record_event_freezes_actor_and_target(app, make):
    """Does a record keep the actor's and target's names as they were, and the circle of the target?"""
    admin = make.user("Ada Admin", "ada@example.org", is_admin=True)
    circle = make.circle(name="Maths 7B")
    membership = make.member(circle, make.user("Sam Student", "sam@example.org"))
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "203.0.113.9", "HTTP_USER_AGENT": "x" * 500}):
        event = record_event(AuditAction.member_role_changed, admin, target=membership,
                             details={"from": "student", "to": "assistant"})
    db.session.commit()
    admin.name = "Renamed"
    db.session.commit()
    event = db.session.get(AuditEvent, event.id)
    assert event.actor_id == admin.id and event.actor_label == "Ada Admin <ada@example.org>"
    assert (event.target_type, event.target_id, event.circle_id) == ("memberships", membership.id, circle.id)
    assert event.details == {"from": "student", "to": "assistant"}
    assert event.ip == "203.0.113.9" and len(event.user_agent) == 200
    assert event.action == "member_role_changed" and event.at.tzinfo is not None


def test_record_event_outside_a_request(app, make):
    """Can a CLI command or job record an event with no actor and no request?"""
    event = record_event(AuditAction.account_disabled, None, target=make.user())
    db.session.commit()
    assert event.actor_id is None and event.ip is None and event.user_agent is None


@pytest.fixture
def event(app, make):
    event = record_event(AuditAction.admin_granted, make.user(is_admin=True), target=make.user())
    db.session.commit()
    return event


def test_an_event_cannot_be_updated(event):
    """Does changing a stored audit event through the ORM raise?"""
    event.action = AuditAction.admin_revoked.value
    with pytest.raises(AuditEventImmutable):
        db.session.flush()
    db.session.rollback()
    assert db.session.get(AuditEvent, event.id).action == "admin_granted"


def test_an_event_cannot_be_deleted(event):
    """Does deleting a stored audit event through the ORM raise?"""
    db.session.delete(event)
    with pytest.raises(AuditEventImmutable):
        db.session.flush()
    db.session.rollback()
    assert db.session.get(AuditEvent, event.id) is not None


@pytest.mark.parametrize("statement", [
    lambda: sa.update(AuditEvent).values(action="x"),
    lambda: sa.delete(AuditEvent),
], ids=["update", "delete"])
def test_bulk_statements_are_refused(event, statement):
    """Do ORM bulk update and delete statements on audit events raise too?"""
    before = db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()
    with pytest.raises(AuditEventImmutable):
        db.session.execute(statement())
    db.session.rollback()
    assert db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all() == before


def test_deleting_the_actor_keeps_the_record(app, make):
    """When the acting account is deleted, is the record kept with the actor's frozen name?"""
    actor = make.user("Gone Admin", "gone@example.org", is_admin=True)
    event_id = record_event(AuditAction.admin_granted, actor, target=make.user()).id
    db.session.commit()
    db.session.execute(sa.delete(type(actor)).where(type(actor).id == actor.id))
    db.session.commit()
    db.session.expire_all()
    event = db.session.get(AuditEvent, event_id)
    assert event.actor_id is None and event.actor_label == "Gone Admin <gone@example.org>"


def test_the_database_refuses_a_raw_update(event):
    """Does the database itself refuse an UPDATE of an audit row sent as plain SQL (past the ORM), and
    on PostgreSQL a DELETE too (SQLite's embedded mode keeps DELETE for the suite's cleanup)?"""
    if db.engine.dialect.name == "postgresql":
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            with db.engine.begin() as conn:
                conn.execute(sa.text("DELETE FROM audit_events WHERE id = :id"), {"id": event.id})
    with pytest.raises(sa.exc.DatabaseError, match="append-only"):
        with db.engine.begin() as conn:
            conn.execute(sa.text("UPDATE audit_events SET action = 'x' WHERE id = :id"), {"id": event.id})
    with pytest.raises(sa.exc.DatabaseError, match="append-only"):
        with db.engine.begin() as conn:
            conn.execute(sa.text("UPDATE audit_events SET actor_id = NULL, ip = '1.1.1.1' WHERE id = :id"),
                         {"id": event.id})
    db.session.expire_all()
    assert db.session.get(AuditEvent, event.id).action == "admin_granted"


def test_details_read_as_changes(app):
    """Are a whole-record change, per-field changes and plain values shown as readable lines, with
    unchanged fields left out (in the words the domains register with the app)?"""
    from lms.audit.details import detail_lines

    with app.test_request_context():
        assert detail_lines({"from": {"score": 6.0, "excused": False}, "to": {"score": 8.5, "excused": False},
                             "via": "graded"}, "grade_changed") == [("Score", "6 → 8.5"), ("How", "Graded")]
        assert detail_lines({"from": "student", "to": "assistant"}, "member_role_changed") == [
            ("Change", "Student → Assistant")]
        assert detail_lines({"student_no": {"from": None, "to": "00123"}, "new_account": True}) == [
            ("Student number", "– → 00123"), ("New account", "yes")]
