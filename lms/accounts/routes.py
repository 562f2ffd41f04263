"""Account views: first-run set-up, registration (finished by a mailed link), sign in/out, the
sessions page, password reset, profile."""
from __future__ import annotations

from flask import abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import get_locale, get_timezone, gettext as _, ngettext
from flask_login import current_user, login_required

from lms.accounts import bp
from lms.accounts import browser, limits
from lms.accounts.forms import (ChangePasswordForm, ConfirmRegistrationForm, ForgotPasswordForm, LanguageForm,
                                LoginForm, ProfileForm, RegisterForm, ResetPasswordForm, SetupForm)
from lms.accounts import operations as ops
from lms.accounts.hooks import invitation_for, password_refusal
from lms.accounts.queries import (get_registration_request, get_session_or_404, list_live_sessions,
                                  site_is_set_up, visible_avatar_key)
from lms.core.images import ImageRejected, image_response
from lms.core.script_messages import YEAR, script_catalog as build_script_catalog
from lms.core.urls import is_local_path, redirect_next, safe_next
from lms.extensions import db, limiter
from lms.uploads.operations import refused_images, take_kept_images
from lms.uploads.queries import kept_images


def _failed(response) -> bool:
    return response.status_code >= 400


# The one way every sign-in ends (lms/accounts/browser.py): the school sign-in uses it too.
_sign_in = browser.sign_in
_sign_out = browser.sign_out


@bp.before_app_request
def explain_ended_session():
    """A browser whose session was ended elsewhere (or expired) is told so once, and forgets it."""
    if request.endpoint == "static" or current_user.is_authenticated or not g.get("ended_session"):
        return None
    flash(_("You were signed out on this device (signed out from another device, or the session expired). "
            "Please sign in again."), "info")
    session.pop("_user_id", None)
    session["_remember"] = "clear"
    return None


