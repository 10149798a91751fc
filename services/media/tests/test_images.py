"""The rules of images.py that the routes cannot reach one by one."""

import pytest

from media_service.images import ImageKind, sniff


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 8, ImageKind.PNG),
        (b"\x89PNG\r\n\x1a", None),  # one byte short of the signature
        (b"\xff\xd8\xff\xe0" + b"\x00" * 8, ImageKind.JPEG),
        (b"\xff\xd8\x00", None),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", ImageKind.WEBP),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", None),  # RIFF, but audio
        (b"GIF89a", None),
        (b"BM" + b"\x00" * 12, None),
        (b"%PDF-1.7", None),
        (b"", None),
    ],
)
def test_sniff_reads_the_signature(data: bytes, kind: ImageKind | None) -> None:
    assert sniff(data) is kind
