"""Attachments: stored through Django's storage API, limited by size and by the type their
content shows (not their name), downloaded only through the access-checked endpoint."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from library.models import ResourceFile
from tests.library.conftest import EXE, PDF, PNG, docx_bytes

pytestmark = pytest.mark.django_db


def upload(
    client, resource_id: int, name: str, content: bytes, content_type: str = "application/pdf"
):
    return client.post(
        f"/api/v1/resources/{resource_id}/files",
        {"file": SimpleUploadedFile(name, content, content_type=content_type)},
        format="multipart",
    )


def test_an_author_attaches_a_file_that_a_reader_downloads_safely(
    library, client_for, write, publish, settings
):
    resource = write(library.expert.user)
    author = client_for(library.expert.user)

    stored = upload(author, resource["id"], "Timetable plan.pdf", PDF)
    upload(author, resource["id"], "board.docx", docx_bytes())
    publish(resource)

    assert stored.status_code == 201, stored.content
    assert stored.json()["content_type"] == "application/pdf"
    assert stored.json()["size"] == len(PDF)
    row = ResourceFile.objects.get(pk=stored.json()["id"])
    assert row.file.name.startswith(f"library/{resource['id']}/")
    assert "Timetable" not in row.file.name  # the stored name is random
    assert (settings.MEDIA_ROOT / row.file.name).read_bytes() == PDF
    download = client_for(library.outsider).get(stored.json()["download_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == 'attachment; filename="Timetable plan.pdf"'
    assert download["X-Content-Type-Options"] == "nosniff"
    detail = client_for(library.outsider).get(f"/api/v1/resources/{resource['id']}").json()
    assert [f["name"] for f in detail["files"]] == ["Timetable plan.pdf", "board.docx"]


def test_files_of_a_resource_outside_the_callers_scope_are_404(library, client_for, write):
    resource = write(library.expert.user)
    stored = upload(client_for(library.expert.user), resource["id"], "plan.pdf", PDF).json()

    assert client_for(library.outsider).get(stored["download_url"]).status_code == 404
    assert upload(client_for(library.outsider), resource["id"], "x.pdf", PDF).status_code == 404
    # The media folder is never served by URL.
    assert (
        client_for(library.expert.user)
        .get(f"/media/{ResourceFile.objects.get().file.name}")
        .status_code
        == 404
    )


def test_a_file_over_the_size_limit_is_refused(library, client_for, write, settings):
    settings.LIBRARY = {**settings.LIBRARY, "MAX_FILE_BYTES": 1024}
    resource = write(library.expert.user)

    response = upload(client_for(library.expert.user), resource["id"], "big.pdf", PDF + b"0" * 1024)

    assert response.status_code == 400
    assert response.json()["code"] == "file_too_large"
    assert ResourceFile.objects.count() == 0
    assert not (settings.MEDIA_ROOT / "library").exists()


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("plan.docx", PDF, "file_content_mismatch"),  # a PDF renamed .docx
        ("invoice.pdf", EXE, "file_content_mismatch"),  # a program renamed .pdf
        ("photo.png", b"just some text, not an image", "file_content_mismatch"),
        ("tool.exe", EXE, "file_type_not_allowed"),
        ("notes", PDF, "file_type_not_allowed"),
    ],
)
def test_a_file_whose_content_is_not_an_accepted_type_is_refused(
    library, client_for, write, name, content, code
):
    resource = write(library.expert.user)

    response = upload(client_for(library.expert.user), resource["id"], name, content)

    assert response.status_code == 400
    assert response.json()["code"] == code
    assert "file" in response.json()["fields"]
    assert ResourceFile.objects.count() == 0


def test_only_the_author_changes_files_and_only_before_approval(
    library, client_for, write, publish
):
    resource = write(library.expert.user, session=library.session.pk)
    author = client_for(library.expert.user)
    image = upload(author, resource["id"], "chart.png", PNG, "image/png").json()

    assert upload(client_for(library.senco), resource["id"], "x.pdf", PDF).status_code == 403
    publish(resource)
    assert upload(author, resource["id"], "late.pdf", PDF).status_code == 409
    removed = author.delete(f"/api/v1/resources/{resource['id']}/files/{image['id']}")
    assert removed.status_code == 409
    assert ResourceFile.objects.count() == 1


def test_removing_a_file_deletes_its_bytes(
    library, client_for, write, settings, django_capture_on_commit_callbacks
):
    resource = write(library.expert.user)
    author = client_for(library.expert.user)
    stored = upload(author, resource["id"], "plan.pdf", PDF).json()
    path = settings.MEDIA_ROOT / ResourceFile.objects.get().file.name

    with django_capture_on_commit_callbacks(execute=True):
        response = author.delete(f"/api/v1/resources/{resource['id']}/files/{stored['id']}")

    assert response.status_code == 204
    assert not path.exists()
    assert ResourceFile.objects.count() == 0


def test_deleting_a_resource_deletes_its_files_bytes(
    library, client_for, write, settings, django_capture_on_commit_callbacks
):
    resource = write(library.expert.user)
    author = client_for(library.expert.user)
    upload(author, resource["id"], "plan.pdf", PDF)
    path = settings.MEDIA_ROOT / ResourceFile.objects.get().file.name

    with django_capture_on_commit_callbacks(execute=True):
        response = author.delete(f"/api/v1/resources/{resource['id']}")

    assert response.status_code == 204
    assert not path.exists()
    assert ResourceFile.objects.count() == 0
