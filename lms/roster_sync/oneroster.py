"""OneRoster 1.2 CSV binding: read and check a roster zip (manifest, orgs, academicSessions, classes,
users, enrollments) into plain records. Plain functions over a zip path; no models, no database."""
from __future__ import annotations

import csv
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import lazy_gettext as _l

#: Largest zip accepted (the upload is refused beyond it, before it is opened).
MAX_ZIP_BYTES = 50 * 1024 * 1024
#: Largest total of the files once unpacked, and the largest ratio of a file's unpacked to packed size:
#: beyond either the zip is treated as a zip bomb and not opened.
MAX_UNPACKED_BYTES = 500 * 1024 * 1024
MAX_RATIO = 200
#: Reading stops after this many problems (the list names them; the rest would repeat them).
MAX_PROBLEMS = 50

MANIFEST = "manifest.csv"
#: the data files this import reads, in the order they are checked
FILES = ("orgs.csv", "academicSessions.csv", "classes.csv", "users.csv", "enrollments.csv")
MODES = ("bulk", "delta", "absent")
STATUSES = ("active", "tobedeleted")
ORG_TYPES = ("department", "school", "district", "local", "state", "national")
SESSION_TYPES = ("gradingPeriod", "semester", "schoolYear", "term")
CLASS_TYPES = ("homeroom", "scheduled")
#: 1.2's enrollment roles, and "aide" of 1.1, which schools still send
ENROLLMENT_ROLES = ("administrator", "aide", "proctor", "student", "teacher")
BOOLEANS = ("true", "false")

#: columns whose values must be given (each must be in the heading), per file; 1.2 tables
REQUIRED = {
    "orgs.csv": ("sourcedId", "name", "type"),
    "academicSessions.csv": ("sourcedId", "title", "type", "startDate", "endDate", "schoolYear"),
    "classes.csv": ("sourcedId", "title", "courseSourcedId", "classType", "schoolSourcedId", "termSourcedIds"),
    "users.csv": ("sourcedId", "enabledUser", "givenName", "familyName"),
    "enrollments.csv": ("sourcedId", "classSourcedId", "schoolSourcedId", "userSourcedId", "role"),
}
#: a sourcedId: GUID-like, printable ASCII without spaces, commas or quotes
_SOURCED_ID = re.compile(r"[!#-+\--~]{1,255}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_YEAR = re.compile(r"\d{4}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@dataclass
class Problem:
    """Why the zip cannot be imported: the file, its line (1 is the heading) and column, if known."""
    file: str
    line: int | None
    column: str | None
    message: str


class RosterFileError(ValueError):
    """The zip or one of its files is not a OneRoster 1.2 CSV set we can import; `problems` say where."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(f"{p.file}:{p.line}:{p.column}: {p.message}" for p in problems))
        self.problems = problems


@dataclass
class Record:
    """One row of a data file: its sourcedId, line, whether it is to be deleted, and the cells used."""
    sourced_id: str
    line: int
    deleted: bool
    values: dict[str, str]

    def __getitem__(self, column: str) -> str:
        return self.values.get(column, "")


@dataclass
class RosterSet:
    """What a zip says: each file's mode (bulk, delta or absent) and its records by sourcedId."""
    version: str
    modes: dict[str, str]
    records: dict[str, dict[str, Record]] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)  #: files present but not read (courses.csv...)

    def mode(self, name: str) -> str:
        return self.modes.get(name, "absent")

    def of(self, name: str) -> dict[str, Record]:
        return self.records.get(name, {})


class _Stop(Exception):
    """Stop reading: too many problems, or a file that cannot be read to its end."""


class _Checker:
    def __init__(self):
        self.problems: list[Problem] = []

    def add(self, file: str, line: int | None, column: str | None, message) -> None:
        self.problems.append(Problem(file, line, column, str(message)))
        if len(self.problems) >= MAX_PROBLEMS:
            raise _Stop

    def raise_if_any(self) -> None:
        if self.problems:
            raise RosterFileError(self.problems)


def read_roster_zip(path, *, name: str = "roster.zip", known: dict[str, set[str]] | None = None) -> RosterSet:
    """Read and check the OneRoster CSV zip at `path` (`name`: the uploaded file's name, for messages).

    `known` holds the sourcedIds earlier imports linked ({"classes.csv": {...}, "users.csv": {...}}), so a
    delta enrollment may point to a class or user the file does not carry. Rows are streamed; the
    zip's entries are checked for unsafe names and zip bombs before any is read.
    Raises RosterFileError listing every problem found (file, line, column), at most MAX_PROBLEMS.
    """
    check = _Checker()
    try:
        try:
            archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError):
            check.add(name, None, None, _l("This is not a zip file. Upload the OneRoster CSV files zipped together."))
            check.raise_if_any()
        with archive:
            entries = _check_entries(archive, name, check)
            check.raise_if_any()
            roster = _read_manifest(archive, entries, check)
            check.raise_if_any()
            for file in FILES:
                if roster.mode(file) != "absent":
                    roster.records[file] = _read_file(archive, entries[file], file, roster.mode(file), check)
            if not check.problems:  # a row refused above would show again as a reference to nothing
                _check_references(roster, known or {}, check)
    except _Stop:
        pass
    check.raise_if_any()
    return roster


