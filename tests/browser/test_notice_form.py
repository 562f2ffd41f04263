"""The notice form in a real browser: the Markdown preview, and removing a file uploaded in the form."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_homework_journey import sign_in
from tests.browser.test_notices import _people

pytestmark = pytest.mark.browser


def test_preview_and_remove_an_upload(live_server, new_context, screenshots, tmp_path):
    people = _people(live_server)
    teacher = sign_in(new_context, people["teacher"])
    with screenshots.on_failure(teacher, "preview"):
        teacher.goto(f"/circles/{people['circle_id']}/notices/new")
        teacher.get_by_label("Title").fill("Term plan")
        teacher.get_by_label("Text (Markdown)").fill("# Week 1\n\nSee https://example.org/plan\n\n<script>window.bad=1</script>")
        teacher.get_by_role("button", name="Preview").click()
        box = teacher.locator("[data-notice-preview-box]")
        expect(box.get_by_role("heading", name="Week 1")).to_be_visible()
        expect(box.get_by_role("link", name="https://example.org/plan")).to_have_attribute("rel", "noopener noreferrer nofollow")
        expect(box).to_contain_text("<script>window.bad=1</script>")  # shown as text, never run
        assert teacher.evaluate("() => window.bad") is None

    with screenshots.on_failure(teacher, "remove"):
        sheet = tmp_path / "seating.txt"
        sheet.write_text("row 1: Mei, Wu\n")
        teacher.locator("[data-uploader] input[type=file]").set_input_files(str(sheet))
        item = teacher.locator(".upload-item", has_text="seating.txt")
        remove = item.get_by_role("button", name="Remove")
        expect(remove).to_be_visible(timeout=30_000)
        expect(teacher.locator("input[type=hidden][name=file_id]")).to_have_count(1)
        remove.click()
        expect(item).to_have_count(0)
        expect(teacher.locator("input[name=file_id]")).to_have_count(0)
        teacher.get_by_role("button", name="Post notice").click()
        expect(teacher.get_by_role("heading", level=2)).to_contain_text("Term plan")
        expect(teacher.get_by_role("heading", name="Attachments")).to_have_count(0)
