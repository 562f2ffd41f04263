"""Notifications: one service every domain calls (stored, pushed live to the bell, mailed now or in a
daily digest per each person's preferences). See /work/notes/notifications-api.md for the contract."""
from flask import Blueprint

bp = Blueprint("notifications", __name__)
