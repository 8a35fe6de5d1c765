"""Files go through Django's storage API: the local folder by default, an S3-compatible
bucket when the settings say so (no bucket is contacted here: the storage is only built)."""

from tests.test_settings import manage

SHOW_STORAGE = (
    "from django.core.files.storage import storages; s = storages['default']; "
    "print(type(s).__name__, getattr(s, 'bucket_name', '-'), getattr(s, 'endpoint_url', '-'), "
    "getattr(s, 'default_acl', '-'))"
)


def test_files_are_stored_locally_by_default():
    result = manage(
        "shell", "--no-imports", "-c", SHOW_STORAGE, S3_BUCKET="", DATABASE_URL="sqlite:///:memory:"
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "FileSystemStorage"


def test_an_s3_bucket_is_used_when_configured():
    result = manage(
        "shell",
        "--no-imports",
        "-c",
        SHOW_STORAGE,
        DATABASE_URL="sqlite:///:memory:",
        S3_BUCKET="exchange-library",
        S3_ENDPOINT_URL="https://s3.example.org",
        S3_ACCESS_KEY_ID="key",
        S3_SECRET_ACCESS_KEY="secret",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "S3Storage",
        "exchange-library",
        "https://s3.example.org",
        "private",
    ]
