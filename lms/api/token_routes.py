"""The "API tokens" pages: a person makes, sees and revokes their own tokens; site admins, and the
admins of an organization the person belongs to, see and revoke them too (never make them)."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import get_timezone, gettext as _
from flask_login import current_user, login_required

from lms.api import limits, pages_bp as bp
from lms.api import operations as ops
from lms.api.forms import CreateTokenForm
from lms.api.models import Scope
from lms.api.queries import get_owner_or_404, get_token_or_404, tokens_of
from lms.extensions import db, limiter


def _render(form, *, owner, new_secret=None, new_token=None, status=200):
    return render_template("api/tokens.html", form=form, owner=owner, tokens=tokens_of(owner),
                           new_secret=new_secret, new_token=new_token, scopes=list(Scope),
                           is_own=owner.id == current_user.id, zone=str(get_timezone())), status


@bp.route("/profile/api-tokens")
@login_required
def tokens():
    return _render(CreateTokenForm(), owner=current_user)


@bp.route("/profile/api-tokens", methods=["POST"])
@login_required
@limiter.limit(limits.TOKEN_CREATE, key_func=lambda: f"api-token-create:{current_user.id}")
def create_token():
    form = CreateTokenForm()
    if form.validate_on_submit():
        try:
            token, secret = ops.create_token(current_user, name=form.name.data, scopes=form.scopes.data,
                                             days=form.days.data)
        except ops.TokenError as error:
            form.name.errors.append(str(error))
        else:
            db.session.commit()
            # Shown in this answer only (never in a redirect, the session or a flash): it is not stored.
            return _render(CreateTokenForm(formdata=None), owner=current_user, new_secret=secret, new_token=token,
                           status=201)
    return _render(form, owner=current_user, status=422)


@bp.route("/users/<int:user_id>/api-tokens")
@login_required
def user_tokens(user_id: int):
    owner = get_owner_or_404(current_user, user_id)
    if owner.id == current_user.id:
        return redirect(url_for("api_tokens.tokens"))
    return _render(None, owner=owner)


@bp.route("/users/<int:user_id>/api-tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(user_id: int, token_id: int):
    # 404 unless current_user is the owner or manages them (queries.can_manage_tokens_of)
    owner = get_owner_or_404(current_user, user_id)
    token = get_token_or_404(owner, token_id)
    if ops.revoke_token(token, current_user):
        db.session.commit()
        flash(_("The token “%(name)s” is revoked: it no longer works.", name=token.name), "success")
    if owner.id == current_user.id:
        return redirect(url_for("api_tokens.tokens"))
    return redirect(url_for("api_tokens.user_tokens", user_id=owner.id))
