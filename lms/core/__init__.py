"""Shared infrastructure without routes: permissions, errors, time, text, realtime, mail."""
