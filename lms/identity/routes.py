"""School sign-in views: the provider buttons' round trip, linked sign-ins on the profile, and the
settings pages of site-wide and organization providers."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from wtforms.widgets import PasswordInput

from lms.accounts.browser import sign_in
from lms.circles.forms import ConfirmForm
from lms.core.permissions import admin_required
from lms.core.urls import external_url, is_local_path, redirect_next
from lms.extensions import db, limiter
from lms.identity import bp
from lms.identity import oidc
from lms.identity import operations as ops
from lms.identity import queries as q
from lms.identity.forms import ProviderForm
from lms.identity.models import IdentityProvider
from lms.orgs.models import Organization
from lms.orgs.queries import get_org_or_404

#: the session key of the sign-in round trip under way (provider, intent, where to go after)
FLOW_KEY = "identity_flow"
#: round trips started from one address (each makes the app fetch the provider's configuration when stale);
#: generous for a class behind one school address
START_PER_IP = "300 per 10 minutes"


def _redirect_uri() -> str:
    """The one callback address every provider is registered with, built from configuration (never
    from the request's Host header)."""
    return external_url("identity.callback")


@bp.app_template_global()
def sign_in_buttons(org_id: int | None = None) -> list:
    """The enabled providers the sign-in page offers (lms.identity.queries.sign_in_providers)."""
    return q.sign_in_providers(org_id)


@bp.route("/login/o/<int:org_id>")
def org_login(org_id: int):
    """An organization's own sign-in address: its buttons first. Any organization's id leads here,
    members or not (the page names only what the login page shows anyway)."""
    org = db.session.get(Organization, org_id)
    if org is None:
        abort(404)
    return redirect(url_for("accounts.login", org=org.id, next=request.args.get("next") or None))


def _start(provider: IdentityProvider, intent: str, next_path: str | None):
    """Answer the button's POST with a page that moves on to the provider by itself (a refresh, with a link
    for browsers that do not follow it), not with a redirect: the page's CSP says `form-action 'self'`, and
    Chromium applies form-action to every redirect after a form is sent, so a redirect to the provider's
    host would be blocked."""
    try:
        url, state = oidc.authorization_url(provider, _redirect_uri())
    except oidc.OIDCError as error:
        current_app.logger.warning("oidc start failed provider=%s: %s", provider.id, error)
        flash(_("%(provider)s cannot be reached just now. Try again later, or sign in another way.",
                provider=provider.name), "error")
        return redirect(url_for("identity.linked" if intent == "link" else "accounts.login"))
    session[FLOW_KEY] = {"provider_id": provider.id, "intent": intent, "state": state,
                         "next": next_path if is_local_path(next_path) else None,
                         "user_id": current_user.id if intent == "link" else None}
    response = current_app.make_response(render_template("identity/continue.html", provider=provider, url=url))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Refresh"] = f"0; url={url}"
    return response


@bp.route("/login/oidc/<int:provider_id>", methods=["POST"])
@limiter.limit(START_PER_IP)
def start(provider_id: int):
    """Send the browser to the provider (a POST with the CSRF token: no page elsewhere can start it)."""
    provider = q.get_enabled_provider_or_404(provider_id)
    return _start(provider, "sign_in", request.form.get("next"))


@bp.route("/login/oidc/callback")
def callback():
    """The provider sends the browser back here with a code; Authlib checks state, exchanges the code
    with the PKCE verifier and validates the ID token (signature, issuer, audience, expiry, nonce)."""
    flow = session.pop(FLOW_KEY, None)
    linking = bool(flow and flow.get("intent") == "link")
    back = url_for("identity.linked") if linking else url_for("accounts.login")
    if not flow or not request.args.get("state") or request.args.get("state") != flow.get("state"):
        current_app.logger.warning("oidc callback refused: unknown state ip=%s", request.remote_addr)
        flash(_("This sign-in was not started in this browser, or it took too long. Please try again."), "error")
        return redirect(back)
    provider = db.session.get(IdentityProvider, flow["provider_id"])
    if provider is None or not provider.is_enabled:
        flash(_("This way of signing in is turned off."), "error")
        return redirect(back)
    try:
        claims = oidc.finish_authorization(provider)
        if linking:
            if not current_user.is_authenticated or current_user.id != flow.get("user_id"):
                raise ops.IdentityError(_("You were signed out meanwhile. Sign in and link again."))
            ops.link_identity(current_user, provider, claims)
        else:
            user, created = ops.sign_in_with(provider, claims)
    except (oidc.OIDCError, ops.IdentityError) as error:
        db.session.rollback()
        current_app.logger.warning("oidc %s refused provider=%s ip=%s: %s", flow.get("intent"), provider.id,
                                   request.remote_addr, type(error).__name__)
        flash(str(error), "error")
        return redirect(back)
    if linking:
        db.session.commit()
        flash(_("%(provider)s is linked: you can sign in with it.", provider=provider.name), "success")
        return redirect(url_for("identity.linked"))
    sign_in(user)  # the same session as a password sign-in (commits)
    current_app.logger.info("sign-in ok user=%s provider=%s ip=%s", user.id, provider.id, request.remote_addr)
    if created:
        flash(_("Welcome! Your account is ready."), "success")
    return redirect_next(flow.get("next"))


# -- the profile: linked sign-ins -------------------------------------------------------------

@bp.route("/profile/sign-ins")
@login_required
def linked():
    identities = q.identities_of(current_user)
    linked_ids = {i.provider_id for i in identities}
    available = [(p, org) for p, org in q.sign_in_providers() if p.id not in linked_ids]
    return render_template("identity/linked.html", identities=identities, available=available,
                           ways_in=ops.ways_in(current_user), has_password=ops.has_password(current_user),
                           school_only=q.exclusive_provider_for(current_user) is not None)


@bp.route("/profile/sign-ins/<int:provider_id>/link", methods=["POST"])
@login_required
def link(provider_id: int):
    provider = q.get_enabled_provider_or_404(provider_id)
    return _start(provider, "link", None)


@bp.route("/profile/sign-ins/<int:identity_id>/unlink", methods=["POST"])
@login_required
def unlink(identity_id: int):
    identity = q.get_identity_or_404(current_user, identity_id)
    try:
        ops.unlink_identity(identity, current_user)
    except ops.IdentityError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("identity.linked"))
    db.session.commit()
    flash(_("The sign-in is removed from your account."), "success")
    return redirect(url_for("identity.linked"))


