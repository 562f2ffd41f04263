"""How peer review's audit events read on the log (lms/audit/registry.py): the set-up's fields, and the
teacher's reassignments and tasks added by hand."""
from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from lms.audit.registry import describe_details
from lms.reviews.forms import ANONYMITY_LABELS


def register(app: Flask) -> None:
    """Tell the audit log of `app` how peer review's events read (called when the blueprint is registered)."""
    describe_details(
        app,
        labels={
            "assignment_id": _l("Assignment"), "assignment": _l("Assignment"), "author_id": _l("Work of"),
            "author": _l("Work of"), "reviewer_id": _l("Reviewer"), "reviewer": _l("Reviewer"),
            "previous_reviewer_id": _l("Previous reviewer"), "peer_is_enabled": _l("Peer review on"),
            "peer_reviews_per_submission": _l("Reviews per submission"), "peer_opens_at": _l("Review window opens"),
            "peer_closes_at": _l("Review window closes"), "peer_anonymity": _l("Names"), "peer_rubric_id": _l("Rubric"),
            "review_closes_at": _l("Their review window closes"),
            "peer_comment_min_length": _l("Shortest overall comment"),
            "peer_min_timestamped_comments": _l("Comments pinned to moments"),
            "peer_score_share": _l("Share for the score received (%)"),
            "peer_reviewing_share": _l("Share for reviewing well (%)"),
            "peer_non_submitters_review": _l("Students who handed nothing in may review"),
            "peer_separate_groups": _l("Group mates never review each other"),
            "peer_calibration_required": _l("Practice on examples required"),
            "peer_weight_by_accuracy": _l("Scores weighted by accuracy"),
        },
        words={"peer_anonymity": {k.value: v for k, v in ANONYMITY_LABELS.items()}},
    )
