"""The file for Moodle's "Import grades from CSV file" (grade/import/csv).

Every rule below comes from Moodle's importer (moodle/moodle: grade/import/csv/classes/load_data.php,
grade/import/lib.php, grade/import/grade_import_form.php, lib/grade/grade_item.php, lib/csvlib.class.php);
tests/grading/test_export_importers.py runs each file through a port of those rules.

- The teacher maps one column to a user field: e-mail (the default: every account has one) or ID
  number (the student number). Moodle skips a row whose mapping cell is empty and puts its grades on
  the previous row's student, so the export is refused while the chosen column is empty, repeated,
  or would be read differently (a formula guard) for any student.
- Each assignment column is mapped by hand to a new or an existing grade item. A new item gets the
  site's default maximum grade ($CFG->gradepointdefault, 100 unless changed) and no maximum is read
  from the file; an existing item keeps its maximum and clamps the value to it. So "percent" (the
  default) writes 100 × score / points, right for new items; "points" writes the score and names the
  maximum in the header ("[max 10]"), for existing items with that maximum. Moodle refuses the whole
  import when a value is above 100 ($CFG->gradepointmax only with unlimited grades), so points above
  100 are refused here.
- Ungraded work: `-` (no grade; on an existing item Moodle empties that grade, on a new item it stays
  empty) or 0. An empty cell would become 0 on a new item, so it is never written. Moodle has no
  "excused" in this import: excused work is `-`.
- PHP's CSV reader treats a backslash before a quote as an escape inside quoted fields, which shifts
  every later column: such backslashes in names and titles are written as "＼".
- A header "Last downloaded from this course" starts Moodle's export-date check: marked "(assignment)".
- "First name" and "Last name" are Moodle's user fields firstname (the given name) and lastname (the family
  name), as its own grade export writes them; the importer matches by the mapped column only. The name is
  the member's real name when the circle has one, else their display name, split by `split_name`.
"""
from __future__ import annotations

from typing import Iterator

from flask_babel import gettext as _

from lms.core.i18n import format_names, format_some_names
from lms.core.spreadsheet import needs_guard, safe_text
from lms.grading.exports.cells import number, one_line, unique
from lms.grading.exports.options import ExportOptions, ExportRefused
from lms.grading.exports.table import Mark, Table

#: get_string('timeexported', 'gradeexport_txt') in English.
TIME_EXPORTED = "Last downloaded from this course"
#: Largest value Moodle's import accepts without "unlimited grades" (load_data.php insert_grade_record).
GRADE_POINT_MAXIMUM = 100
IDENTITY = ["First name", "Last name", "ID number", "Email address"]


#: Chinese family names of two characters (复姓), simplified and traditional: a name written without spaces that
#: starts with one of these has it as its family name (欧阳娜娜: 欧阳 + 娜娜); any other starts with a
#: one-character family name (张云妮: 张 + 云妮). Only the usual ones, whose first character is rarely a family
#: name of its own followed by a given name starting with the second.
COMPOUND_SURNAMES = frozenset("""
    欧阳 歐陽 司马 司馬 诸葛 諸葛 上官 东方 東方 皇甫 尉迟 尉遲 公孙 公孫 慕容 长孙 長孫 宇文 司徒 夏侯 轩辕 軒轅
    令狐 钟离 鍾離 鐘離 端木 西门 西門 南宫 南宮 澹台 澹臺 公冶 宗政 濮阳 濮陽 淳于 太叔 申屠 闻人 聞人 赫连 赫連
    呼延 百里 第五 万俟 萬俟 独孤 獨孤 拓跋 司空 左丘 闾丘 閭丘 东郭 東郭 南门 南門 羊舌 微生 公羊 公西 漆雕 巫马 巫馬
    """.split())
#: Korean family names of two syllables (남궁민수: 남궁 + 민수); others have one.
KOREAN_COMPOUND_SURNAMES = frozenset("남궁 황보 제갈 선우 독고 사공 서문".split())
#: The dots between the parts of a name transliterated into Chinese or Japanese (阿卜杜拉·买买提).
_NAME_DOTS = str.maketrans({"·": " ", "・": " ", "•": " ", "‧": " "})