def _check_entries(archive: zipfile.ZipFile, name: str, check: _Checker) -> dict[str, zipfile.ZipInfo]:
    """The zip's files by name, after refusing unsafe names, encrypted files and zip bombs."""
    entries: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for info in archive.infolist():
        filename = info.filename
        parts = filename.replace("\\", "/").split("/")
        if filename.startswith(("/", "\\")) or ".." in parts or re.match(r"[A-Za-z]:", filename) or "\x00" in filename:
            check.add(name, None, None, _l("The zip holds a file with an unsafe name (%(file)s). Nothing was read.",
                                           file=filename[:120]))
            continue
        if info.is_dir():
            continue
        if info.flag_bits & 0x1:
            check.add(name, None, None, _l("%(file)s is encrypted. Upload the files without a password.",
                                           file=filename[:120]))
            continue
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if total > MAX_UNPACKED_BYTES or (info.file_size > 1024 * 1024 and ratio > MAX_RATIO):
            check.add(name, None, None, _l("The zip unpacks to far more than it holds (a zip bomb?). Nothing was read."))
            return entries
        entries[parts[-1] if len(parts) == 1 else filename] = info
    if MANIFEST not in entries and not check.problems:
        if any(key.endswith("/" + MANIFEST) for key in entries):
            check.add(MANIFEST, None, None, _l("manifest.csv is inside a folder of the zip. Zip the CSV files "
                                               "themselves, not the folder holding them."))
        else:
            check.add(MANIFEST, None, None, _l("The zip has no manifest.csv: it is not a OneRoster CSV set."))
    return entries


class _BadEncoding(Exception):
    def __init__(self, line: int, data: bytes = b""):
        self.line = line
        self.data = data


def _csv_reason(error: csv.Error):
    """What Python's csv module found wrong, in the reader's words (its own message is English and cryptic)."""
    text = str(error).lower()
    if "unexpected end of data" in text or "eof" in text:
        return _l("A quoted value is not closed: it opens with \" on this line, and no \" ends it before the "
                  "file ends.")
    if "expected after" in text:
        return _l("A quote is misplaced: inside a quoted value write a \" twice (\"\"), and follow the closing \" "
                  "with a comma or the end of the line.")
    if "field larger than field limit" in text:
        return _l("A value is far too long (a quote left open can swallow the lines after it).")
    if "nul" in text:
        return _l("The line holds a NUL character: this is not CSV text.")
    if "new-line character" in text:
        return _l("A line break inside a value is not inside quotes.")
    return _l("The line is not valid CSV.")


def _encoding_hint(data: bytes):
    """The message for a line that is not UTF-8, naming the likely encoding when one fits."""
    for name, label in (("gb18030", "GB18030 / GBK"), ("big5", "Big5"), ("shift_jis", "Shift-JIS")):
        try:
            data.decode(name)
        except UnicodeDecodeError:
            continue
        if any(byte >= 0x80 for byte in data):
            return _l("The file is not UTF-8 text (it looks like %(encoding)s). Export it again as CSV in UTF-8.",
                      encoding=label)
    return _l("The file is not UTF-8 text. Export it again as CSV in UTF-8.")


def _utf8_lines(raw):
    """The file's lines decoded one by one as UTF-8 (a byte order mark dropped), so a line that is not
    UTF-8 is named exactly (a decoder over the whole stream only knows which chunk failed)."""
    for number, data in enumerate(raw, start=1):
        if number == 1 and data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        try:
            yield data.decode("utf-8")
        except UnicodeDecodeError:
            raise _BadEncoding(number, data) from None


def _rows(archive, info, file: str, check: _Checker):
    """(line, heading, cells) of each row after the heading; decoding and CSV errors become problems."""
    return csv_rows(archive.open(info), file, check)


