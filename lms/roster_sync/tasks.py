"""Roster sync jobs: apply a previewed import in the background; purge the zips of previews never applied."""
from __future__ import annotations

from flask import current_app
from flask_babel import force_locale, gettext as _

from lms.accounts.models import User
from lms.core.i18n import recipient_locale
from lms.extensions import db
from lms.jobs import delete_stored_after_commit
from lms.roster_sync import operations as ops
from lms.roster_sync.models import RosterImport, RosterImportState
from lms.roster_sync.oneroster import Problem, RosterFileError, read_roster_zip
from lms.roster_sync.progress import clear_progress, set_progress
from lms.storage import get_storage


def apply_roster_import(import_id: int, actor_id: int) -> None:
    """Task: apply import `import_id` for `actor_id` (who pressed Apply) in one transaction, telling the
    progress store as it goes. A row that cannot be applied (or a zip that no longer reads) rolls everything
    back and marks the import failed with the problems, in the actor's language. Does nothing unless the
    import is marked applying (a second run of the same job)."""
    record = db.session.get(RosterImport, import_id)
    actor = db.session.get(User, actor_id)
    if record is None or record.state != RosterImportState.applying or record.file_key is None:
        return
    org = record.org
    key = record.file_key
    locale = recipient_locale(actor) if actor is not None else None
    with force_locale(locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        try:
            if actor is None or not org.can_manage(actor):
                raise RosterFileError([Problem(record.file_name, None, None,
                                               _("The person who applied it may no longer manage the organization."))])
            set_progress(import_id, 0, max(1, record.changes))
            with get_storage().local_path(key, suffix=".zip") as path:
                try:
                    roster = read_roster_zip(path, name=record.file_name, known=ops.known_sourced_ids(org))
                except RosterFileError as error:
                    # the zip no longer reads against what is linked now: applying it again cannot help
                    error.retry = False
                    raise
                ops.apply_import(org, roster, actor, record,
                                 progress=lambda done, total: set_progress(import_id, done, total))
        except RosterFileError as error:
            db.session.rollback()
            failed = db.session.get(RosterImport, import_id)
            ops.fail_apply(failed, error.problems)
            if getattr(error, "retry", True) is False and failed.file_key is not None:
                delete_stored_after_commit(failed.file_key)
                failed.file_key = None
            db.session.commit()
            clear_progress(import_id)
            return
        except Exception:
            db.session.rollback()
            ops.fail_apply(db.session.get(RosterImport, import_id), [Problem(
                record.file_name, None, None, _("Something went wrong while applying it; nothing was changed. "
                                                "Try again, or ask the site's administrator."))])
            db.session.commit()
            clear_progress(import_id)
            raise
    record.file_key = None
    delete_stored_after_commit(key)
    db.session.commit()
    clear_progress(import_id)


def purge_roster_previews() -> None:
    """Task (periodic): delete the zips of previews nobody applied within a day."""
    ops.purge_previews()
