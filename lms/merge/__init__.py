"""Account merge: site and org admins find likely duplicate accounts and merge two into one."""
from flask import Blueprint

bp = Blueprint("merge", __name__)


@bp.app_template_filter("merge_label")
def _merge_label(key) -> str:
    """A merge plan or report key ("grades.student_id") as people read it ("Grades")."""
    from lms.merge.labels import label

    return label(key)


@bp.app_template_global("merged_grade_conflicts")
def _merged_grade_conflicts(circle) -> int:
    """How many grade pairs a merge left in `circle` for the signed-in grader to choose (0 for others):
    the gradebook and SpeedGrader show a banner linking to the circle's merged-grades page while any remain."""
    from flask_login import current_user

    from lms.merge.grades import open_conflicts

    if not current_user.is_authenticated or not circle.can_manage_members(current_user):
        return 0
    return len(open_conflicts(circle, current_user))


@bp.record_once
def _describe_audit_details(state) -> None:
    """How the merge's audit records read on the log page."""
    from flask_babel import lazy_gettext as _l

    from lms.audit.registry import describe_details

    describe_details(state.app, labels={
        "kept": _l("Kept account"), "merged": _l("Merged account"), "kept_id": _l("Kept account's ID"),
        "merged_id": _l("Merged account's ID"), "moved": _l("Moved"),
        "conflicts": _l("Kept account already had one"), "restored": _l("Given back"),
        "merge_event_id": _l("Merge record"),
    })
