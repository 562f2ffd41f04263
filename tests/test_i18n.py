"""Translations: every message of the code, the templates and the scripts has a Chinese translation in
both scripts (zh_Hans, zh_Hant), and pages, their scripts and their dates speak the reader's language.

The catalog check is `scripts/i18n check` itself (extraction over lms/, templates/ and static/js/,
every folder inside them, then both catalogs), so a string added anywhere without translations fails
here. Fix: `scripts/i18n extract && scripts/i18n update`, translate zh_Hans, `scripts/i18n hant`,
`scripts/i18n compile`.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_datetime
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from lms.accounts.models import User, UserSession
from lms.extensions import db

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "lms" / "translations"
LOCALES = ("zh_Hans", "zh_Hant")


def _po(locale: str) -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"


def _read(locale: str):
    with open(_po(locale), "rb") as f:
        return read_po(f, locale=locale)


def _run_i18n(root: Path, *args: str) -> subprocess.CompletedProcess:
    """scripts/i18n of the tree at `root`, with this interpreter's Babel."""
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PYTHON": sys.executable, "PYBABEL": str(bin_dir / "pybabel")}
    return subprocess.run(["bash", str(root / "scripts" / "i18n"), *args], cwd=root, env=env,
                          capture_output=True, text=True, timeout=120)


def _label(message) -> str:
    msgid = message.id if isinstance(message.id, str) else message.id[0]
    where = ", ".join(f"{path}:{line}" for path, line in message.locations[:2])
    return f"{msgid!r} ({where})"


def _strings(message) -> tuple[str, ...]:
    return (message.string,) if isinstance(message.string, str) else tuple(message.string)


# -- the catalogs -------------------------------------------------------------------------------

def test_scripts_i18n_check_passes():
    """Does `scripts/i18n check` find every message of lms/, templates/ and static/js/ translated,
    neither missing nor fuzzy, in zh_Hans and in zh_Hant?"""
    result = _run_i18n(ROOT, "check")
    assert result.returncode == 0, result.stdout + result.stderr
    for locale in LOCALES:
        found = re.search(rf"{locale}: all (\d+) messages translated", result.stdout)
        assert found and int(found.group(1)) > 500, result.stdout


@pytest.fixture(scope="module")
def source_copy(tmp_path_factory) -> Path:
    """The sources scripts/i18n reads (lms/, templates/, static/js/, babel.cfg, the script), copied."""
    root = tmp_path_factory.mktemp("i18n-tree")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("lms", "templates", "static/js", "scripts"):
        shutil.copytree(ROOT / folder, root / folder, ignore=ignore)
    shutil.copy(ROOT / "babel.cfg", root / "babel.cfg")
    return root


def test_check_catches_a_string_only_in_a_partial_a_script_or_an_underscore_folder(source_copy):
    """Does `scripts/i18n check` fail, in both Chinese catalogs, on a new message that lives only in
    templates/_partials, only in a static/js file, or in any folder whose name starts with "_"?"""
    partial = source_copy / "templates" / "_partials" / "uploader.html"
    partial.write_text(partial.read_text() + '\n{{ _("Zebra crossing in a partial") }}\n')
    script = source_copy / "static" / "js" / "uploads" / "uploader.js"
    script.write_text(script.read_text() + '\nCircles.i18n.gettext("Zebra crossing in a script");\n')
    hidden = source_copy / "lms" / "_internal"
    hidden.mkdir()
    (hidden / "words.py").write_text('from flask_babel import gettext as _\n\nWORD = _("Zebra crossing in _internal")\n')

    result = _run_i18n(source_copy, "check")

    assert result.returncode == 1, result.stdout + result.stderr
    for locale in LOCALES:
        for text, where in [("Zebra crossing in a partial", "templates/_partials/uploader.html"),
                            ("Zebra crossing in a script", "static/js/uploads/uploader.js"),
                            ("Zebra crossing in _internal", "lms/_internal/words.py")]:
            assert re.search(rf"{locale}\s+missing\s+'{text}'\s+\({re.escape(where)}:\d+\)", result.stdout), \
                result.stdout


