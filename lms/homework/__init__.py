"""Homework: assignments, versioned submissions (video, text, files), comments at moments of a video."""
from flask import Blueprint

bp = Blueprint("homework", __name__)
