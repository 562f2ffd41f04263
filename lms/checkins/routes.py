"""Check-in pages: the circle's Check-ins tab, a task (check in, make up, my streak and calendar, reminder time,
the check-ins members see, likes and comments), the teacher's board, rates, leaderboard, CSV export and the
gradebook column. Thin: parse, scoped lookup, check, one operation, commit."""
from __future__ import annotations

import re
from datetime import date, timedelta

from babel.dates import format_skeleton
from flask import Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import format_date, format_decimal, get_locale
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from lms.checkins import bp
from lms.checkins import operations as ops
from lms.checkins import queries as q
from lms.checkins import streaks
from lms.checkins.forms import (REQUIREMENT_LABELS, SCHEDULE_LABELS, WEEKDAY_LABELS, CheckinForm, CommentForm,
                                GradebookForm, ReminderForm, TaskForm, minutes_of, time_of)
from lms.checkins.gradebook import completion_rate
from lms.checkins.models import CheckinTask, RequirementKind, can_manage_tasks
from lms.circles.forms import ConfirmForm
from lms.circles.models import CircleKind
from lms.circles.queries import get_circle_or_404
from lms.core.i18n import local_datetime, select_timezone, zone_label
from lms.core.images import ImageRejected, image_response
from lms.core.permissions import require
from lms.core.spreadsheet import csv_chunks, safe_text
from lms.core.types import utcnow
from lms.extensions import db
from lms.moderation import policy
from lms.storage.base import content_disposition
from lms.uploads.operations import keep_images
from lms.uploads.queries import get_own_media, kept_images, kept_video

PREFIX = "/c/<int:circle_id>/checkins"


def _month_label(first: date) -> str:
    return format_skeleton("yMMMM", first, locale=get_locale())


def requirement_summary(task: CheckinTask) -> str:
    """What a check-in of `task` needs, with the task's own figures ("at least 50 words", "minutes read ≥ 30"),
    not the form's label of the kind."""
    kind = task.requirement
    if kind == RequirementKind.text:
        if not task.min_words:
            return _("A text")
        return ngettext("A text of at least %(num)d word", "A text of at least %(num)d words", task.min_words)
    if kind == RequirementKind.photo:
        return ngettext("At least %(num)d photo", "At least %(num)d photos", task.min_photos)
    if kind == RequirementKind.video:
        return ngettext("A video of at most %(num)d second", "A video of at most %(num)d seconds",
                        ops.MAX_VIDEO_SECONDS)
    unit = task.unit_label or _("the number")
    if task.min_value:
        return _("%(unit)s ≥ %(min)s", unit=unit, min=format_decimal(task.min_value))
    return _("A number: %(unit)s", unit=unit)


@bp.app_context_processor
def _labels():
    return {"checkin_schedule_labels": SCHEDULE_LABELS, "checkin_requirement_labels": REQUIREMENT_LABELS,
            "checkin_weekday_labels": WEEKDAY_LABELS, "checkin_day": lambda day: format_date(day, "medium"),
            "checkin_month": _month_label, "checkin_needs": requirement_summary}


def _load(circle_id: int, task_id: int) -> CheckinTask:
    circle = get_circle_or_404(circle_id, current_user)
    return q.get_task_or_404(circle, task_id, current_user)


def _files(field) -> list:
    """The files a multiple file field received (a browser sends one empty part when none was chosen)."""
    return [f.stream for f in (field.data or []) if getattr(f, "filename", "")]


def _field_error(form, error: ops.CheckinError) -> None:
    target = getattr(form, error.field, None) if error.field else None
    if target is not None and hasattr(target, "errors"):
        target.errors = [*target.errors, str(error)]
    else:
        form.form_errors.append(str(error))


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "private, no-store"
    return response


# -- the tab ---------------------------------------------------------------------------------------

@bp.route(PREFIX)
@login_required
def index(circle_id: int):
    circle = get_circle_or_404(circle_id, current_user)
    now = utcnow()
    tasks = q.tasks_of(circle)
    for task in tasks:
        task.circle = circle
    days = {t.id: t.today(now) for t in tasks}
    return render_template("checkins/index.html", circle=circle, tasks=tasks, days=days,
                           open_now={t.id for t in tasks if t.in_window(now)},
                           done=q.done_today_for(tasks, current_user.id, days),
                           can_manage=can_manage_tasks(circle, current_user),
                           is_staff=circle.can_manage_members(current_user))


