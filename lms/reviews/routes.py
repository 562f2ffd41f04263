"""Peer review pages: the teacher's set-up and allocation view (thin: parse, scoped lookup, permission
check, one operation, commit)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from lms.accounts.models import User
from lms.circles.forms import ConfirmForm
from lms.circles.queries import get_circle_or_404
from lms.core.i18n import from_local
from lms.core.permissions import require
from lms.core.types import utcnow
from lms.extensions import db
from lms.homework import queries as hw
from lms.homework.grades import grade_source
from lms.reviews import bp
from lms.reviews import operations as ops
from lms.reviews import queries as q
from lms.reviews.groups import groups_for
from lms.reviews.forms import AddTaskForm, ExtensionForm, ReassignForm, SettingsForm
from lms.reviews.models import Anonymity, ReviewAllocation, WindowState

PREFIX = "/circles/<int:circle_id>/assignments/<int:assignment_id>/peer-review"
PER_PAGE = 200


def _load(circle_id: int, assignment_id: int, predicate: str):
    """The circle, assignment and peer-review set-up, if the user may see the assignment (404 otherwise) and
    the set-up's `predicate` allows them (403 otherwise)."""
    circle = get_circle_or_404(circle_id, current_user)
    assignment = hw.get_assignment_or_404(circle, assignment_id, current_user)
    settings = q.settings_or_new(assignment)
    require(getattr(settings, predicate)(current_user))
    return circle, assignment, settings


def _field_error(form, error: ops.ReviewError) -> None:
    field = getattr(form, error.field, None) if error.field else None
    if field is None:
        flash(str(error), "error")
    else:
        field.errors = list(field.errors) + [str(error)]


# -- set-up ----------------------------------------------------------------------------------

@bp.route(PREFIX, methods=["GET", "POST"])
@login_required
def settings(circle_id: int, assignment_id: int):
    circle, assignment, setup = _load(circle_id, assignment_id, "can_set_up")
    form = SettingsForm()
    form.set_rubrics(grade_source().rubric_choices(circle))
    if not form.is_submitted():
        form.fill(setup)
    if form.validate_on_submit():
        try:
            ops.save_settings(
                assignment, current_user, is_enabled=form.is_enabled.data,
                reviews_per_submission=form.reviews_per_submission.data,
                opens_at=from_local(form.opens_at.data), closes_at=from_local(form.closes_at.data),
                anonymity=Anonymity(form.anonymity.data), rubric_id=form.rubric_id.data or None,
                comment_min_length=form.comment_min_length.data,
                min_timestamped_comments=form.min_timestamped_comments.data,
                score_share=form.score_share.data, reviewing_share=form.reviewing_share.data,
                non_submitters_review=form.non_submitters_review.data, separate_groups=form.separate_groups.data)
        except ops.ReviewError as error:
            db.session.rollback()
            _field_error(form, error)
        else:
            db.session.commit()
            flash(_("Peer review saved."), "success")
            return redirect(url_for("reviews.settings", circle_id=circle.id, assignment_id=assignment.id))
    return render_template("reviews/settings.html", circle=circle, assignment=assignment, setup=setup, form=form,
                           window=setup.window_state(), has_groups=bool(groups_for(assignment))), \
        422 if form.errors else 200


# -- allocation ------------------------------------------------------------------------------

@bp.route(PREFIX + "/allocation")
@login_required
def allocation(circle_id: int, assignment_id: int):
    """Who reviews whom (paginated), what could not be covered and why, and the teacher's changes."""
    circle, assignment, setup = _load(circle_id, assignment_id, "can_view_allocation")
    page = db.paginate(db.select(ReviewAllocation).where(ReviewAllocation.assignment_id == assignment.id)
                       .order_by(ReviewAllocation.round, ReviewAllocation.id),
                       page=request.args.get("page", 1, type=int), per_page=PER_PAGE, error_out=False)
    summary = q.summary(assignment)
    ids = ({row.reviewer_id for row in page.items} | {row.author_id for row in page.items}
           | {s["author_id"] for s in setup.shortfall or []} | {s["reviewer_id"] for s in setup.idle or []})
    can_allocate = setup.can_allocate(current_user)
    extensions = q.extensions(assignment)
    ids |= {e.user_id for e in extensions}
    context = {}
    search = _search()
    if can_allocate:
        learners = hw.learners(circle)
        found = q.learners_matching(circle, search) if search else learners
        extension_form = ExtensionForm(formdata=None)
        extension_form.user_id.choices = _choices(found)
        context.update(add_form=_add_form(assignment, learners, found), extension_form=extension_form,
                       confirm=ConfirmForm(), found=len(found), everyone=len(learners))
    return render_template("reviews/allocation.html", circle=circle, assignment=assignment, setup=setup, page=page,
                           names=q.names(assignment, ids), summary=summary, window=setup.window_state(),
                           can_allocate=can_allocate, extensions=extensions, search=search, now=utcnow(), **context)


def _search() -> str:
    """The `?q=` that narrows the students offered (name, real name or student number), trimmed."""
    return (request.args.get("q") or "").strip()[:100]


def _choices(members) -> list[tuple[int, str]]:
    """A student as the teacher picks them: their circle name, and their student number when they have one."""
    return [(m.user_id, f"{m.display_name} · {m.student_no}" if m.student_no else m.display_name) for m in members]


