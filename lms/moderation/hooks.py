"""What moderation registers with lower packages: how its audit details read (lms.audit.registry); its
notification kinds are registered when lms.moderation.notifications is imported."""
from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from lms.moderation import notifications  # noqa: F401  (registers the kinds)
from lms.moderation.kinds import KIND_LABELS

AUDIT_LABELS = {"kind": _l("Kind"), "object_id": _l("Item"), "reports": _l("Reports answered"),
                "mute_minutes": _l("Muted for (minutes)"), "author_id": _l("Author"),
                "first_posts_need_approval": _l("First posts need approval"), "words": _l("Listed words"),
                "links_allowed": _l("Links allowed"), "posts_per_hour": _l("Posts per hour"),
                "comments_per_hour": _l("Comments per hour"), "chat_per_minute": _l("Chat messages per minute")}


def register(app: Flask) -> None:
    from lms.audit.registry import describe_details
    from flask_login import current_user

    from lms.moderation.queries import open_count, unreviewable_author_ids

    # the circle header's "Review (N)" tab for the staff: one count on an index (what they may review)
    app.jinja_env.globals["moderation_waiting"] = lambda circle: open_count(
        [circle.id], unreviewable_author_ids(circle, current_user))

    describe_details(app, labels=AUDIT_LABELS, words={"kind": {k.value: v for k, v in KIND_LABELS.items()}})
    app.jinja_env.filters["held_word"] = held_word


def held_word(word: str) -> Markup:
    """A listed word that held something, marked on the queue (escaped; joined by the `names` filter)."""
    return Markup('<strong class="held-word">{}</strong>').format(word)
