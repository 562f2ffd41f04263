"""Account merge in a browser: the site admin finds a likely duplicate pair, reads the preview (in words,
with what cannot be undone), confirms in the dialog, reads the result, and undoes the merge."""
from __future__ import annotations

import uuid

import pytest

from tests.browser.conftest import PASSWORD

pytestmark = pytest.mark.browser


def _duplicate_pair(live_server) -> dict:
    """Two accounts of one student: the same real name and student number in two circles."""
    from lms.accounts import operations as account_ops
    from lms.circles.models import Role
    from lms.circles.operations.circles import create_circle
    from lms.circles.operations.membership import add_member
    from lms.extensions import db

    tag = uuid.uuid4().hex[:8]
    with live_server.app.app_context():
        teacher = account_ops.register_user(f"teach-{tag}@example.org", PASSWORD, "Tess Teach")
        first = account_ops.register_user(f"mia-{tag}@school.example", PASSWORD, "Mia Wong")
        second = account_ops.register_user(f"mia.w-{tag}@home.example", PASSWORD, "Mia W")
        for name, user in ((f"Maths {tag}", first), (f"Art {tag}", second)):
            circle = create_circle(teacher, name)
            add_member(circle, user, Role.student, real_name="Mia Wong", student_no=f"N-{tag}")
        db.session.commit()
        found = {"first": first.id, "second": second.id, "first_email": first.email,
                 "second_email": second.email}
        db.session.remove()
    return found


def test_admin_merges_a_duplicate_pair_and_undoes_it(live_server, new_context, screenshots):
    pair = _duplicate_pair(live_server)
    page = new_context().new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto("/login")
    page.fill("input[name=email]", "admin@example.org")
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(lambda url: "/login" not in url)

    page.goto("/merge/")
    review = f"/merge/{pair['first']}/{pair['second']}"
    row = page.locator("#duplicates tr", has=page.locator(f"a[href='{review}']"))
    with screenshots.on_failure(page, "duplicates"):
        assert "Same real name and student number" in row.inner_text()
    row.locator(f"a[href='{review}']").click()
    page.wait_for_url(f"**{review}")
    with screenshots.on_failure(page, "preview"):
        assert pair["first_email"] in page.locator("#kept").inner_text()
        assert pair["second_email"] in page.locator("#merged").inner_text()
        plan = page.locator("#plan").inner_text()
        assert "Circle memberships" in plan and "memberships.user_id" not in plan
        assert "open sessions end" in page.locator("#irreversible").inner_text()
    page.locator("form button.danger").click()  # the dialog asks; accepted above
    page.wait_for_url("**/merge/done/**")
    with screenshots.on_failure(page, "result"):
        assert pair["second_email"] in page.locator("#summary").inner_text()
        assert "Circle memberships:" in page.locator("#moved").inner_text()
    page.locator("#undo a.button").click()  # the undo asks first, listing what it puts back
    page.wait_for_url("**/undo")
    with screenshots.on_failure(page, "undo-confirm"):
        assert "Circle memberships:" in page.locator("#undo-plan").inner_text()
    page.locator("form button.danger").click()
    page.wait_for_url(lambda url: url.endswith("/merge/"))
    with screenshots.on_failure(page, "undone"):
        assert "is a separate account again" in page.locator(".flashes").inner_text()
        assert page.locator(f"a[href='{review}']").count() == 1  # the pair is listed again

    from lms.accounts.models import User
    from lms.extensions import db
    with live_server.app.app_context():
        second = db.session.get(User, pair["second"])
        assert not second.is_disabled and second.merged_into_id is None
        db.session.remove()
