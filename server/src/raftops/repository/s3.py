"""A repository in an S3 bucket (AWS or any S3-compatible endpoint), through boto3.

An S3 object becomes visible only when its upload completes (single PUT or the final
CompleteMultipartUpload), so a reader sees the whole blob or nothing; a failed multipart
upload is aborted by boto3's transfer manager.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Iterable
from typing import Any, BinaryIO

from .base import BlobInfo, BlobNotFound, Repository, RepositoryError, check_name

SETTINGS = (
    "bucket",
    "base_path",
    "endpoint",
    "region",
    "access_key",
    "secret_key",
    "session_token",
    "path_style_access",
)


class S3Repository(Repository):
    def __init__(
        self,
        bucket: str,
        base_path: str = "",
        *,
        endpoint: str | None = None,
        region: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
        session_token: str | None = None,
        path_style: bool = False,
    ):
        import boto3
        from botocore.config import Config

        if not bucket:
            raise RepositoryError("[bucket] is required for a repository of type [s3]")
        self.bucket = bucket
        self.base = base_path.strip("/")
        cfg = Config(
            retries={"max_attempts": 3, "mode": "standard"},
            connect_timeout=5,
            read_timeout=60,
            s3={"addressing_style": "path" if path_style or endpoint else "auto"},
        )
        session = boto3.session.Session(
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            aws_session_token=session_token,
            region_name=region or "us-east-1",
        )
        self.client = session.client("s3", endpoint_url=endpoint or None, config=cfg)

    @classmethod
    def from_settings(cls, settings: dict[str, Any], defaults: dict[str, Any]) -> S3Repository:
        """OpenSearch-style settings; credentials fall back to the agent's config, then boto3's chain."""
        merged = {**defaults, **{k: v for k, v in settings.items() if v not in (None, "")}}
        unknown = sorted(set(settings) - set(SETTINGS) - {"compress", "chunk_size", "readonly"})
        if unknown:
            raise RepositoryError(f"unknown settings for a repository of type [s3]: {', '.join(unknown)}")
        return cls(
            str(merged.get("bucket") or ""),
            str(merged.get("base_path") or ""),
            endpoint=merged.get("endpoint") or os.environ.get("AWS_ENDPOINT_URL_S3") or None,
            region=merged.get("region"),
            access_key=merged.get("access_key"),
            secret_key=merged.get("secret_key"),
            session_token=merged.get("session_token"),
            path_style=str(merged.get("path_style_access", "")).lower() == "true",
        )

    def _key(self, name: str) -> str:
        return f"{self.base}/{name}" if self.base else name

    def _error(self, action: str, name: str, exc: Exception) -> RepositoryError:
        return RepositoryError(f"cannot {action} [{name}] in s3://{self.bucket}/{self.base}: {exc}")

    def put(self, name: str, chunks: Iterable[bytes]) -> BlobInfo:
        from botocore.exceptions import BotoCoreError, ClientError

        check_name(name)
        # Spool to disk first: upload_fileobj needs a seekable source to retry parts safely.
        with tempfile.TemporaryFile() as spool:
            size = 0
            for chunk in chunks:
                spool.write(chunk)
                size += len(chunk)
            spool.seek(0)
            try:
                self.client.upload_fileobj(spool, self.bucket, self._key(name))
            except (BotoCoreError, ClientError) as exc:
                raise self._error("write", name, exc) from exc
        return BlobInfo(name, size, _now())

    def open(self, name: str) -> BinaryIO:
        from botocore.exceptions import BotoCoreError, ClientError

        check_name(name)
        try:
            obj = self.client.get_object(Bucket=self.bucket, Key=self._key(name))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise BlobNotFound(f"[{name}] not found in s3://{self.bucket}/{self.base}") from exc
            raise self._error("read", name, exc) from exc
        except BotoCoreError as exc:
            raise self._error("read", name, exc) from exc
        return io.BufferedReader(_StreamReader(obj["Body"]), buffer_size=1 << 20)

    def list(self, prefix: str = "") -> list[BlobInfo]:
        from botocore.exceptions import BotoCoreError, ClientError

        base = f"{self.base}/" if self.base else ""
        out = []
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=base + prefix)
            for page in pages:
                for obj in page.get("Contents", []):
                    name = obj["Key"][len(base) :]
                    if "/" in name:
                        continue
                    out.append(BlobInfo(name, int(obj["Size"]), obj["LastModified"].timestamp()))
        except (BotoCoreError, ClientError) as exc:
            raise self._error("list", prefix or "*", exc) from exc
        return sorted(out, key=lambda b: b.name)

    def delete(self, name: str) -> bool:
        from botocore.exceptions import BotoCoreError, ClientError

        check_name(name)
        existed = self.exists(name)
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._key(name))
        except (BotoCoreError, ClientError) as exc:
            raise self._error("delete", name, exc) from exc
        return existed

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.base}"


class _StreamReader(io.RawIOBase):
    """A file-like view of a botocore StreamingBody (usable with tarfile/gzip in stream mode)."""

    def __init__(self, body: Any):
        self._body = body

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        data = self._body.read(len(b))
        n = len(data)
        b[:n] = data
        return n

    def close(self) -> None:
        self._body.close()
        super().close()


def _now() -> float:
    import time

    return time.time()
