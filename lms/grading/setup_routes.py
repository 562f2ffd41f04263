"""Views that set grading up for a circle: rubrics and weighted grade categories (owner and teachers)."""
from __future__ import annotations

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.circles.queries import get_circle_or_404
from lms.core.errors import wants_json
from lms.core.permissions import require
from lms.extensions import db
from lms.grading import bp
from lms.grading import operations as ops
from lms.grading import queries as q
from lms.grading.forms import CategoryForm, ConfirmForm, RubricForm
from lms.grading.gradebook import uncategorised_weight

RUBRICS = "/circles/<int:circle_id>/rubrics"
CATEGORIES = "/circles/<int:circle_id>/grades/categories"


def _editable_circle(circle_id: int):
    circle = get_circle_or_404(circle_id, current_user)
    require(circle.can_edit(current_user))
    return circle


def rubric_json(rubric) -> dict:
    return {"id": rubric.id, "title": rubric.title, "points": rubric.points,
            "criteria": [{"id": c.id, "title": c.title, "description": c.description, "points": c.points,
                          "levels": c.levels} for c in rubric.criteria]}


# -- rubrics ---------------------------------------------------------------------------------

@bp.route(RUBRICS)
@login_required
def rubrics(circle_id: int):
    circle = _editable_circle(circle_id)
    items = q.rubrics(circle)
    if wants_json():
        return jsonify(rubrics=[rubric_json(r) for r in items])
    return render_template("grading/rubrics.html", circle=circle, rubrics=items, confirm=ConfirmForm())


def _rubric_page(circle, form: RubricForm, rubric=None, errors: dict | None = None):
    """Render the rubric form; POSTs that add rows or fail come back here with what was typed."""
    form.add_spare_rows(criteria=0 if errors else 1)
    for key, message in (errors or {}).items():
        if key == "title":
            form.title.errors = [*form.title.errors, message]
    status = 422 if errors or form.errors else 200
    return render_template("grading/rubric_form.html", circle=circle, form=form, rubric=rubric,
                           errors=errors or {}), status


@bp.route(f"{RUBRICS}/new", methods=["GET", "POST"])
@login_required
def rubric_new(circle_id: int):
    circle = _editable_circle(circle_id)
    form = RubricForm()
    if "more" in request.form:  # "Add a criterion": show the form again with one more blank row
        return _rubric_page(circle, form)
    if form.validate_on_submit():
        try:
            rubric = ops.create_rubric(circle, current_user, form.title.data, form.criteria_data())
        except ops.GradingError as error:
            db.session.rollback()
            return _rubric_page(circle, form, errors=error.errors)
        db.session.commit()
        flash(_("Rubric “%(title)s” saved.", title=rubric.title), "success")
        return redirect(url_for("grading.rubrics", circle_id=circle.id))
    return _rubric_page(circle, form)


@bp.route(f"{RUBRICS}/<int:rubric_id>", methods=["GET", "POST"])
@login_required
def rubric_edit(circle_id: int, rubric_id: int):
    circle = get_circle_or_404(circle_id, current_user)
    rubric = q.get_rubric_or_404(circle, rubric_id)
    require(rubric.can_edit(current_user))
    if request.method == "GET":
        form = RubricForm(data={"title": rubric.title, "criteria": [
            {"id": str(c.id), "title": c.title, "description": c.description, "levels": c.levels}
            for c in rubric.criteria]})
        if wants_json():
            return jsonify(rubric_json(rubric))
        return _rubric_page(circle, form, rubric)
    form = RubricForm()
    if "more" in request.form:
        return _rubric_page(circle, form, rubric)
    if form.validate_on_submit():
        try:
            ops.update_rubric(rubric, current_user, form.title.data, form.criteria_data())
        except ops.GradingError as error:
            db.session.rollback()
            return _rubric_page(circle, form, rubric, errors=error.errors)
        db.session.commit()
        flash(_("Rubric “%(title)s” saved.", title=rubric.title), "success")
        return redirect(url_for("grading.rubrics", circle_id=circle.id))
    return _rubric_page(circle, form, rubric)


@bp.route(f"{RUBRICS}/<int:rubric_id>/delete", methods=["POST"])
@login_required
def rubric_delete(circle_id: int, rubric_id: int):
    circle = get_circle_or_404(circle_id, current_user)
    rubric = q.get_rubric_or_404(circle, rubric_id)
    require(rubric.can_edit(current_user))
    if ConfirmForm().validate_on_submit():
        try:
            ops.delete_rubric(rubric, current_user)
        except ops.GradingError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("The rubric is deleted."), "success")
    return redirect(url_for("grading.rubrics", circle_id=circle.id))


# -- categories ------------------------------------------------------------------------------

@bp.route(CATEGORIES, methods=["GET", "POST"])
@login_required
def categories(circle_id: int):
    """The circle's weighted categories, and a form to add one."""
    circle = _editable_circle(circle_id)
    form = CategoryForm()
    if form.validate_on_submit():
        try:
            ops.save_category(circle, current_user, form.name.data, form.weight.data)
        except ops.GradingError as error:
            db.session.rollback()
            form.name.errors = [*form.name.errors, str(error)]
        else:
            db.session.commit()
            flash(_("Category saved."), "success")
            return redirect(url_for("grading.categories", circle_id=circle.id))
    return _categories_page(circle, form)


def _categories_page(circle, form, editing=None):
    items = q.categories(circle)
    total = sum(c.weight for c in items)
    return render_template("grading/categories.html", circle=circle, categories=items, form=form, total=total,
                           editing=editing, rest=uncategorised_weight(items), confirm=ConfirmForm(),
                           edit_forms={c.id: CategoryForm(formdata=None, prefix=f"c{c.id}", obj=c) for c in items}), \
        (422 if form.errors else 200)


@bp.route(f"{CATEGORIES}/<int:category_id>", methods=["POST"])
@login_required
def category_edit(circle_id: int, category_id: int):
    circle = _editable_circle(circle_id)
    category = q.get_category_or_404(circle, category_id)
    form = CategoryForm(prefix=f"c{category.id}")
    if form.validate_on_submit():
        try:
            ops.save_category(circle, current_user, form.name.data, form.weight.data, category)
        except ops.GradingError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("Category saved."), "success")
    else:
        flash(_("Give the category a name and a weight between 0 and 100."), "error")
    return redirect(url_for("grading.categories", circle_id=circle.id))


@bp.route(f"{CATEGORIES}/<int:category_id>/delete", methods=["POST"])
@login_required
def category_delete(circle_id: int, category_id: int):
    circle = _editable_circle(circle_id)
    category = q.get_category_or_404(circle, category_id)
    if ConfirmForm().validate_on_submit():
        ops.delete_category(category, current_user)
        db.session.commit()
        flash(_("The category is deleted; its assignments are uncategorised now."), "success")
    return redirect(url_for("grading.categories", circle_id=circle.id))
