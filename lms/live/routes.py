"""Live lesson pages: the circle's Live tab, scheduling, the lesson page (player, room, OBS details), the
.ics file, and attendance (per lesson, per student, CSV, gradebook column). Thin: parse, scoped lookup,
check, one operation, commit."""
from __future__ import annotations

import re
from datetime import timedelta, timezone

from flask import Response, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _pl
from flask_babel import ngettext
from flask_login import current_user, login_required
from icalendar import Alarm, Calendar, Event

from lms.calendar.ical import CONTENT_TYPE, PRODID, absolute
from lms.circles.forms import ConfirmForm
from lms.circles.queries import get_circle_or_404
from lms.core.i18n import from_local, in_parentheses, local_datetime
from lms.core.permissions import require
from lms.core.spreadsheet import XLSX_MIMETYPE, csv_chunks, safe_text, xlsx_chunks
from lms.core.types import utcnow
from lms.extensions import db
from lms.live import attendance as att
from lms.live import bp
from lms.live import operations as ops
from lms.live import queries as q
from lms.live.forms import GradebookForm, LessonForm
from lms.live.models import LessonState, LiveLesson, can_schedule
from lms.storage.base import content_disposition

PREFIX = "/c/<int:circle_id>/live"

STATE_LABELS = {
    # a context of their own: "Scheduled" of a lesson is not a notice's 定时发布
    LessonState.scheduled: _pl("live lesson state", "Scheduled"),
    LessonState.live: _pl("live lesson state", "Live now"),
    LessonState.reconnecting: _pl("live lesson state", "Reconnecting"),
    LessonState.ended: _pl("live lesson state", "Ended"),
    LessonState.cancelled: _pl("live lesson state", "Cancelled"),
}
STATUS_LABELS = {
    att.Status.present: _l("Present"),
    att.Status.late: _pl("attendance status", "Late"),  # not homework's "Late" (handed in late)
    att.Status.absent: _l("Absent"),
    att.Status.upcoming: _l("Not held yet"),
}


@bp.app_context_processor
def _labels():
    return {"live_state_labels": STATE_LABELS, "live_status_labels": STATUS_LABELS}


def _load(circle_id: int, lesson_id: int):
    circle = get_circle_or_404(circle_id, current_user)
    return circle, q.get_lesson_or_404(circle, lesson_id, current_user)


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "private, no-store"
    return response


# -- the Live tab ----------------------------------------------------------------------------------

@bp.route(PREFIX)
@login_required
def index(circle_id: int):
    circle = get_circle_or_404(circle_id, current_user)
    lists = q.circle_lessons(circle)
    return render_template("live/index.html", circle=circle, lists=lists, can_schedule=can_schedule(circle, current_user),
                           is_staff=circle.can_manage_members(current_user), now=utcnow())


# -- scheduling ------------------------------------------------------------------------------------

def _values(form: LessonForm) -> dict:
    return {"title": form.title.data or "", "description": form.description.data or "",
            "starts_at": from_local(form.starts_at.data), "expected_minutes": form.expected_minutes.data,
            "reminder_minutes": form.reminder_minutes.data, "late_after_minutes": form.late_after_minutes.data,
            "present_min_percent": form.present_min_percent.data}


def _field_error(form: LessonForm, error: ops.LiveError) -> None:
    target = getattr(form, error.field, None) if error.field else None
    if target is not None:
        target.errors = [*target.errors, str(error)]
    else:
        flash(str(error), "error")


def _render_form(circle, form, lesson=None, status=200):
    return render_template("live/form.html", circle=circle, form=form, lesson=lesson, confirm=ConfirmForm()), status


@bp.route(PREFIX + "/new", methods=["GET", "POST"])
@login_required
def create(circle_id: int):
    circle = get_circle_or_404(circle_id, current_user)
    require(can_schedule(circle, current_user))
    form = LessonForm()
    if form.validate_on_submit():
        try:
            lesson = ops.create_lesson(circle, current_user, **_values(form))
        except ops.LiveError as error:
            db.session.rollback()
            _field_error(form, error)
        else:
            db.session.commit()
            flash(_("The live lesson is scheduled; the members were told."), "success")
            return redirect(url_for("live.show", circle_id=circle.id, lesson_id=lesson.id))
    return _render_form(circle, form, status=422 if form.is_submitted() else 200)


