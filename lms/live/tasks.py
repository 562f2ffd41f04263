"""Jobs of live lessons; arguments are ids."""
from __future__ import annotations

import logging

from lms.extensions import db
from lms.live import operations as ops

log = logging.getLogger(__name__)


def sweep_live() -> None:
    """Periodic (every 30 s): send the "starts in N minutes" reminders that are due (each once), and end the
    lessons whose host did not come back within the reconnect grace period."""
    reminded = ops.send_reminders()
    db.session.commit()
    ended = ops.end_expired_reconnects()
    db.session.commit()
    if reminded or ended:
        log.info("live: %d reminded, %d ended after the grace period", reminded, ended)