def test_the_template_holds_the_partials_and_the_scripts():
    """Does the committed messages.pot carry the upload widget's and the player's words, from the
    partials and from the scripts?"""
    with open(TRANSLATIONS / "messages.pot", "rb") as f:
        template = read_po(f)
    places = {path for message in template for path, _line in message.locations}
    for expected in ("templates/_partials/uploader.html", "templates/_partials/player.html",
                     "static/js/uploads/uploader.js", "static/js/media/state.js", "static/js/media/player.js",
                     "static/js/homework/comments.js", "static/js/homework/recorder.js"):
        assert expected in places, expected
    assert "%(time)s left" in template
    assert "Uploaded. Waiting for its turn to be processed…" in template


@pytest.mark.parametrize("locale", LOCALES)
def test_chinese_catalogs_have_one_plural_form(locale):
    """Does each Chinese catalog use Chinese plural rules (one form)?"""
    catalog = _read(locale)
    assert catalog.plural_forms == "nplurals=1; plural=0;"
    for message in catalog:
        if message.pluralizable and message.id:
            assert len(message.string) == 1, _label(message)


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_keep_their_placeholders(locale):
    """Does every translation use exactly the %(name)s placeholders of its English message?"""
    pattern = re.compile(r"%\((\w+)\)[sdif]")
    problems = []
    for message in _read(locale):
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        wanted = set(pattern.findall(ids[-1]))
        for string in _strings(message):
            if string and set(pattern.findall(string)) != wanted:
                problems.append(f"{_label(message)} -> {string!r}")
    assert not problems, "placeholders differ:\n" + "\n".join(problems)


@pytest.mark.parametrize("locale", LOCALES)
def test_compiled_catalog_is_up_to_date(locale):
    """Does the committed .mo hold the same translations as the .po (was scripts/i18n compile run)?"""
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.mo", "rb") as f:
        compiled = read_mo(f)
    stale = []
    for message in _read(locale):
        if not message.id or message.fuzzy:
            continue
        found = compiled.get(message.id, message.context)
        if found is None and message.context:  # Babel's read_mo keeps a context as bytes (python-babel/babel#1147)
            found = compiled.get(message.id, message.context.encode())
        if found is None or _strings(found) != _strings(message):
            stale.append(_label(message))
    assert not stale, "run scripts/i18n compile; the .mo differs for:\n" + "\n".join(stale)


def test_traditional_catalog_is_generated_from_the_simplified_one(source_copy):
    """Is the committed zh_Hant catalog exactly what `scripts/i18n hant` (OpenCC s2twp plus
    zh_Hant/terms.tsv) makes of today's zh_Hans, so the two never drift apart?"""
    result = _run_i18n(source_copy, "hant")
    assert result.returncode == 0, result.stdout + result.stderr
    with open(source_copy / "lms" / "translations" / "zh_Hant" / "LC_MESSAGES" / "messages.po", "rb") as f:
        regenerated = read_po(f, locale="zh_Hant")
    committed = _read("zh_Hant")
    differ = [_label(m) for m in regenerated if m.id and (
        committed.get(m.id, m.context) is None or _strings(committed.get(m.id, m.context)) != _strings(m))]
    assert not differ, "run scripts/i18n hant && scripts/i18n compile; stale:\n" + "\n".join(differ)


@pytest.mark.parametrize(("msgid", "hant"), [
    ("Sign out", "登出"),                      # OpenCC: 退出登入
    ("Email", "電子郵件"),                      # mainland 邮箱
    ("My uploads", "我的上傳"),
    ("Choose a video", "選擇影片"),              # 视频 -> 影片, not 視訊
    ("Where you're signed in", "登入裝置"),
    ("Record with the camera", "用攝影機錄製"),   # mainland 摄像头
    ("Code", "代碼"),                           # OpenCC: 程式碼 (source code)
])
def test_traditional_catalog_uses_taiwan_and_hong_kong_terms(msgid, hant):
    """Does zh_Hant say what a Taiwan or Hong Kong teacher expects where the conversion alone would not?"""
    found = _read("zh_Hant").get(msgid)
    assert found is not None and found.string == hant, (msgid, found and found.string)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize(("one", "other"), [
    ("Missing", "Not submitted"),  # SpeedGrader's filters sit side by side; 未交 beside 未提交 read as one
    ("Missing", "Uploaded, not handed in"),
])
def test_statuses_shown_together_read_apart(locale, one, other):
    """Do two statuses a page shows side by side read apart at a glance in Chinese: neither word holds the
    other and they begin differently (缺交, past the due time, beside 未提交, not yet)?"""
    catalog = _read(locale)
    first, second = catalog.get(one).string, catalog.get(other).string
    assert first not in second and second not in first and first[0] != second[0], (first, second)