# -- tasks -----------------------------------------------------------------------------------------

def _render_form(circle, form, task=None, status=200):
    return render_template("checkins/form.html", circle=circle, form=form, task=task, confirm=ConfirmForm()), status


@bp.route(PREFIX + "/new", methods=["GET", "POST"])
@login_required
def create(circle_id: int):
    circle = get_circle_or_404(circle_id, current_user)
    require(can_manage_tasks(circle, current_user))
    form = TaskForm()
    form.today = utcnow().astimezone(circle.zone).date()
    if not form.is_submitted():
        form.starts_on.data = form.today
    if form.validate_on_submit():
        try:
            task = ops.create_task(circle, current_user, **form.values())
        except ops.CheckinError as error:
            db.session.rollback()
            _field_error(form, error)
        else:
            db.session.commit()
            flash(_("The check-in task is ready."), "success")
            return redirect(url_for("checkins.show", circle_id=circle.id, task_id=task.id))
    return _render_form(circle, form, status=422 if form.is_submitted() else 200)


@bp.route(PREFIX + "/<int:task_id>/edit", methods=["GET", "POST"])
@login_required
def edit(circle_id: int, task_id: int):
    task = _load(circle_id, task_id)
    require(task.can_edit(current_user))
    form = TaskForm()
    form.today, form.first_day_before = task.today(utcnow()), task.starts_on
    if not form.is_submitted():
        form.fill(task)
    if form.validate_on_submit():
        try:
            ops.update_task(task, current_user, **form.values())
        except ops.CheckinError as error:
            db.session.rollback()
            _field_error(form, error)
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("checkins.show", circle_id=circle_id, task_id=task.id))
    return _render_form(task.circle, form, task, status=422 if form.is_submitted() else 200)


@bp.route(PREFIX + "/<int:task_id>/delete", methods=["POST"])
@login_required
def delete(circle_id: int, task_id: int):
    task = _load(circle_id, task_id)
    require(task.can_edit(current_user))
    if ConfirmForm().validate_on_submit():
        ops.delete_task(task, current_user)
        db.session.commit()
        flash(_("The check-in task is deleted."), "success")
    return redirect(url_for("checkins.index", circle_id=circle_id))


# -- a task: check in, my streak, what others did ----------------------------------------------------

def _my_summary(task: CheckinTask, today: date) -> dict:
    row = q.streak_of(task, current_user.id)
    run, last_day = (row.run, row.last_day) if row else (0, None)
    longest = row.longest if row else 0
    current = streaks.current_streak(task, run, last_day, today)
    return {"current": current, "longest": longest, "total": row.total if row else 0,
            "makeups": row.makeups if row else 0, "badges": streaks.badges(longest),
            "next_badge": streaks.next_badge(current)}


def _show(task: CheckinTask, form: CheckinForm | None = None, status: int = 200, kept_photos=()):
    now = utcnow()
    today = task.today(now)
    learner = task.can_check_in(current_user)
    mine = q.checkin_of(task, current_user.id, today) if learner else None
    reminder = q.reminder_of(task, current_user.id) if learner else None
    reminder_form = ReminderForm(formdata=None)
    if reminder is not None:
        reminder_form.at.data = time_of(reminder.minute)
    makeup_days = []
    if learner and task.makeup_allowance:
        first = today - timedelta(days=task.makeup_days_back)
        done = q.month_of(task, current_user.id, first, today)
        makeup_days = [d for d in task.scheduled_days(first, today - timedelta(days=1)) if d not in done]
    return render_template(
        "checkins/show.html", circle=task.circle, task=task, today=today, learner=learner, mine=mine,
        scheduled_today=task.is_scheduled(today), window_open=task.in_window(now),
        form=form or CheckinForm(formdata=None), summary=_my_summary(task, today) if learner else None,
        reminder=reminder, reminder_form=reminder_form, makeup_days=makeup_days,
        reminder_zone=reminder.zone(current_user, task.circle).key if reminder is not None else None,
        makeups_left=max(0, task.makeup_allowance - q.makeups_used(task, current_user.id)) if learner else 0,
        shown=q.visible_checkins(task, current_user, limit=20), staff=task.is_staff(current_user),
        can_react=task.circle.active_role(current_user) is not None and not task.circle.is_archived,
        max_video_seconds=ops.MAX_VIDEO_SECONDS, confirm=ConfirmForm(),
        kept_video=kept_video(current_user, form.media_id.data) if form is not None else None,
        kept_photos=kept_photos), status


