"""What a trial of the report dialog found: its quote of the reported message ("Name: “words”") was joined in
code with English punctuation, so a Chinese page read 李浩然: “…” whatever the catalog said. It is one message
now, and the page's catalog writes it (here a Traditional Chinese form with 「」)."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_chat_fresh_eyes import _sign_in, klass  # noqa: F401 (the fixture)

pytestmark = pytest.mark.browser


def test_the_report_dialogs_quote_is_written_by_the_catalog(new_context, klass, screenshots):  # noqa: F811
    yunni = _sign_in(new_context().new_page(), klass["yunni"], klass["path"])
    with screenshots.on_failure(yunni, "report-quote-catalog"):
        yunni.evaluate("""() => {
            window.Circles.catalog = window.Circles.catalog || {};
            window.Circles.catalog.messages = window.Circles.catalog.messages || {};
            window.Circles.catalog.messages["%(name)s: “%(text)s”"] = "%(name)s：「%(text)s」";
        }""")
        message = yunni.locator(".chat-message").filter(has_text="message 38")
        message.locator("[data-report-kind]").click()
        expect(yunni.locator(".report-dialog [data-report-what]")).to_have_text("李浩然：「message 38」")
