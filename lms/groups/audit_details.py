"""How the groups' audit events read on the log (lms/audit/registry.py)."""
from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from lms.audit.registry import describe_details


def register(app: Flask) -> None:
    """Tell the audit log of `app` how the groups' events read (called when the blueprint is registered)."""
    describe_details(app, labels={
        "group": _l("Group"), "groups": _l("Groups"), "members": _l("Members"),
        "moved_from": _l("Moved from another group"),
    })
