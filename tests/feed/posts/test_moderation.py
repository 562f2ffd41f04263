"""The staff's side of the feed: essentials, hiding and deleting with a reason, who may post, the
approval queue, the settings, and the contest ranking."""
from __future__ import annotations

import pytest

from lms.audit.models import AuditEvent
from lms.extensions import db
from lms.feed.posts.models import CommentState, FeedSettings, Like, PostKind, PostState, WhoMayPost
from lms.notifications.models import Notification
from tests.feed.posts.conftest import last_comment, last_post, png, post_ids, write_post
from tests.fixtures.app import page_text


def _settings(feed, **values):
    data = {"who_may_post": "everyone", **values}
    data = {k: v for k, v in data.items() if v is not False}
    return feed.clients["owner"].post(f"{feed.url}/settings", data=data)


def _kinds(user) -> list[str]:
    return list(db.session.scalars(db.select(Notification.kind).where(Notification.user_id == user.id)))


def test_teacher_features_a_post_in_essentials(feed):
    """Does a teacher's "feature" put the post in the Essentials tab (and only it), telling its author?"""
    write_post(feed.clients["sam"], feed.circle.id, "Packing list")
    packing = last_post()
    write_post(feed.clients["pia"], feed.circle.id, "Just chatting")
    assert feed.clients["teacher"].post(f"{feed.url}/{packing.id}/essential", data={"essential": "1"}).status_code == 302
    page = feed.clients["pia"].get(f"{feed.url}?tab=essentials")
    assert post_ids(page.get_data(as_text=True)) == [packing.id]
    assert _kinds(feed.sam) == ["post_featured"]


@pytest.mark.parametrize("who", ["sam", "assistant"])
def test_only_owner_and_teachers_feature(feed, who):
    """Does a student or an assistant get 403 featuring a post?"""
    write_post(feed.clients["pia"], feed.circle.id, "Hi")
    post = last_post()
    assert feed.clients[who].post(f"{feed.url}/{post.id}/essential", data={"essential": "1"}).status_code == 403


def test_hidden_post_shows_its_author_the_reason_and_no_one_else(feed):
    """When the staff hide a post with a reason, do members stop seeing it (feed and page 404) while its
    author sees it marked hidden with the reason and is notified; and is it audited?"""
    write_post(feed.clients["sam"], feed.circle.id, "Off-topic ad")
    post = last_post()
    response = feed.clients["assistant"].post(f"{feed.url}/{post.id}/hide", data={"reason": "No adverts here"})
    assert response.status_code == 302
    assert post_ids(feed.clients["pia"].get(feed.url).get_data(as_text=True)) == []
    assert feed.clients["pia"].get(f"{feed.url}/{post.id}").status_code == 404
    own = page_text(feed.clients["sam"].get(feed.url))
    assert "Hidden by the staff; members do not see it. Reason given: No adverts here" in own
    assert _kinds(feed.sam) == ["post_moderated"]
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "feed_post_hidden"))
    assert event.target_id == post.id and event.details["reason"] == "No adverts here"
    feed.clients["assistant"].post(f"{feed.url}/{post.id}/show")
    assert post_ids(feed.clients["pia"].get(feed.url).get_data(as_text=True)) == [post.id]


def test_staff_delete_needs_a_reason_and_tells_the_author(feed):
    """Is a staff deletion without a reason refused, and with one does the post vanish for everyone
    (its author included) with the author told the reason?"""
    write_post(feed.clients["sam"], feed.circle.id, "Rude words", images=[png()])
    post = last_post()
    feed.clients["teacher"].post(f"{feed.url}/{post.id}/remove", data={"reason": " "})
    db.session.refresh(post)
    assert post.state == PostState.published
    feed.clients["teacher"].post(f"{feed.url}/{post.id}/remove", data={"reason": "Be kind"})
    db.session.refresh(post)
    assert post.state == PostState.removed and post.images == []
    assert feed.clients["sam"].get(f"{feed.url}/{post.id}").status_code == 404
    [told] = db.session.scalars(db.select(Notification).where(Notification.user_id == feed.sam.id))
    assert told.kind == "post_moderated" and told.params["reason"] == "Be kind"
    # the bell says what was done, not "hid, deleted or did not approve"
    page = feed.clients["sam"].get("/notifications").get_data(as_text=True)
    assert "deleted your post. Reason given: Be kind" in page and "did not approve" not in page


