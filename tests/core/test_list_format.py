"""Lists of names are written as the reader's language writes a list (Babel's format_list), never joined
with an English ", " ("Mei Chen 陈美, David Okafor" in a Chinese page)."""
from __future__ import annotations

import re

from flask_babel import force_locale
from markupsafe import Markup

from lms.circles import operations as circle_ops
from lms.circles.models import Role
from lms.core.i18n import format_names, format_some_names
from lms.extensions import db
from tests.orgs.school import build_school


def _teachers_cell(html: str, circle_id: int) -> str:
    row = re.search(rf'<tr id="class-{circle_id}".*?</tr>', html, flags=re.S).group(0)
    cell = re.search(r'<td data-label="[^"]*">(.*?)</td>', row, flags=re.S).group(1)
    cell = re.sub(r'<span class="avatar[^"]*"[^>]*>[^<]*</span>', "", cell)  # the letter avatar is hidden from readers
    return re.sub(r"<[^>]+>", "", cell)


def test_org_page_lists_a_class_teachers_as_the_language_does(make, client_as):
    """Two teachers of a class on the org page: "Tom Teacher and Tina Teacher" in English, "Tom Teacher、Tina
    Teacher" in simplified Chinese (the enumeration comma: CLDR's 和 read as part of a Chinese name, "陈美和David"),
    no ", " in either."""
    school = build_school(make)
    circle_ops.add_member(school.klass, school.teacher2, Role.teacher)
    db.session.commit()
    client = client_as(school.admin)
    english = _teachers_cell(client.get(f"/orgs/{school.org.id}").get_data(as_text=True), school.klass.id)
    assert english in ("Tom Teacher and Tina Teacher", "Tina Teacher and Tom Teacher")
    school.admin.locale = "zh_Hans"
    db.session.commit()
    chinese = _teachers_cell(client_as(school.admin).get(f"/orgs/{school.org.id}").get_data(as_text=True),
                             school.klass.id)
    assert chinese in ("Tom Teacher、Tina Teacher", "Tina Teacher、Tom Teacher")


def test_format_names_escapes_text_and_keeps_markup(app):
    """Plain items are escaped when any item is Markup; three items take the language's separators."""
    with app.test_request_context(), force_locale("zh_Hans"):
        assert format_names(["甲", "乙", "丙"]) == "甲、乙、丙"
        assert format_names(["陈美", "David Okafor"]) == "陈美、David Okafor"  # not 陈美和David: someone else
        joined = format_names([Markup("<b>A</b>"), "<script>"])
        assert isinstance(joined, Markup) and joined == "<b>A</b>、&lt;script&gt;"
    with app.test_request_context(), force_locale("en"):
        assert format_names([]) == ""
        assert format_some_names([f"P{n}" for n in range(12)], limit=2) == "P0, P1, and 10 others"


def test_no_template_joins_a_list_with_an_english_comma():
    """No template writes a list as "A, B" itself (`join(", ")`, or ", " between loop items): the `names`
    filter writes it as the language does."""
    from pathlib import Path

    templates = Path(__file__).resolve().parents[2] / "templates"
    pattern = re.compile(r"""join\(\s*["'],\s*["']\s*\)|if not loop\.last\s*%\}\s*,""")
    found = [str(path.relative_to(templates)) for path in sorted(templates.rglob("*.html"))
             if pattern.search(path.read_text("utf-8"))]
    assert found == []
    assert pattern.search("{% if not loop.last %}, {% endif %}") and pattern.search("|join(', ')")


def test_a_note_in_parentheses_takes_the_languages_parentheses(app):
    """A value pieced into parentheses in a template (a count, a role, an email) takes the reader's language's,
    spaced as it spaces them after text: " (3)" in English, "（3）" in Chinese, the value escaped unless it is
    Markup. A translated note with its own parentheses is spaced the same way (after_text)."""
    from lms.core.templating import after_text, parenthesized

    with app.test_request_context(), force_locale("en"):
        assert parenthesized(3) == " (3)" and parenthesized("<b>") == " (&lt;b&gt;)"
        assert after_text("(past)") == " (past)"
    with app.test_request_context(), force_locale("zh_Hans"):
        assert parenthesized(3) == "（3）" and parenthesized(Markup("<i>x</i>")) == "（<i>x</i>）"
        html = app.jinja_env.from_string("Cindy{{ n | parenthesized }}{{ '（已截止）' | after_text }}").render(n="a&b")
        assert html == "Cindy（a&amp;b）（已截止）"


def test_no_template_spaces_a_note_in_parentheses_itself():
    """No template puts a space of its own before a note in parentheses (`{{ x }} {{ y | parenthesized }}`, or a
    translated "(past)" after a space): the note brings the space its language wants, none before "（"."""
    import re
    from pathlib import Path

    templates = Path(__file__).resolve().parents[2] / "templates"
    spaced = re.compile(r"\s(?:<span[^>]*>)?(?:\{%[^-][^%]*%\})?\{\{[^}]*\|\s*(?:parenthesized|after_text)\b")
    bare = re.compile(r"""_\(["']\([^"']*\)["']\)\s*\}\}""")  # a translated "(…)" set without after_text
    found = [str(path.relative_to(templates)) for path in sorted(templates.rglob("*.html"))
             if spaced.search(text := path.read_text("utf-8")) or bare.search(text)]
    assert found == []
    assert spaced.search('{{ a }} <span class="muted">{{ b | parenthesized }}') and bare.search('{{ _("(past)") }}')
