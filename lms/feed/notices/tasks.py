"""Jobs of notices; arguments are ids."""
from __future__ import annotations

import logging

from lms.extensions import db
from lms.feed.notices import operations as ops

log = logging.getLogger(__name__)


def publish_notices() -> None:
    """Periodic: tell the members about every notice whose publish time has passed (each once), then
    send the must-read deadlines' in-app reminders and mail escalations that are due (each once)."""
    announced = ops.announce_due()
    db.session.commit()
    reminded, escalated = ops.send_deadline_reminders()
    db.session.commit()
    if announced or reminded or escalated:
        log.info("notices: %d announced, %d deadline reminders, %d escalations", announced, reminded, escalated)
