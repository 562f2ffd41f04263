"""The school's settings for its classes: what every new class takes (join policy, real name and student number,
who may post, chat, file space, word list), the settings the classes may not change (locks), and who may set
them."""
from __future__ import annotations

import io
import re
from datetime import date

import pytest

from lms.audit.models import AuditAction, AuditEvent
from lms.chat.models import ChatSettings
from lms.circles.models import Circle, JoinPolicy, Role
from lms.extensions import db
from lms.feed.posts.models import FeedSettings, WhoMayPost
from lms.files.models import FileSettings
from lms.files.queries import circle_quota
from lms.moderation.models import CircleModeration
from lms.orgs import operations as org_ops
from lms.orgs.console import terms as term_ops
from lms.orgs.models import OrgClassDefaults, OrgRole
from lms.roster_sync.models import RosterImport
from tests.fixtures.app import page_text
from tests.roster_sync.sample import roster_zip

MB = 1024 * 1024

#: the school's settings as the form sends them: approval, real name and number asked, only the staff post,
#: chat off, 200 MB of files, two words held; the join policy and the real name locked
SCHOOL = {"join_policy": "approval", "require_real_name": "y", "require_student_no": "y", "who_may_post": "staff",
          "chat_enabled": "off", "file_quota_mb": "200", "word_list": "badword\n  \nrude thing",
          "lock_join_policy": "y", "lock_require_real_name": "y"}


def _url(org) -> str:
    return f"/orgs/{org.id}/settings"