def test_member_cannot_moderate(feed):
    """Does a student get 403 hiding or deleting someone's post or comment?"""
    write_post(feed.clients["sam"], feed.circle.id, "Hi")
    post = last_post()
    feed.clients["sam"].post(f"{feed.url}/{post.id}/comments", data={"body_md": "me"})
    comment = last_comment()
    pia = feed.clients["pia"]
    for url in (f"{feed.url}/{post.id}/hide", f"{feed.url}/{post.id}/remove",
                f"{feed.url}/{post.id}/comments/{comment.id}/hide", f"{feed.url}/{post.id}/comments/{comment.id}/remove"):
        assert pia.post(url, data={"reason": "mine now"}).status_code == 403, url


def test_hidden_comment_shows_its_author_the_reason(feed):
    """Does a hidden comment disappear for the members and stay, marked with the reason, for its author?"""
    write_post(feed.clients["sam"], feed.circle.id, "Hello")
    post = last_post()
    feed.clients["pia"].post(f"{feed.url}/{post.id}/comments", data={"body_md": "Spam spam"})
    comment = last_comment()
    feed.clients["owner"].post(f"{feed.url}/{post.id}/comments/{comment.id}/hide", data={"reason": "Spam"})
    db.session.refresh(comment)
    assert comment.state == CommentState.hidden
    assert "Spam spam" not in page_text(feed.clients["sam"].get(f"{feed.url}/{post.id}"))
    mine = page_text(feed.clients["pia"].get(f"{feed.url}/{post.id}"))
    assert "Spam spam" in mine and "Reason given: Spam" in mine
    assert _kinds(feed.pia) == ["post_moderated"]


def test_staff_only_posting_refuses_members(feed):
    """With "only staff post", does a student get 403 and no form, while a teacher still posts?"""
    _settings(feed, who_may_post="staff")
    assert db.session.get(FeedSettings, feed.circle.id).who_may_post == WhoMayPost.staff
    assert write_post(feed.clients["sam"], feed.circle.id, "Can I?").status_code == 403
    assert 'action="/circles/%d/feed" enctype' % feed.circle.id not in feed.clients["sam"].get(feed.url).get_data(as_text=True)
    assert write_post(feed.clients["teacher"], feed.circle.id, "Welcome").status_code == 302
    assert last_post().state == PostState.published


def test_settings_are_for_owner_and_teachers(feed):
    """Does an assistant or student get 403 on the feed's settings, and a change get audited?"""
    assert feed.clients["assistant"].get(f"{feed.url}/settings").status_code == 403
    assert feed.clients["sam"].post(f"{feed.url}/settings", data={"who_may_post": "staff"}).status_code == 403
    assert feed.clients["owner"].get(f"{feed.url}/settings").status_code == 200
    _settings(feed, needs_approval="y")
    assert db.session.scalar(db.select(AuditEvent.action).where(AuditEvent.action == "feed_settings_changed"))


def test_approval_queue(feed):
    """With approval on, does a member's post wait (invisible to others, shown to its author as waiting),
    appear in the staff's queue, enter the feed on approval, and show its author the reason on rejection?"""
    _settings(feed, needs_approval="y")
    write_post(feed.clients["sam"], feed.circle.id, "Please approve")
    first = last_post()
    write_post(feed.clients["pia"], feed.circle.id, "Buy my stuff")
    second = last_post()
    assert (first.state, second.state) == (PostState.pending, PostState.pending)
    assert post_ids(feed.clients["pia"].get(feed.url).get_data(as_text=True)) == []
    assert "Your post is waiting for the staff's approval." in page_text(feed.clients["sam"].get(feed.url))
    assert feed.clients["sam"].get(f"{feed.url}/queue").status_code == 403
    queue = feed.clients["assistant"].get(f"{feed.url}/queue")
    assert post_ids(queue.get_data(as_text=True)) == [first.id, second.id]
    feed.clients["assistant"].post(f"{feed.url}/{first.id}/approve")
    feed.clients["assistant"].post(f"{feed.url}/{second.id}/reject", data={"reason": "No selling"})
    assert post_ids(feed.clients["pia"].get(feed.url).get_data(as_text=True)) == [first.id]
    assert "The staff did not approve your post. Reason given: No selling" in page_text(feed.clients["pia"].get(feed.url))
    assert _kinds(feed.pia) == ["post_moderated"]
    write_post(feed.clients["teacher"], feed.circle.id, "Staff never wait")
    assert last_post().state == PostState.published


