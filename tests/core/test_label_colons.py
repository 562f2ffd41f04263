"""A label's colon belongs inside its translated string ("评分标准：", with Chinese's full-width colon), never
printed after it by the template ("评分标准: 0 / 20")."""
from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
#: {{ _("Rubric") }}:   {{ _('Line %(num)d', num=line) }}:   {{ label }}:
COLON_AFTER = re.compile(r"""\{\{\s*(?:_|gettext)\((?:[^{}]|\{[^{}]*\})*?\)\s*\}\}\s*[:：]|\{\{\s*label\s*\}\}\s*:""")


def test_no_template_prints_a_colon_after_a_translated_label():
    found = [f"{path.relative_to(TEMPLATES)}:{text[:m.start()].count(chr(10)) + 1}: {m.group(0)}"
             for path in sorted(TEMPLATES.rglob("*.html")) for text in [path.read_text("utf-8")]
             for m in COLON_AFTER.finditer(text)]
    assert found == []


def test_the_check_sees_the_pattern_it_looks_for():
    """The pattern catches the forms it was written for (so the check above cannot pass by matching nothing)."""
    for sample in ('{{ _("Rubric") }}: <output>', "{{ _('Line %(num)d', num=line) }}: {{ email }}",
                   '<span>{{ label }}:</span>'):
        assert COLON_AFTER.search(sample), sample
    assert not COLON_AFTER.search('{{ _("Rubric: %(score)s", score=x) }}')
