"""Roster sync: an organization's admins import OneRoster 1.2 CSV zips (classes, users, enrollments)."""
from flask import Blueprint

bp = Blueprint("roster_sync", __name__)
