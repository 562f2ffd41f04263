"""The "Foundation" journey in a real browser: a teacher opens a circle, a student joins it through an
invite link, the teacher finds the student on the roster and reads it in Chinese."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD

pytestmark = pytest.mark.browser


def register(page, live_server, name: str, email: str) -> None:
    """Fill the register form, then finish through the link mailed to `email` (in the same browser)."""
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your mail")
    page.goto(live_server.confirmation_path(email))
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Create my account").click()


def test_teacher_enrols_a_student_through_an_invite_link(live_server, new_context, screenshots):
    """Can a teacher create a circle that asks for real names, share an invite link, and then find the
    student who joined through it on the roster (display name, real name, number), in Chinese too?"""
    teacher_email = live_server.unique_email("teacher")
    circle_name = "Grade 8 English · Class 3"

    # -- the teacher registers, creates a circle and makes an invite link --------------------------
    teacher_ctx = new_context()
    teacher = teacher_ctx.new_page()
    with screenshots.on_failure(teacher, "teacher-creates-circle"):
        teacher.goto("/register")
        register(teacher, live_server, "Li Hua", teacher_email)
        expect(teacher.locator(".flash-success")).to_contain_text("Your account is ready.")
        teacher.get_by_role("link", name="Create a circle").click()
        teacher.get_by_label("Name", exact=True).fill(circle_name)
        teacher.get_by_label("Ask for the real name on joining").check()
        teacher.get_by_label("Ask for the student number on joining").check()
        teacher.get_by_role("button", name="Create", exact=True).click()
        expect(teacher).to_have_url(re.compile(r"/c/\d+$"))
        expect(teacher.get_by_role("heading", level=1)).to_have_text(circle_name)
        circle_url = teacher.url

    with screenshots.on_failure(teacher, "teacher-copies-invite"):
        teacher.locator("nav.tabs").get_by_role("link", name="Enrol").click()
        expect(teacher.get_by_role("heading", name="Invite links")).to_be_visible()
        teacher.get_by_role("button", name="Create an invite link").click()
        expect(teacher.locator(".flash-success")).to_contain_text("Invite link created.")
        link_field = teacher.locator("input.copy-field").first
        invite_url = link_field.input_value()
        assert re.fullmatch(re.escape(live_server.url) + r"/i/[\w-]{16,}", invite_url), invite_url
        try:
            teacher_ctx.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
        except PlaywrightError:
            pass  # this chromium cannot grant clipboard access: the link was read from the field
        else:
            copy = teacher.locator(f"#{link_field.get_attribute('id')} + button[data-copy]")
            # the "✓" lasts 1.5 s, which a loaded machine's polling can miss: record the labels it shows
            copy.evaluate("b => { window.shown = []; new MutationObserver(() => shown.push(b.textContent))"
                          ".observe(b, {childList: true, characterData: true, subtree: true}); }")
            copy.click()
            teacher.wait_for_function("() => shown.includes('✓')")
            assert teacher.evaluate("navigator.clipboard.readText()") == invite_url
        teacher.get_by_role("button", name="Sign out").click()
        expect(teacher.locator(".flash-info")).to_contain_text("You are signed out.")

    # -- the student opens the link in another browser, registers and joins -----------------------
    student = new_context().new_page()
    with screenshots.on_failure(student, "student-joins"):
        student.goto(invite_url)
        expect(student.get_by_role("heading", level=1)).to_have_text(f"You are invited to {circle_name}")
        student.get_by_role("link", name="Create an account").click()
        register(student, live_server, "Wang Xiaoming", live_server.unique_email("student"))
        expect(student.get_by_role("heading", level=1)).to_have_text(f"Join {circle_name}")
        student.get_by_label("Name shown in this circle").fill("Xiaoming W.")
        student.get_by_label("Real name").fill("王小明")
        student.get_by_label("Student number").fill("20270315")
        student.get_by_role("button", name="Join the circle").click()
        expect(student).to_have_url(circle_url)
        expect(student.locator(".flash-success")).to_have_text(f"Welcome to {circle_name}!")
        expect(student.get_by_role("heading", level=1)).to_have_text(circle_name)
        expect(student.locator(".member-name", has_text="Xiaoming W.")).not_to_have_count(0)

    # -- the teacher signs in again and finds the student on the roster ---------------------------
    with screenshots.on_failure(teacher, "teacher-sees-roster"):
        teacher.goto("/login")
        teacher.get_by_label("Email").fill(teacher_email)
        teacher.get_by_label("Password", exact=True).fill(PASSWORD)
        teacher.get_by_role("button", name="Sign in").click()
        expect(teacher.get_by_role("heading", level=1)).to_have_text("My circles")
        teacher.get_by_role("link", name=circle_name).click()
        teacher.locator("nav.tabs").get_by_role("link", name="Members").click()
        row = teacher.locator("table.roster tbody tr", has_text="Xiaoming W.")
        expect(row).to_have_count(1)
        expect(row).to_contain_text("王小明")
        expect(row).to_contain_text("20270315")
        expect(row).to_contain_text("Student")

    # -- ... and switches the interface to Chinese from the footer --------------------------------
    with screenshots.on_failure(teacher, "teacher-switches-to-chinese"):
        teacher.locator("#footer-locale").select_option("zh_Hans")  # app.js submits on change
        expect(teacher.locator("html")).to_have_attribute("lang", "zh-Hans")
        expect(teacher).to_have_url(re.compile(r"/c/\d+/members$"))
        expect(teacher.locator("nav.tabs")).to_contain_text("成员")
        expect(teacher.locator("nav.topnav")).to_contain_text("我的圈子")
        expect(teacher.locator("table.roster thead")).to_contain_text("真实姓名")
        expect(row).to_contain_text("学生")
        teacher.reload()  # the choice is kept
        expect(teacher.locator("html")).to_have_attribute("lang", "zh-Hans")
        screenshots.take(teacher, "members-zh")


def test_signing_out_keeps_its_message_and_sends_other_tabs_to_sign_in(live_server, new_context, screenshots):
    """Signing out in one tab ends the session everywhere: that tab shows "You are signed out." (its own
    session_ended event must not reload it over the sign-out answer) and another open tab of the same
    browser goes to the sign-in page by itself."""
    context = new_context()
    first = context.new_page()
    with screenshots.on_failure(first, "register"):
        first.goto("/register")
        register(first, live_server, "Wang Fang", live_server.unique_email("signout"))
        expect(first.locator(".flash-success")).to_contain_text("Your account is ready.")
    second = context.new_page()
    connected = "() => !!(window.Circles && Circles.socket && Circles.socket.connected())"
    with screenshots.on_failure(second, "second-tab-open"):
        second.goto("/")
        second.wait_for_function(connected)
    with screenshots.on_failure(first, "first-tab-signs-out"):
        first.goto("/")
        first.wait_for_function(connected)
        first.get_by_role("button", name="Sign out").click()
        expect(first.locator(".flash-info")).to_contain_text("You are signed out.")
        expect(first).to_have_url(re.compile(r"/login$"))
    with screenshots.on_failure(second, "second-tab-follows"):
        expect(second).to_have_url(re.compile(r"/login\?next=%2F$|/login$"))
        expect(second.get_by_role("heading", level=1)).to_have_text("Sign in")
