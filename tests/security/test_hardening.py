"""Hardening that other parts of the portal provide, checked from the outside: rich text
is sanitised, uploads are limited in size and type, request bodies are bounded."""

import re

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from core.richtext import sanitize as sanitize_html
from experiences.services import ATTACHMENT_MAX_BYTES, validate_attachment


@pytest.mark.parametrize(
    "dirty",
    [
        '<p onclick="alert(1)">x</p><script>alert(1)</script>',
        '<a href="javascript:alert(1)">lien</a>',
        '<img src=x onerror="alert(1)">',
        '<iframe src="https://example.org"></iframe><style>body{}</style>',
        '<p style="background:url(x)">x</p>',
    ],
)
def test_rich_text_keeps_no_script_handler_style_or_javascript_url(dirty):
    clean = sanitize_html(dirty).lower()
    for tag in ("<script", "<iframe", "<style", "<img"):
        assert tag not in clean  # dropped, or escaped into text
    assert not re.search(r"<[^>]*\s(on\w+|style)=", clean)
    assert not re.search(r"<a[^>]*javascript:", clean)


def test_uploads_are_limited_in_size():
    big = SimpleUploadedFile("rapport.pdf", b"%PDF-1.4 " + b"0" * 16, content_type="application/pdf")
    big.size = ATTACHMENT_MAX_BYTES + 1
    with pytest.raises(ValidationError):
        validate_attachment(big)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("programme.exe", b"MZ\x90\x00"),
        ("faux.pdf", b"MZ\x90\x00 not a pdf"),
        ("page.html", b"<html><script>alert(1)</script>"),
        ("image.svg", b"<svg onload='alert(1)'/>"),
    ],
)
def test_uploads_are_limited_in_type_by_extension_and_content(name, content):
    with pytest.raises(ValidationError):
        validate_attachment(SimpleUploadedFile(name, content))


def test_a_real_pdf_is_accepted():
    assert validate_attachment(SimpleUploadedFile("rapport.pdf", b"%PDF-1.7\n...")) == "application/pdf"


def test_request_bodies_are_bounded():
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE <= 10 * 1024 * 1024
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE <= 10 * 1024 * 1024
    assert settings.DATA_UPLOAD_MAX_NUMBER_FIELDS <= 10_000