@bp.route(PREFIX + "/<int:lesson_id>/edit", methods=["GET", "POST"])
@login_required
def edit(circle_id: int, lesson_id: int):
    circle, lesson = _load(circle_id, lesson_id)
    require(lesson.can_edit(current_user) and lesson.state != LessonState.cancelled)
    form = LessonForm()
    if not form.is_submitted():
        form.fill(lesson)
    elif lesson.state != LessonState.scheduled:
        form.starts_at.data = form.starts_at.data or lesson.starts_at.replace(tzinfo=None)
    if form.validate_on_submit():
        try:
            moved = ops.update_lesson(lesson, current_user, **_values(form))
        except ops.LiveError as error:
            db.session.rollback()
            _field_error(form, error)
        else:
            db.session.commit()
            flash(_("Changes saved. The members were told of the new time.") if moved else _("Changes saved."),
                  "success")
            return redirect(url_for("live.show", circle_id=circle.id, lesson_id=lesson.id))
    return _render_form(circle, form, lesson, status=422 if form.is_submitted() else 200)


@bp.route(PREFIX + "/<int:lesson_id>/cancel", methods=["POST"])
@login_required
def cancel(circle_id: int, lesson_id: int):
    circle, lesson = _load(circle_id, lesson_id)
    require(lesson.can_edit(current_user))
    if ConfirmForm().validate_on_submit():
        try:
            ops.cancel_lesson(lesson, current_user)
        except ops.LiveError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("The lesson is cancelled; the members were told."), "success")
    return redirect(url_for("live.show", circle_id=circle.id, lesson_id=lesson.id))


@bp.route(PREFIX + "/<int:lesson_id>/end", methods=["POST"])
@login_required
def end(circle_id: int, lesson_id: int):
    """The host's "End the lesson" (the broadcast page's Stop does the same through live-video)."""
    circle, lesson = _load(circle_id, lesson_id)
    require(lesson.can_host(current_user) and lesson.is_on_air)
    if ConfirmForm().validate_on_submit():
        ops.end_lesson(lesson, current_user)
        db.session.commit()
        flash(_("The lesson has ended."), "success")
    return redirect(url_for("live.show", circle_id=circle.id, lesson_id=lesson.id))


# -- the lesson page ------------------------------------------------------------------------------

def rtmp_server_url() -> str | None:
    """The OBS "Server" of this site (LIVE_RTMP_URL, nginx-rtmp: deploy/nginx/rtmp.conf); None when the site
    takes no RTMP, and then no stream key is offered."""
    return current_app.config.get("LIVE_RTMP_URL") or None


def _render_lesson(circle, lesson: LiveLesson, stream_key: str | None = None):
    hosts = lesson.can_host(current_user)
    editor = lesson.can_edit(current_user)
    record = None
    if not hosts and lesson.went_live_at is not None:
        record = att.own_record(lesson, current_user.id)
    response = current_app.make_response(render_template(
        "live/lesson.html", circle=circle, lesson=lesson, hosts=hosts, editor=editor, confirm=ConfirmForm(),
        rtmp_url=rtmp_server_url() if editor else None, stream_key=stream_key, record=record,
        state_label=STATE_LABELS[lesson.state], now=utcnow()))
    return _no_store(response) if editor else response


@bp.route(PREFIX + "/<int:lesson_id>")
@login_required
def show(circle_id: int, lesson_id: int):
    circle, lesson = _load(circle_id, lesson_id)
    made = session.get(NEW_KEY)
    key = None
    if isinstance(made, dict) and made.get("lesson_id") == lesson.id and lesson.can_edit(current_user):
        session.pop(NEW_KEY, None)  # shown this once
        key = made.get("key") if lesson.stream_key_hash else None
    return _render_lesson(circle, lesson, stream_key=key)


#: the session's key holding a new OBS stream key until the lesson page shows it (once)
NEW_KEY = "live_new_stream_key"


@bp.route(PREFIX + "/<int:lesson_id>/stream-key", methods=["GET", "POST"])
@login_required
def stream_key(circle_id: int, lesson_id: int):
    """A new OBS stream key. POST-redirect-GET: the key waits in the session until the lesson page shows it
    once (the page is no-store; it is in no URL, flash or cache; only its hash is stored), so reloading the page
    never makes another. Replacing an existing key asks first on a page of its own (GET), whose form sends
    `replace`; a POST without it, while a key exists, goes to that page. The old key stops working."""
    circle, lesson = _load(circle_id, lesson_id)
    require(lesson.can_edit(current_user))
    if rtmp_server_url() is None:
        abort(404)
    back = redirect(url_for("live.show", circle_id=circle.id, lesson_id=lesson.id))
    form = ConfirmForm()
    if request.method == "GET" or (lesson.stream_key_hash is not None and not request.form.get("replace")):
        if lesson.stream_key_hash is None or lesson.state in (LessonState.ended, LessonState.cancelled):
            return back
        return _no_store(current_app.make_response(render_template(
            "live/stream_key_confirm.html", circle=circle, lesson=lesson, form=form)))
    if not form.validate_on_submit():
        return back
    try:
        secret = ops.new_stream_key(lesson, current_user)
    except ops.LiveError as error:
        db.session.rollback()
        flash(str(error), "error")
        return back
    db.session.commit()
    session[NEW_KEY] = {"lesson_id": lesson.id, "key": ops.obs_stream_key(lesson, secret)}
    return back


