"""The site's audit log for site admins (an organization's is lms/orgs/routes.py)."""
from __future__ import annotations

from lms.audit import bp
from lms.audit.pages import LogView, log_csv, log_page
from lms.core.permissions import admin_required

SITE = LogView("audit.site_log")


@bp.route("/admin/audit")
@admin_required
def site_log():
    """Every audit event of the site, newest first, with filters."""
    return log_page(SITE)


@bp.route("/admin/audit.csv")
@admin_required
def site_log_csv():
    """The filtered site audit log as CSV (UTC times, one row per event)."""
    return log_csv(SITE, "audit.csv")
