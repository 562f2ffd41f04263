"""The notice form's Markdown preview, and the author's own page (no "please confirm" to the author)."""
from __future__ import annotations

import pytest

from tests.fixtures.homework import later


def _preview(client, circle, text, **kwargs):
    return client.post(f"/circles/{circle.id}/notices/preview", data={"body_md": text}, **kwargs)


def test_the_preview_is_the_sanitized_html(klass, client_as):
    """Does a teacher's preview come back as members will see it: Markdown rendered, script and handlers gone?"""
    response = _preview(client_as(klass.teacher), klass.circle,
                        "# Trip\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n<script>alert(1)</script> [x](javascript:alert(2))")
    assert response.status_code == 200
    html = response.get_json()["html"]
    assert "<h1>Trip</h1>" in html and "<table>" in html
    assert "<script" not in html and "href=\"javascript" not in html and "&lt;script&gt;" in html


@pytest.mark.parametrize("who, status", [("owner", 200), ("teacher", 200), ("assistant", 403), ("student", 403), ("stranger", 404)])
def test_who_may_preview(klass, client_as, who, status):
    """Only those who may write notices preview; a student gets 403 and a stranger 404."""
    assert _preview(client_as(getattr(klass, who)), klass.circle, "Hello").status_code == status


def test_the_preview_needs_the_form_token(klass, client_as):
    """Is a preview without the CSRF token refused?"""
    response = _preview(client_as(klass.teacher), klass.circle, "Hello", csrf=False)
    assert response.status_code == 400 and "html" not in (response.get_json(silent=True) or {})


def test_the_form_offers_the_preview(klass, client_as):
    """Does the form carry the preview's button, box and address (the script shows the button)?"""
    page = client_as(klass.teacher).get(f"/circles/{klass.circle.id}/notices/new").get_data(as_text=True)
    assert "data-notice-preview" in page and "data-notice-preview-box" in page
    assert f'data-preview-url="/circles/{klass.circle.id}/notices/preview"' in page


def test_the_author_is_not_asked_to_confirm(klass, notices, client_as):
    """Does the author's page say members are asked to confirm by the deadline, while a student is asked
    to confirm it themselves?"""
    notice = notices.notice(klass.circle, klass.teacher, title="Rules", is_must_read=True, confirm_by=later(days=2))
    path = f"/circles/{klass.circle.id}/notices/{notice.id}"
    author = client_as(klass.teacher).get(path).get_data(as_text=True)
    assert "Please confirm you have read it by" not in author
    assert "Members are asked to confirm they have read it by" in author
    student = client_as(klass.student).get(path).get_data(as_text=True)
    assert "Please confirm you have read it by" in student


def test_notice_times_have_no_seconds(klass, notices, client_as):
    """Are the page's and the history's times shown without seconds (the app's short format)?"""
    import re

    notice = notices.notice(klass.circle, klass.teacher, title="Rules", body_md="One.")
    client = client_as(klass.teacher)
    for path in (f"/circles/{klass.circle.id}/notices/{notice.id}", f"/circles/{klass.circle.id}/notices/{notice.id}/history"):
        text = client.get(path).get_data(as_text=True)
        assert not re.search(r"\d{1,2}:\d{2}:\d{2}", text), path


def test_receipt_exports_are_named_after_the_notice(klass, notices, client_as):
    """Is the export named after the notice's title, with the ASCII fallback and RFC 6266's filename* for
    a Chinese title, and characters a file system refuses replaced?"""
    from urllib.parse import unquote

    notice = notices.notice(klass.circle, klass.teacher, title="期末/考试 安排", is_must_read=True)
    client = client_as(klass.teacher)
    for fmt in ("csv", "xlsx"):
        header = client.get(f"/circles/{klass.circle.id}/notices/{notice.id}/receipts.{fmt}").headers["Content-Disposition"]
        assert header.startswith('attachment; filename="') and "filename*=UTF-8''" in header
        assert unquote(header.split("filename*=UTF-8''")[1]) == f"期末_考试 安排 - read receipts.{fmt}"
    plain = notices.notice(klass.circle, klass.teacher, title="Trip rules")
    header = client.get(f"/circles/{klass.circle.id}/notices/{plain.id}/receipts.csv").headers["Content-Disposition"]
    assert header == 'attachment; filename="Trip rules - read receipts.csv"'
