"""Account merge: site and org admins find likely duplicate accounts and merge two into one."""
from flask import Blueprint

bp = Blueprint("merge", __name__)


@bp.app_template_filter("merge_label")
def _merge_label(key) -> str:
    """A merge plan or report key ("grades.student_id") as people read it ("Grades")."""
    from lms.merge.labels import label

    return label(key)


@bp.record_once
def _describe_audit_details(state) -> None:
    """How the merge's audit records read on the log page."""
    from flask_babel import lazy_gettext as _l

    from lms.audit.registry import describe_details

    describe_details(state.app, labels={
        "kept": _l("Kept account"), "merged": _l("Merged account"), "kept_id": _l("Kept account's number"),
        "merged_id": _l("Merged account's number"), "moved": _l("Moved"),
        "conflicts": _l("Kept account already had one"), "restored": _l("Given back"),
        "merge_event_id": _l("Merge record"),
    })
