"""Jobs of peer review; arguments are ids."""
from __future__ import annotations

import logging

from lms.extensions import db
from lms.reviews import operations as ops
from lms.reviews import queries as q
from lms.reviews.models import PeerReviewSettings

log = logging.getLogger(__name__)


def run_review_rounds() -> None:
    """Periodic (every minute): allocate reviews for each assignment whose review window has just opened,
    and run a later round (late work, newcomers) for each whose window is open and whose last round was an
    hour ago or more. Each round commits on its own, so one that fails does not hold up the others.
    Idempotent: a round that is not due does nothing."""
    for assignment_id in q.rounds_due():
        try:
            settings = db.session.get(PeerReviewSettings, assignment_id)
            result = ops.run_round(settings) if settings is not None else None
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("peer review round of assignment %s failed", assignment_id)
            continue
        if result is not None:
            log.info("peer review round of assignment %s: %d tasks, %d short", assignment_id,
                     len(result.tasks), len(result.shortfall))
    announce_closed_windows()


def announce_closed_windows() -> None:
    """Tell the authors of each assignment whose review window has closed that their reviews can be read
    (once per assignment; each commits on its own)."""
    from lms.reviews import receiving

    for assignment_id in receiving.closed_unannounced():
        try:
            settings = db.session.get(PeerReviewSettings, assignment_id)
            if settings is not None:
                receiving.announce_closed(settings)
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("announcing the closed review window of assignment %s failed", assignment_id)
