"""Writing the audit log. Every domain calls `record_event` inside the operation that makes a
privileged change, so the record is committed (or rolled back) with the change itself."""
from __future__ import annotations

import json
from typing import Any

from flask import has_request_context, request

from lms.audit.models import AuditAction, AuditEvent
from lms.audit.registry import vocabulary
from lms.extensions import db

LABEL_MAX = 400
USER_AGENT_MAX = 200
IP_MAX = 45


def record_event(action: AuditAction, actor=None, *, target: Any = None, circle_id: int | None = None,
                 org_id: int | None = None, details: dict | None = None,
                 target_label: str | None = None) -> AuditEvent:
    """Append one audit record and flush it; the caller's transaction commits it.

    - `action`: an AuditAction.
    - `actor`: the User who acted, or None for the system (a CLI command, a job). An anonymous
      Flask-Login user counts as None.
    - `target`: the model instance acted on (any mapped object, flushed so it has an id), or None.
      Its table name, id and a human label are frozen into the record. When `circle_id` is not
      given and the target has a `circle_id` (or is a circle), that is used. `target_label`
      overrides the label (see `describe`).
    - `org_id`: when not given, the organization the circle belongs to at this moment (as the circles
      tell the log, lms/audit/registry.py).
    - `details`: a JSON-able dict saying what changed, e.g. ``{"from": "student", "to": "assistant"}``.
      Values that JSON cannot hold (datetimes, decimals, enums) are stored as strings. Never pass
      secrets (passwords, tokens, keys). Beside an id, give the name at the time (`"student"` beside
      `"student_id"`, `"assignment"` beside `"assignment_id"`): the log page shows it (lms/audit/details.py).
    - The client address and user agent come from the current request, if any. The address is
      `request.remote_addr`, which ProxyFix has already set from X-Forwarded-For when
      LMS_PROXY_COUNT says how many proxies to trust; the header itself is never read here.

    Raises ValueError for an action that is not an AuditAction.
    """
    action = AuditAction(action)
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    target_type = target_id = None
    if target is not None:
        target_type = getattr(target, "__tablename__", type(target).__name__)
        target_id = getattr(target, "id", None)
        if target_label is None:
            target_label = describe(target)
        if circle_id is None:
            circle_id = target.id if target_type == "circles" else getattr(target, "circle_id", None)
        if org_id is None and target_type == "organizations":
            org_id = target.id
    if org_id is None and circle_id is not None and (circle_org := vocabulary().circle_org) is not None:
        org_id = circle_org(circle_id)
    ip = user_agent = None
    if has_request_context():
        ip = (request.remote_addr or "")[:IP_MAX] or None
        user_agent = (request.user_agent.string or "")[:USER_AGENT_MAX] or None
    event = AuditEvent(
        action=action.value,
        actor_id=actor.id if actor is not None else None,
        actor_label=describe(actor) if actor is not None else "",
        target_type=target_type,
        target_id=target_id,
        target_label=(target_label or "")[:LABEL_MAX],
        circle_id=circle_id,
        org_id=org_id,
        ip=ip,
        user_agent=user_agent,
        details=_jsonable(details or {}),
    )
    db.session.add(event)
    db.session.flush()
    return event


def describe(obj: Any) -> str:
    """A short human label for a record's actor or target, frozen at the time of the action.

    An object may define `audit_label` (a property or a string attribute) to choose its own;
    otherwise a user reads "Name <email>", a membership "Display name <email>", and anything else
    its display name, name or title, or else "table #id".
    """
    label = getattr(obj, "audit_label", None)
    if label is None:
        table = getattr(obj, "__tablename__", None)
        if table == "users":
            label = f"{obj.name} <{obj.email}>"
        elif table == "memberships":
            label = f"{obj.display_name} <{obj.user.email}>"
        else:
            label = next((str(v) for a in ("display_name", "name", "title")
                          if (v := getattr(obj, a, None))), "")
            if not label and table and getattr(obj, "id", None) is not None:
                label = f"{table} #{obj.id}"
    return str(label)[:LABEL_MAX]


def _jsonable(details: dict) -> dict:
    return json.loads(json.dumps(details, default=str))
