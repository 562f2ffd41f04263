"""Circle views: my circles, create, home, cover, settings, archive."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.circles import bp
from lms.circles import operations as ops
from lms.circles import queries as q
from lms.circles.forms import CircleForm, ConfirmForm, JoinCodeForm
from lms.circles.home import home_probes, render_home_page
from lms.circles.locks import locked_settings, refuse_change
from lms.circles.models import CircleKind, JoinPolicy
from lms.circles.routes._common import _join_page
from lms.core.images import ImageRejected, image_response
from lms.core.permissions import require
from lms.extensions import db
from lms.uploads.operations import refused_images, take_kept_images
from lms.uploads.queries import kept_images


def _upload(field):
    data = field.data
    return data.stream if data and getattr(data, "filename", "") else None


@bp.route("/")
@login_required
def index():
    circles = q.my_circles(current_user)
    overseen = q.overseen_circles(current_user)
    member_of = {circle.id for circle, _m in circles}
    return render_template("circles/index.html", circles=circles, pending=q.my_pending_requests(current_user),
                           overseen=[c for c in overseen if c.id not in member_of], join_form=JoinCodeForm())


def _kept_cover(form) -> list:
    """The cover a refused form carried (this try's, else one kept from an earlier try), still attached
    when the form comes back (lms.uploads refused_images); what the refused request wrote is rolled back."""
    if not form.is_submitted():
        return []
    db.session.rollback()
    kept = refused_images(current_user, request.form.getlist("kept_image"), [form.cover.data], limit=1)
    db.session.commit()
    return kept


def _cover(form):
    """The cover a submit sends: a newly chosen image, else the one kept from a refused try."""
    chosen = _upload(form.cover)
    if chosen is not None:
        return chosen
    kept = kept_images(current_user, request.form.getlist("kept_image"), limit=1)
    return take_kept_images(kept)[0] if kept else None


@bp.route("/circles/new", methods=["GET", "POST"])
@login_required
def create():
    form = CircleForm()
    if form.validate_on_submit():
        circle = ops.create_circle(current_user, form.name.data, kind=CircleKind(form.kind.data),
                                   description=form.description.data or "",
                                   join_policy=JoinPolicy(form.join_policy.data),
                                   require_real_name=form.require_real_name.data,
                                   require_student_no=form.require_student_no.data)
        cover = _cover(form)
        if cover is not None:
            try:
                ops.set_cover(circle, cover)
            except ImageRejected as error:
                form.cover.errors.append(str(error))
                return render_template("circles/new.html", form=form, kept_cover=_kept_cover(form)), 422
        db.session.commit()
        flash(_("Your circle is ready. Invite people from the “Enrol” page."), "success")
        return redirect(url_for("circles.home", circle_id=circle.id))
    return render_template("circles/new.html", form=form, kept_cover=_kept_cover(form)), (422 if form.errors else 200)


@bp.route("/c/<int:circle_id>")
@login_required
def home(circle_id: int):
    # the person, not the proxy: each attribute read through current_user looks the user up again,
    # and the page's predicates and sections read it a few dozen times (scripts/bench/pages)
    user = current_user._get_current_object()
    # the sections' probes read with the circle: a section with nothing to show costs no query of its own
    circle, probed = q.get_circle_and_facts_or_404(circle_id, user, home_probes(current_app), preview=True)
    if not circle.can_view(user):
        return _join_page(circle)
    me = circle.membership_of(user)
    staff, recent = q.staff_and_recent_members(circle)
    # with the registered sections (lms.circles.home), each rendered from its own partial
    return render_home_page("circles/home.html", circle, user, me, probed, staff=staff, recent=recent,
                            pending=q.pending_count(circle) if circle.can_manage_members(user) else 0)


@bp.route("/c/<int:circle_id>/cover")
@login_required
def cover(circle_id: int):
    circle = q.get_circle_or_404(circle_id, current_user, preview=True)
    if not circle.cover_key:
        abort(404)
    return image_response(circle.cover_key)


@bp.route("/c/<int:circle_id>/settings", methods=["GET", "POST"])
@login_required
def settings(circle_id: int):
    circle = q.get_circle_or_404(circle_id, current_user)
    require(circle.can_edit(current_user))
    form = CircleForm(obj=circle)
    if request.method == "GET":
        form.kind.data = circle.kind.value
        form.join_policy.data = circle.join_policy.value
    locked = locked_settings(circle)
    if form.validate_on_submit() and not _refuse_locked(form, circle, locked):
        ops.update_circle(circle, name=form.name.data, description=form.description.data or "",
                          kind=CircleKind(form.kind.data), join_policy=JoinPolicy(form.join_policy.data),
                          require_real_name=form.require_real_name.data,
                          require_student_no=form.require_student_no.data,
                          timezone=(form.timezone.data or None) if "timezone" in request.form else False)
        cover = _cover(form)
        try:
            if cover is not None:
                ops.set_cover(circle, cover)
        except ImageRejected as error:
            form.cover.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Settings saved."), "success")
            return redirect(url_for("circles.settings", circle_id=circle.id))
    kept = _kept_cover(form)
    if form.is_submitted():
        circle = q.get_circle_or_404(circle_id, current_user)
    return render_template("circles/settings.html", circle=circle, form=form, confirm=ConfirmForm(),
                           kept_cover=kept, locked=locked), (422 if form.errors else 200)


#: the settings of this form a school may lock (lms/circles/locks.py)
LOCKABLE_FIELDS = ("join_policy", "require_real_name", "require_student_no")


def _refuse_locked(form: CircleForm, circle, locked: dict[str, str]) -> bool:
    """Refuse, at its field, a change of a setting the circle's school locks (the page shows it read-only; a
    request sent otherwise is refused all the same)."""
    refused = False
    for name in LOCKABLE_FIELDS:
        field = getattr(form, name)
        sent = JoinPolicy(field.data) if name == "join_policy" else bool(field.data)
        refused = refuse_change(field, locked, name, getattr(circle, name), sent) or refused
    return refused


@bp.route("/c/<int:circle_id>/archive", methods=["POST"])
@login_required
def archive(circle_id: int):
    circle = q.get_circle_or_404(circle_id, current_user)
    require(circle.can_archive(current_user))
    if ConfirmForm().validate_on_submit():
        ops.set_archived(circle, not circle.is_archived)
        db.session.commit()
        flash(_("The circle is archived.") if circle.is_archived else _("The circle is active again."), "success")
    return redirect(url_for("circles.settings", circle_id=circle.id))
