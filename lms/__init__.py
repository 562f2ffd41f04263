"""Circles: an online-teaching application built around class circles."""
from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | type | None = None) -> Flask:
    """Build the app: configuration, extensions, blueprints, Socket.IO namespaces, CLI."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
        instance_relative_config=True,
    )
    from lms.config import load_config

    instance = config.get("INSTANCE_PATH") if isinstance(config, dict) else getattr(config, "INSTANCE_PATH", None)
    instance = instance or os.environ.get("LMS_INSTANCE_PATH")  # the folder of the database, files, mail, secret
    if instance:
        app.instance_path = instance
    load_config(app, config)
    app.logger.setLevel(logging.INFO)

    _init_extensions(app)
    if app.config["PROXY_COUNT"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    _register_blueprints(app)
    _register_cli(app)
    return app


def _init_extensions(app: Flask) -> None:
    from lms import jobs, storage
    from lms.accounts.queries import load_session_user
    from lms.core import health, templating
    from lms.core.errors import register_error_handlers
    from lms.core.i18n import select_locale, select_timezone
    from lms.core.realtime import origin_check, socket_transports
    from lms.core.security import register_security_headers
    from lms.extensions import babel, csrf, db, limiter, login_manager, migrate, socketio, socketio_channel

    db.init_app(app)
    _tune_database(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_session_user)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone,
                   default_translation_directories=str(ROOT / "lms" / "translations"))
    _register_namespaces()  # before init_app, so every app's Socket.IO server gets the handlers
    # Flask-SocketIO merges each init_app's options into one dict on its global object, so a
    # message queue set up by an earlier app in this process would stay with every later one.
    socketio.server_options = {}
    socketio.init_app(app, async_mode=app.config["SOCKETIO_ASYNC_MODE"],
                      message_queue=app.config.get("SOCKETIO_MESSAGE_QUEUE"),
                      channel=socketio_channel(app),
                      cors_allowed_origins=origin_check(app),
                      transports=socket_transports(app),
                      manage_session=False)
    storage.init_app(app)
    jobs.init_app(app)
    templating.init_app(app)
    register_error_handlers(app)
    register_security_headers(app)
    health.init_app(app)


def _tune_database(app: Flask) -> None:
    """SQLite: WAL (readers never wait for the writer), foreign keys on, a busy timeout."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    from sqlalchemy import event

    from lms.extensions import db

    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def _register_blueprints(app: Flask) -> None:
    # Importing each routes module attaches its views to the domain's blueprint. The package
    # __init__ does not import it, so models can be imported across domains without cycles.
    from lms.accounts.routes import bp as accounts_bp
    from lms.admin.routes import bp as admin_bp
    from lms.api.routes import bp as api_bp
    from lms.api.token_routes import bp as api_tokens_bp
    from lms.audit.routes import bp as audit_bp
    from lms.calendar.routes import bp as calendar_bp
    from lms.chat.routes import bp as chat_bp
    from lms.checkins.routes import bp as checkins_bp
    from lms.circles.routes import bp as circles_bp
    from lms.feed.notices.routes import bp as notices_bp
    from lms.files.routes import bp as files_bp
    from lms.feed.posts.routes import bp as posts_bp
    from lms.grading.routes import bp as grading_bp
    from lms.groups.routes import bp as groups_bp
    from lms.homework.routes import bp as homework_bp
    from lms.identity.routes import bp as identity_bp
    from lms.live.routes import bp as live_bp
    from lms.live.rtmp_routes import bp as live_rtmp_bp
    from lms.lti.routes import bp as lti_bp
    from lms.merge.routes import bp as merge_bp
    from lms.moderation.routes import bp as moderation_bp
    from lms.notifications.routes import bp as notifications_bp
    from lms.orgs.routes import bp as orgs_bp
    import lms.orgs.console.routes  # noqa: F401  (the console's views, on the orgs blueprint)
    from lms.reviews.routes import bp as reviews_bp
    from lms.roster_sync.routes import bp as roster_sync_bp
    from lms.uploads.routes import bp as uploads_bp

    app.register_blueprint(accounts_bp)
    app.register_blueprint(circles_bp)
    app.register_blueprint(orgs_bp, url_prefix="/orgs")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(audit_bp)
    app.register_blueprint(uploads_bp)
    app.register_blueprint(homework_bp)
    app.register_blueprint(grading_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(calendar_bp)
    app.register_blueprint(notices_bp)
    app.register_blueprint(posts_bp)
    app.register_blueprint(reviews_bp)
    app.register_blueprint(live_bp)
    app.register_blueprint(live_rtmp_bp)
    app.register_blueprint(checkins_bp)
    app.register_blueprint(groups_bp)
    app.register_blueprint(files_bp)
    app.register_blueprint(chat_bp)
    app.register_blueprint(identity_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(api_tokens_bp)
    app.register_blueprint(roster_sync_bp)
    app.register_blueprint(lti_bp)
    app.register_blueprint(merge_bp)
    app.register_blueprint(moderation_bp)
    _register_group_source(app)


def _register_group_source(app: Flask) -> None:
    """Peer review keeps group mates apart with the circle's groups (reviews and groups import neither)."""
    from lms.groups.queries import group_ids_by_user
    from lms.reviews.groups import register_group_source

    register_group_source(app, lambda assignment: group_ids_by_user(assignment.circle_id))


_namespaces_registered = False


def _register_namespaces() -> None:
    """Socket.IO handlers live on the one SocketIO object. Registered once per process before the
    first init_app, they are kept in its list and re-attached to the server each init_app creates."""
    global _namespaces_registered
    if _namespaces_registered:
        return
    from lms.chat import events as chat_events
    from lms.core import events
    from lms.extensions import socketio
    from lms.homework import events as homework_events
    from lms.live import events as live_events
    from lms.live import ingest_events as live_ingest_events

    events.register(socketio)
    homework_events.register(socketio)
    live_events.register(socketio)
    live_ingest_events.register(socketio)
    chat_events.register(socketio)
    _namespaces_registered = True


def _register_cli(app: Flask) -> None:
    from lms.cli import register

    register(app)
