"""The circle feed: members' posts, comments, likes, essentials, moderation and the home page."""
from flask import Blueprint

bp = Blueprint("posts", __name__)
