"""The Files tab on a phone (390 px): the teacher uploads through the upload widget and adds the file
to a folder; a student opens the folder and downloads it as a ZIP holding the teacher's bytes."""
from __future__ import annotations

import uuid
import zipfile

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD
from tests.browser.test_phone_review_tables import _fits
from tests.browser.test_phone_review_tables import _phone as phone

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def files_class(live_server):
    """A teacher and a student in a circle with a folder "第一周 Handouts" holding a subfolder "Slides"."""
    from lms.accounts import operations as account_ops
    from lms.circles import operations as circle_ops
    from lms.circles.models import Role
    from lms.extensions import db
    from lms.files import operations as ops

    tag = uuid.uuid4().hex[:8]
    with live_server.app.app_context():
        teacher = account_ops.register_user(f"files-teacher-{tag}@example.org", PASSWORD, "Files Teacher")
        student = account_ops.register_user(f"files-student-{tag}@example.org", PASSWORD, "Files Student")
        circle = circle_ops.create_circle(teacher, f"Reading circle {tag}")
        circle_ops.add_member(circle, student, Role.student, actor=teacher)
        handouts = ops.create_folder(ops.root_folder(circle), teacher, "第一周 Handouts")
        ops.create_folder(handouts, teacher, "Slides")
        db.session.commit()
        world = {"teacher": teacher.email, "student": student.email,
                 "folder": f"/c/{circle.id}/files/f/{handouts.id}"}
        db.session.remove()
    return world


def _phone(chromium, live_server, email):
    return phone(chromium, live_server, email, locale="en-US", accept_downloads=True)


def test_teacher_uploads_and_a_member_downloads_the_folder(chromium, live_server, files_class, screenshots, tmp_path):
    """At 390 px: does the teacher's upload through the widget land in the folder, and does the student's
    "Download this folder (ZIP)" give a ZIP with that file and the empty subfolder?"""
    sheet = tmp_path / "reading list 阅读.txt"
    sheet.write_bytes("Week 1: 《红楼梦》 chapters 1-3\n".encode())
    context, teacher = _phone(chromium, live_server, files_class["teacher"])
    try:
        with screenshots.on_failure(teacher, "files-upload"):
            teacher.goto(files_class["folder"])
            _fits(teacher)
            teacher.locator("[data-uploader] input[type=file]").set_input_files(str(sheet))
            item = teacher.locator(".upload-item", has_text="reading list")
            expect(item).to_have_attribute("data-state", "ready", timeout=30_000)
            teacher.get_by_role("button", name="Add to this folder").click()
            expect(teacher.locator("[data-files-list] .files-file")).to_have_count(1)
            expect(teacher.locator("[data-files-list]")).to_contain_text("reading list 阅读.txt")
            _fits(teacher)
    finally:
        context.close()
    context, student = _phone(chromium, live_server, files_class["student"])
    try:
        with screenshots.on_failure(student, "files-download"):
            student.goto(files_class["folder"])
            expect(student.locator("[data-files-list]")).to_contain_text("reading list 阅读.txt")
            expect(student.locator("[data-uploader]")).to_have_count(0)
            _fits(student)
            with student.expect_download() as info:
                student.locator("[data-folder-zip]").click()
            saved = tmp_path / "folder.zip"
            info.value.save_as(saved)
            assert info.value.suggested_filename.endswith(".zip")
            with zipfile.ZipFile(saved) as archive:
                assert archive.read("第一周 Handouts/reading list 阅读.txt") == sheet.read_bytes()
                assert "第一周 Handouts/Slides/" in archive.namelist()
    finally:
        context.close()