# -- settings: site-wide providers (site admins) and an organization's (its admins) ----------------

def _managed_org(org_id: int) -> Organization:
    """The organization, if `current_user` manages it; 404 for everyone else (members included), as the LTI
    and merge pages do: who may not manage it need not learn the page exists."""
    org = get_org_or_404(org_id, current_user)
    if not org.can_manage(current_user):
        abort(404)
    return org


def _keep_typed_secret(form: ProviderForm) -> None:
    """Show the client secret typed into the form again when the page comes back (after "Test the
    connection", or a mistake elsewhere), so pressing Save next does not save without it."""
    if form.client_secret.data:
        form.client_secret.widget = PasswordInput(hide_value=False)


def _exclusive_needs_confirming(form: ProviderForm, org: Organization | None,
                                provider: IdentityProvider | None) -> bool:
    """Turning "only way in" on asks for the confirmation box: the form says what it does (members without
    a linked sign-in must use the provider next time; the organization's admins keep their password)."""
    turning_on = org is not None and form.is_exclusive.data and not (provider is not None and provider.is_exclusive)
    if turning_on and not form.confirm_exclusive.data:
        form.confirm_exclusive.errors.append(_("Tick this box to confirm the only way in."))
        return True
    return False


def _test_connection(form: ProviderForm, org: Organization | None) -> None:
    try:
        metadata = oidc.discover(form.issuer.data, fresh=True, guarded=org is not None)
    except oidc.OIDCError as error:
        form.issuer.errors.append(str(error))
    else:
        flash(_("Connected: %(issuer)s answers with its configuration (sign-in at %(endpoint)s).",
                issuer=metadata["issuer"], endpoint=metadata["authorization_endpoint"]), "success")