def _add_form(assignment, learners, reviewers) -> AddTaskForm:
    """The add-by-hand form: `reviewers` (the search's matches) may review the work of any learner who
    handed in."""
    form = AddTaskForm(formdata=None)
    submitted = set(hw.latest_submissions(assignment))
    form.reviewer_id.choices = _choices(reviewers)
    form.author_id.choices = _choices([m for m in learners if m.user_id in submitted])
    return form


def _back(circle_id: int, assignment_id: int):
    return redirect(url_for("reviews.allocation", circle_id=circle_id, assignment_id=assignment_id))


@bp.route(PREFIX + "/allocation/run", methods=["POST"])
@login_required
def run_now(circle_id: int, assignment_id: int):
    """Run the next round now (the window must be open), without waiting for the hourly one."""
    circle, assignment, setup = _load(circle_id, assignment_id, "can_allocate")
    if ConfirmForm().validate_on_submit():
        if setup.window_state() != WindowState.open:
            flash(_("Reviews are allocated while the review window is open."), "error")
        else:
            result = ops.run_round(setup, force=True)
            db.session.commit()
            if result is not None:
                flash(ngettext("Round %(round)d allocated %(num)d review task.",
                               "Round %(round)d allocated %(num)d review tasks.", len(result.tasks),
                               round=setup.rounds), "success")
    return _back(circle.id, assignment.id)


def _cannot_take(setup, task) -> set[int]:
    """Who may not take `task` (ops.reassign_task refuses them): its author, anyone who has or had a task on
    that author's work (its reviewer too), and the author's group mates under the group rule."""
    out = {task.author_id, task.reviewer_id} | q.reviewers_of_author(task.assignment, task.author_id)
    if setup.separate_groups:
        groups = groups_for(task.assignment)
        group = groups.get(task.author_id)
        if group is not None:
            out |= {user_id for user_id, theirs in groups.items() if theirs == group}
    return out


@bp.route(PREFIX + "/allocation/open-now", methods=["POST"])
@login_required
def open_now(circle_id: int, assignment_id: int):
    """Open the review window now instead of at its set time (the set-up's opening moves to now, audited as
    any change of the set-up) and run the first round at once."""
    circle, assignment, setup = _load(circle_id, assignment_id, "can_allocate")
    if ConfirmForm().validate_on_submit():
        if setup.window_state() != WindowState.not_open:
            flash(_("The review window is not waiting to open."), "error")
            return _back(circle.id, assignment.id)
        try:
            ops.save_settings(assignment, current_user, opens_at=utcnow().replace(microsecond=0))
        except ops.ReviewError as error:
            db.session.rollback()
            flash(str(error), "error")
            return _back(circle.id, assignment.id)
        result = ops.run_round(setup, force=True)
        db.session.commit()
        tasks = len(result.tasks) if result is not None else 0
        flash(ngettext("Reviewing is open: %(num)d review task was allocated.",
                       "Reviewing is open: %(num)d review tasks were allocated.", tasks), "success")
    return _back(circle.id, assignment.id)


@bp.route(PREFIX + "/allocation/<int:allocation_id>/reassign", methods=["GET", "POST"])
@login_required
def reassign(circle_id: int, assignment_id: int, allocation_id: int):
    """Give one task to another student."""
    circle, assignment, setup = _load(circle_id, assignment_id, "can_allocate")
    task = q.get_allocation_or_404(assignment, allocation_id)
    form = ReassignForm()
    search = _search()
    candidates = q.learners_matching(circle, search, exclude=_cannot_take(setup, task))
    form.reviewer_id.choices = _choices(candidates)
    if form.validate_on_submit():
        try:
            ops.reassign_task(task, db.session.get(User, form.reviewer_id.data), current_user, setup)
        except ops.ReviewError as error:
            db.session.rollback()
            _field_error(form, error)
        else:
            db.session.commit()
            flash(_("The review task is reassigned."), "success")
            return _back(circle.id, assignment.id)
    names = q.names(assignment, {task.reviewer_id, task.author_id})
    return render_template("reviews/reassign.html", circle=circle, assignment=assignment, task=task, form=form,
                           names=names, search=search, found=len(candidates)), 422 if form.errors else 200


@bp.route(PREFIX + "/allocation/add", methods=["POST"])
@login_required
def add_task(circle_id: int, assignment_id: int):
    """Add one review task by hand."""
    circle, assignment, setup = _load(circle_id, assignment_id, "can_allocate")
    form = AddTaskForm()
    if form.validate_on_submit():
        try:
            ops.add_task(setup, db.session.get(User, form.reviewer_id.data),
                         db.session.get(User, form.author_id.data), current_user)
        except ops.ReviewError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("The review task is added."), "success")
    else:
        flash(_("Choose a reviewer and whose work they review."), "error")
    return _back(circle.id, assignment.id)


from lms.reviews import receiving_routes, teacher_routes  # noqa: E402,F401  (attach authors' and results views)
from lms.reviews import review_routes  # noqa: E402,F401  (attaches the reviewing views)
from lms.reviews import calibration_routes  # noqa: E402,F401  (attaches the examples and practice views)
from lms.reviews import extension_routes  # noqa: E402,F401  (attaches the review-window extensions)
