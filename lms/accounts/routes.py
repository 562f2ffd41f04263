"""Account views: first-run set-up, register, sign in/out, password reset, profile."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from lms.accounts import bp
from lms.accounts.forms import (ChangePasswordForm, ForgotPasswordForm, LanguageForm, LoginForm,
                                ProfileForm, RegisterForm, ResetPasswordForm, SetupForm)
from lms.accounts.models import User
from lms.accounts import operations as ops
from lms.accounts.queries import site_is_set_up
from lms.core.images import ImageRejected, image_response
from lms.core.urls import redirect_next, safe_next
from lms.extensions import db, limiter


def _login_key() -> str:
    """Rate-limit key per account being tried, so a botnet cannot spread guesses over IPs."""
    return "login:" + (request.form.get("email") or "").strip().lower()[:254]


def _failed(response) -> bool:
    return response.status_code >= 400


@bp.before_app_request
def first_run_redirect():
    """Until an administrator exists, every page leads to the first-run set-up."""
    if current_app.extensions.get("lms_set_up"):
        return None
    if request.endpoint in {"accounts.setup", "static", "accounts.set_language", None}:
        return None
    if site_is_set_up():
        current_app.extensions["lms_set_up"] = True
        return None
    return redirect(url_for("accounts.setup"))


@bp.route("/setup", methods=["GET", "POST"])
def setup():
    if site_is_set_up():
        current_app.extensions["lms_set_up"] = True
        return redirect(url_for("accounts.login"))
    form = SetupForm()
    if form.validate_on_submit():
        try:
            user = ops.create_first_admin(form.email.data, form.password.data, form.name.data, form.timezone.data)
        except ops.AccountError as error:
            flash(str(error), "error")
            return redirect(url_for("accounts.login"))
        db.session.commit()
        current_app.extensions["lms_set_up"] = True
        login_user(user)
        flash(_("Welcome! You are the administrator of this site."), "success")
        return redirect(url_for("circles.index"))
    return render_template("accounts/setup.html", form=form), (422 if form.is_submitted() else 200)


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"], deduct_when=lambda r: r.status_code != 422)
def register():
    if current_user.is_authenticated:
        return redirect_next(request.args.get("next"))
    form = RegisterForm(next=request.args.get("next"))
    if form.validate_on_submit():
        try:
            user = ops.register_user(form.email.data, form.password.data, form.name.data,
                                     timezone=form.timezone.data, locale=session.get("locale"))
        except ops.AccountError as error:
            form.email.errors.append(str(error))
        else:
            db.session.commit()
            login_user(user)
            flash(_("Your account is ready."), "success")
            return redirect_next(form.next.data)
    status = 422 if form.is_submitted() else 200
    return render_template("accounts/register.html", form=form), status


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute;60 per hour", methods=["POST"], deduct_when=_failed)
@limiter.limit("10 per 15 minutes", methods=["POST"], key_func=_login_key, deduct_when=_failed)
def login():
    if current_user.is_authenticated:
        return redirect_next(request.args.get("next"))
    form = LoginForm(next=request.args.get("next"))
    if form.validate_on_submit():
        user = ops.authenticate(form.email.data, form.password.data)
        if user is not None:
            db.session.commit()
            locale = session.get("locale")  # the language chosen before signing in stays
            session.clear()  # a fresh session on sign-in (no fixation)
            if locale:
                session["locale"] = locale
            login_user(user, remember=form.remember.data)
            current_app.logger.info("sign-in ok user=%s ip=%s", user.id, request.remote_addr)
            return redirect_next(form.next.data)
        current_app.logger.warning("sign-in failed ip=%s", request.remote_addr)
        flash(_("Wrong email or password."), "error")
        return render_template("accounts/login.html", form=form), 401
    status = 422 if form.is_submitted() else 200
    return render_template("accounts/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    session.clear()
    # session.clear() also dropped logout_user's note to delete the "keep me signed in" cookie;
    # without it that cookie would sign the person straight back in.
    session["_remember"] = "clear"
    flash(_("You are signed out."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit("5 per 15 minutes", methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        ops.request_password_reset(form.email.data)
        db.session.commit()
        flash(_("If an account uses this address, we have sent it a link to reset the password. "
                "It works for one hour. Check your spam folder too."), "info")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot_password.html", form=form), (422 if form.is_submitted() else 200)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    try:
        user = ops.user_for_reset_token(token)
    except ops.AccountError as error:
        flash(str(error), "error")
        return redirect(url_for("accounts.forgot_password"))
    form = ResetPasswordForm()
    form.account = user  # the password policy also refuses the account's own name and email
    if form.validate_on_submit():
        ops.set_password(user, form.password.data)
        db.session.commit()
        flash(_("Your password has been changed. Sign in with the new one."), "success")
        logout_user()
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_password.html", form=form, user=user), \
        (422 if form.is_submitted() else 200)


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user)
    password_form = ChangePasswordForm(prefix="pw")
    if form.validate_on_submit():
        upload = form.avatar.data if form.avatar.data and form.avatar.data.filename else None
        try:
            ops.update_profile(current_user, name=form.name.data, locale=form.locale.data,
                               timezone=form.timezone.data, avatar=upload.stream if upload else None,
                               remove_avatar=form.remove_avatar.data)
        except ImageRejected as error:
            form.avatar.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Your profile is saved."), "success")
            return redirect(url_for("accounts.profile"))
    status = 422 if form.is_submitted() and form.errors else 200
    return render_template("accounts/profile.html", form=form, password_form=password_form), status


@bp.route("/profile/password", methods=["POST"])
@login_required
@limiter.limit("10 per 15 minutes")
def change_password():
    form = ProfileForm(obj=current_user, formdata=None)
    password_form = ChangePasswordForm(prefix="pw")
    password_form.account = current_user
    if password_form.validate_on_submit():
        try:
            ops.change_password(current_user, password_form.current.data, password_form.password.data)
        except ops.AccountError as error:
            password_form.current.errors.append(str(error))
        else:
            db.session.commit()
            # stay signed in here (other sessions are now void); the real object, not the proxy,
            # which would otherwise resolve to itself for the rest of the request
            remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
            login_user(current_user._get_current_object(), remember=remembered)
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/profile.html", form=form, password_form=password_form), 422


@bp.route("/language", methods=["POST"])
def set_language():
    form = LanguageForm()
    if form.validate_on_submit():
        session["locale"] = form.locale.data
        if current_user.is_authenticated:
            current_user.locale = form.locale.data
            db.session.commit()
    return redirect(safe_next(form.next.data))


@bp.route("/users/<int:user_id>/avatar")
@login_required
def avatar(user_id: int):
    user = db.session.get(User, user_id)
    if user is None or not user.avatar_key:
        abort(404)
    return image_response(user.avatar_key)
