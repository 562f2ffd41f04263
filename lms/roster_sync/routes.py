"""Roster sync views: upload a OneRoster zip, see its preview, apply it, read past imports."""
from __future__ import annotations

import tempfile

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.circles.forms import ConfirmForm
from lms.extensions import db
from lms.jobs import discard_stored_on_rollback
from lms.orgs.models import Organization
from lms.orgs.queries import get_org_or_404
from lms.roster_sync import bp
from lms.roster_sync import operations as ops
from lms.roster_sync import queries as q
from lms.roster_sync.forms import RosterUploadForm
from lms.roster_sync.models import RosterImport, RosterImportState
from lms.roster_sync.messages import line_text
from lms.roster_sync.oneroster import MAX_PROBLEMS, MAX_ZIP_BYTES, Problem, RosterFileError, read_roster_zip
from lms.roster_sync.progress import get_progress
from lms.storage import get_storage, new_key

_CHUNK = 1 << 20
#: seconds between reloads of the page while the apply job runs
REFRESH_SECONDS = 2


@bp.app_template_global()
def roster_line_text(line: dict, planned: bool = False) -> str:
    """A stored preview (`planned`) or report line in the reader's language (lms/roster_sync/messages.py)."""
    return line_text(line, planned)


def _managed_org(org_id: int) -> Organization:
    """The organization, if `current_user` manages it; 404 for everyone else (members included), as the LTI
    and merge pages do: who may not manage it need not learn the page exists."""
    org = get_org_or_404(org_id, current_user)
    if not org.can_manage(current_user):
        abort(404)
    return org


def _page(org: Organization, form: RosterUploadForm, problems: list[Problem] | None = None, status: int = 200):
    page = q.imports_page(org, page=request.args.get("page", 1, type=int))
    return render_template("roster_sync/index.html", org=org, form=form, problems=problems, page=page,
                           max_mb=MAX_ZIP_BYTES // (1024 * 1024), max_problems=MAX_PROBLEMS), status


@bp.route("/orgs/<int:org_id>/roster", methods=["GET", "POST"])
@login_required
def index(org_id: int):
    """Upload a OneRoster zip (checked, then previewed) and list the organization's imports."""
    org = _managed_org(org_id)
    form = RosterUploadForm()
    if not form.validate_on_submit():
        return _page(org, form, status=422 if form.is_submitted() else 200)
    upload = form.file.data
    file_name = (upload.filename or "roster.zip")[:255]
    with tempfile.NamedTemporaryFile(suffix=".zip") as spool:
        size = 0
        while chunk := upload.stream.read(_CHUNK):
            size += len(chunk)
            if size > MAX_ZIP_BYTES:
                problem = Problem(file_name, None, None,
                                  _("The zip is larger than %(num)d MB. Split it (one school at a time), or send a "
                                    "delta file of what changed.", num=MAX_ZIP_BYTES // (1024 * 1024)))
                return _page(org, form, [problem], 422)
            spool.write(chunk)
        spool.flush()
        try:
            roster = read_roster_zip(spool.name, name=file_name, known=ops.known_sourced_ids(org))
        except RosterFileError as error:
            return _page(org, form, error.problems, 422)
        plan = ops.plan_import(org, roster, current_user)
        if plan.problems:
            return _page(org, form, plan.problems, 422)
        key = new_key("roster_sync", ".zip")
        spool.seek(0)
        get_storage().put(key, spool, "application/zip")
    discard_stored_on_rollback(key)
    record = ops.record_preview(org, current_user, file_name=file_name, file_key=key, file_bytes=size, plan=plan)
    db.session.commit()
    return redirect(url_for("roster_sync.show", org_id=org.id, import_id=record.id))


@bp.route("/orgs/<int:org_id>/roster/<int:import_id>")
@login_required
def show(org_id: int, import_id: int):
    """An import's preview (with the button that applies it) or its report once applied."""
    org = _managed_org(org_id)
    record = q.get_import_or_404(org, import_id, current_user)
    applying = record.state == RosterImportState.applying
    progress = get_progress(record.id) if applying else None
    response = current_app.make_response(render_template(
        "roster_sync/show.html", org=org, record=record, problems=record.problems or None,
        max_problems=MAX_PROBLEMS, progress=progress))
    if applying:  # the page reloads itself until the job is done (no script needed)
        response.headers["Refresh"] = str(REFRESH_SECONDS)
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/orgs/<int:org_id>/roster/<int:import_id>/apply", methods=["POST"])
@login_required
def apply(org_id: int, import_id: int):
    """Queue the job that applies a previewed import in one transaction (a row that cannot be applied changes
    nothing); the import's page shows its progress, then its report."""
    org = _managed_org(org_id)
    record = q.get_import_or_404(org, import_id, current_user)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("roster_sync.show", org_id=org.id, import_id=record.id))
    # two admins pressing Apply at once: the second waits here, then finds it queued or applied
    db.session.execute(db.select(RosterImport.id).where(RosterImport.id == record.id).with_for_update())
    db.session.refresh(record, ["state", "file_key"])
    if not ops.start_apply(record, current_user):
        message = (_("This import is being applied.") if record.state == RosterImportState.applying
                   else _("This import was applied already.") if record.state == RosterImportState.applied
                   else _("This preview's file was deleted after a day. Upload the zip again."))
        flash(message, "info")
        return redirect(url_for("roster_sync.show", org_id=org.id, import_id=record.id))
    db.session.commit()  # the job runs after this commit (inline in tests: before the redirect)
    db.session.refresh(record, ["state", "counts"])
    if record.state == RosterImportState.applied:
        if any(v for k, v in (record.counts or {}).items() if k not in ("skipped", "unchanged")):
            flash(_("The roster is imported."), "success")
        else:
            flash(_("Nothing to change: the organization already matches this file."), "info")
    elif record.state == RosterImportState.failed:
        flash(_("The import was not applied; nothing was changed. The problems are listed below."), "error")
    return redirect(url_for("roster_sync.show", org_id=org.id, import_id=record.id))
