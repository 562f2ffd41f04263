"""The merge pages name what moves in words (labels.py), never table or column names."""
from __future__ import annotations

import re

import sqlalchemy as sa

from lms.extensions import db
from lms.merge.labels import has_label, label
from lms.merge.operations import user_columns
from lms.merge.rules import RULES


def test_every_rule_has_a_label():
    from lms.merge.rules import NON_FK_REFERENCES

    missing = sorted(f"{t}.{c}" for t, c in (*RULES, *NON_FK_REFERENCES) if not has_label((t, c)))
    assert missing == [], f"add labels in lms/merge/labels.py for {missing}"
    assert label("grades.student_id") == "Grades" and label("grades.graded_by_id") == "Grades: given as grader"
    assert label("nothing_like_it.user_id") == "Other records"


def _visible_text(html: str) -> str:
    body = re.sub(r"<script.*?</script>|<style.*?</style>", "", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", body)


def test_preview_and_result_pages_show_labels_not_columns(klass, make, hw, client_as):
    merged = make.user("Student Again", "student.again@other.example")
    make.member(klass.circle, merged, display_name="Student Twice")
    task = hw.assignment(klass.circle, accepts="text")
    hw.submission(task, merged, text="mine")
    hw.grade(task, merged, score=5)
    admin = client_as(klass.admin)
    url = f"/merge/{klass.student.id}/{merged.id}"
    preview = _visible_text(admin.get(url).get_data(as_text=True))
    assert "Circle memberships" in preview and "Submissions (all versions)" in preview and "Grades" in preview
    columns = {f"{c.table.name}.{c.name}" for c in user_columns()} | {c.name for c in user_columns()}
    assert not [c for c in columns if re.search(rf"(?<![\w.]){re.escape(c)}(?![\w.])", preview)]
    done = admin.post(url, data={}, follow_redirects=True)
    text = _visible_text(done.get_data(as_text=True))
    assert "Accounts merged" in text and "Submissions (all versions):" in text
    assert not [c for c in columns if re.search(rf"(?<![\w.]){re.escape(c)}(?![\w.])", text)]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(type(merged)).where(
        type(merged).merged_into_id == klass.student.id)) == 1
    # the audit log page: the merge's counts in words, its undo data (row ids) not shown
    log = _visible_text(admin.get("/admin/audit").get_data(as_text=True))
    assert "Accounts merged" in log and "Circle memberships" in log and "Kept account" in log
    assert "_undo" not in log and "_report" not in log
    assert not [c for c in columns if re.search(rf"(?<![\w.]){re.escape(c)}(?![\w.])", log)]
