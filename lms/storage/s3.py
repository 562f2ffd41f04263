"""S3-compatible bucket storage (scale-out mode): streaming reads, presigned downloads and uploads."""
from __future__ import annotations

import logging
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator, Mapping

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError

from lms.storage.base import content_disposition

log = logging.getLogger(__name__)

CHUNK = 1 << 20
#: Largest presigned lifetime SigV4 allows (7 days).
MAX_EXPIRES = 7 * 24 * 3600
#: S3's own limits on multipart uploads.
MAX_PARTS = 10_000
MIN_PART_SIZE = 5 * 1024**2

#: Large objects go up and down in 16 MiB parts, 4 at a time: at most ~64 MiB buffered.
_TRANSFER = TransferConfig(
    multipart_threshold=16 * 1024**2,
    multipart_chunksize=16 * 1024**2,
    max_concurrency=4,
)
_MISSING = {"404", "NoSuchKey", "NotFound", "NoSuchUpload", "NoSuchBucket"}


class S3Storage:
    """Objects in one bucket. `client` talks to the store; `presign_client` signs URLs for browsers."""

    supports_multipart = True

    def __init__(self, bucket: str, client, presign_client=None):
        self.bucket = bucket
        self.client = client
        self.presign_client = presign_client or client

    @classmethod
    def from_config(cls, config: Mapping) -> S3Storage:
        """Build from S3_* settings (S3_BUCKET, S3_REGION, S3_ENDPOINT_URL, S3_PUBLIC_ENDPOINT_URL,
        S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY).

        Without keys boto3's usual chain applies (environment, instance role). URLs handed to
        browsers are signed for S3_PUBLIC_ENDPOINT_URL (default: S3_ENDPOINT_URL), since the
        signature covers the host the browser will contact.
        """
        endpoint = config.get("S3_ENDPOINT_URL") or None
        public = config.get("S3_PUBLIC_ENDPOINT_URL") or endpoint
        session = boto3.session.Session(
            aws_access_key_id=config.get("S3_ACCESS_KEY_ID") or None,
            aws_secret_access_key=config.get("S3_SECRET_ACCESS_KEY") or None,
            region_name=config.get("S3_REGION") or "us-east-1",
        )
        options = BotoConfig(
            signature_version="s3v4",
            # Custom endpoints (MinIO, moto, a proxy) rarely have wildcard DNS for bucket hosts.
            s3={"addressing_style": "path" if endpoint else "auto"},
            retries={"mode": "standard", "max_attempts": 5},
            connect_timeout=10,
            read_timeout=60,
            # Checksums only where S3 demands them: presigned part URLs stay plain PUTs a browser
            # can send, and stores that do not know the newer checksum headers keep working.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        client = session.client("s3", endpoint_url=endpoint, config=options)
        presign = session.client("s3", endpoint_url=public, config=options) if public != endpoint else client
        return cls(config.get("S3_BUCKET") or "circles", client, presign)

    # -- objects -----------------------------------------------------------------------------

    def put(self, key: str, stream: BinaryIO, content_type: str | None = None) -> int:
        """Upload everything read from `stream` (multipart when large, never all in memory); return the byte count."""
        counted = _CountingReader(stream)
        self.client.upload_fileobj(counted, self.bucket, key, ExtraArgs=_content_type(content_type), Config=_TRANSFER)
        return counted.count

    def put_file(self, key: str, path: str | os.PathLike, content_type: str | None = None) -> int:
        """Upload the local file at `path` under `key`; return its size."""
        self.client.upload_file(
            os.fspath(path), self.bucket, key, ExtraArgs=_content_type(content_type), Config=_TRANSFER
        )
        return os.path.getsize(path)

    def move_in(self, key: str, path: str | os.PathLike, content_type: str | None = None) -> int:
        """Upload the local file at `path` to `key`, then delete the local file; return its size."""
        size = self.put_file(key, path, content_type)
        Path(path).unlink(missing_ok=True)
        return size

    def open(self, key: str) -> BinaryIO:
        """A streaming body of the object (read it in chunks, close it); raises FileNotFoundError."""
        try:
            return self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
        except ClientError as exc:
            _raise_missing(exc, key)
            raise

    def iter_range(self, key: str, start: int = 0, end: int | None = None, chunk: int = CHUNK) -> Iterator[bytes]:
        """Bytes start..end (inclusive) with one ranged GET, in chunks; raises FileNotFoundError.

        A range starting past the end of the object yields nothing, as a file would.
        """
        if end is not None and end < start:
            return
        params = {"Bucket": self.bucket, "Key": key}
        if start or end is not None:
            params["Range"] = f"bytes={start}-{'' if end is None else end}"
        try:
            body = self.client.get_object(**params)["Body"]
        except ClientError as exc:
            _raise_missing(exc, key)
            if exc.response.get("Error", {}).get("Code") == "InvalidRange":
                return
            raise
        try:
            yield from body.iter_chunks(chunk)
        finally:
            body.close()

    def size(self, key: str) -> int:
        """The object's size from a HEAD request; raises FileNotFoundError."""
        try:
            return self.client.head_object(Bucket=self.bucket, Key=key)["ContentLength"]
        except ClientError as exc:
            _raise_missing(exc, key)
            raise

    def exists(self, key: str) -> bool:
        """Whether the object exists (a HEAD request)."""
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _is_missing(exc):
                return False
            raise
        return True

    def delete(self, key: str) -> None:
        """Remove the object; no error if it is already gone."""
        self.client.delete_object(Bucket=self.bucket, Key=key)

    def delete_prefix(self, prefix: str) -> None:
        """Remove every object under the folder `prefix` (1,000 per request); refuses an empty prefix.

        Raises OSError naming the first object the store refused to delete.
        """
        folder = prefix.strip("/")
        if not folder:
            raise ValueError("refusing to delete the whole bucket")
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=folder + "/")
        for page in pages:
            objects = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if not objects:
                continue
            result = self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": objects, "Quiet": True})
            if result.get("Errors"):
                first = result["Errors"][0]
                raise OSError(f"could not delete {first.get('Key')}: {first.get('Code')} {first.get('Message')}")

    def copy(self, src_key: str, dst_key: str) -> None:
        """Copy inside the bucket, server-side (multipart copy when large); raises FileNotFoundError."""
        try:
            self.client.copy({"Bucket": self.bucket, "Key": src_key}, self.bucket, dst_key, Config=_TRANSFER)
        except ClientError as exc:
            _raise_missing(exc, src_key)
            raise

    @contextmanager
    def local_path(self, key: str, suffix: str = "", dir: str | os.PathLike | None = None) -> Iterator[Path]:
        """Download the object in chunks to a file in a fresh temporary folder (inside `dir` when
        given); yield its path and remove the folder afterwards. Raises FileNotFoundError."""
        folder = tempfile.mkdtemp(prefix="lms-s3-", dir=dir)
        try:
            path = Path(folder) / f"object{suffix}"
            with open(path, "wb") as out:
                try:
                    self.client.download_fileobj(self.bucket, key, out, Config=_TRANSFER)
                except ClientError as exc:
                    _raise_missing(exc, key)
                    raise
            yield path
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    # -- presigned URLs for browsers -----------------------------------------------------------

    def presigned_get_url(
        self, key: str, expires: int = 3600, filename: str | None = None, content_type: str | None = None
    ) -> str:
        """A GET URL valid for `expires` seconds. With `filename` the download is an attachment
        under that name (RFC 6266 `filename*`); `content_type` overrides the stored type."""
        params = {"Bucket": self.bucket, "Key": key}
        if filename:
            params["ResponseContentDisposition"] = content_disposition(filename)
        if content_type:
            params["ResponseContentType"] = content_type
        return self.presign_client.generate_presigned_url("get_object", Params=params, ExpiresIn=_expires(expires))

    def create_multipart(self, key: str, content_type: str | None = None) -> str:
        """Start a multipart upload to `key`; return its upload id."""
        response = self.client.create_multipart_upload(Bucket=self.bucket, Key=key, **_content_type(content_type))
        return response["UploadId"]

    def presign_part(self, key: str, upload_id: str, part_number: int, expires: int = 3600) -> str:
        """A URL the browser PUTs part `part_number` (1..10,000) to; the response's ETag names the part.

        Every part but the last must be at least MIN_PART_SIZE bytes. Raises ValueError for a
        part number out of range.
        """
        if not 1 <= part_number <= MAX_PARTS:
            raise ValueError(f"part number {part_number} outside 1..{MAX_PARTS}")
        params = {"Bucket": self.bucket, "Key": key, "UploadId": upload_id, "PartNumber": part_number}
        return self.presign_client.generate_presigned_url("upload_part", Params=params, ExpiresIn=_expires(expires))

    def list_parts(self, key: str, upload_id: str) -> list[tuple[int, int, str]]:
        """The parts received so far as (part_number, size, etag), in order, to resume an upload.

        Raises FileNotFoundError when the upload does not exist (completed, aborted or expired).
        """
        parts = []
        try:
            pages = self.client.get_paginator("list_parts").paginate(Bucket=self.bucket, Key=key, UploadId=upload_id)
            for page in pages:
                parts += [(p["PartNumber"], p["Size"], p["ETag"]) for p in page.get("Parts", [])]
        except ClientError as exc:
            _raise_missing(exc, f"{key} (upload {upload_id})")
            raise
        return sorted(parts)

    def complete_multipart(self, key: str, upload_id: str, parts: Iterable[tuple[int, str]] | None = None) -> None:
        """Assemble the object from `parts` as (part_number, etag); by default from the parts the
        store itself lists, so ETags reported by the browser need not be trusted.

        Raises ValueError when there are no parts, FileNotFoundError when the upload does not
        exist, ClientError when the store refuses (e.g. a part under 5 MiB that is not the last).
        """
        if parts is None:
            chosen = [(number, etag) for number, _, etag in self.list_parts(key, upload_id)]
        else:
            chosen = sorted((int(number), etag) for number, etag in parts)
        if not chosen:
            raise ValueError("a multipart upload needs at least one part")
        try:
            self.client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=key,
                UploadId=upload_id,
                MultipartUpload={"Parts": [{"PartNumber": n, "ETag": etag} for n, etag in chosen]},
            )
        except ClientError as exc:
            _raise_missing(exc, f"{key} (upload {upload_id})")
            raise

    def abort_multipart(self, key: str, upload_id: str) -> None:
        """Cancel an upload and free its parts; no error if it is already gone."""
        try:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
        except ClientError as exc:
            if not _is_missing(exc):
                raise

    # -- setup ---------------------------------------------------------------------------------

    def ensure_bucket(self, cors_origins: Iterable[str] = (), *, abort_incomplete_days: int = 2) -> list[str]:
        """Create the bucket if missing; let `cors_origins` upload parts and read ETags (PUT) and
        play media (GET, HEAD: the HLS player fetches segments from the bucket) (CORS); abort
        multipart uploads left incomplete for `abort_incomplete_days` (lifecycle rule).

        A store that refuses CORS or lifecycle rules is logged; returns the rules not set
        ("CORS", "lifecycle"), so `flask storage setup-bucket` can say so.
        """
        failed = []
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            if not _is_missing(exc):
                raise
            region = self.client.meta.region_name
            extra = {}
            if region not in (None, "us-east-1"):  # us-east-1 refuses its own name as a constraint
                extra["CreateBucketConfiguration"] = {"LocationConstraint": region}
            self.client.create_bucket(Bucket=self.bucket, **extra)
        origins = list(cors_origins)
        if origins and not self._try(
                "CORS",
                self.client.put_bucket_cors,
                Bucket=self.bucket,
                CORSConfiguration={
                    "CORSRules": [
                        {
                            "AllowedOrigins": origins,
                            "AllowedMethods": ["GET", "HEAD", "PUT"],
                            "AllowedHeaders": ["*"],
                            # Without it the browser cannot read a part's ETag.
                            "ExposeHeaders": ["ETag"],
                            "MaxAgeSeconds": 3600,
                        }
                    ]
                },
        ):
            failed.append("CORS")
        if not self._try(
            "lifecycle",
            self.client.put_bucket_lifecycle_configuration,
            Bucket=self.bucket,
            LifecycleConfiguration={
                "Rules": [
                    {
                        "ID": "abort-incomplete-multipart-uploads",
                        "Filter": {"Prefix": ""},
                        "Status": "Enabled",
                        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": abort_incomplete_days},
                    }
                ]
            },
        ):
            failed.append("lifecycle")
        return failed

    def _try(self, what: str, call, **params) -> bool:
        try:
            call(**params)
        except ClientError as exc:
            log.warning("bucket %s: could not set %s rules: %s", self.bucket, what, exc)
            return False
        return True


