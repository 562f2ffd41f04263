"""The circle calendar page, the personal calendar, the feed address page and the iCalendar feed."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, format_date, format_time, get_locale, get_timezone
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from lms.calendar import bp, months
from lms.calendar import operations as ops
from lms.calendar import queries as q
from lms.calendar.ical import CONTENT_TYPE, build_calendar
from lms.calendar.sources import events_for
from lms.circles.forms import ConfirmForm
from lms.circles.queries import get_circle_or_404
from lms.core.i18n import recipient_locale
from lms.extensions import db, limiter

#: The feed's window: what a phone keeps of the past, and how far ahead it looks.
FEED_DAYS_BACK = 60
FEED_DAYS_AHEAD = 365
#: Fetches of one feed address: a person's devices poll every 15 minutes to a few hours. Counted per
#: address, not per network: a school's phones share one public address; guessing a 256-bit token is hopeless.
FEED_LIMIT = "60 per hour"
VIEWS = ("month", "agenda")
#: The list view of this month shows what is coming from today, this many days ahead (Google Calendar's
#: Schedule view); other months list the whole month.
UPCOMING_DAYS = 60


def _month_page(template: str, circles, **context):
    """A month (`?month=2026-03`, default this one) of the viewer's events in `circles`, in the viewer's one
    time zone and language: the grid (`?view=month`, with the list under it for phones) or the list; the
    list of this month is what comes from today on (UPCOMING_DAYS)."""
    tz = ZoneInfo(str(get_timezone()))
    today = datetime.now(tz).date()
    first = months.parse_month(request.args.get("month"), today)
    view = request.args.get("view") if request.args.get("view") in VIEWS else "month"
    locale = get_locale()
    columns = months.weekday_order(locale.first_week_day)
    upcoming = view == "agenda" and first == today.replace(day=1)
    if view == "month":
        start, end = months.grid_bounds(first, locale.first_week_day)
    elif upcoming:
        start, end = today, today + timedelta(days=UPCOMING_DAYS)
    else:
        start, end = first, months.shift_month(first, 1)
    events = events_for(current_user, [c.id for c in circles], *months.utc_bounds(start, end, tz))
    return render_template(
        template, view=view, first=first, today=today, events=events, upcoming=upcoming,
        upcoming_days=UPCOMING_DAYS,
        weeks=months.month_grid(first, locale.first_week_day, events, tz, today) if view == "month" else [],
        days=months.agenda(events, tz, today),
        # names from Babel's data for the viewer's language: "March 2026" / "2026年3月", "Mon" / "周一"
        month_title=format_skeleton("yMMMM", first, locale=locale),
        weekdays=[locale.days["stand-alone"]["abbreviated"][d] for d in columns],
        weekday_names=[locale.days["stand-alone"]["wide"][d] for d in columns],
        time_of=lambda event: format_time(event.starts_at, "short"),
        day_title=lambda day: format_date(day, "full"),
        month_key=months.month_key, shift_month=months.shift_month,
        circle_names={c.id: c.name for c in circles}, **context)


@bp.route("/calendar")
@login_required
def mine():
    return _month_page("calendar/mine.html", q.my_calendar_circles(current_user))


@bp.route("/c/<int:circle_id>/calendar")
@login_required
def circle(circle_id: int):
    circle = get_circle_or_404(circle_id, current_user)
    return _month_page("calendar/circle.html", [circle], circle=circle)


@bp.route("/c/<int:circle_id>/calendar/event.ics")
@login_required
def event_file(circle_id: int):
    """One event of the circle's calendar as an .ics file to open in a calendar app. `t` (the event's
    start, Unix seconds) only narrows the search; the event must still be one the viewer may see."""
    circle = get_circle_or_404(circle_id, current_user)
    uid = request.args.get("uid", "")
    try:
        at = datetime.fromtimestamp(int(request.args.get("t", "")), timezone.utc)
    except (ValueError, OverflowError, OSError):
        abort(404)
    found = [e for e in events_for(current_user, [circle.id], at - timedelta(days=1), at + timedelta(days=1))
             if e.uid == uid]
    if not found:
        abort(404)
    body = build_calendar(found, {circle.id: circle.name}, name=circle.name)
    response = _ics_response(body)
    response.headers["Content-Disposition"] = 'attachment; filename="event.ics"'
    return response


def _ics_response(body: bytes):
    response = current_app.response_class(body, content_type=CONTENT_TYPE)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/calendar/subscribe")
@login_required
def subscribe():
    """The person's feed address to copy into a phone's calendar, with how to, and a reset button."""
    token = q.calendar_token_of(current_user)
    if token is None:
        try:
            token = ops.ensure_calendar_token(current_user)
            db.session.commit()
        except IntegrityError:  # made by a request at the same moment
            db.session.rollback()
            token = q.calendar_token_of(current_user)
    return render_template("calendar/subscribe.html", token=token, form=ConfirmForm())


@bp.route("/calendar/subscribe/reset", methods=["POST"])
@login_required
def reset():
    if ConfirmForm().validate_on_submit():
        ops.reset_calendar_token(current_user)
        db.session.commit()
        flash(_("Your calendar has a new address. Subscribe to it again on your devices; the old one no "
                "longer works."), "success")
    return redirect(url_for("calendar.subscribe"))


def _feed_key() -> str:
    token = (request.view_args or {}).get("token", "")
    return "calendar-feed:" + hashlib.sha256(token.encode()).hexdigest()[:32]  # never the secret itself


@bp.route("/calendar/feed/<token>.ics")
@limiter.limit(FEED_LIMIT, key_func=_feed_key)
def feed(token: str):
    """The person's iCalendar feed: what they may see now in their circles, from FEED_DAYS_BACK days ago
    to FEED_DAYS_AHEAD days ahead, in their language. No session: the secret address is the key; an
    unknown or reset address answers 404."""
    owner = q.feed_owner(token)
    if owner is None:
        abort(404)
    now = datetime.now(timezone.utc)
    circles = q.my_calendar_circles(owner)
    with force_locale(recipient_locale(owner)):
        events = events_for(owner, [c.id for c in circles], now - timedelta(days=FEED_DAYS_BACK),
                            now + timedelta(days=FEED_DAYS_AHEAD))
        body = build_calendar(events, {c.id: c.name for c in circles}, name=_("Circles"), now=now)
    return _ics_response(body)
