"""How the identity domain's audit events read on the log (lms/audit/registry.py)."""
from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from lms.audit.registry import describe_details


def register(app: Flask) -> None:
    """Tell the audit log of `app` how sign-in providers and linked sign-ins read."""
    describe_details(
        app,
        labels={"provider": _l("Sign-in provider"), "issuer": _l("Issuer"), "sign_in_change": _l("Change"),
                "by_email": _l("Linked by verified email")},
        words={"sign_in_change": {"created": _l("Created"), "updated": _l("Changed"), "enabled": _l("Enabled"),
                          "disabled": _l("Disabled"), "deleted": _l("Deleted")}},
    )
