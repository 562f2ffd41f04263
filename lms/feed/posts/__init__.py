"""The circle feed: members' posts, comments, likes, essentials, moderation and the home page."""
from flask import Blueprint

bp = Blueprint("posts", __name__)


@bp.record_once
def _register(state) -> None:
    """What the feed tells the layers below it: a video may be uploaded for a post in a circle where the
    uploader may post; a post's video is served to whoever sees the post; the circle's home page shows
    the latest posts; the audit log reads the feed's events."""
    from lms.audit.registry import describe_details
    from lms.circles.home import HomeSection, register_home_section
    from lms.feed.posts import home
    from lms.feed.posts.queries import can_fetch_post_media
    from lms.uploads.access import register_subject, register_upload_purpose

    register_upload_purpose(state.app, "feed", home.may_upload_for_feed)
    register_subject(state.app, "feed_post", can_fetch_post_media)
    register_home_section(state.app, HomeSection(name="feed", column="main", order=30,
                                                 template="feed/posts/_home.html", load=home.load_home_section,
                                                 probe=home.has_posts, when_empty=home.empty_home_section))
    describe_details(state.app, labels=home.AUDIT_LABELS)