def _events(action) -> list[AuditEvent]:
    return list(db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


@pytest.fixture
def other_teacher(make):
    """Rita teaches at River School only."""
    river = org_ops.create_org("River School")
    rita = make.user("Rita River")
    org_ops.add_org_member(river, rita, OrgRole.teacher)
    db.session.commit()
    return rita


@pytest.fixture
def set_school(client_as, school):
    """Hill School's admin saved SCHOOL."""
    response = client_as(school.admin).post(_url(school.org), data=SCHOOL)
    assert response.status_code == 302
    db.session.expire_all()
    return db.session.get(OrgClassDefaults, school.org.id)


@pytest.mark.parametrize("who, status", [("site_admin", 200), ("admin", 200), ("teacher", 404), ("other_teacher", 404),
                                         ("student", 404), ("outsider", 404)])
def test_who_sees_and_saves_the_schools_settings(client_as, school, other_teacher, who, status):
    """Who may open and save the school's settings (its admins and site admins; everyone else gets 404)?"""
    user = other_teacher if who == "other_teacher" else school.by_role(who)
    client = client_as(user)
    assert client.get(_url(school.org)).status_code == status
    response = client.post(_url(school.org), data=SCHOOL)
    assert response.status_code == (302 if status == 200 else 404)
    db.session.expire_all()
    assert (db.session.get(OrgClassDefaults, school.org.id) is not None) == (status == 200)


def test_a_stranger_is_sent_to_sign_in(client, school):
    """Does the page ask someone not signed in to sign in (and show nothing)?"""
    assert client.get(_url(school.org)).status_code == 302


def test_saving_stores_the_defaults_and_the_locks_and_is_audited(client_as, school, set_school):
    """Are the settings stored as sent (blank word-list lines dropped), the locks listed, and the change in the
    audit log with what changed (the word list counted, not copied)?"""
    d = set_school
    assert (d.join_policy, d.require_real_name, d.require_student_no) == (JoinPolicy.approval, True, True)
    assert (d.who_may_post.value, d.chat_enabled, d.file_quota_bytes) == ("staff", False, 200 * MB)
    assert d.word_list == "badword\nrude thing"
    assert d.locked == ["join_policy", "require_real_name"]
    [event] = _events(AuditAction.class_defaults_changed)
    assert event.actor_id == school.admin.id and event.org_id == school.org.id
    assert event.details["word_list"] == {"from": 0, "to": 2}
    assert event.details["join_policy"] == {"from": "code", "to": "approval"}
    page = page_text(client_as(school.admin).get(_url(school.org)))
    assert "rude thing" in page
    log = page_text(client_as(school.admin).get(f"/orgs/{school.org.id}/audit"))
    assert "School settings for classes changed" in log and "Locked settings" in log
    assert "rude thing" not in log


def test_a_class_created_by_the_school_takes_its_settings(client_as, school, set_school):
    """Does a class made from the school's page (bulk create) start with every school setting, the locked join
    policy winning over the one chosen in the form?"""
    response = client_as(school.admin).post(f"/orgs/{school.org.id}/classes", data={
        "names": "Biology 1\nBiology 2", "teacher_id": school.teacher.id, "kind": "teaching", "join_policy": "open"})
    assert response.status_code == 302
    db.session.expire_all()
    classes = list(db.session.scalars(db.select(Circle).where(Circle.name.like("Biology%"))))
    assert len(classes) == 2
    for circle in classes:
        assert circle.join_policy == JoinPolicy.approval
        assert circle.require_real_name and circle.require_student_no
        assert db.session.get(FeedSettings, circle.id).who_may_post == WhoMayPost.staff
        assert db.session.get(ChatSettings, circle.id).is_enabled is False
        assert circle_quota(circle) == 200 * MB
        assert db.session.get(CircleModeration, circle.id).words == ["badword", "rude thing"]


def test_a_join_policy_the_school_does_not_lock_is_the_forms(client_as, school):
    """Without a lock, does the bulk form offer the school's join policy and keep the one the admin chose?"""
    client = client_as(school.admin)
    client.post(_url(school.org), data={**SCHOOL, "lock_join_policy": ""})
    page = client.get(f"/orgs/{school.org.id}").get_data(as_text=True)
    assert '<option selected value="approval">' in page or '<option value="approval" selected>' in page
    client.post(f"/orgs/{school.org.id}/classes", data={
        "names": "Art", "teacher_id": school.teacher.id, "kind": "teaching", "join_policy": "open"})
    db.session.expire_all()
    art = db.session.scalar(db.select(Circle).where(Circle.name == "Art"))
    assert art.join_policy == JoinPolicy.open and art.require_real_name


def test_without_school_settings_a_class_has_the_sites(client_as, school):
    """With no settings saved, is a new class exactly as before (nothing stored for the other domains)?"""
    client_as(school.admin).post(f"/orgs/{school.org.id}/classes", data={
        "names": "Plain", "teacher_id": school.teacher.id, "kind": "teaching", "join_policy": "code"})
    plain = db.session.scalar(db.select(Circle).where(Circle.name == "Plain"))
    assert plain.join_policy == JoinPolicy.code and not plain.require_real_name
    for model in (FeedSettings, ChatSettings, FileSettings, CircleModeration):
        assert db.session.get(model, plain.id) is None


def test_placing_a_teachers_own_circle_takes_only_the_locked_settings(client_as, make, school, set_school):
    """When a teacher places their own circle into the school, do the locked settings replace the circle's own
    (join policy, real name) while the others stay as its owner set them (student number, feed, chat, files,
    word list)?"""
    own = make.circle(school.teacher, "Tom's violin club", join_policy=JoinPolicy.open)
    response = client_as(school.teacher).post(f"/orgs/circles/{own.id}/place", data={"org_id": school.org.id})
    assert response.status_code == 302
    db.session.expire_all()
    own = db.session.get(Circle, own.id)
    assert own.org_id == school.org.id
    assert own.join_policy == JoinPolicy.approval and own.require_real_name
    assert not own.require_student_no
    for model in (FeedSettings, ChatSettings, FileSettings, CircleModeration):
        assert db.session.get(model, own.id) is None


def _class_form(circle: Circle, **changes) -> dict:
    data = {"name": circle.name, "kind": circle.kind.value, "description": circle.description,
            "join_policy": circle.join_policy.value}
    if circle.require_real_name:
        data["require_real_name"] = "y"
    if circle.require_student_no:
        data["require_student_no"] = "y"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_a_locked_setting_is_read_only_and_refused_on_the_class_settings(client_as, school, set_school):
    """Does the class's settings page show a locked setting read-only with a line saying the school sets it, and
    does the server refuse a changed value sent all the same, keeping the rest of what was typed?"""
    client_as(school.admin).post(f"/orgs/{school.org.id}/classes", data={
        "names": "Chemistry", "teacher_id": school.teacher.id, "kind": "teaching", "join_policy": "code"})
    chem = db.session.scalar(db.select(Circle).where(Circle.name == "Chemistry"))
    teacher = client_as(school.teacher)
    page = teacher.get(f"/c/{chem.id}/settings").get_data(as_text=True)
    assert 'id="locked-join_policy"' in page and 'id="locked-require_real_name"' in page
    assert "Set by Hill School for all its classes." in page
    assert 'id="locked-require_student_no"' not in page  # not locked: the class chooses

    response = teacher.post(f"/c/{chem.id}/settings", data=_class_form(chem, name="Chemistry A", join_policy="open"))
    assert response.status_code == 422
    text = page_text(response)
    assert "Hill School sets this for its classes: this class cannot change it." in text
    assert "Chemistry A" in response.get_data(as_text=True)  # the rest of the form is kept
    response = teacher.post(f"/c/{chem.id}/settings", data=_class_form(chem, require_real_name=None))
    assert response.status_code == 422
    db.session.expire_all()
    chem = db.session.get(Circle, chem.id)
    assert chem.name == "Chemistry" and chem.join_policy == JoinPolicy.approval and chem.require_real_name

    # the page as sent by a browser (locked values unchanged) saves the settings the class may change
    response = teacher.post(f"/c/{chem.id}/settings", data=_class_form(chem, name="Chemistry A",
                                                                       require_student_no=None))
    assert response.status_code == 302
    db.session.expire_all()
    chem = db.session.get(Circle, chem.id)
    assert chem.name == "Chemistry A" and not chem.require_student_no


def test_a_class_of_no_school_has_nothing_locked(client_as, make, school, set_school):
    """Is a circle outside the school free to change every setting?"""
    own = make.circle(school.teacher, "Free circle")
    response = client_as(school.teacher).post(f"/c/{own.id}/settings", data=_class_form(own, join_policy="open"))
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Circle, own.id).join_policy == JoinPolicy.open