def test_traditional_catalog_quotes_with_corner_brackets():
    """Does zh_Hant quote 「…」 as Taiwan and Hong Kong write, not “…”?"""
    strings = [s for m in _read("zh_Hant") if m.id for s in _strings(m)]
    assert any("「" in s for s in strings)
    assert not [s for s in strings if "“" in s or "”" in s]


# -- choosing the language ----------------------------------------------------------------------

def _nav_text(response) -> str:
    html = response.get_data(as_text=True)
    nav = re.search(r'<nav class="topnav">(.*?)</nav>', html, re.S)
    assert nav, html[:500]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", nav.group(1)))


def _html_lang(response) -> str:
    found = re.search(r'<html lang="([^"]+)"', response.get_data(as_text=True))
    assert found
    return found.group(1)


NAV = {"en": "My uploads", "zh-Hans": "我的上传", "zh-Hant": "我的上傳"}


@pytest.mark.parametrize(("accept", "lang"), [
    ("zh-TW", "zh-Hant"), ("zh-HK", "zh-Hant"), ("zh-MO", "zh-Hant"), ("zh-Hant", "zh-Hant"),
    ("zh-Hant-TW", "zh-Hant"), ("zh-Hant-HK,zh;q=0.8", "zh-Hant"), ("zh-tw,en;q=0.5", "zh-Hant"),
    ("zh", "zh-Hans"), ("zh-CN", "zh-Hans"), ("zh-SG", "zh-Hans"), ("zh-Hans", "zh-Hans"),
    ("zh-Hans-CN", "zh-Hans"), ("zh-Hans-HK", "zh-Hans"), ("zh-CN,zh;q=0.9,en;q=0.5", "zh-Hans"),
    ("en-US,en;q=0.9", "en"), ("fr-FR,zh-TW;q=0.5", "zh-Hant"), ("fr-FR", "en"),
])
def test_page_speaks_the_browser_language(client, make, login, accept, lang):
    """Does a signed-in user without a language preference get the page in their browser's language,
    traditional characters for Taiwan, Hong Kong, Macau and zh-Hant, simplified for the rest?"""
    login(make.user())
    response = client.get("/", headers={"Accept-Language": accept})
    assert response.status_code == 200
    assert _html_lang(response) == lang
    nav = _nav_text(response)
    assert NAV[lang] in nav, nav
    assert not [other for key, other in NAV.items() if key != lang and other in nav], nav


@pytest.mark.parametrize("locale", ["zh_Hans", "zh_Hant"])
def test_chosen_language_wins_over_the_browser(client, make, login, locale):
    """Does a user who chose a Chinese in the footer get it even from an English browser?"""
    user = make.user()
    login(user)
    response = client.post("/language", data={"locale": locale, "next": "/"},
                           headers={"Accept-Language": "en-US"})
    assert response.status_code == 302
    response = client.get("/", headers={"Accept-Language": "en-US"})
    lang = locale.replace("_", "-")
    assert _html_lang(response) == lang
    assert NAV[lang] in _nav_text(response)
    db.session.expire_all()
    assert db.session.get(User, user.id).locale == locale


