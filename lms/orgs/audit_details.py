"""How the organizations' audit events read on the log (lms/audit/registry.py)."""
from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _pl

from lms.audit.models import AuditAction
from lms.audit.registry import describe_details
from lms.orgs.forms import ORG_ROLE_LABELS

ORG_ROLE_ACTIONS = (AuditAction.org_admin_granted, AuditAction.org_admin_revoked,
                    AuditAction.org_teacher_granted, AuditAction.org_teacher_revoked)


def register(app: Flask) -> None:
    """Tell the audit log of `app` how the organizations' events read (called when the blueprint is registered)."""
    describe_details(
        app,
        labels={"org": _l("Organization"), "term": _l("Term"), "classes": _l("Classes archived"),
                # a term's name and dates changed or deleted (lms/orgs/console/terms.py)
                "name": _pl("a thing's name, not a person's", "Name"), "starts_on": _l("First day"),
                "ends_on": _l("Last day"),
                "removed_from": _l("Removed from the classes"),
                # the school's settings for classes (lms/orgs/console/settings.py)
                "join_policy": _l("How students join"), "require_real_name": _l("Real name asked"),
                "require_student_no": _l("Student number asked"), "who_may_post": _l("Who may post in the feed"),
                "chat_enabled": _l("Chat"), "file_quota_bytes": _l("File space per class (bytes)"),
                "word_list": _l("Listed words (how many)"), "locked": _l("Locked settings"),
                "settings": _l("Settings applied"), "classes_changed": _l("Classes changed")},
        words={"via": {"org_assignment": _l("Assigned by the organization"),
                       "org_move": _l("Moved to another class by the organization"),
                       "org_add": _l("Added to a class by the organization"),
                       "org_remove_all": _l("Removed from all classes of the organization"),
                       "org_csv": _l("Added to a class from the organization's CSV file")}},
        changes=[(ORG_ROLE_ACTIONS, ORG_ROLE_LABELS)],
        dates=("starts_on", "ends_on"),
    )
