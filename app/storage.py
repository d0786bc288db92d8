"""Where pictures and files are kept (SPEC §2.13): a folder under `instance/` on the embedded
default; S3-compatible object storage with `STORAGE_URL=s3://bucket/prefix` (through boto3, which
reads the credentials, region and any endpoint, such as MinIO's, from the standard `AWS_*`
variables: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_DEFAULT_REGION`, `AWS_ENDPOINT_URL`).

Files are named by keys the app makes (`new_key`), never by a name a user or carrier gave, and
what a file is (its type, its name as sent) is kept in the database beside its key.
"""

import os
import re
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, current_app

from app.config import BadSettings

# A key: random letters and digits (`new_key`), in folders of two for a folder that stays small.
KEY = re.compile(r"[0-9a-f]{2}/[0-9a-f]{30}")


class Missing(LookupError):
    """No file is kept under this key."""


def new_key() -> str:
    """A name no other file has, nor can be guessed from another."""
    token = secrets.token_hex(16)
    return f"{token[:2]}/{token[2:]}"


def checked(key: str) -> str:
    if not KEY.fullmatch(key):
        raise ValueError(f"not a storage key: {key!r}")
    return key


class Folder:
    """Files in a folder of this machine (the embedded default: `instance/media`)."""

    def __init__(self, root: Path):
        self.root = root

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self.root / checked(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written beside, then moved in place: a reader never finds half a file.
        draft = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
        draft.write_bytes(data)
        os.replace(draft, path)

    def get(self, key: str) -> bytes:
        try:
            return (self.root / checked(key)).read_bytes()
        except FileNotFoundError:
            raise Missing(key) from None

    def delete(self, key: str) -> None:
        (self.root / checked(key)).unlink(missing_ok=True)


class Bucket:
    """Files in an S3-compatible bucket, under a prefix."""

    def __init__(self, bucket: str, prefix: str):
        import boto3

        self.client = boto3.client("s3")
        self.bucket = bucket
        self.prefix = f"{prefix.strip('/')}/" if prefix.strip("/") else ""

    def name(self, key: str) -> str:
        return self.prefix + checked(key)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(
            Bucket=self.bucket, Key=self.name(key), Body=data, ContentType=content_type
        )

    def get(self, key: str) -> bytes:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self.name(key))
        except self.client.exceptions.NoSuchKey:
            raise Missing(key) from None
        return answer["Body"].read()

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.name(key))


def parsed(url: str, instance: Path) -> Folder | Bucket:
    """The storage `STORAGE_URL` names: empty for `instance/media`, `s3://bucket/prefix`, or
    `file:///an/absolute/folder`; ValueError for anything else."""
    if not url:
        return Folder(instance / "media")
    address = urlsplit(url)
    if address.scheme == "s3" and address.netloc:
        return Bucket(address.netloc, address.path)
    if address.scheme == "file" and not address.netloc and address.path.startswith("/"):
        return Folder(Path(address.path))
    raise ValueError("STORAGE_URL is s3://bucket/prefix or file:///folder")


def init_app(app: Flask) -> None:
    try:
        app.extensions["storage"] = parsed(app.config["STORAGE_URL"], Path(app.instance_path))
    except ValueError as e:
        raise BadSettings(f"Cannot start: {e}, not {app.config['STORAGE_URL']!r}.") from None


def storage() -> Folder | Bucket:
    """The app's storage."""
    return current_app.extensions["storage"]


def keep(data: bytes, content_type: str) -> str:
    """Keep a file in the app's storage under a new key; the key."""
    key = new_key()
    storage().put(key, data, content_type)
    return key
