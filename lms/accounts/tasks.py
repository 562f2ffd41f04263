"""Jobs of accounts; arguments are ids."""
from __future__ import annotations

import logging

from lms.accounts import operations as ops
from lms.extensions import db

log = logging.getLogger(__name__)


def purge_sessions() -> None:
    """Periodic: delete long-ended sessions and expired registration requests (see ops.purge_sessions)."""
    sessions, registrations = ops.purge_sessions()
    db.session.commit()
    if sessions or registrations:
        log.info("purged %d ended sessions and %d expired registration requests", sessions, registrations)