def csv_rows(raw, file: str, check: _Checker):
    """(line, heading, cells) of each row of the binary stream `raw` (a CSV file in UTF-8, with or without a
    byte order mark), first (1, heading, None); an empty line is skipped, a line with another number of cells
    than the heading, a column named twice, text that is not UTF-8 (naming the likely encoding) and broken
    quoting become problems of `check` (a _Checker: file, line, column), in the reader's words. Also read by
    the organizations' CSV bulk add (lms/orgs/console/bulk.py)."""
    reader = csv.reader(_utf8_lines(raw), strict=True)
    line = 1
    try:
        heading = [cell.strip() for cell in next(reader, [])]
        if not heading or not any(heading):
            check.add(file, 1, None, _l("The file is empty: its first line must name the columns."))
            return
        seen = set()
        for column in heading:
            if column in seen:
                check.add(file, 1, column, _l("The column is named twice."))
            seen.add(column)
        yield 1, heading, None
        while True:
            line = reader.line_num + 1  # where the next row starts (a quoted value may span lines)
            cells = next(reader, None)
            if cells is None:
                break
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(heading):
                check.add(file, line, None, _l("The line has %(found)d cells; the heading names %(expected)d.",
                                               found=len(cells), expected=len(heading)))
                continue
            yield line, heading, cells
    except _BadEncoding as error:
        check.add(file, error.line, None, _encoding_hint(error.data))
        raise _Stop from None  # the rest of the file is unread: what it held would show as knock-on errors
    except csv.Error as error:
        check.add(file, line, None, _csv_reason(error))
        raise _Stop from None


def _read_manifest(archive, entries, check: _Checker) -> RosterSet:
    """The manifest's properties: versions and each data file's mode; files it names must be in the zip."""
    properties: dict[str, tuple[str, int]] = {}
    for line, heading, cells in _rows(archive, entries[MANIFEST], MANIFEST, check):
        if cells is None:
            if heading[:2] != ["propertyName", "value"]:
                check.add(MANIFEST, 1, None, _l("The first line must be “propertyName,value”."))
                return RosterSet("", {})
            continue
        prop, value = cells[0].strip(), cells[1].strip()
        if prop in properties:
            check.add(MANIFEST, line, "propertyName", _l("%(name)s is also on line %(line)d.", name=prop,
                                                         line=properties[prop][1]))
        properties[prop] = (value, line)
    manifest_version, manifest_line = properties.get("manifest.version", ("", None))
    if manifest_version != "1.0":
        check.add(MANIFEST, manifest_line, "value", _l("manifest.version must be 1.0, not “%(value)s”.",
                                                       value=manifest_version[:20]))
    version, version_line = properties.get("oneroster.version", ("", None))
    if version not in ("1.1", "1.2"):
        check.add(MANIFEST, version_line, "value", _l("oneroster.version must be 1.2 (or 1.1), not “%(value)s”.",
                                                      value=version[:20]))
    modes: dict[str, str] = {}
    for prop, (value, line) in properties.items():
        if not prop.startswith("file."):
            continue
        file = prop[len("file."):] + ".csv"
        if value not in MODES:
            check.add(MANIFEST, line, "value", _l("%(name)s must be bulk, delta or absent, not “%(value)s”.",
                                                  name=prop, value=value[:20]))
            continue
        modes[file] = value
        if value != "absent" and file not in entries:
            check.add(MANIFEST, line, "value", _l("The manifest lists %(file)s as %(mode)s, but the zip has no such file.",
                                                  file=file, mode=value))
        if value == "absent" and file in entries:
            check.add(MANIFEST, line, "value", _l("The manifest says %(file)s is absent, but the zip holds it.",
                                                  file=file))
    if not any(modes.get(file, "absent") != "absent" for file in ("classes.csv", "users.csv", "enrollments.csv")):
        check.add(MANIFEST, None, None, _l("The manifest lists none of classes.csv, users.csv and enrollments.csv: "
                                           "there is nothing to import."))
    ignored = sorted(f for f, mode in modes.items() if mode != "absent" and f not in FILES)
    return RosterSet(version, modes, ignored=ignored)


def _read_file(archive, info, file: str, mode: str, check: _Checker) -> dict[str, Record]:
    """The rows of one data file, each checked: required values, sourcedIds, enumerations and dates."""
    records: dict[str, Record] = {}
    required = REQUIRED[file] + (("status", "dateLastModified") if mode == "delta" else ())
    for line, heading, cells in _rows(archive, info, file, check):
        if cells is None:
            missing = [column for column in required if column not in heading]
            for column in missing:
                check.add(file, 1, column, _l("The required column is missing."))
            if missing:
                return records
            continue
        values = dict(zip(heading, (cell.strip() for cell in cells)))
        bad = False
        for column in required:
            if not values.get(column):
                check.add(file, line, column, _l("A value is required."))
                bad = True
        if bad:
            continue
        sourced_id = values["sourcedId"]
        if not _SOURCED_ID.fullmatch(sourced_id):
            check.add(file, line, "sourcedId", _l("“%(value)s” is not a valid sourcedId (letters, digits and "
                                                  "- _ . : without spaces).", value=sourced_id[:60]))
            continue
        if sourced_id in records:
            check.add(file, line, "sourcedId", _l("The sourcedId %(value)s is also on line %(line)d.",
                                                  value=sourced_id[:60], line=records[sourced_id].line))
            continue
        if not _check_values(file, line, values, mode, check):
            continue
        records[sourced_id] = Record(sourced_id, line, values.get("status") == "tobedeleted", values)
    return records


