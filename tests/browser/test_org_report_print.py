"""The term report printed (issue 19, fresh-eyes trial): in Chinese the class table's headers were squeezed to one
character a line on the printed page."""
from __future__ import annotations

import math
import re

import pytest

from tests.browser.conftest import TIMEOUT_MS
from tests.browser.test_org_terms import _school, _sign_in

pytestmark = pytest.mark.browser

MM = 96 / 25.4  #: CSS px in a millimetre

#: the print stylesheet's @page rule: [size, left margin]
PAGE_RULE = """() => {
  const found = [];
  const walk = (rules, print) => { for (const r of rules) {
    if (r instanceof CSSMediaRule) walk(r.cssRules, print || r.media.mediaText.includes("print"));
    else if (r instanceof CSSPageRule) found.push(r.style);
  } };
  for (const sheet of document.styleSheets) { try { walk(sheet.cssRules, false); } catch (e) {} }
  const last = name => found.map(s => s.getPropertyValue(name)).filter(Boolean).pop() || "";
  return [last("size"), last("margin-left")];
}"""

#: the class table's headers a person reads (the visually-hidden one aside): text, lines, content width, font size
HEADERS = """() => Array.from(document.querySelectorAll("#report-classes table thead th"))
  .filter(th => !th.querySelector(".visually-hidden")).map(th => {
    const range = document.createRange();
    range.selectNodeContents(th);
    const tops = new Set(Array.from(range.getClientRects()).filter(r => r.width > 0).map(r => Math.round(r.top)));
    const style = getComputedStyle(th);
    return {text: th.innerText.trim(), lines: tops.size, em: parseFloat(style.fontSize),
            width: th.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight)};
  })"""

TABLE_WIDTH = "() => document.querySelector('#report-classes table').getBoundingClientRect().width"


def _printed_width(size: str, margin: str) -> int:
    """The printed page's content width in CSS px: A4 (the schools' paper) as the @page rule turns it, less its
    margins."""
    width = 297.0 if "landscape" in size else 210.0
    margin_mm = float(margin.removesuffix("mm")) if margin.endswith("mm") else 10.0
    return int((width - 2 * margin_mm) * MM)


def _print_layout(page, url: str) -> tuple[int, list[dict], float]:
    """Lay `url` out as printed: print media, the page as wide as the printed page's content."""
    page.goto(url)
    page.emulate_media(media="print")
    width = _printed_width(*page.evaluate(PAGE_RULE))
    page.set_viewport_size({"width": width, "height": 800})
    return width, page.evaluate(HEADERS), page.evaluate(TABLE_WIDTH)


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_the_printed_term_report_reads(live_server, chromium, screenshots, locale):
    """Printed on the page the print stylesheet asks for, does the class table fit the page's width (on an upright
    page it did not, in either language), with every header at least three characters wide (Chinese, which breaks
    between any two characters, had them one a line) and no English word broken?"""
    case = _school(live_server)
    context = chromium.new_context(base_url=live_server.url, locale=locale)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(3 * TIMEOUT_MS)
    page = context.new_page()
    try:
        with screenshots.on_failure(page, f"report-print-{locale}"):
            _sign_in(page, case["admin"])
            width, headers, table = _print_layout(page, f"/orgs/{case['org']}/terms/{case['autumn']}/report")
            assert table <= width, f"the table is {table} px wide on a printed page of {width} px"
            assert len(headers) > 15
            for h in headers:
                if locale == "zh-CN":  # at least three characters a line (the lines measured, whatever the font)
                    chars = len(re.sub(r"\s", "", h["text"]))
                    most = math.ceil(chars / min(chars, 3))
                    assert h["lines"] <= most, f"{h['text']!r} in {h['lines']} lines, {h['width']:.0f} px wide"
                else:
                    words = re.split(r"[\s-]+", h["text"])  # "Hand-in" may break after its hyphen
                    assert h["lines"] <= len(words), f"{h['text']!r} breaks a word ({h['lines']} lines)"
    finally:
        context.close()