@bp.route(PREFIX + "/<int:lesson_id>/lesson.ics")
@login_required
def ics(circle_id: int, lesson_id: int):
    """"Add to calendar": the lesson as a one-event iCalendar file (its UID is the calendar feed's, so a
    calendar that has both keeps one)."""
    from lms.live.hooks import lesson_event

    circle, lesson = _load(circle_id, lesson_id)
    event = lesson_event(lesson.id, circle.id, lesson.title, lesson.starts_at, lesson.expected_minutes, lesson.state)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    vevent = Event()
    vevent.add("uid", event.uid)
    vevent.add("dtstamp", utcnow().replace(microsecond=0))
    vevent.add("dtstart", event.starts_at.astimezone(timezone.utc))
    vevent.add("dtend", event.ends_at.astimezone(timezone.utc))
    vevent.add("summary", f"{event.title} · {circle.name}")
    url = absolute(event.url)
    vevent.add("url", url)
    vevent.add("description", f"{event.description}\n\n{url}")
    vevent.add("status", "CANCELLED" if lesson.state == LessonState.cancelled else "CONFIRMED")
    if lesson.reminder_minutes and lesson.state != LessonState.cancelled:
        # the calendar reminds too, as long before as the site's own reminder
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", event.title)
        alarm.add("trigger", timedelta(minutes=-lesson.reminder_minutes))
        vevent.add_component(alarm)
    cal.add_component(vevent)
    response = current_app.response_class(cal.to_ical(), content_type=CONTENT_TYPE)
    response.headers["Content-Disposition"] = content_disposition(f"{_safe_name(lesson.title)}.ics")
    return _no_store(response)


def _safe_name(title: str) -> str:
    return re.sub(r'[\\/:*?"<>|\x00-\x1f\x7f]+', "_", title).strip(" ._")[:80] or "lesson"


# -- attendance -----------------------------------------------------------------------------------

def _stamp(value):
    """A time in an export: the viewer's short format with its UTC offset ("2026/11/30 23:28 UTC+08:00"), so a
    file opened elsewhere still says which zone it is in."""
    from babel.dates import format_datetime
    from flask_babel import get_timezone

    return f"{local_datetime(value, 'short')} UTC{format_datetime(value, 'xxx', tzinfo=get_timezone())}"


@bp.route(PREFIX + "/<int:lesson_id>/attendance")
@login_required
def attendance(circle_id: int, lesson_id: int):
    circle, lesson = _load(circle_id, lesson_id)
    require(lesson.is_staff(current_user))
    records = att.lesson_attendance(lesson)
    return render_template("live/attendance.html", circle=circle, lesson=lesson, records=records,
                           summary=att.summarise(records), window=att.live_window(lesson),
                           form=_gradebook_form(circle, lesson), editor=lesson.can_edit(current_user))


def _gradebook_form(circle, lesson: LiveLesson) -> GradebookForm:
    from lms.homework.grades import grade_source

    form = GradebookForm()
    form.set_categories(grade_source().category_choices(circle))
    if not form.is_submitted() and lesson.gradebook_assignment_id:
        from lms.homework.models import Assignment

        column = db.session.get(Assignment, lesson.gradebook_assignment_id)
        form.category_id.data = column.category_id or 0 if column is not None else 0
    return form