def _edit(org: Organization | None, provider: IdentityProvider | None, back: str):
    form = ProviderForm(obj=provider) if request.method == "GET" else ProviderForm()
    if request.method == "GET" and provider is not None:
        form.allowed_domains.data = "\n".join(provider.allowed_domains or [])
        form.client_secret.data = ""
    status = 200
    if form.validate_on_submit():
        if form.test.data:
            _test_connection(form, org)
            status = 200 if not form.issuer.errors else 422
        else:
            if provider is None and not form.client_secret.data:
                form.client_secret.errors.append(_("Give the client secret the provider issued."))
                status = 422
            elif _exclusive_needs_confirming(form, org, provider):
                status = 422
            else:
                try:
                    if provider is None:
                        provider = ops.create_provider(org, form.settings(), form.client_secret.data, current_user)
                    else:
                        ops.update_provider(provider, org, form.settings(), form.client_secret.data or None,
                                            current_user)
                except ops.IdentityError as error:
                    db.session.rollback()
                    form.issuer.errors.append(str(error))
                    status = 422
                else:
                    db.session.commit()
                    flash(_("%(name)s is saved.", name=provider.name), "success")
                    return redirect(back)
    elif form.is_submitted():
        status = 422
    if form.is_submitted():
        _keep_typed_secret(form)
    unlinked = q.members_without_link(org, provider) if org is not None else 0
    return render_template("identity/provider.html", form=form, provider=provider, org=org, back=back,
                           redirect_uri=_redirect_uri(), unlinked=unlinked,
                           delete_blockers=q.sole_reliers(provider) if provider is not None else []), status


def _delete(provider: IdentityProvider, back: str, edit: str):
    """Delete a provider, unless accounts rely on it alone (then say who, and suggest turning it off)."""
    try:
        ops.delete_provider(provider, current_user)
    except ops.IdentityError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(edit)
    name = provider.name
    db.session.commit()
    flash(_("%(name)s is deleted.", name=name), "success")
    return redirect(back)


def _list(org: Organization | None, providers: list[IdentityProvider], new_url: str):
    return render_template("identity/providers.html", org=org, providers=providers, new_url=new_url,
                           redirect_uri=_redirect_uri())


@bp.route("/admin/sign-in")
@admin_required
def site_providers():
    return _list(None, q.site_providers(), url_for("identity.site_provider_new"))


@bp.route("/admin/sign-in/new", methods=["GET", "POST"])
@admin_required
def site_provider_new():
    return _edit(None, None, url_for("identity.site_providers"))


@bp.route("/admin/sign-in/<int:provider_id>", methods=["GET", "POST"])
@admin_required
def site_provider_edit(provider_id: int):
    return _edit(None, q.get_site_provider_or_404(provider_id), url_for("identity.site_providers"))


@bp.route("/admin/sign-in/<int:provider_id>/delete", methods=["POST"])
@admin_required
def site_provider_delete(provider_id: int):
    provider = q.get_site_provider_or_404(provider_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return _delete(provider, url_for("identity.site_providers"),
                   url_for("identity.site_provider_edit", provider_id=provider.id))


@bp.route("/orgs/<int:org_id>/sign-in")
@login_required
def org_providers(org_id: int):
    org = _managed_org(org_id)
    return _list(org, q.org_providers(org), url_for("identity.org_provider_new", org_id=org.id))


@bp.route("/orgs/<int:org_id>/sign-in/new", methods=["GET", "POST"])
@login_required
def org_provider_new(org_id: int):
    org = _managed_org(org_id)
    return _edit(org, None, url_for("identity.org_providers", org_id=org.id))


@bp.route("/orgs/<int:org_id>/sign-in/<int:provider_id>", methods=["GET", "POST"])
@login_required
def org_provider_edit(org_id: int, provider_id: int):
    org = _managed_org(org_id)
    return _edit(org, q.get_org_provider_or_404(org, provider_id), url_for("identity.org_providers", org_id=org.id))


@bp.route("/orgs/<int:org_id>/sign-in/<int:provider_id>/delete", methods=["POST"])
@login_required
def org_provider_delete(org_id: int, provider_id: int):
    org = _managed_org(org_id)
    provider = q.get_org_provider_or_404(org, provider_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return _delete(provider, url_for("identity.org_providers", org_id=org.id),
                   url_for("identity.org_provider_edit", org_id=org.id, provider_id=provider.id))
