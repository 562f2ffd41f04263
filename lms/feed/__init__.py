"""The circle's front: notices with read receipts (lms.feed.notices) and the members' feed of posts,
comments and likes (lms.feed.posts)."""