def _export(rows: list[list[str]], fmt: str, name: str, sheet: str) -> Response:
    """Rows as a CSV (UTF-8 with BOM) or XLSX download (lms.core.spreadsheet: every cell guarded as text)."""
    if fmt == "xlsx":
        response = Response(xlsx_chunks(rows, sheet), mimetype=XLSX_MIMETYPE)
    else:
        response = Response(csv_chunks([safe_text(v) for v in row] for row in rows), content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = content_disposition(f"{name}.{fmt}")
    return _no_store(response)


def _lesson_export(circle_id: int, lesson_id: int, fmt: str) -> Response:
    circle, lesson = _load(circle_id, lesson_id)
    require(lesson.is_staff(current_user))
    # every row read now (plain values) and worded in the request's language; then streamed
    rows = list(att.csv_rows(lesson, att.lesson_attendance(lesson), _stamp, STATUS_LABELS))
    return _export(rows, fmt, _("%(title)s - attendance", title=_safe_name(lesson.title)), _("Attendance"))


@bp.route(PREFIX + "/<int:lesson_id>/attendance.csv")
@login_required
def attendance_csv(circle_id: int, lesson_id: int):
    return _lesson_export(circle_id, lesson_id, "csv")


@bp.route(PREFIX + "/<int:lesson_id>/attendance.xlsx")
@login_required
def attendance_xlsx(circle_id: int, lesson_id: int):
    return _lesson_export(circle_id, lesson_id, "xlsx")


@bp.route(PREFIX + "/<int:lesson_id>/attendance/gradebook", methods=["POST"])
@login_required
def gradebook(circle_id: int, lesson_id: int):
    from lms.live.gradebook import to_gradebook

    circle, lesson = _load(circle_id, lesson_id)
    require(lesson.can_edit(current_user) and lesson.went_live_at is not None)
    form = _gradebook_form(circle, lesson)
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "error")
        return redirect(url_for("live.attendance", circle_id=circle.id, lesson_id=lesson.id))
    assignment, graded = to_gradebook(lesson, current_user, points=form.points.data,
                                      late_percent=form.late_percent.data, release=form.release.data,
                                      category_id=form.category_id.data or None)
    db.session.commit()
    flash(ngettext("The attendance is in the gradebook as “%(title)s” (%(num)d student graded).",
                   "The attendance is in the gradebook as “%(title)s” (%(num)d students graded).", graded,
                   title=assignment.title), "success")
    return redirect(url_for("live.attendance", circle_id=circle.id, lesson_id=lesson.id))


def _across(circle):
    lessons = q.held_lessons(circle)
    return lessons, att.class_attendance(lessons, att.attendees(circle))


@bp.route(PREFIX + "/attendance")
@login_required
def attendance_overview(circle_id: int):
    """Staff: every student × every lesson held, with each student's count of present/late/absent."""
    circle = get_circle_or_404(circle_id, current_user)
    require(circle.can_manage_members(current_user))
    lessons, table = _across(circle)
    return render_template("live/overview.html", circle=circle, lessons=lessons, table=table)


def _overview_export(circle_id: int, fmt: str) -> Response:
    circle = get_circle_or_404(circle_id, current_user)
    require(circle.can_manage_members(current_user))
    lessons, table = _across(circle)
    rows = [[_("Name in the circle"), _("Real name"), _("Student number")]
            + [lesson.title + in_parentheses(_stamp(lesson.starts_at)) for lesson in lessons]  # as scheduled, as the page
            + [str(STATUS_LABELS[status]) for status in (att.Status.present, att.Status.late, att.Status.absent)]]
    for membership, records in table:
        summary = att.summarise(records)
        rows.append([membership.display_name, membership.real_name or "", membership.student_no or ""]
                    + [str(STATUS_LABELS[r.status]) + in_parentheses(r.whole_minutes) for r in records]
                    + [str(summary.present), str(summary.late), str(summary.absent)])
    return _export(rows, fmt, _("%(title)s - attendance", title=_safe_name(circle.name)), _("Attendance"))


@bp.route(PREFIX + "/attendance.csv")
@login_required
def attendance_overview_csv(circle_id: int):
    return _overview_export(circle_id, "csv")


@bp.route(PREFIX + "/attendance.xlsx")
@login_required
def attendance_overview_xlsx(circle_id: int):
    return _overview_export(circle_id, "xlsx")


@bp.route(PREFIX + "/attendance/<int:user_id>")
@login_required
def student_record(circle_id: int, user_id: int):
    """One student's attendance across the circle's lessons: staff see anyone's, a member their own only."""
    circle = get_circle_or_404(circle_id, current_user)
    if user_id != current_user.id:
        require(circle.can_manage_members(current_user))
    membership = q.get_attendee_membership_or_404(circle, user_id)
    records = att.student_attendance(q.held_lessons(circle), membership)
    return render_template("live/student.html", circle=circle, membership=membership, records=records,
                           summary=att.summarise(r for _lesson, r in records),
                           own=user_id == current_user.id)


@bp.route(PREFIX + "/attendance/me")
@login_required
def my_record(circle_id: int):
    circle = get_circle_or_404(circle_id, current_user)
    return redirect(url_for("live.student_record", circle_id=circle.id, user_id=current_user.id))


# live-video's views on this blueprint (live.broadcast, live.hls, live.replay_view…)
from lms.live import video_routes  # noqa: E402,F401
# the stage's token endpoint (live.stage_token; lms.live.stage)
from lms.live.stage import routes as stage_routes  # noqa: E402,F401
