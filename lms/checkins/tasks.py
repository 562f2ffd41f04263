"""Jobs of check-ins; arguments are ids."""
from __future__ import annotations

import logging

from lms.checkins import operations as ops
from lms.extensions import db

log = logging.getLogger(__name__)


def sweep_checkins() -> None:
    """Periodic (every 60 s): send the members' daily check-in reminders that are due (each once a day), and
    recompute once a day the gradebook columns of check-in tasks (missed days lower the rates)."""
    from lms.checkins.gradebook import refresh_columns

    sent = ops.send_due_reminders()
    db.session.commit()
    refresh_columns()
    db.session.commit()
    if sent:
        log.info("checkins: %d reminders sent", sent)
