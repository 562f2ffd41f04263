"""A OneRoster 1.2 CSV sample set built from the specification's column tables (the official sample
zips are not available offline): one district and one school, a school year and a term, two classes,
a teacher, an aide and four students (one with a Chinese name, one without an email), as a bulk set;
`zip_of` writes any variant of it."""
from __future__ import annotations

import csv
import io
import zipfile

HEADERS = {
    "orgs.csv": ["sourcedId", "status", "dateLastModified", "name", "type", "identifier", "parentSourcedId"],
    "academicSessions.csv": ["sourcedId", "status", "dateLastModified", "title", "type", "startDate", "endDate",
                             "parentSourcedId", "schoolYear"],
    "courses.csv": ["sourcedId", "status", "dateLastModified", "schoolYearSourcedId", "title", "courseCode",
                    "grades", "orgSourcedId", "subjects", "subjectCodes"],
    "classes.csv": ["sourcedId", "status", "dateLastModified", "title", "grades", "courseSourcedId", "classCode",
                    "classType", "location", "schoolSourcedId", "termSourcedIds", "subjects", "subjectCodes",
                    "periods"],
    "users.csv": ["sourcedId", "status", "dateLastModified", "enabledUser", "username", "userIds", "givenName",
                  "familyName", "middleName", "identifier", "email", "sms", "phone", "agentSourcedIds", "grades",
                  "password", "userMasterIdentifier", "preferredGivenName", "preferredMiddleName",
                  "preferredFamilyName", "primaryOrgSourcedId", "pronouns"],
    "enrollments.csv": ["sourcedId", "status", "dateLastModified", "classSourcedId", "schoolSourcedId",
                        "userSourcedId", "role", "primary", "beginDate", "endDate"],
}

DISTRICT = "7a3f6b8e-0d1c-4a55-9f3e-2b1d0c9e8a70"
SCHOOL = "b2d4e6f8-1a3c-4e5f-8a9b-0c1d2e3f4a5b"
YEAR = "f1e2d3c4-b5a6-4978-8695-a4b3c2d1e0f9"
TERM = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
COURSE = "c0ffee00-1111-4222-8333-444455556666"
MATHS = "11111111-aaaa-4bbb-8ccc-000000000001"
SCIENCE = "11111111-aaaa-4bbb-8ccc-000000000002"
T_LEE = "22222222-aaaa-4bbb-8ccc-000000000001"
AIDE = "22222222-aaaa-4bbb-8ccc-000000000002"
S_WANG = "33333333-aaaa-4bbb-8ccc-000000000001"
S_ADA = "33333333-aaaa-4bbb-8ccc-000000000002"
S_BEN = "33333333-aaaa-4bbb-8ccc-000000000003"
S_NOMAIL = "33333333-aaaa-4bbb-8ccc-000000000004"


