"""Template globals and filters shared by every page."""
from __future__ import annotations

from flask_babel import get_locale, get_timezone

from lms.core.i18n import LANGUAGE_NAMES, local_datetime, zone_label
from lms.core.urls import external_url


def init_app(app) -> None:
    from lms.circles.codes import format_code
    from lms.circles.forms import KIND_LABELS, POLICY_LABELS, ROLE_LABELS
    from lms.core.text import render_markdown

    app.jinja_env.filters["localtime"] = local_datetime
    app.jinja_env.filters["markdown"] = render_markdown  # returns sanitized HTML (Markup)
    app.jinja_env.filters["code"] = format_code
    # links people copy and share (an invite) point to the configured public host, as mail does
    app.jinja_env.globals["external_url"] = external_url
    # a global, not a context variable, so imported form macros can name the zone a field is read in
    app.jinja_env.globals["zone_label"] = zone_label

    @app.context_processor
    def inject():
        return {
            "language_names": LANGUAGE_NAMES,
            "role_label": ROLE_LABELS.get,
            "kind_label": KIND_LABELS.get,
            "policy_label": POLICY_LABELS.get,
            "current_locale": str(get_locale()),
            "time_zone": str(get_timezone()),
            "html_lang": str(get_locale()).replace("_", "-"),  # en, zh-Hans, zh-Hant (BCP 47)
        }
