"""Pictures and files kept in a folder or an S3-compatible bucket, behind one interface."""

import pytest

from app import create_app
from app.config import BadSettings
from app.storage import KEY, Bucket, Folder, Missing, new_key, parsed
from tests.support import settings


@pytest.fixture(params=["folder", "bucket"])
def storage(request, tmp_path):
    if request.param == "folder":
        return Folder(tmp_path / "media")
    client, bucket = request.getfixturevalue("s3")
    return parsed(f"s3://{bucket}/uploads/2026", tmp_path)


def test_a_file_kept_is_read_back_until_deleted(storage):
    key = new_key()
    picture = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
    storage.put(key, picture, "image/png")
    assert storage.get(key) == picture
    storage.put(key, b"again", "text/plain")  # the same key names the newest file
    assert storage.get(key) == b"again"
    storage.delete(key)
    with pytest.raises(Missing):
        storage.get(key)
    storage.delete(key)  # deleting what is gone is no error
    with pytest.raises(Missing):
        storage.get(new_key())


@pytest.mark.parametrize(
    "hostile", ["../../x", "ab/../../etc/passwd", "<script>", "", "ab/" + "c" * 30 + "/.."]
)
def test_only_the_apps_own_keys_name_a_file(storage, hostile, tmp_path):
    for action in (lambda: storage.put(hostile, b"x", "image/png"), lambda: storage.get(hostile)):
        with pytest.raises(ValueError):
            action()
    assert not (tmp_path / "x").exists()


def test_keys_are_new_each_time():
    keys = {new_key() for _ in range(1000)}
    assert len(keys) == 1000 and all(KEY.fullmatch(key) for key in keys)


def test_a_bucket_keeps_files_under_its_prefix_with_their_type(s3, tmp_path):
    client, bucket = s3
    storage = parsed(f"s3://{bucket}/uploads/2026/", tmp_path)
    key = new_key()
    storage.put(key, b"%PDF-1.7 a quote", "application/pdf")
    kept = client.get_object(Bucket=bucket, Key=f"uploads/2026/{key}")
    assert kept["ContentType"] == "application/pdf"
    assert kept["Body"].read() == b"%PDF-1.7 a quote"
    assert isinstance(parsed(f"s3://{bucket}", tmp_path), Bucket)


def test_storage_url_names_a_folder_or_a_bucket_or_the_app_does_not_start(tmp_path):
    assert parsed("", tmp_path).root == tmp_path / "media"
    assert parsed(f"file://{tmp_path}/files", tmp_path).root == tmp_path / "files"
    for wrong in ("https://example.com/media", "s3://", "file://host/x", "media", "ftp://a/b"):
        with pytest.raises(ValueError):
            parsed(wrong, tmp_path)
    with pytest.raises(BadSettings, match="STORAGE_URL"):
        create_app(settings(STORAGE_URL="https://example.com/media"))
