"""Jobs of live lessons; arguments are ids."""
from __future__ import annotations

import logging

from lms.extensions import db
from lms.live import operations as ops
from lms.live.stage import operations as stage

log = logging.getLogger(__name__)


def sweep_live() -> None:
    """Periodic (every 30 s): send the "starts in N minutes" reminders that are due (each once), end the
    lessons whose host did not come back within the reconnect grace period, and destroy the Janus rooms of
    lessons that are over (when a destroy at the lesson's end failed)."""
    reminded = ops.send_reminders()
    db.session.commit()
    ended = ops.end_expired_reconnects()
    db.session.commit()
    rooms = stage.sweep_rooms()
    db.session.rollback()
    if reminded or ended or rooms:
        log.info("live: %d reminded, %d ended after the grace period, %d stage rooms destroyed",
                 reminded, ended, rooms)
