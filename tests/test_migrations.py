"""The checked-in migrations build exactly the schema the models describe."""
from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from lms import create_app
from lms.config import TestConfig
from lms.extensions import db
from tests.fixtures.services import database_url


def _fresh_database_url(tmp_path) -> str:
    url = database_url(f"sqlite:///{tmp_path / 'migrate.db'}")
    if not url.startswith("postgresql"):
        return url
    # A database of its own, so the suite's tables do not hide a missing migration.
    base = sa.engine.make_url(url)
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql("DROP DATABASE IF EXISTS lms_migration_check")
        conn.exec_driver_sql("CREATE DATABASE lms_migration_check")
    admin.dispose()
    return base.set(database="lms_migration_check").render_as_string(hide_password=False)


def _app(tmp_path, url):
    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = url
        INSTANCE_PATH = str(tmp_path)

    return create_app(Config)


def test_upgrade_on_empty_database_matches_models(tmp_path):
    """Does `flask db upgrade` on an empty database give the schema of the models, with nothing missing?"""
    url = _fresh_database_url(tmp_path)
    app = _app(tmp_path, url)
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
        assert differences == [], f"models and migrations differ: {differences}"
        downgrade(revision="base")
        remaining = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert remaining == set()
        db.engine.dispose()