class _CountingReader:
    """Wraps a stream: counts what is read (upload_fileobj does not report a size) and fills each
    read completely. s3transfer takes a short first read for the end of a small object and then
    reads "the rest" in one call; a socket stream returning short reads would be pulled into
    memory whole."""

    def __init__(self, stream: BinaryIO):
        self.stream = stream
        self.count = 0

    def read(self, size: int | None = -1) -> bytes:
        parts = []
        wanted = None if size is None or size < 0 else size
        while wanted is None or wanted > 0:
            data = self.stream.read(CHUNK if wanted is None else wanted)
            if not data:
                break
            parts.append(data)
            if wanted is not None:
                wanted -= len(data)
        data = b"".join(parts)
        self.count += len(data)
        return data


def _content_type(content_type: str | None) -> dict:
    return {"ContentType": content_type} if content_type else {}


def _expires(seconds: int) -> int:
    if not 1 <= seconds <= MAX_EXPIRES:
        raise ValueError(f"expiry {seconds} s outside 1..{MAX_EXPIRES}")
    return int(seconds)


def _is_missing(exc: ClientError) -> bool:
    error = exc.response.get("Error", {})
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return error.get("Code") in _MISSING or status == 404


def _raise_missing(exc: ClientError, what: str) -> None:
    if _is_missing(exc):
        raise FileNotFoundError(f"no such object: {what}") from exc