def sample_rows() -> dict[str, list[dict[str, str]]]:
    """The bulk sample set as rows by file (status and dateLastModified blank, as bulk files leave them)."""
    return {
        "orgs.csv": [
            {"sourcedId": DISTRICT, "name": "Riverside District", "type": "district", "identifier": "RD"},
            {"sourcedId": SCHOOL, "name": "Hill School", "type": "school", "identifier": "HS",
             "parentSourcedId": DISTRICT},
        ],
        "academicSessions.csv": [
            {"sourcedId": YEAR, "title": "2026-2027", "type": "schoolYear", "startDate": "2026-09-01",
             "endDate": "2027-07-15", "schoolYear": "2027"},
            {"sourcedId": TERM, "title": "Autumn term", "type": "term", "startDate": "2026-09-01",
             "endDate": "2027-01-31", "parentSourcedId": YEAR, "schoolYear": "2027"},
        ],
        "courses.csv": [
            {"sourcedId": COURSE, "schoolYearSourcedId": YEAR, "title": "Mathematics 9", "courseCode": "MA9",
             "orgSourcedId": SCHOOL},
        ],
        "classes.csv": [
            {"sourcedId": MATHS, "title": "Maths 9A", "courseSourcedId": COURSE, "classCode": "MA9-A",
             "classType": "scheduled", "schoolSourcedId": SCHOOL, "termSourcedIds": TERM, "periods": "1,2"},
            {"sourcedId": SCIENCE, "title": "Science 9A", "courseSourcedId": COURSE, "classCode": "SC9-A",
             "classType": "homeroom", "schoolSourcedId": SCHOOL, "termSourcedIds": TERM},
        ],
        "users.csv": [
            {"sourcedId": T_LEE, "enabledUser": "true", "username": "tlee", "givenName": "Tina", "familyName": "Lee",
             "identifier": "T-001", "email": "tina.lee@hill.example", "primaryOrgSourcedId": SCHOOL},
            {"sourcedId": AIDE, "enabledUser": "true", "username": "aaide", "givenName": "Alan", "familyName": "Aide",
             "identifier": "T-002", "email": "alan.aide@hill.example", "primaryOrgSourcedId": SCHOOL},
            {"sourcedId": S_WANG, "enabledUser": "true", "username": "xmwang", "givenName": "小明", "familyName": "王",
             "identifier": "S2026-001", "email": "xiaoming.wang@hill.example", "grades": "09",
             "primaryOrgSourcedId": SCHOOL},
            {"sourcedId": S_ADA, "enabledUser": "true", "username": "alovelace", "givenName": "Ada",
             "familyName": "Lovelace", "identifier": "S2026-002", "email": "ada@hill.example", "grades": "09"},
            {"sourcedId": S_BEN, "enabledUser": "true", "username": "bkim", "givenName": "Ben", "familyName": "Kim",
             "identifier": "S2026-003", "email": "ben.kim@hill.example", "grades": "09"},
            {"sourcedId": S_NOMAIL, "enabledUser": "true", "username": "nomail", "givenName": "Nora",
             "familyName": "Nomail", "identifier": "S2026-004", "grades": "09"},
        ],
        "enrollments.csv": [
            _enrollment("e-001", MATHS, T_LEE, "teacher", "true"),
            _enrollment("e-002", MATHS, AIDE, "aide"),
            _enrollment("e-003", MATHS, S_WANG, "student"),
            _enrollment("e-004", MATHS, S_ADA, "student"),
            _enrollment("e-005", MATHS, S_BEN, "student"),
            _enrollment("e-006", MATHS, S_NOMAIL, "student"),
            _enrollment("e-007", SCIENCE, T_LEE, "teacher", "true"),
            _enrollment("e-008", SCIENCE, S_ADA, "student"),
        ],
    }


def _enrollment(sid: str, klass: str, user: str, role: str, primary: str = "false") -> dict[str, str]:
    return {"sourcedId": sid, "classSourcedId": klass, "schoolSourcedId": SCHOOL, "userSourcedId": user,
            "role": role, "primary": primary, "beginDate": "2026-09-01", "endDate": "2027-01-31"}


def manifest(modes: dict[str, str], version: str = "1.2") -> list[list[str]]:
    rows = [["propertyName", "value"], ["manifest.version", "1.0"], ["oneroster.version", version]]
    for name in ("academicSessions", "categories", "classes", "classResources", "courses", "courseResources",
                 "demographics", "enrollments", "lineItems", "orgs", "resources", "results", "roles", "users"):
        rows.append([f"file.{name}", modes.get(f"{name}.csv", "absent")])
    rows += [["source.systemName", "Sample SIS"], ["source.systemCode", "sample"]]
    return rows


def csv_bytes(rows: list[list[str]], *, bom: bool = False) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return (("\ufeff" if bom else "") + out.getvalue()).encode()


def table(name: str, records: list[dict[str, str]], headers: list[str] | None = None) -> list[list[str]]:
    headers = headers or HEADERS[name]
    return [headers] + [[r.get(h, "") for h in headers] for r in records]


def zip_of(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def roster_zip(rows: dict[str, list[dict[str, str]]] | None = None, *, mode: str = "bulk",
               modes: dict[str, str] | None = None, bom: bool = True, extra: dict[str, bytes] | None = None,
               drop: tuple[str, ...] = ()) -> bytes:
    """A zip of `rows` (default: the sample) with a manifest saying `mode` for each file given."""
    rows = sample_rows() if rows is None else rows
    modes = modes or {name: mode for name in rows}
    files = {"manifest.csv": csv_bytes(manifest(modes), bom=bom)}
    files.update({name: csv_bytes(table(name, records), bom=bom) for name, records in rows.items()})
    for name in drop:
        files.pop(name, None)
    files.update(extra or {})
    return zip_of(files)
