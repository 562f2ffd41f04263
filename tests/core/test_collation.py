"""People's names sort Chinese by pinyin among the Latin ones (lms.core.collation), on every list of people."""
from __future__ import annotations

import re

import pytest

from lms.circles import operations as circle_ops
from lms.circles.models import CircleKind, JoinPolicy, Role
from lms.core.collation import KEY_LENGTH, sort_key
from lms.core.types import utcnow
from lms.extensions import db
from lms.feed.notices import operations as notice_ops
from lms.live.models import LiveLesson
from lms.orgs import operations as org_ops
from tests.fixtures.app import page_text
from tests.live.core_support import held
from tests.orgs.school import build_school

#: in the order a Chinese class list has them: by pinyin, Latin names among them (code point order would
#: be Alice, Bob, zoe, 张三, 李四, 王五, 阿明, 陈美和: 张 is U+5F20, 陈 U+9648)
NAMES = ["阿明", "Alice", "Bob", "陈美和", "李四", "王五", "張三", "zoe"]


@pytest.mark.parametrize("name, key", [
    ("张三", "zhang san"),
    ("張三", "zhang san"),  # Traditional: the same reading
    ("陳美和David", "chen mei he david"),
    ("Émile  Zola", "emile zola"),
    ("ＡＢ\u200b", "ab"),
    ("吕布", "lv bu"),
    ("曾国藩", "zeng guo fan"),  # a surname read as a surname: not céng
    ("單田芳", "shan tian fang"),
    ("解缙", "xie jin"),
    ("曾经", "zeng jing"),  # a name is a name: its first character is taken as a surname
    ("Mei Chen 曾", "mei chen ceng"),  # not first: the common reading
    ("Class 2", "class 12"),  # numbers by value: their count of digits first
    ("Class 010", "class 210"),
    ("初一（10）班", "chu yi (210) ban"),
    ("", ""),
    (None, ""),
])
def test_a_names_key(name, key):
    assert sort_key(name) == key


def test_a_long_names_key_is_cut_to_its_column():
    assert len(sort_key("张" * 100)) == KEY_LENGTH


def test_the_key_follows_the_name(klass):
    """Is the key written with the account name and the circle identity, and again when either changes?"""
    membership = circle_ops.add_member(klass.circle, klass.stranger, Role.student, display_name="王五")
    db.session.commit()
    assert (klass.stranger.sort_key, membership.sort_key) == ("stranger", "wang wu")
    circle_ops.update_identity(membership, display_name="李四", actor=klass.stranger)
    klass.stranger.name = "陈美和"
    db.session.commit()
    db.session.expire_all()
    assert (klass.stranger.sort_key, membership.sort_key) == ("chen mei he", "li si")


@pytest.fixture
def named(klass, make):
    """The class with students named NAMES, added in an order that is neither theirs nor the code points'."""
    for name in ["Bob", "王五", "zoe", "陈美和", "Alice", "張三", "阿明", "李四"]:
        make.member(klass.circle, make.user(f"Account {name}"), display_name=name)
    for role in ("student", "classmate"):  # the class's own students leave the list to NAMES
        circle_ops.remove_member(klass.circle.membership_of(getattr(klass, role)), klass.owner, notice=False)
    db.session.commit()
    return klass


def _in_order(text: str, names=NAMES) -> list[str]:
    """`names` in the order they first appear in `text`."""
    return sorted((n for n in names if n in text), key=text.index)


def test_the_members_page_lists_students_by_pinyin(named, client_as):
    text = page_text(client_as(named.teacher).get(f"/c/{named.circle.id}/members"))
    assert _in_order(text) == NAMES


def test_the_gradebook_lists_students_by_pinyin(named, client_as):
    data = client_as(named.teacher).get(f"/circles/{named.circle.id}/grades",
                                        headers={"Accept": "application/json"}).get_json()
    assert [s["name"] for s in data["students"]] == NAMES


def test_attendance_lists_students_by_pinyin(named, client_as):
    lesson: LiveLesson = held(named.circle, named.teacher)
    text = page_text(client_as(named.teacher).get(f"/c/{named.circle.id}/live/{lesson.id}/attendance"))
    assert _in_order(text) == NAMES


def test_notice_receipts_page_by_pinyin(named, client_as, monkeypatch):
    """Do the receipts come by pinyin, page after page through the Next link?"""
    from lms.feed.notices import routes

    monkeypatch.setattr(routes, "RECEIPTS_PER_PAGE", 3)
    notice = notice_ops.create_notice(named.circle, named.teacher, title="Read me", body_md="x",
                                      publish_at=utcnow())
    db.session.commit()
    client = client_as(named.teacher)
    url, seen = f"/circles/{named.circle.id}/notices/{notice.id}/receipts", []
    while url:
        response = client.get(url)
        html = response.get_data(as_text=True)
        seen += _in_order(page_text(response), [n for n in NAMES if n not in seen])
        found = re.search(r'<a href="([^"]+)">Next', html)
        url = found.group(1).replace("&amp;", "&") if found else None
    assert seen == NAMES


def test_the_schools_people_list_by_pinyin(client, login, make):
    school = build_school(make)
    for name in ["王五", "Alice", "陈美和"]:
        make.member(school.klass, make.user(name))
    login(school.admin)
    text = page_text(client.get(f"/orgs/{school.org.id}/people"))
    assert _in_order(text, ["Alice", "陈美和", "王五"]) == ["Alice", "陈美和", "王五"]


def test_the_schools_classes_list_by_value_and_pinyin(client, login, make):
    """Do the school's page and its console list classes with numbers by value and Chinese by pinyin (code
    points put Class 10 before Class 2, and 初一 before 八年级)?"""
    school = build_school(make)
    order = ["八年级（2）班", "八年级（10）班", "初一（1）班", "Class 2", "Class 10", "Existing class"]  # ba, chu, cl
    org_ops.create_classes(school.org, ["Class 10", "初一（1）班", "八年级（10）班", "Class 2", "八年级（2）班"],
                           school.teacher, CircleKind.teaching, JoinPolicy.code, actor=school.site_admin)
    db.session.commit()
    login(school.admin)
    for url in (f"/orgs/{school.org.id}", f"/orgs/{school.org.id}/console"):
        assert _in_order(page_text(client.get(url)), order) == order, url
