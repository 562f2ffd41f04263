"""Settings read from LMS_* environment variables arrive parsed as their kind."""
from __future__ import annotations

from lms import create_app
from lms.config import TestConfig


def test_work_folder_and_health_timeout_come_from_the_environment(tmp_path, monkeypatch):
    """Can an operator set the media work folder and the readiness timeout with LMS_* variables, as
    the README's production set-up sets everything (a float stays a float)?"""
    monkeypatch.setenv("LMS_MEDIA_WORK_DIR", str(tmp_path / "work"))
    monkeypatch.setenv("LMS_HEALTH_TIMEOUT_SECONDS", "0.5")

    class Config(TestConfig):
        INSTANCE_PATH = str(tmp_path)
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'lms.db'}"

    app = create_app(Config)
    assert app.config["MEDIA_WORK_DIR"] == str(tmp_path / "work")
    assert app.config["HEALTH_TIMEOUT_SECONDS"] == 0.5


def test_a_second_copy_on_one_machine_gets_its_own_instance_folder(tmp_path, monkeypatch):
    """With LMS_INSTANCE_PATH, do the default database, stored files and uploads live in that folder (a
    tester's or a second school's copy never touches instance/)?"""
    monkeypatch.setenv("LMS_INSTANCE_PATH", str(tmp_path / "second"))
    monkeypatch.delenv("LMS_SQLALCHEMY_DATABASE_URI", raising=False)

    class Config(TestConfig):
        pass

    app = create_app(Config)
    assert app.instance_path == str(tmp_path / "second")
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'second' / 'lms.db'}"
    assert app.config["STORAGE_ROOT"] == str(tmp_path / "second" / "storage")
    assert app.config["UPLOAD_DIR"] == str(tmp_path / "second" / "uploads")