def test_contest_entries_ranked_by_likes_ties_by_earlier_post(feed):
    """Does the staff's ranking order entries by likes, a tie going to the earlier entry, leaving out
    ordinary posts; and may members not see it?"""
    _settings(feed, has_contest="y")
    ids = []
    for who in ("sam", "pia", "teacher"):
        assert write_post(feed.clients[who], feed.circle.id, f"Entry by {who}", images=[png()],
                          is_entry="y").status_code == 302
        ids.append(last_post().id)
    write_post(feed.clients["sam"], feed.circle.id, "Not an entry")
    assert last_post().kind == PostKind.post
    sam_entry, pia_entry, teacher_entry = ids
    for who in ("owner", "assistant"):
        feed.clients[who].post(f"{feed.url}/{pia_entry}/like")
    feed.clients["owner"].post(f"{feed.url}/{teacher_entry}/like")
    feed.clients["pia"].post(f"{feed.url}/{sam_entry}/like")
    assert db.session.scalar(db.select(db.func.count()).select_from(Like)) == 4
    ranking = feed.clients["owner"].get(f"{feed.url}/contest")
    assert post_ids(ranking.get_data(as_text=True)) == [pia_entry, sam_entry, teacher_entry]
    assert feed.clients["sam"].get(f"{feed.url}/contest").status_code == 403


def test_an_entry_needs_a_photo_and_an_open_contest(feed):
    """Is an entry without a photo refused, and an entry while the contest is off refused with 403?"""
    assert write_post(feed.clients["sam"], feed.circle.id, "x", images=[png()], is_entry="y").status_code == 403
    _settings(feed, has_contest="y")
    response = write_post(feed.clients["sam"], feed.circle.id, "No photo", is_entry="y")
    assert response.status_code == 422 and "A contest entry needs a photo." in page_text(response)


#: who may use each staff page or action: owner and teachers feature and change settings; the
#: assistant moderates too; students get 403
STAFF_MATRIX = [
    ("POST", "/{post}/essential", {"essential": "1"}, {"owner", "teacher"}),
    ("POST", "/{post}/hide", {"reason": "r"}, {"owner", "teacher", "assistant"}),
    ("GET", "/queue", None, {"owner", "teacher", "assistant"}),
    ("GET", "/contest", None, {"owner", "teacher", "assistant"}),
    ("GET", "/settings", None, {"owner", "teacher"}),
]


@pytest.mark.parametrize("method, path, data, allowed", STAFF_MATRIX)
@pytest.mark.parametrize("who", ["owner", "teacher", "assistant", "sam"])
def test_staff_matrix(feed, method, path, data, allowed, who):
    """Does each role get the staff's pages and actions it should, and 403 otherwise?"""
    write_post(feed.clients["pia"], feed.circle.id, "Subject")
    url = feed.url + path.format(post=last_post().id)
    response = feed.clients[who].open(url, method=method, data=data)
    assert response.status_code == ((302 if method == "POST" else 200) if who in allowed else 403)


def test_site_admin_outside_the_circle_reads_and_moderates_but_does_not_post(feed, make, client_as):
    """May a site admin who is no member read the feed and hide a post, but not post or like?"""
    admin = client_as(make.user(is_admin=True))
    write_post(feed.clients["sam"], feed.circle.id, "Hello admins")
    post = last_post()
    assert post_ids(admin.get(feed.url).get_data(as_text=True)) == [post.id]
    assert write_post(admin, feed.circle.id, "Me too").status_code == 403
    assert admin.post(f"{feed.url}/{post.id}/like").status_code == 403
    assert admin.post(f"{feed.url}/{post.id}/hide", data={"reason": "Checked"}).status_code == 302
