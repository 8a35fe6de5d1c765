"""The pure parts: Markdown rendering and the upload checks."""

import io

import pytest

from config.errors import ApplicationError
from library import markdown, uploads
from tests.library.conftest import EXE, PDF, PNG, docx_bytes


def test_markdown_keeps_formatting_and_drops_raw_html():
    html = markdown.render(
        "# Title\n\n**bold** _it_\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
        '<img src=x onerror="alert(1)"> <a href="https://evil.example">x</a>'
    )

    assert "<h1>Title</h1>" in html
    assert "<strong>bold</strong>" in html
    assert "<table>" in html
    assert "<img" not in html
    assert "&lt;img" in html
    assert "<a href" not in html


def test_markdown_links_get_rel_noopener_nofollow_and_unsafe_schemes_go():
    html = markdown.render("[ok](https://example.org) [data](data:text/html;base64,PHNjcmlwdD4=)")

    assert '<a href="https://example.org" rel="noopener nofollow">ok</a>' in html
    assert "data:text/html" not in html.split("[data]")[0]
    assert 'href="data:' not in html


def test_sanitiser_removes_what_markdown_could_let_through():
    # Images are allowed, but only with http(s) sources and no event handlers.
    html = markdown.render("![pic](javascript:alert(1)) ![ok](https://example.org/a.png)")

    assert 'src="javascript' not in html
    assert '<img src="https://example.org/a.png" alt="ok">' in html


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ('C:\\Users\\me\\"plan";.pdf', "plan.pdf"),
        ("\x00\x1fname.pdf", "name.pdf"),
        ("...", "file"),
        ("a" * 300 + ".docx", "a" * 195 + ".docx"),  # 200 characters in all
    ],
)
def test_clean_name_keeps_a_safe_base_name(name, expected):
    assert uploads.clean_name(name) == expected


@pytest.mark.parametrize(
    ("name", "content", "mime"),
    [
        ("a.pdf", PDF, "application/pdf"),
        ("a.PNG", PNG, "image/png"),
        (
            "a.docx",
            docx_bytes(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
    ],
)
def test_check_upload_reads_the_type_from_the_content(name, content, mime):
    stream = io.BytesIO(content)

    checked = uploads.check_upload(name=name, size=len(content), stream=stream, max_bytes=10_000)

    assert checked.content_type == mime
    assert stream.tell() == 0  # left where it was, for the storage to read


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("a.docx", PDF, "file_content_mismatch"),
        ("a.pdf", EXE, "file_content_mismatch"),
        ("a.exe", EXE, "file_type_not_allowed"),
        ("a.pdf", b"", "empty_file"),
        ("a.pdf", PDF * 1000, "file_too_large"),
    ],
)
def test_check_upload_refuses(name, content, code):
    with pytest.raises(ApplicationError) as refused:
        uploads.check_upload(
            name=name, size=len(content), stream=io.BytesIO(content), max_bytes=10_000
        )

    assert refused.value.code == code
