"""Uploads: media items (videos and files), the resumable upload protocol, processing jobs."""
from flask import Blueprint

bp = Blueprint("uploads", __name__)
