"""`flask storage setup-bucket`, as the README's production section runs it, against moto's HTTP
server: the bucket then lets the site's pages upload (PUT, ETag readable) and play (GET), and aborts
abandoned multipart uploads."""
from __future__ import annotations

import io
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import boto3
import requests

from lms.config import TestConfig
from lms.storage.s3 import S3Storage
from tests.fixtures.app import create_isolated_app
from tests.fixtures.live import ROOT

SITE = "https://circles.example.org"


def documented_command() -> list[str]:
    [line] = re.findall(r"^flask --app wsgi storage setup-bucket.*$", (ROOT / "README.md").read_text(), re.M)
    return shlex.split(line)


def _bucket_client(s3_config):
    return boto3.client("s3", endpoint_url=s3_config["S3_ENDPOINT_URL"], region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def test_the_documented_command_sets_cors_and_lifecycle_for_the_site(s3_config, tmp_path):
    """Does the README's command, run as a production process is, create the bucket and set CORS for
    https://<LMS_SERVER_NAME> (PUT with ETag exposed, GET and HEAD) and the lifecycle rule?"""
    command = documented_command()
    env = {**os.environ, "LMS_ENV": "production", "LMS_SECRET_KEY": "x" * 40,
           "LMS_SERVER_NAME": "circles.example.org",
           "LMS_SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'site.db'}",
           "LMS_STORAGE_BACKEND": "s3", **{f"LMS_{k}": v for k, v in s3_config.items()}}
    result = subprocess.run([str(Path(sys.executable).parent / command[0]), *command[1:]], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"bucket {s3_config['S3_BUCKET']} is ready" in result.stdout

    client = _bucket_client(s3_config)
    [rule] = client.get_bucket_cors(Bucket=s3_config["S3_BUCKET"])["CORSRules"]
    assert rule["AllowedOrigins"] == [SITE]
    assert {"GET", "HEAD", "PUT"} <= set(rule["AllowedMethods"])
    assert rule["ExposeHeaders"] == ["ETag"]
    [lifecycle] = client.get_bucket_lifecycle_configuration(Bucket=s3_config["S3_BUCKET"])["Rules"]
    assert lifecycle["Status"] == "Enabled"
    assert lifecycle["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 2}

    # What a browser on the site then does: read a video (GET) and send an upload part (PUT).
    storage = S3Storage.from_config(s3_config)
    storage.put("media/v.mp4", io.BytesIO(b"video"))
    with requests.get(storage.presigned_get_url("media/v.mp4"), headers={"Origin": SITE}, timeout=10) as got:
        assert got.content == b"video"
        assert got.headers["Access-Control-Allow-Origin"] == SITE
    upload_id = storage.create_multipart("media/up")
    preflight = {"Origin": SITE, "Access-Control-Request-Method": "PUT"}
    with requests.options(storage.presign_part("media/up", upload_id, 1), headers=preflight, timeout=10) as ok:
        assert ok.status_code == 200 and ok.headers["Access-Control-Expose-Headers"] == "ETag"
    with requests.options(storage.presign_part("media/up", upload_id, 1), timeout=10,
                          headers={**preflight, "Origin": "https://elsewhere.example"}) as refused:
        assert refused.status_code != 200
    storage.abort_multipart("media/up", upload_id)


def _s3_app(s3_config, tmp_path, **settings):
    class Config(TestConfig):
        INSTANCE_PATH = str(tmp_path)
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'site.db'}"
        STORAGE_BACKEND = "s3"

    for key, value in {**s3_config, **settings}.items():
        setattr(Config, key, value)
    return create_isolated_app(Config)


def test_origins_given_replace_the_sites_and_the_rule_days_are_set(s3_config, tmp_path):
    """Are `--origin` URLs (repeatable, a trailing slash dropped) and `--abort-incomplete-days` used,
    and is running it again harmless?"""
    app = _s3_app(s3_config, tmp_path)
    args = ["storage", "setup-bucket", "--origin", "https://a.example/", "--origin", "http://b.example:8080",
            "--abort-incomplete-days", "5"]
    for _ in range(2):
        result = app.test_cli_runner().invoke(args=args)
        assert result.exit_code == 0, result.output
    assert "GET, HEAD, PUT from https://a.example, http://b.example:8080" in result.output
    client = _bucket_client(s3_config)
    [rule] = client.get_bucket_cors(Bucket=s3_config["S3_BUCKET"])["CORSRules"]
    assert rule["AllowedOrigins"] == ["https://a.example", "http://b.example:8080"]
    [lifecycle] = client.get_bucket_lifecycle_configuration(Bucket=s3_config["S3_BUCKET"])["Rules"]
    assert lifecycle["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 5}


def test_a_refused_rule_fails_the_command_naming_it(s3_config, tmp_path, monkeypatch):
    """Does a store that refuses lifecycle rules make the command fail and say which rule?"""
    from botocore.exceptions import ClientError

    app = _s3_app(s3_config, tmp_path)
    storage = app.extensions["lms_storage"]

    def refuse(**params):
        raise ClientError({"Error": {"Code": "NotImplemented", "Message": "no lifecycle here"}},
                          "PutBucketLifecycleConfiguration")

    monkeypatch.setattr(storage.client, "put_bucket_lifecycle_configuration", refuse)
    result = app.test_cli_runner().invoke(args=["storage", "setup-bucket"])
    assert result.exit_code == 1
    assert "could not set lifecycle" in result.output
    assert "GET, HEAD, PUT from http://localhost" in result.output  # TestConfig's SERVER_NAME


def test_local_storage_has_no_bucket_to_set_up(app):
    result = app.test_cli_runner().invoke(args=["storage", "setup-bucket"])
    assert result.exit_code == 1 and "LMS_STORAGE_BACKEND=s3" in result.output