def _refused(task: CheckinTask, form: CheckinForm, kept: list):
    """The page again (422) with what the member sent: the text, the video, and the photos, those of this
    try kept as their own uploads with those kept before (lms.uploads), so nothing is chosen twice."""
    db.session.rollback()
    kept = kept_images(current_user, [m.id for m in kept])
    if task.requirement == RequirementKind.photo:
        kept += keep_images(current_user, [f for f in (form.photos.data or []) if getattr(f, "filename", "")],
                            circle_id=task.circle_id)
        db.session.commit()
    return _show(task, form, 422, kept_photos=kept)


@bp.route(PREFIX + "/<int:task_id>")
@login_required
def show(circle_id: int, task_id: int):
    return _show(_load(circle_id, task_id))


@bp.route(PREFIX + "/<int:task_id>/checkin", methods=["POST"])
@login_required
def submit(circle_id: int, task_id: int):
    """Check in for today, or (with `day`) make up a missed day; refused with the reason."""
    task = _load(circle_id, task_id)
    require(task.can_check_in(current_user))
    form = CheckinForm()
    kept = kept_images(current_user, request.form.getlist("kept_image")) \
        if task.requirement == RequirementKind.photo else []
    if not form.validate_on_submit():
        return _refused(task, form, kept)
    media = None
    if form.media_id.data:
        media = get_own_media(current_user, form.media_id.data)
        if media is None:
            form.form_errors.append(_("That upload was not found. Upload the file again."))
            return _refused(task, form, kept)
    try:
        checkin = ops.submit_checkin(task, current_user, day=form.day.data, text=form.text.data or "",
                                     number=form.number.data, photos=_files(form.photos), media=media,
                                     kept_photos=kept)
    except (ops.CheckinError, ImageRejected) as error:
        _field_error(form, error) if isinstance(error, ops.CheckinError) else form.form_errors.append(str(error))
        return _refused(task, form, kept)
    db.session.commit()
    if checkin.is_makeup:
        flash(_("Made up for %(day)s.", day=ops._day(checkin.day)), "success")
    else:
        flash(_("Checked in. See you tomorrow!"), "success")
    return redirect(url_for("checkins.show", circle_id=circle_id, task_id=task.id))


@bp.route(PREFIX + "/<int:task_id>/reminder", methods=["POST"])
@login_required
def reminder(circle_id: int, task_id: int):
    task = _load(circle_id, task_id)
    require(task.can_check_in(current_user))
    form = ReminderForm()
    if form.validate_on_submit():
        minute = None if form.off.data or form.at.data is None else minutes_of(form.at.data)
        try:
            # the zone this page named beside the time ("In your time zone: …"), kept with the time
            ops.set_reminder(task, current_user, minute, zone=select_timezone())
        except ops.CheckinError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("No reminder.") if minute is None else _("You will be reminded at %(time)s, %(zone)s.",
                                                              time=form.at.data.strftime("%H:%M"),
                                                              zone=zone_label()), "success")
    return redirect(url_for("checkins.show", circle_id=circle_id, task_id=task.id))


def _month(arg: str | None, today: date) -> tuple[int, int]:
    match = re.fullmatch(r"(\d{4})-(\d{2})", arg or "")
    if match and 1 <= int(match.group(2)) <= 12 and 1970 <= int(match.group(1)) <= 2200:
        return int(match.group(1)), int(match.group(2))
    return today.year, today.month