def test_bad_input_is_refused_at_its_field_and_loses_nothing(client_as, school, set_school):
    """Is a file space that is not a number (or too big) refused with a clear message, with everything typed
    still in the form and nothing saved?"""
    client = client_as(school.admin)
    for quota, message in (("lots", "Not a valid integer value."),
                           ("99999999", "Enter a whole number of MB from 0 to 1048576.")):
        response = client.post(_url(school.org), data={**SCHOOL, "file_quota_mb": quota, "word_list": "newword",
                                                       "who_may_post": "everyone"})
        assert response.status_code == 422
        html = response.get_data(as_text=True)
        assert message in page_text(response)
        assert "newword" in html and quota in html
    db.session.expire_all()
    d = db.session.get(OrgClassDefaults, school.org.id)
    assert d.file_quota_bytes == 200 * MB and d.word_list == "badword\nrude thing"
    assert len(_events(AuditAction.class_defaults_changed)) == 1


def test_the_locked_settings_can_go_onto_the_existing_classes(client_as, make, school, set_school):
    """Does "put the locked settings on the existing classes again" change the school's classes that are not
    archived (only the locked settings), in one audited action?"""
    archived = make.circle(school.teacher, "Old class", org=school.org)
    archived.is_archived = True
    db.session.commit()
    response = client_as(school.admin).post(_url(school.org), data={**SCHOOL, "lock_who_may_post": "y",
                                                                     "apply_existing": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    klass = db.session.get(Circle, school.klass.id)
    assert klass.join_policy == JoinPolicy.approval and klass.require_real_name
    assert not klass.require_student_no  # not locked: left as the class has it
    assert db.session.get(FeedSettings, klass.id).who_may_post == WhoMayPost.staff
    assert db.session.get(ChatSettings, klass.id) is None
    assert db.session.get(Circle, archived.id).join_policy == JoinPolicy.code
    # the first: set_school's locks put on the class as they were made; this one: every locked setting again
    first, event = _events(AuditAction.class_defaults_applied)
    assert first.details["settings"] == ["join_policy", "require_real_name"]
    assert event.details["classes_changed"] == 1
    assert event.details["settings"] == ["join_policy", "require_real_name", "who_may_post"]


def test_the_again_box_says_it_puts_the_locked_settings_on_again(client_as, school):
    """Does the box under the settings say it puts the locked settings on the existing classes again (locking
    one already puts it on them), not "also", as if locking did not?"""
    text = page_text(client_as(school.admin).get(_url(school.org)))
    assert "Put the locked settings on the existing classes again" in text
    assert "Also put the locked settings" not in text


def test_the_schools_page_links_to_the_settings_for_its_admins(client_as, school):
    """Do the school's admins (and only they) find the settings from the school's page?"""
    link = f'href="{_url(school.org)}"'
    assert link in client_as(school.admin).get(f"/orgs/{school.org.id}").get_data(as_text=True)
    assert link not in client_as(school.teacher).get(f"/orgs/{school.org.id}").get_data(as_text=True)


def test_a_teacher_keeps_changing_what_is_not_locked(client_as, school, set_school):
    """Is a school member who teaches a class still the one who decides the unlocked settings of that class?"""
    klass = school.klass
    assert klass.active_role(school.teacher) == Role.owner
    response = client_as(school.teacher).post(f"/c/{klass.id}/settings",
                                              data=_class_form(klass, require_student_no="y"))
    # the school locks the join policy (approval) and the real name (asked): locking them put them on the
    # existing class too (a lock is the school's value in every class); the teacher saves the rest
    assert response.status_code == 302
    db.session.expire_all()
    klass = db.session.get(Circle, klass.id)
    assert klass.require_student_no and klass.join_policy == JoinPolicy.approval and klass.require_real_name


def test_the_feeds_chats_and_word_lists_locks_hold_on_their_own_pages(client_as, school):
    """With who may post, chat and the word list locked, does each of the class's own settings pages show the
    setting read-only and refuse a change (keeping the school's value), while the rest of the page still saves?"""
    client_as(school.admin).post(_url(school.org), data={**SCHOOL, "lock_who_may_post": "y",
                                                         "lock_chat_enabled": "y", "lock_word_list": "y"})
    client_as(school.admin).post(f"/orgs/{school.org.id}/classes", data={
        "names": "Physics", "teacher_id": school.teacher.id, "kind": "teaching", "join_policy": "code"})
    physics = db.session.scalar(db.select(Circle).where(Circle.name == "Physics"))
    teacher = client_as(school.teacher)
    refusal = "Hill School sets this for its classes: this class cannot change it."

    feed = f"/circles/{physics.id}/feed/settings"
    assert 'id="locked-who_may_post"' in teacher.get(feed).get_data(as_text=True)
    response = teacher.post(feed, data={"who_may_post": "everyone"})
    assert response.status_code == 422 and refusal in page_text(response)
    assert teacher.post(feed, data={"who_may_post": "staff", "has_contest": "y"}).status_code == 302

    chat = f"/c/{physics.id}/chat/settings"
    assert 'id="locked-chat_enabled"' in teacher.get(chat).get_data(as_text=True)
    response = teacher.post(chat, data={"is_enabled": "y"})
    assert response.status_code == 422 and refusal in page_text(response)
    assert teacher.post(chat, data={"members_may_message_members": "y"}).status_code == 302

    moderation = f"/c/{physics.id}/moderation/settings"
    assert 'id="locked-word_list"' in teacher.get(moderation).get_data(as_text=True)
    response = teacher.post(moderation, data={"word_list": "badword", "posts_per_hour": "5"})
    assert response.status_code == 422 and refusal in page_text(response)
    assert teacher.post(moderation, data={"word_list": "badword\nrude thing\n", "posts_per_hour": "5"}).status_code == 302

    db.session.expire_all()
    assert db.session.get(FeedSettings, physics.id).who_may_post == WhoMayPost.staff
    assert db.session.get(FeedSettings, physics.id).has_contest
    chat_settings = db.session.get(ChatSettings, physics.id)
    assert chat_settings.is_enabled is False and chat_settings.members_may_message_members
    moderation_settings = db.session.get(CircleModeration, physics.id)
    assert moderation_settings.words == ["badword", "rude thing"] and moderation_settings.posts_per_hour == 5


def test_a_class_copied_into_a_term_keeps_its_settings_but_the_locked_ones(make, school, set_school):
    """Does a copy of a class (into the next term) keep the class's own settings, but take those the school
    locks now?"""
    spring = term_ops.create_term(school.org, "Spring 2027", date(2027, 1, 12), date(2027, 6, 30))
    klass = db.session.get(Circle, school.klass.id)
    klass.require_student_no = False
    db.session.flush()
    copy = term_ops.copy_class(klass, spring, school.admin)
    db.session.commit()
    assert copy.join_policy == JoinPolicy.approval and copy.require_real_name  # locked
    assert not copy.require_student_no  # the class's own
    assert db.session.get(FeedSettings, copy.id) is None


def test_classes_of_a_roster_import_take_the_schools_settings(client, login, school, set_school):
    """Do the classes a OneRoster import creates take the school's settings, the locked join policy winning over
    the roster's own (invite only)?"""
    login(school.admin)
    response = client.post(f"/orgs/{school.org.id}/roster", data={"file": (io.BytesIO(roster_zip()), "roster.zip")},
                           content_type="multipart/form-data")
    import_id = int(re.search(r"/roster/(\d+)$", response.headers["Location"]).group(1))
    assert client.post(f"/orgs/{school.org.id}/roster/{import_id}/apply").status_code == 302
    db.session.expire_all()
    assert db.session.get(RosterImport, import_id).counts["classes_created"] == 2
    maths = db.session.scalar(db.select(Circle).where(Circle.name == "Maths 9A"))
    assert maths.join_policy == JoinPolicy.approval and maths.require_real_name and maths.require_student_no
    assert db.session.get(FeedSettings, maths.id).who_may_post == WhoMayPost.staff


def test_locking_a_setting_puts_it_on_the_existing_classes(client_as, make, school):
    """A lock is the school's value in every class (the fresh-eyes trial found a locked class showing its old
    value under "Set by the school"): does locking a setting, or changing a locked one, put it on the classes
    that are not archived, leaving the unlocked ones as each class has them?"""
    archived = make.circle(school.teacher, "Old class", org=school.org)
    archived.is_archived = True
    db.session.commit()
    client = client_as(school.admin)
    unlocked = {k: v for k, v in SCHOOL.items() if not k.startswith("lock_")}
    assert client.post(_url(school.org), data=unlocked).status_code == 302  # nothing locked: nothing moves
    db.session.expire_all()
    assert db.session.get(Circle, school.klass.id).join_policy == JoinPolicy.code
    assert client.post(_url(school.org), data={**unlocked, "lock_join_policy": "y"}).status_code == 302
    db.session.expire_all()
    klass = db.session.get(Circle, school.klass.id)
    assert klass.join_policy == JoinPolicy.approval and not klass.require_real_name  # only the locked one
    assert db.session.get(Circle, archived.id).join_policy == JoinPolicy.code
    assert client.post(_url(school.org), data={**unlocked, "join_policy": "invite",
                                               "lock_join_policy": "y"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Circle, school.klass.id).join_policy == JoinPolicy.invite
    assert [e.details["settings"] for e in _events(AuditAction.class_defaults_applied)] == [["join_policy"]] * 2


def test_the_schools_page_shows_a_locked_join_policy_read_only(client_as, school, set_school):
    """With the join policy locked, does the school's page offer it read-only with who sets it, rather than a choice
    that the new classes silently do not take (fresh-eyes trial)?"""
    page = client_as(school.admin).get(f"/orgs/{school.org.id}").get_data(as_text=True)
    form = page.split('id="create-classes"')[1].split("</form>")[0]
    assert 'id="locked-join_policy"' in form and "Set by Hill School for all its classes." in form
    assert '<input type="hidden" name="join_policy" value="approval">' in form
