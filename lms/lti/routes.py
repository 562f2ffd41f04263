"""LTI 1.3 endpoints: third-party initiated login, the launch, the tool's JWKS and its Canvas configuration,
and the site admin's platform pages.

Cookies. A platform posts the launch from its own site, so only a SameSite=None (hence Secure) cookie
comes with it: the login initiation sets one, `lti_state_<state>`, and the launch checks it, which ties
the launch to the browser that started the login. The session cookie stays SameSite=Lax: inside a
platform's iframe it is a third-party cookie that browsers block or drop, so Circles is meant to open in
a new window (config.json asks Canvas for `windowTarget: _blank`; in Moodle choose "Launch container:
New window"). When a launch arrives without the state cookie (an iframe with third-party cookies
blocked), the page says to open Circles in a new window.
"""
from __future__ import annotations

from urllib.parse import urlencode, urlsplit

import sqlalchemy as sa
from flask import (abort, current_app, flash, jsonify, make_response, redirect, render_template, request, session,
                   url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_babel import ngettext
from flask_login import current_user, login_required

from lms.accounts.browser import sign_in
from lms.circles.queries import get_circle_or_404
from lms.core.permissions import admin_required
from lms.core.i18n import format_names
from lms.core.security import content_security_policy
from lms.core.urls import external_url
from lms.extensions import csrf, db, limiter
from lms.lti import bp, keys, passback, services
from lms.lti import operations as ops
from lms.lti.forms import ConfirmForm, PlatformForm
from lms.lti import launch as launch_claims
from lms.lti.launch import LaunchError, validate
from lms.lti.models import GradeSyncStatus, LtiContext, LtiPlatform

STATE_COOKIE = "lti_state_"
#: login initiations an address may start (each stores a state row until it is used or expires)
LOGIN_PER_IP = "300 per 10 minutes"


def _refuse(error: LaunchError):
    db.session.commit()  # a used state stays used
    return render_template("lti/error.html", message=str(error)), error.status


def _platform_for_login(issuer: str, client_id: str | None) -> LtiPlatform | None:
    query = sa.select(LtiPlatform).where(LtiPlatform.issuer == issuer, LtiPlatform.is_enabled.is_(True))
    if client_id:
        query = query.where(LtiPlatform.client_id == client_id)
    platforms = list(db.session.scalars(query.limit(2)))
    return platforms[0] if len(platforms) == 1 else None


def _cookie_args() -> dict:
    """SameSite=None needs Secure; over plain HTTP (development) the cookie falls back to Lax, which a
    cross-site launch does not carry, so launches from another site need HTTPS."""
    if request.is_secure or current_app.config.get("SESSION_COOKIE_SECURE"):
        return {"secure": True, "samesite": "None"}
    return {"secure": False, "samesite": "Lax"}


@bp.route("/lti/login", methods=["GET", "POST"])
@csrf.exempt
@limiter.limit(LOGIN_PER_IP)
def login():
    """Third-party initiated login (IMS Security Framework §5.1.1): answer with the authentication request
    to the platform, carrying a fresh state and nonce."""
    values = request.values
    issuer, login_hint = values.get("iss", ""), values.get("login_hint", "")
    if not issuer or not login_hint:
        return _refuse(LaunchError(_("The login request lacks the issuer or the login hint.")))
    platform = _platform_for_login(issuer, values.get("client_id"))
    if platform is None:
        return _refuse(LaunchError(_("This platform is not registered with Circles. Ask the site administrator "
                                     "to register it."), 403))
    deployment = values.get("lti_deployment_id")
    if deployment and not platform.has_deployment(deployment):
        return _refuse(LaunchError(_("This deployment of Circles (%(deployment)s) is not registered. Ask the site "
                                     "administrator to add it.", deployment=deployment[:100]), 403))
    row = ops.start_login(platform)
    db.session.commit()
    params = {"scope": "openid", "response_type": "id_token", "response_mode": "form_post", "prompt": "none",
              "client_id": platform.client_id, "redirect_uri": external_url("lti.launch"),
              "login_hint": login_hint, "state": row.state, "nonce": row.nonce}
    if values.get("lti_message_hint"):
        params["lti_message_hint"] = values["lti_message_hint"]
    separator = "&" if "?" in platform.auth_login_url else "?"
    response = redirect(platform.auth_login_url + separator + urlencode(params))
    response.set_cookie(STATE_COOKIE + row.state, row.state, max_age=int(ops.STATE_TTL.total_seconds()),
                        httponly=True, path=url_for("lti.launch"), **_cookie_args())
    return response


@bp.route("/lti/launch", methods=["POST"])
@csrf.exempt
def launch():
    """The platform posts the id_token here: validate it, sign the person in, open the course's circle."""
    id_token, state = request.form.get("id_token", ""), request.form.get("state", "")
    if request.form.get("error"):
        return _refuse(LaunchError(_("The platform refused the launch: %(error)s",
                                     error=request.form.get("error_description") or request.form["error"])))
    if not id_token or not state:
        return _refuse(LaunchError(_("The launch lacks its id_token or state.")))
    row = ops.take_state(state)
    if row is None:
        return _refuse(LaunchError(_("This launch was already used or has expired. Open Circles again from your "
                                     "course.")))
    if request.cookies.get(STATE_COOKIE + state) != state:
        return _refuse(LaunchError(_("This launch did not start in this browser, or your browser blocks the cookies "
                                     "Circles needs inside the course page. Open Circles in a new window.")))
    platform = db.session.get(LtiPlatform, row.platform_id)
    if platform is None or not platform.is_enabled:
        return _refuse(LaunchError(_("This platform is not registered with Circles."), 403))
    try:
        claims = validate(platform, id_token, row.nonce)
        user, _created = ops.launch_user(platform, claims)
        circle = ops.launch_circle(platform, user, claims)
    except LaunchError as error:
        db.session.rollback()
        ops.take_state(state)  # the rollback brought the used state back: use it up again
        return _refuse(error)
    deep_linking = claims[launch_claims.CLAIM_MESSAGE_TYPE] == launch_claims.DEEP_LINKING
    if deep_linking and not circle.can_manage_members(user):
        db.session.rollback()
        ops.take_state(state)
        return _refuse(LaunchError(_("Only the course's teachers can add Circles items to it."), 403))
    if not (current_user.is_authenticated and current_user.id == user.id):
        sign_in(user)  # commits
    else:
        db.session.commit()
    if deep_linking:
        dl = claims[launch_claims.CLAIM_DL_SETTINGS]
        session[DEEP_LINK_KEY] = {"platform_id": platform.id, "circle_id": circle.id,
                                  "return_url": dl["deep_link_return_url"], "data": dl.get("data"),
                                  "deployment_id": claims[launch_claims.CLAIM_DEPLOYMENT]}
        target = url_for("lti.deep_link")
    else:
        target = _launch_target(circle, claims)
    response = redirect(target)
    response.delete_cookie(STATE_COOKIE + state, path=url_for("lti.launch"), **_cookie_args())
    return response


DEEP_LINK_KEY = "lti_deep_link"
#: the custom parameters a deep-linked item carries: the Circles assignment, live lesson or notice it opens
CUSTOM_ASSIGNMENT = "circles_assignment"
CUSTOM_LESSON = "circles_live_lesson"
CUSTOM_NOTICE = "circles_notice"


def _custom_id(claims, name: str) -> int | None:
    custom = claims.get(launch_claims.CLAIM_CUSTOM)
    value = custom.get(name) if isinstance(custom, dict) else None
    return int(value) if isinstance(value, (str, int)) and str(value).isdigit() else None


def _launch_target(circle, claims) -> str:
    """Where a resource link launch opens: the assignment, live lesson or notice a deep-linked item names
    (if it is this circle's and the person may see it), else the circle's home page."""
    if (value := _custom_id(claims, CUSTOM_ASSIGNMENT)) is not None:
        from lms.homework.models import Assignment

        assignment = db.session.get(Assignment, value)
        if assignment is not None and assignment.circle_id == circle.id and assignment.can_view(current_user):
            return url_for("homework.show", circle_id=circle.id, assignment_id=assignment.id)
    if (value := _custom_id(claims, CUSTOM_LESSON)) is not None:
        from lms.live.models import LiveLesson

        lesson = db.session.get(LiveLesson, value)
        if lesson is not None and lesson.circle_id == circle.id and lesson.can_view(current_user):
            return url_for("live.show", circle_id=circle.id, lesson_id=lesson.id)
    if (value := _custom_id(claims, CUSTOM_NOTICE)) is not None:
        from lms.feed.notices.models import Notice

        notice = db.session.get(Notice, value)
        if notice is not None and notice.circle_id == circle.id and notice.can_view(current_user):
            return url_for("notices.show", circle_id=circle.id, notice_id=notice.id)
    return url_for("circles.home", circle_id=circle.id)


def _placeable(circle):
    """What the teacher may place in the course: published assignments, live lessons not over (scheduled
    or on air) and published notices."""
    from lms.core.types import utcnow
    from lms.feed.notices.models import Notice
    from lms.feed.notices.queries import visible_notices
    from lms.homework.queries import circle_assignments
    from lms.live.queries import circle_lessons

    assignments = [a for a in circle_assignments(circle, current_user) if a.is_published]
    lists = circle_lessons(circle)
    lessons = lists.live + lists.upcoming
    notices = list(db.session.scalars(visible_notices(circle, current_user).where(Notice.publish_at <= utcnow())
                                      .order_by(Notice.publish_at.desc(), Notice.id.desc()).limit(100)))
    return assignments, lessons, notices


def _chosen(name: str) -> set[int]:
    return {int(v) for v in request.form.getlist(name) if v.isdigit()}


@bp.route("/lti/deep-link", methods=["GET", "POST"])
@login_required
def deep_link():
    """The teacher picks the Circles assignments, live lessons and notices to place in the course; the answer
    goes back to the platform as a signed LtiDeepLinkingResponse, posted by the form the teacher submits."""
    pending = session.get(DEEP_LINK_KEY)
    if not pending:
        abort(404)
    circle = get_circle_or_404(pending["circle_id"], current_user)
    platform = db.session.get(LtiPlatform, pending["platform_id"])
    if platform is None or not circle.can_manage_members(current_user):
        abort(404)
    assignments, lessons, notices = _placeable(circle)
    if request.method == "POST":
        launch_url = external_url("lti.launch")
        chosen = _chosen("assignment")
        items = [{"type": "ltiResourceLink", "title": a.title, "url": launch_url,
                  "custom": {CUSTOM_ASSIGNMENT: str(a.id)},
                  **({"lineItem": {"scoreMaximum": float(a.points), "label": a.title,
                                   "resourceId": f"circles-assignment-{a.id}"}} if a.points else {})}
                 for a in assignments if a.id in chosen]
        chosen = _chosen("lesson")
        items += [{"type": "ltiResourceLink", "title": lesson.title, "url": launch_url,
                   "text": _("Live lesson"), "custom": {CUSTOM_LESSON: str(lesson.id)},
                   "available": {"startDateTime": _iso(lesson.starts_at)}}
                  for lesson in lessons if lesson.id in chosen]
        chosen = _chosen("notice")
        items += [{"type": "ltiResourceLink", "title": notice.title, "url": launch_url,
                   "text": _("Notice"), "custom": {CUSTOM_NOTICE: str(notice.id)}}
                  for notice in notices if notice.id in chosen]
        token = services.deep_linking_response(platform, pending["deployment_id"], pending.get("data"), items)
        db.session.commit()  # the tool key, when it was made now
        session.pop(DEEP_LINK_KEY, None)
        response = make_response(render_template("lti/deep_link_return.html", return_url=pending["return_url"],
                                                 jwt=token, count=len(items)))
        # the form posts to the platform: the policy's form-action names its origin as well
        target = urlsplit(pending["return_url"])
        response.headers["Content-Security-Policy"] = content_security_policy().replace(
            "form-action 'self'", f"form-action 'self' {target.scheme}://{target.netloc}")
        return response
    return render_template("lti/deep_link.html", circle=circle, assignments=assignments, lessons=lessons,
                           notices=notices)


def _iso(value) -> str:
    from datetime import UTC

    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


@bp.route("/lti/jwks.json")
def jwks():
    keys.tool_key()
    db.session.commit()
    return jsonify(keys.public_jwks())


@bp.route("/lti/config.json")
def config():
    """The tool's configuration in Canvas's JSON format (Developer Keys → LTI key → Paste JSON / Enter URL)."""
    launch_url = external_url("lti.launch")
    domain = current_app.config.get("SERVER_NAME") or request.host
    return jsonify({
        "title": "Circles",
        "description": _("Circles: classes, homework, grading and live lessons."),
        "oidc_initiation_url": external_url("lti.login"),
        "target_link_uri": launch_url,
        "public_jwk_url": external_url("lti.jwks"),
        "scopes": [
            "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
            "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
            "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
            "https://purl.imsglobal.org/spec/lti-ags/scope/score",
        ],
        "extensions": [{
            "domain": domain,
            "tool_id": "circles",
            "platform": "canvas.instructure.com",
            "privacy_level": "public",  # names and email: people are matched and enrolled by them
            "settings": {
                "text": "Circles",
                "placements": [{
                    "placement": "course_navigation",
                    "message_type": "LtiResourceLinkRequest",
                    "target_link_uri": launch_url,
                    "text": "Circles",
                    "windowTarget": "_blank",  # the session cookie is first-party only in its own window
                }],
            },
        }],
        "custom_fields": {},
    })


# -- Dynamic Registration (the platform's admin starts it; a Circles site admin confirms) -------------

@bp.route("/lti/register", methods=["GET", "POST"])
@limiter.limit(LOGIN_PER_IP)
def register():
    """LTI Dynamic Registration: GET shows the platform and asks the site admin to confirm; POST registers
    Circles with the platform and saves the platform. Someone not signed in as a site admin (a platform's
    iframe carries no Circles cookie) is asked to open the page in a new window and sign in."""
    from lms.lti import registration

    config_url = request.values.get("openid_configuration", "")
    token = request.values.get("registration_token", "")
    if not (current_user.is_authenticated and current_user.can_administer_site()):
        return render_template("lti/register.html", signed_out=True, page_url=request.url), 403
    try:
        config = registration.platform_configuration(config_url)
        if request.method == "POST":
            if not ConfirmForm().validate_on_submit():
                abort(400)
            domain = current_app.config.get("SERVER_NAME") or request.host
            settings = registration.register(config, token,
                                             registration.client_registration(_tool_urls(), domain, "Circles"))
            if not settings["deployment_ids"]:
                raise LaunchError(_("The platform's answer names no deployment."))
            platform = ops.save_platform(None, settings, current_user)
            db.session.commit()
            return render_template("lti/register.html", done=True, platform=platform)
    except LaunchError as error:
        db.session.rollback()
        return render_template("lti/register.html", error=str(error)), error.status
    return render_template("lti/register.html", config=config, config_url=config_url, token=token,
                           form=ConfirmForm())


# -- the site admin's platform pages ---------------------------------------------------------------

def _tool_urls() -> dict:
    return {"login": external_url("lti.login"), "launch": external_url("lti.launch"),
            "jwks": external_url("lti.jwks"), "config": external_url("lti.config")}


@bp.route("/admin/lti")
@admin_required
def platforms():
    rows = list(db.session.scalars(sa.select(LtiPlatform).order_by(LtiPlatform.name, LtiPlatform.id)))
    return render_template("lti/platforms.html", platforms=rows, urls=_tool_urls(), org=None,
                           tool_keys=keys.published_keys())


@bp.route("/admin/lti/new", methods=["GET", "POST"])
@bp.route("/admin/lti/<int:platform_id>", methods=["GET", "POST"])
@admin_required
def platform(platform_id: int | None = None):
    record = None
    if platform_id is not None:
        record = db.session.get(LtiPlatform, platform_id)
        if record is None:
            abort(404)
    return _edit_platform(None, record, url_for("lti.platforms"))


@bp.route("/admin/lti/rotate-key", methods=["POST"])
@admin_required
def rotate_key():
    """A new tool key becomes current; the old ones stay in the JWKS until they expire (keys.DEFAULT_KEEP)."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    new, old = keys.rotate()
    db.session.commit()
    flash(ngettext("A new signing key (%(kid)s) is now used. The earlier key stays published for %(num)d day.",
                   "A new signing key (%(kid)s) is now used. The earlier key stays published for %(num)d days.",
                   keys.DEFAULT_KEEP.days, kid=new.kid) if old else
          _("A new signing key (%(kid)s) is now used.", kid=new.kid), "success")
    return redirect(url_for("lti.platforms"))


def _edit_platform(org, record: LtiPlatform | None, back: str):
    form = PlatformForm(obj=record)
    if request.method == "GET" and record is not None:
        form.deployment_ids.data = "\n".join(record.deployment_ids or [])
    if form.validate_on_submit():
        settings = form.settings()
        if org is not None:
            settings["org_id"] = org.id
        try:
            ops.save_platform(record, settings, current_user)
        except LaunchError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("The platform is saved."), "success")
            return redirect(back)
    return render_template("lti/platform.html", form=form, platform=record, urls=_tool_urls(), org=org,
                           back=back), (422 if form.is_submitted() else 200)


# -- an organization's own platforms (its admins) ---------------------------------------------------

def _managed_org(org_id: int):
    from lms.orgs.queries import get_org_or_404

    org = get_org_or_404(org_id, current_user)
    if not org.can_manage(current_user):
        abort(404)
    return org


@bp.route("/orgs/<int:org_id>/lti")
@login_required
def org_platforms(org_id: int):
    """The organization's LTI platforms: launches from them make circles in this organization."""
    org = _managed_org(org_id)
    rows = list(db.session.scalars(sa.select(LtiPlatform).where(LtiPlatform.org_id == org.id)
                                   .order_by(LtiPlatform.name, LtiPlatform.id)))
    return render_template("lti/platforms.html", platforms=rows, urls=_tool_urls(), org=org, tool_keys=[])


@bp.route("/orgs/<int:org_id>/lti/new", methods=["GET", "POST"])
@bp.route("/orgs/<int:org_id>/lti/<int:platform_id>", methods=["GET", "POST"])
@login_required
def org_platform(org_id: int, platform_id: int | None = None):
    org = _managed_org(org_id)
    record = None
    if platform_id is not None:
        record = db.session.get(LtiPlatform, platform_id)
        if record is None or record.org_id != org.id:
            abort(404)
    return _edit_platform(org, record, url_for("lti.org_platforms", org_id=org.id))


# -- the teacher's roster sync (Names and Role Provisioning Services) -----------------------------

@bp.route("/circles/<int:circle_id>/lti")
@login_required
def course(circle_id: int):
    """The circle's linked course, for its staff: roster sync and sending each assignment's released grades."""
    from lms.homework.queries import circle_assignments

    circle = get_circle_or_404(circle_id, current_user)
    if not circle.can_manage_members(current_user):
        abort(404)
    mapped = db.session.scalar(sa.select(LtiContext).where(LtiContext.circle_id == circle.id).limit(1))
    if mapped is None:
        abort(404)
    assignments = [a for a in circle_assignments(circle, current_user) if a.is_published and a.can_grade(current_user)]
    return render_template("lti/course.html", circle=circle, lti_context=mapped,
                           assignments=assignments if mapped.lineitems_url else [],
                           syncs=passback.statuses(mapped), statuses=GRADE_SYNC_LABELS)


#: how a passback's status reads on the linked course page
GRADE_SYNC_LABELS = {
    GradeSyncStatus.pending: lazy_pgettext("grade sync", "Sending…"),
    GradeSyncStatus.sent: lazy_pgettext("grade sync", "Sent"),
    GradeSyncStatus.retrying: _l("Failed, trying again soon"),
    GradeSyncStatus.failed: lazy_pgettext("grade sync", "Failed"),
}


@bp.route("/circles/<int:circle_id>/lti/sync", methods=["POST"])
@login_required
def sync_roster(circle_id: int):
    circle = get_circle_or_404(circle_id, current_user)
    if not circle.can_manage_members(current_user):
        abort(404)
    mapped = db.session.scalar(sa.select(LtiContext).where(LtiContext.circle_id == circle.id).limit(1))
    if mapped is None or not mapped.memberships_url:
        abort(404)
    report = ops.sync_from_platform(mapped, current_user)
    db.session.commit()
    if report.get("error"):
        flash(report["error"], "error")
    else:
        flash(_("From the course roster: %(added)s, %(already)s.",
                added=ngettext("%(num)d added", "%(num)d added", report["added"]),
                already=ngettext("%(num)d already a member", "%(num)d already members", report.get("already", 0))),
              "success")
        if report["removed"]:
            flash(ngettext("%(num)d person no longer on the course roster was removed: %(names)s",
                           "%(num)d people no longer on the course roster were removed: %(names)s",
                           report["removed"], names=format_names(report["removed_names"])), "info")
    return redirect(url_for("lti.course", circle_id=circle.id))


@bp.route("/circles/<int:circle_id>/lti/assignments/<int:assignment_id>/grades", methods=["POST"])
@login_required
def send_grades(circle_id: int, assignment_id: int):
    """Send the assignment's released grades to the linked course's gradebook (AGS)."""
    from lms.homework.queries import get_assignment_or_404

    circle = get_circle_or_404(circle_id, current_user)
    assignment = get_assignment_or_404(circle, assignment_id, current_user)
    if not assignment.can_grade(current_user):
        abort(404)
    mapped = db.session.scalar(sa.select(LtiContext).where(LtiContext.circle_id == circle.id).limit(1))
    if mapped is None or not mapped.lineitems_url:
        abort(404)
    rows = passback.request_passback(assignment)
    db.session.commit()  # the job runs after the commit; the course page shows how it went
    if rows:
        flash(_("The released grades are being sent to the course's gradebook."), "success")
    return redirect(url_for("lti.course", circle_id=circle.id))