@bp.route(PREFIX + "/<int:task_id>/calendar")
@login_required
def calendar(circle_id: int, task_id: int):
    """A member's month of done, missed and made-up days with their streaks: one's own, or (the staff, with
    `user_id`) any learner's."""
    task = _load(circle_id, task_id)
    user_id = request.args.get("user_id", type=int) or current_user.id
    if user_id != current_user.id:
        require(task.can_see_board(current_user))
    membership = task.circle.membership_of(current_user) if user_id == current_user.id else \
        q.membership_in(task.circle_id, user_id)
    if membership is None:
        abort(404)
    today = task.today(utcnow())
    year, month = _month(request.args.get("month"), today)
    first = date(year, month, 1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    done = q.month_of(task, user_id, first, last)
    row = q.streak_of(task, user_id)
    current = streaks.current_streak(task, row.run, row.last_day, today) if row else 0
    longest = row.longest if row else 0
    return render_template(
        "checkins/calendar.html", circle=task.circle, task=task, membership=membership, own=user_id == current_user.id,
        weeks=streaks.month_grid(task, year, month, done, today), first=first,
        previous=(first - timedelta(days=1)).strftime("%Y-%m"), following=(last + timedelta(days=1)).strftime("%Y-%m"),
        current=current, longest=longest, total=row.total if row else 0, makeups=row.makeups if row else 0,
        badges=streaks.badges(longest), all_badges=streaks.BADGES)


# -- one check-in: photos, likes, comments -----------------------------------------------------------

def _checkin(circle_id: int, task_id: int, checkin_id: int):
    task = _load(circle_id, task_id)
    return task, q.get_checkin_or_404(task, checkin_id, current_user)


@bp.route(PREFIX + "/<int:task_id>/entries/<int:checkin_id>")
@login_required
def checkin(circle_id: int, task_id: int, checkin_id: int):
    task, entry = _checkin(circle_id, task_id, checkin_id)
    return render_template("checkins/checkin.html", circle=task.circle, task=task,
                           item=q.shown_one(task, current_user, entry),
                           comments=q.comments_of(entry, task.circle_id, current_user, task.is_staff(current_user)),
                           form=CommentForm(),
                           can_react=task.circle.active_role(current_user) is not None and not task.circle.is_archived,
                           confirm=ConfirmForm())


@bp.route(PREFIX + "/<int:task_id>/entries/<int:checkin_id>/photos/<int:photo_id>")
@login_required
def photo(circle_id: int, task_id: int, checkin_id: int, photo_id: int):
    """A check-in's photo, to whoever may see the check-in now (checked on every request)."""
    _task, entry = _checkin(circle_id, task_id, checkin_id)
    found = next((p for p in entry.photos if p.id == photo_id), None)
    if found is None:
        abort(404)
    return image_response(found.storage_key)


def _may_react(task: CheckinTask) -> None:
    require(task.circle.active_role(current_user) is not None and not task.circle.is_archived)


@bp.route(PREFIX + "/<int:task_id>/entries/<int:checkin_id>/like", methods=["POST"])
@login_required
def like(circle_id: int, task_id: int, checkin_id: int):
    task, entry = _checkin(circle_id, task_id, checkin_id)
    _may_react(task)
    liked = request.form.get("liked", "1") == "1"
    if ConfirmForm().validate_on_submit():
        ops.set_like(entry, current_user, liked)
        db.session.commit()
    if request.accept_mimetypes.best == "application/json":
        db.session.refresh(entry)
        return jsonify(liked=liked, count=entry.like_count)
    return redirect(request.form.get("next") if (request.form.get("next") or "").startswith("/c/")
                    else url_for("checkins.checkin", circle_id=circle_id, task_id=task.id, checkin_id=entry.id))


@bp.route(PREFIX + "/<int:task_id>/entries/<int:checkin_id>/comments", methods=["POST"])
@login_required
def comment(circle_id: int, task_id: int, checkin_id: int):
    task, entry = _checkin(circle_id, task_id, checkin_id)
    _may_react(task)
    form = CommentForm()
    if form.validate_on_submit():
        membership = task.circle.membership_of(current_user)
        policy.check_write(task.circle, current_user, policy.WriteAction.checkin_comment, membership)
        screening = policy.screen(task.circle, membership, form.body.data or "")
        try:
            if screening.refused:
                raise ops.CheckinError(screening.refused, "body")
            added = ops.add_comment(entry, current_user, form.body.data,
                                    membership.display_name if membership is not None else current_user.name,
                                    held=screening.held)
            if screening.held:  # only its author and the staff see it until approved (lms.moderation)
                policy.record_hold(task.circle, "checkin_comment", added.id, current_user.id, screening, added.body)
        except ops.CheckinError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            # accepted: a refused comment uses none of the member's allowance
            policy.count_write(task.circle, current_user, policy.WriteAction.checkin_comment)
            db.session.commit()
            if screening.held:
                flash(_("Your comment waits for the staff's review before others see it."), "success")
    else:
        flash(_("Write a comment first."), "error")
    return redirect(url_for("checkins.checkin", circle_id=circle_id, task_id=task.id, checkin_id=entry.id)
                    + "#comments")


@bp.route(PREFIX + "/<int:task_id>/entries/<int:checkin_id>/delete", methods=["POST"])
@login_required
def delete_checkin(circle_id: int, task_id: int, checkin_id: int):
    """Take back one's own check-in (the day counts as not done again)."""
    task, entry = _checkin(circle_id, task_id, checkin_id)
    require(entry.user_id == current_user.id and task.can_check_in(current_user))
    if ConfirmForm().validate_on_submit():
        ops.delete_checkin(entry)
        db.session.commit()
        flash(_("Your check-in is taken back."), "success")
    return redirect(url_for("checkins.show", circle_id=circle_id, task_id=task.id))


# -- the teacher's pages ---------------------------------------------------------------------------

def _staff_task(circle_id: int, task_id: int) -> CheckinTask:
    task = _load(circle_id, task_id)
    require(task.can_see_board(current_user))
    return task


def _board_day(task: CheckinTask, today: date) -> date:
    try:
        day = date.fromisoformat(request.args.get("day") or "")
    except ValueError:
        return today
    return min(day, today)


@bp.route(PREFIX + "/<int:task_id>/board")
@login_required
def board(circle_id: int, task_id: int):
    """Today's board (or `day`'s): who checked in, who not, one click to remind; updated live."""
    task = _staff_task(circle_id, task_id)
    today = task.today(utcnow())
    day = _board_day(task, today)
    show = request.args.get("show", "all")
    if show not in ("all", "done", "missing"):
        show = "all"
    found = q.board(task, day, show=show, page=request.args.get("page", 1, type=int))
    return _no_store(Response(render_template(
        "checkins/board.html", circle=task.circle, task=task, board=found, today=today,
        scheduled=task.is_scheduled(day), confirm=ConfirmForm(), stamp=_stamp)))


@bp.route(PREFIX + "/<int:task_id>/board.json")
@login_required
def board_counts(circle_id: int, task_id: int):
    task = _staff_task(circle_id, task_id)
    today = task.today(utcnow())
    day = _board_day(task, today)
    learners, done = q.day_counts(task, day)
    return _no_store(jsonify(day=day.isoformat(), learners=learners, done=done, missing=max(0, learners - done),
                             percent=round(100 * done / learners) if learners else 0))


@bp.route(PREFIX + "/<int:task_id>/remind", methods=["POST"])
@login_required
def remind(circle_id: int, task_id: int):
    task = _staff_task(circle_id, task_id)
    require(not task.circle.is_archived)
    if ConfirmForm().validate_on_submit():
        try:
            done = ops.remind_missing(task, current_user)
        except ops.CheckinError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            if done.asked:
                flash(ngettext("%(num)d member who has not checked in is reminded (in the app and by mail).",
                               "%(num)d members who have not checked in are reminded (in the app and by mail).",
                               done.asked), "success")
            if done.earlier:
                flash(ngettext("%(num)d member was already reminded today and is not reminded again.",
                               "%(num)d members were already reminded today and are not reminded again.",
                               done.earlier), "info")
            if not done.asked and not done.earlier:
                flash(_("Everyone has checked in today; nobody to remind."), "info")
    return redirect(url_for("checkins.board", circle_id=circle_id, task_id=task.id))


def _stamp(value) -> str:
    return local_datetime(value, "short") if value else ""


@bp.route(PREFIX + "/<int:task_id>/rates")
@login_required
def rates(circle_id: int, task_id: int):
    """Rates per day (the last 30 days) and per member (paginated), and the gradebook column's form."""
    task = _staff_task(circle_id, task_id)
    today = task.today(utcnow())
    first = max(task.starts_on, today - timedelta(days=29))
    learners = q.learner_count(task.circle_id)
    counts = q.counts_per_day(task, first, today)
    per_day = [(day, counts.get(day, 0), round(100 * counts.get(day, 0) / learners) if learners else 0)
               for day in reversed(task.scheduled_days(first, today))]
    members, pages = q.member_rates(task, page=request.args.get("page", 1, type=int))
    page = min(max(1, request.args.get("page", 1, type=int)), pages)
    due = task.count_scheduled(task.starts_on, today)
    alive = streaks.alive_since(task, today)
    return render_template(
        "checkins/rates.html", circle=task.circle, task=task, per_day=per_day, members=members, page=page, pages=pages,
        due=due, current_of=lambda r: streaks.current_streak(task, r.run, r.last_day, today) if r.last_day and
        (alive is None or r.last_day >= alive) else 0,
        rate_of=lambda r: round(100 * completion_rate(task, r.total, today)),
        form=_gradebook_form(task) if task.can_edit(current_user) else None,
        teaching=task.circle.kind == CircleKind.teaching)


@bp.route(PREFIX + "/<int:task_id>/leaderboard")
@login_required
def leaderboard(circle_id: int, task_id: int):
    """The top learners by current streak and by total: the staff, and members when they see each other."""
    task = _load(circle_id, task_id)
    require(task.is_staff(current_user) or task.members_see_each_other)
    today = task.today(utcnow())
    alive = streaks.alive_since(task, today)
    return render_template("checkins/leaderboard.html", circle=task.circle, task=task,
                           by_streak=q.leaderboard(task, alive, by="streak"),
                           by_total=q.leaderboard(task, alive, by="total"),
                           current_of=lambda r: streaks.current_streak(task, r.run, r.last_day, today))


@bp.route(PREFIX + "/<int:task_id>/export.csv")
@login_required
def export(circle_id: int, task_id: int):
    """Every learner's record as CSV (UTF-8 with BOM; each cell guarded as text): the circle identity (name,
    real name, student number), check-ins, make-ups, streaks, completion rate."""
    task = _staff_task(circle_id, task_id)
    today = task.today(utcnow())
    members, _pages = q.member_rates(task, everyone=True)
    rows = [[_("Name in the circle"), _("Real name"), _("Student number"), _("Check-ins"), _("Made up"),
             _("Current streak"), _("Longest streak"), _("Completion rate (%)")]]
    for r in members:
        rows.append([r.membership.display_name, r.membership.real_name or "", r.membership.student_no or "",
                     str(r.total), str(r.makeups), str(streaks.current_streak(task, r.run, r.last_day, today)),
                     str(r.longest), str(round(100 * completion_rate(task, r.total, today)))])
    response = Response(csv_chunks([safe_text(v) for v in row] for row in rows), content_type="text/csv; charset=utf-8")
    name = re.sub(r"[^\w\- ]+", "", task.title).strip() or "checkins"
    response.headers["Content-Disposition"] = content_disposition(_("%(title)s - check-ins", title=name) + ".csv")
    return _no_store(response)


def _gradebook_form(task: CheckinTask) -> GradebookForm:
    from lms.homework.grades import grade_source

    form = GradebookForm()
    form.set_categories(grade_source().category_choices(task.circle))
    return form


@bp.route(PREFIX + "/<int:task_id>/gradebook", methods=["POST"])
@login_required
def gradebook(circle_id: int, task_id: int):
    from lms.checkins.gradebook import to_gradebook

    task = _load(circle_id, task_id)
    require(task.can_edit(current_user) and task.circle.kind == CircleKind.teaching)
    form = _gradebook_form(task)
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "error")
        return redirect(url_for("checkins.rates", circle_id=circle_id, task_id=task.id))
    assignment, graded = to_gradebook(task, current_user, points=form.points.data, release=form.release.data,
                                      category_id=form.category_id.data or None)
    db.session.commit()
    flash(ngettext("The completion rate is in the gradebook as “%(title)s” (%(num)d student graded).",
                   "The completion rate is in the gradebook as “%(title)s” (%(num)d students graded).", graded,
                   title=assignment.title), "success")
    return redirect(url_for("checkins.rates", circle_id=circle_id, task_id=task.id))