@bp.before_app_request
def first_run_redirect():
    """Until an administrator exists, every page leads to the first-run set-up."""
    if current_app.extensions.get("lms_set_up"):
        return None
    if request.endpoint in {"accounts.setup", "static", "accounts.script_catalog", "accounts.set_language",
                            "accounts.favicon", None}:
        return None
    if request.blueprint == "api":  # a script gets the API's own answer (401: no token exists yet), not a page
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
        _sign_in(user)
        current_app.extensions["lms_set_up"] = True
        flash(_("Welcome! You are the administrator of this site."), "success")
        return redirect(url_for("circles.index"))
    return render_template("accounts/setup.html", form=form), (422 if form.is_submitted() else 200)


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(limits.REGISTER_PER_ADDRESS, methods=["POST"], key_func=limits.email_key)
@limiter.limit(limits.REGISTER_PER_IP, methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect_next(request.args.get("next"))
    form = RegisterForm(next=request.args.get("next"))
    if form.validate_on_submit():
        # The same answer whether or not the address has an account (no enumeration): the mail says which.
        ops.request_registration(form.email.data, form.password.data, form.name.data,
                                 timezone=form.timezone.data, locale=session.get("locale"),
                                 next_path=form.next.data)
        db.session.commit()
        session["registered_email"] = ops.normalize_email(form.email.data)
        return redirect(url_for("accounts.registration_sent"))
    status = 422 if form.is_submitted() else 200
    return render_template("accounts/register.html", form=form, joining=invitation_for(form.next.data)), status


@bp.route("/register/sent")
def registration_sent():
    email = session.get("registered_email")
    if not email:
        return redirect(url_for("accounts.register"))
    hours = current_app.config["REGISTRATION_MAX_AGE"] // 3600
    return render_template("accounts/registration_sent.html", email=email, hours=hours)


@bp.route("/register/confirm/<token>", methods=["GET", "POST"])
@limiter.limit(limits.CONFIRM_PER_LINK, methods=["POST"], key_func=limits.token_key, deduct_when=_failed)
@limiter.limit(limits.SIGN_IN_FAILURES_PER_IP, methods=["POST"], deduct_when=_failed)
def confirm_registration(token: str):
    # GET only shows a form: mail scanners open links, and must not create accounts.
    pending = get_registration_request(token)
    if pending is None:
        flash(_("This link has expired or was already used. Register again, or sign in if you finished."), "error")
        return redirect(url_for("accounts.register"))
    form = ConfirmRegistrationForm()
    if form.validate_on_submit():
        next_path = pending.next_path
        try:
            user = ops.confirm_registration(pending, form.password.data)
        except ops.AccountExists as error:
            db.session.commit()
            flash(str(error), "info")
            return redirect(url_for("accounts.login", next=next_path if is_local_path(next_path) else None))
        except ops.AccountError as error:
            form.password.errors.append(str(error))
            return render_template("accounts/confirm_registration.html", form=form, pending=pending), 401
        _sign_in(user)
        flash(_("Your account is ready."), "success")
        return redirect_next(next_path)
    status = 422 if form.is_submitted() else 200
    return render_template("accounts/confirm_registration.html", form=form, pending=pending), status


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(limits.SIGN_IN_FAILURES_PER_ACCOUNT, methods=["POST"], key_func=limits.email_key, deduct_when=_failed)
@limiter.limit(limits.SIGN_IN_FAILURES_PER_IP, methods=["POST"], deduct_when=_failed)
def login():
    if current_user.is_authenticated:
        return redirect_next(request.args.get("next"))
    form = LoginForm(next=request.args.get("next"))
    if form.validate_on_submit():
        try:
            user = ops.authenticate(form.email.data, form.password.data)
        except ops.AccountSuspended as error:
            db.session.rollback()
            current_app.logger.info("sign-in refused (suspended) ip=%s", request.remote_addr)
            flash(str(error), "error")
            return render_template("accounts/login.html", form=form), 403
        if user is not None and (only_way := password_refusal(user)):
            # Told only to someone who knew the password: the address alone reveals nothing.
            db.session.rollback()
            current_app.logger.info("password sign-in refused (school sign-in only) user=%s ip=%s", user.id,
                                    request.remote_addr)
            flash(_("Your school signs you in: use the “Sign in with %(name)s” button.", name=only_way),
                  "error")
            return render_template("accounts/login.html", form=form), 403
        if user is not None:
            _sign_in(user, remember=form.remember.data)
            current_app.logger.info("sign-in ok user=%s ip=%s", user.id, request.remote_addr)
            return redirect_next(form.next.data)
        current_app.logger.warning("sign-in failed ip=%s", request.remote_addr)
        flash(_("Wrong email or password."), "error")
        return render_template("accounts/login.html", form=form), 401
    status = 422 if form.is_submitted() else 200
    return render_template("accounts/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        ops.end_session(current_user.current_session)
        db.session.commit()
    _sign_out()
    flash(_("You are signed out."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(limits.FORGOT_PER_ADDRESS, methods=["POST"], key_func=limits.email_key)
@limiter.limit(limits.FORGOT_PER_IP, methods=["POST"])
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
    if only_way := password_refusal(user):
        flash(_("Your school signs you in, so this account has no password to reset: use the "
                "“Sign in with %(name)s” button.", name=only_way), "error")
        return redirect(url_for("accounts.login"))
    form = ResetPasswordForm()
    form.account = user  # the password policy also refuses the account's own name and email
    if form.validate_on_submit():
        ops.set_password(user, form.password.data)
        db.session.commit()
        _sign_out()
        flash(_("Your password has been changed. Sign in with the new one."), "success")
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
        kept = kept_images(current_user, request.form.getlist("kept_image"), limit=1) if upload is None else []
        try:
            ops.update_profile(current_user, name=form.name.data, locale=form.locale.data,
                               timezone=form.timezone.data,
                               avatar=upload.stream if upload else (take_kept_images(kept)[0] if kept else None),
                               remove_avatar=form.remove_avatar.data)
        except ImageRejected as error:
            form.avatar.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Your profile is saved."), "success")
            return redirect(url_for("accounts.profile"))
    status = 422 if form.is_submitted() and form.errors else 200
    kept_avatar = []
    if status == 422:  # the avatar chosen stays attached (lms.uploads refused_images)
        db.session.rollback()
        kept_avatar = refused_images(current_user, request.form.getlist("kept_image"), [form.avatar.data], limit=1)
        db.session.commit()
    return render_template("accounts/profile.html", form=form, password_form=password_form,
                           kept_avatar=kept_avatar), status


@bp.route("/profile/password", methods=["POST"])
@login_required
@limiter.limit(limits.PASSWORD_CHANGE, key_func=limits.account_key)
def change_password():
    form = ProfileForm(obj=current_user, formdata=None)
    password_form = ChangePasswordForm(prefix="pw")
    password_form.account = current_user
    if password_form.validate_on_submit():
        try:
            ops.change_password(current_user, password_form.current.data, password_form.password.data,
                                except_session=current_user.current_session)
        except ops.AccountError as error:
            password_form.current.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/profile.html", form=form, password_form=password_form), 422


@bp.route("/profile/sessions")
@login_required
def sessions():
    rows = list_live_sessions(current_user)
    return render_template("accounts/sessions.html", rows=rows, this=current_user.current_session,
                           zone=str(get_timezone()))


@bp.route("/profile/sessions/<int:session_id>/end", methods=["POST"])
@login_required
def end_session(session_id: int):
    row = get_session_or_404(current_user, session_id)
    ops.end_session(row)
    db.session.commit()
    if row.id == current_user.current_session.id:
        _sign_out()
        flash(_("You are signed out."), "info")
        return redirect(url_for("accounts.login"))
    flash(_("That device is signed out."), "success")
    return redirect(url_for("accounts.sessions"))


@bp.route("/profile/sessions/end-others", methods=["POST"])
@login_required
def end_other_sessions():
    count = ops.end_sessions(current_user, except_session=current_user.current_session)
    db.session.commit()
    flash(ngettext("%(num)d other device is signed out.", "%(num)d other devices are signed out.", count),
          "success")
    return redirect(url_for("accounts.sessions"))


@bp.route("/language", methods=["POST"])
def set_language():
    form = LanguageForm()
    if form.validate_on_submit():
        session["locale"] = form.locale.data
        if current_user.is_authenticated:
            current_user.locale = form.locale.data
            db.session.commit()
    return redirect(safe_next(form.next.data))


@bp.route("/i18n/<locale>/<digest>.js")
def script_catalog(locale: str, digest: str):
    """The translations the scripts of `locale` use (lms/core/script_messages.py), for everyone,
    signed in or not: cached for a year under today's digest, five minutes under an old one."""
    if locale not in current_app.config["LANGUAGES"]:
        abort(404)
    body, current = build_script_catalog(locale)
    response = current_app.response_class(body, mimetype="text/javascript")
    # An old digest (a page cached across a deployment) gets today's words, but not for a year.
    response.headers["Cache-Control"] = (f"public, max-age={YEAR}, immutable" if digest == current
                                         else "public, max-age=300")
    return response


@bp.route("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico before they read a page's <link rel="icon">: send them to the site's
    icon (static/favicon.svg) instead of a 404 on every first visit. Permanent, so it is asked once."""
    return redirect(url_for("static", filename="favicon.svg"), 301)


@bp.app_template_global()
def script_catalog_url() -> str:
    """The URL of the catalog script of the request's locale (every page's <head> loads it)."""
    locale = str(get_locale())
    # the templates' url_for (lms.core.templating), which keeps the links it built: the same few per locale and digest
    return current_app.jinja_env.globals["url_for"]("accounts.script_catalog", locale=locale,
                                                    digest=build_script_catalog(locale)[1])


@bp.route("/users/<int:user_id>/avatar")
@login_required
def avatar(user_id: int):
    """A person's avatar: for them, people who share a circle or an organization with them, and site
    admins (lms.accounts.queries.visible_avatar_key); 404 for everyone else."""
    key = visible_avatar_key(current_user, user_id)
    if key is None:
        abort(404)
    return image_response(key)