def _enum(file, line, values, column, allowed, check, *, extensible=False) -> bool:
    value = values.get(column, "")
    if not value or value in allowed or (extensible and value.startswith("ext:")):
        return True
    check.add(file, line, column, _l("“%(value)s” is not one of: %(allowed)s.", value=value[:40],
                                     allowed=", ".join(allowed)))
    return False


def _date(file, line, values, column, check) -> bool:
    value = values.get(column, "")
    if not value:
        return True
    try:
        if _DATE.fullmatch(value):
            date.fromisoformat(value)
            return True
    except ValueError:
        pass
    check.add(file, line, column, _l("“%(value)s” is not a date written YYYY-MM-DD.", value=value[:40]))
    return False


def _check_values(file: str, line: int, values: dict[str, str], mode: str, check: _Checker) -> bool:
    """The row's status, dateLastModified, enumerations and dates; False (problems added) if any is wrong."""
    ok = _enum(file, line, values, "status", STATUSES, check)
    modified = values.get("dateLastModified", "")
    if modified:
        try:
            if "T" not in modified:
                raise ValueError
            datetime.fromisoformat(modified.replace("Z", "+00:00"))
        except ValueError:
            check.add(file, line, "dateLastModified", _l("“%(value)s” is not a date and time such as "
                                                         "2026-09-01T08:00:00Z.", value=modified[:40]))
            ok = False
    if file == "orgs.csv":
        ok &= _enum(file, line, values, "type", ORG_TYPES, check, extensible=True)
    elif file == "academicSessions.csv":
        ok &= _enum(file, line, values, "type", SESSION_TYPES, check, extensible=True)
        ok &= _date(file, line, values, "startDate", check) & _date(file, line, values, "endDate", check)
        if not _YEAR.fullmatch(values.get("schoolYear", "")):
            check.add(file, line, "schoolYear", _l("“%(value)s” is not a year such as 2026.",
                                                   value=values.get("schoolYear", "")[:40]))
            ok = False
    elif file == "classes.csv":
        ok &= _enum(file, line, values, "classType", CLASS_TYPES, check, extensible=True)
    elif file == "users.csv":
        ok &= _enum(file, line, values, "enabledUser", BOOLEANS, check)
        email = values.get("email", "")
        if email and not _EMAIL.fullmatch(email):
            check.add(file, line, "email", _l("“%(value)s” is not an email address.", value=email[:60]))
            ok = False
    elif file == "enrollments.csv":
        ok &= _enum(file, line, values, "role", ENROLLMENT_ROLES, check, extensible=True)
        ok &= _enum(file, line, values, "primary", BOOLEANS, check)
        ok &= _date(file, line, values, "beginDate", check) & _date(file, line, values, "endDate", check)
    return ok


def _check_references(roster: RosterSet, known: dict[str, set[str]], check: _Checker) -> None:
    """Every enrollment names a class and a user of the zip (or linked by an earlier import); every class
    a school of orgs.csv, when the zip has one."""
    def exists(file: str, sourced_id: str) -> bool:
        return sourced_id in roster.of(file) or sourced_id in known.get(file, set())

    if roster.mode("orgs.csv") != "absent":
        for record in roster.of("classes.csv").values():
            if not exists("orgs.csv", record["schoolSourcedId"]):
                check.add("classes.csv", record.line, "schoolSourcedId",
                          _l("No org has the sourcedId %(value)s.", value=record["schoolSourcedId"][:60]))
    emails: dict[str, int] = {}
    for record in roster.of("users.csv").values():
        email = record["email"].lower()
        if email and not record.deleted:
            if email in emails:
                check.add("users.csv", record.line, "email", _l("%(email)s is also on line %(line)d.", email=email,
                                                                line=emails[email]))
            emails.setdefault(email, record.line)
    for record in roster.of("enrollments.csv").values():
        if record.deleted:
            continue
        if not exists("classes.csv", record["classSourcedId"]):
            check.add("enrollments.csv", record.line, "classSourcedId",
                      _l("No class has the sourcedId %(value)s.", value=record["classSourcedId"][:60]))
        if not exists("users.csv", record["userSourcedId"]):
            check.add("enrollments.csv", record.line, "userSourcedId",
                      _l("No user has the sourcedId %(value)s.", value=record["userSourcedId"][:60]))
