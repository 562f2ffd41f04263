"""Account merge: site and org admins find likely duplicate accounts and merge two into one."""
from flask import Blueprint

bp = Blueprint("merge", __name__)


@bp.app_template_filter("merge_label")
def _merge_label(key) -> str:
    """A merge plan or report key ("grades.student_id") as people read it ("Grades")."""
    from lms.merge.labels import label

    return label(key)