def test_footer_and_profile_offer_traditional_chinese(client, make, login):
    """Do the footer's language picker and the profile's language choice offer 繁體中文, and does the
    profile keep it?"""
    user = make.user(timezone="Asia/Taipei")
    login(user)
    html = client.get("/profile").get_data(as_text=True)
    assert re.search(r'<select id="footer-locale".*?<option value="zh_Hant"\s*>繁體中文</option>', html, re.S)
    assert re.search(r'<select[^>]*name="locale"(?![^>]*footer)[^>]*>.*?<option[^>]*value="zh_Hant"[^>]*>繁體中文</option>',
                     html, re.S)
    response = client.post("/profile", data={"name": user.name, "locale": "zh_Hant", "timezone": "Asia/Taipei"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    db.session.expire_all()
    assert db.session.get(User, user.id).locale == "zh_Hant"
    assert _html_lang(client.get("/", headers={"Accept-Language": "zh-CN"})) == "zh-Hant"


def test_dates_are_written_the_traditional_chinese_way(client, make, login):
    """Does a page in zh_Hant write a date and time with zh_Hant's own format (Babel's locale data),
    in the reader's zone?"""
    user = make.user(locale="zh_Hant", timezone="Asia/Taipei")
    login(user)
    seen = datetime(2026, 3, 4, 15, 5, tzinfo=timezone.utc)
    db.session.query(UserSession).filter_by(user_id=user.id).update({"created_at": seen})
    db.session.commit()
    html = client.get("/profile/sessions").get_data(as_text=True)
    expected = format_datetime(seen, "short", tzinfo=ZoneInfo("Asia/Taipei"), locale="zh_Hant")
    simplified = format_datetime(seen, "short", tzinfo=ZoneInfo("Asia/Taipei"), locale="zh_Hans")
    assert expected != simplified  # 2026/3/4 晚上11:05 against 2026/3/4 23:05
    assert expected in html, html
    assert "登入裝置" in html


# -- the scripts' words -------------------------------------------------------------------------

def _catalog_url(response) -> str:
    found = re.search(r'<script src="(/i18n/[^"]+\.js)" defer></script>', response.get_data(as_text=True))
    assert found, "the page loads no catalog script"
    return found.group(1)


@pytest.mark.parametrize(("accept", "locale", "uploading"), [
    ("zh-CN", "zh_Hans", "正在上传…"), ("zh-TW", "zh_Hant", "正在上傳…"), ("en", "en", None),
])
def test_pages_load_the_scripts_words_in_their_language(client, make, login, accept, locale, uploading):
    """Does every page load, before its scripts, a catalog script of its language holding the words
    the scripts say (the upload states), cached for a year under a URL that names its content?"""
    login(make.user())
    page = client.get("/media/", headers={"Accept-Language": accept})
    html = page.get_data(as_text=True)
    url = _catalog_url(page)
    assert url.startswith(f"/i18n/{locale}/")
    assert html.index(url) < html.index("js/core/i18n.js") < html.index("js/uploads/uploader.js")
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    body = response.get_data(as_text=True)
    assert body.startswith("(window.Circles = window.Circles || {}).catalog = ")
    if uploading:
        assert f'"Uploading…":"{uploading}"' in body
        assert '"%(time)s left":' in body
    else:
        assert '"messages":{}' in body
    assert "Content-Security-Policy" in response.headers  # served as a script from 'self'


def test_an_old_catalog_url_gets_todays_words_briefly(client):
    """Does a catalog URL with an outdated digest (a page cached across a deployment) still get the
    words, but only for a short time, and an unknown language nothing? (Before the first-run set-up
    too: the set-up page has scripts.)"""
    response = client.get("/i18n/zh_Hans/0123456789abcdef.js")
    assert response.status_code == 200
    assert "正在上传…" in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert client.get("/i18n/fr/0123456789abcdef.js").status_code == 404


#: A string literal with a word in it, given straight to something a person reads or hears.
_SHOWN_LITERAL = re.compile(
    r"""(?:\.(?:textContent|innerText|title|placeholder|ariaLabel)\s*=\s*|\b(?:alert|confirm|prompt)\s*\(\s*|"""
    r"""setAttribute\(\s*["'](?:aria-label|aria-valuetext|title|placeholder|alt)["']\s*,\s*)"""
    r"""(["'`])[^"'`]*[A-Za-z]{2,}[^"'`]*\1""")


def test_scripts_show_no_literal_english():
    """Does every script of static/js give people words through gettext, never a bare English literal
    (which no catalog would ever hold)?"""
    problems = []
    for path in sorted((ROOT / "static" / "js").rglob("*.js")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if _SHOWN_LITERAL.search(line):
                problems.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not problems, "wrap these in Circles.i18n.gettext:\n" + "\n".join(problems)


def test_the_literal_check_sees_a_bare_english_label():
    """Would the check above notice the usual ways of putting English on the page?"""
    for line in ['button.textContent = "Save";', "el.title = 'Jump here';", 'alert("Upload failed")',
                 'node.setAttribute("aria-label", "Close the player")']:
        assert _SHOWN_LITERAL.search(line), line
    for line in ['button.textContent = gettext("Save");', 'label.textContent = "0:00";', 'el.textContent = "";',
                 'copier.textContent = "✓";']:
        assert not _SHOWN_LITERAL.search(line), line