def _script(name: str) -> str | None:
    """"han" for a name of Chinese characters only, "hangul" for Korean syllables only, else None (Latin and
    other scripts, or Japanese with kana)."""
    if all("\u4e00" <= c <= "\u9fff" or "\u3400" <= c <= "\u4dbf" or "\uf900" <= c <= "\ufaff"
           or "\U00020000" <= c <= "\U0003134f" for c in name):
        return "han"
    if all("\uac00" <= c <= "\ud7a3" for c in name):
        return "hangul"
    return None


def split_name(name: str) -> tuple[str, str]:
    """(first name, last name) as Moodle's user fields hold them: the given name, and the family name.

    - Chinese or Korean written without spaces (张云妮, 欧阳娜娜, 김민수): the family name comes first, one
      character, or two for the compound family names above (张 + 云妮, 欧阳 + 娜娜).
    - Words (Ada Lovelace; also 阿卜杜拉·买买提 and ジョン・スミス, whose dots part the words): the last word is
      the family name.
    - One word of any other script (Prince, or Japanese with kana): all of it is the first name, and the last
      name is empty. (A Japanese name in kanji alone cannot be told from a Chinese one and is read as one.)"""
    text = one_line(one_line(name).translate(_NAME_DOTS))
    if " " in text:
        first, last = text.rsplit(" ", 1)
        return first, last
    script = _script(text) if len(text) >= 2 else None
    if script is not None:
        compounds = COMPOUND_SURNAMES if script == "han" else KOREAN_COMPOUND_SURNAMES
        cut = 2 if len(text) > 2 and text[:2] in compounds else 1
        return text[cut:], text[:cut]
    return text, ""


def _text(value: str) -> str:
    text = safe_text(value)
    if "\\" in text and any(c in text for c in ',"\r\n'):
        text = text.replace("\\", "＼")
    return text


def header(title: str, points: float, scale: str) -> str:
    text = one_line(title)
    if text == TIME_EXPORTED:
        text = f"{text} (assignment)"
    if scale == "points":
        text = f"{text} [max {number(points)}]"
    return text


def _value(mark: Mark, points: float, options: ExportOptions) -> str:
    if mark.score is None:
        return "0" if options.blanks == "zero" and not mark.excused else "-"
    if options.scale == "points":
        return number(mark.score, 5)
    return number(100 * mark.score / points, 5) if points else "0"


def rows(table: Table, options: ExportOptions) -> Iterator[list[str]]:
    """The file's rows, header first. Raises ExportRefused (see the module docstring)."""
    key = (lambda s: s.email) if options.match == "email" else (lambda s: s.student_no)
    seen: dict[str, str] = {}
    bad = []
    for s in table.students:
        value = key(s)
        if not value or needs_guard(value) or value != value.strip() or "\\" in value or value in seen:
            bad.append(s.name)
        seen.setdefault(value, s.name)
    if bad:
        if options.match == "student_no":
            message = _("Moodle matches students by the column you map, and a row whose student number is "
                        "empty or repeated would go to another student. Missing or repeated for: %(names)s. "
                        "Fill them in, or match by e-mail address.", names=format_some_names(bad))
        else:
            message = _("These students' e-mail addresses cannot identify them in Moodle: %(names)s.",
                        names=format_some_names(bad))
        raise ExportRefused(message, bad)
    if options.scale == "points":
        over = [c.title for c in table.columns if c.points > GRADE_POINT_MAXIMUM]
        if over:
            raise ExportRefused(_("Moodle refuses values above %(max)d, and %(titles)s is worth more points. "
                                  "Export percentages instead.", max=GRADE_POINT_MAXIMUM,
                                  titles=format_names(over)))
    titles = unique([_text(header(c.title, c.points, options.scale)) for c in table.columns], taken=set(IDENTITY))
    yield IDENTITY + titles
    for s in table.students:
        first, last = split_name(s.name)
        number_cell, email_cell = (s.student_no, _text(s.email)) if options.match == "student_no" else \
            (_text(s.student_no), s.email)
        yield [_text(first), _text(last), number_cell, email_cell] + \
            [_value(m, c.points, options) for m, c in zip(s.marks, table.columns)]
