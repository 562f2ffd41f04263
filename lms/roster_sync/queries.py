"""Reads of roster sync, and the scoped lookup of an import."""
from __future__ import annotations

from flask import abort

from lms.accounts.models import User
from lms.extensions import db
from lms.orgs.models import Organization
from lms.roster_sync.models import RosterImport


def get_import_or_404(org: Organization, import_id: int, user: User) -> RosterImport:
    """An import of this organization that `user` may read; imports of other organizations 404."""
    record = db.session.scalar(db.select(RosterImport).where(RosterImport.id == import_id,
                                                             RosterImport.org_id == org.id))
    if record is None or not record.can_view(user):
        abort(404)
    return record


def imports_page(org: Organization, *, page: int = 1, per_page: int = 20):
    """One page of the organization's imports, newest first."""
    query = (db.select(RosterImport).where(RosterImport.org_id == org.id)
             .order_by(RosterImport.created_at.desc(), RosterImport.id.desc()))
    return db.paginate(query, page=page, per_page=per_page, error_out=False, count=True)
