"""Moderation's periodic job: reports that wait too long are escalated to the circle's admins."""
from __future__ import annotations

import logging

from lms.extensions import db
from lms.moderation import operations as ops

log = logging.getLogger(__name__)


def escalate_reports() -> None:
    """Periodic (every 60 s): remind the admins of reports waiting longer than MODERATION_ESCALATE_MINUTES."""
    escalated = ops.escalate_waiting()
    db.session.commit()
    if escalated:
        log.info("moderation: %d waiting reports escalated", escalated)
