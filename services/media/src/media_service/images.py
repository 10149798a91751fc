"""What counts as a profile picture, and how an upload becomes the stored image.

The type is decided by the bytes alone (:func:`sniff`), never by the filename or the declared
content type. The image is then decoded for real, refused above a pixel limit *before* its
pixels are decoded (a decompression bomb is a few kilobytes that claim billions of pixels),
and re-encoded in the same format: orientation applied, metadata (EXIF with its GPS position,
XMP, comments) dropped. Only the colour profile and transparency survive.

:func:`process` is CPU-bound and synchronous: callers run it in a worker thread.
"""

import io
from dataclasses import dataclass
from enum import Enum

from PIL import Image, ImageOps, JpegImagePlugin

from inkwell_runtime.errors import DomainError


class ImageKind(Enum):
    PNG = ("image/png", "PNG")
    JPEG = ("image/jpeg", "JPEG")
    WEBP = ("image/webp", "WEBP")

    def __init__(self, media_type: str, pillow_format: str) -> None:
        self.media_type = media_type
        self.pillow_format = pillow_format


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SIGNATURE = b"\xff\xd8\xff"


def sniff(data: bytes) -> ImageKind | None:
    """The image type the leading bytes (the format's signature) announce, if supported."""
    if data.startswith(PNG_SIGNATURE):
        return ImageKind.PNG
    if data.startswith(JPEG_SIGNATURE):
        return ImageKind.JPEG
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ImageKind.WEBP
    return None


class ImageRejected(DomainError):
    """The upload is not an acceptable picture; ``detail`` says why, for the client."""

    status = 422
    detail = "Image rejected"


class UnsupportedImageType(ImageRejected):
    status = 415
    detail = "Unsupported image type"


class CorruptImage(ImageRejected):
    detail = "Image data is corrupt or truncated"


class TooManyPixels(ImageRejected):
    def __init__(self, limit: int) -> None:
        super().__init__(detail=f"Image dimensions too large: at most {limit} pixels allowed")


@dataclass(frozen=True)
class ProcessedImage:
    kind: ImageKind
    data: bytes
    width: int
    height: int


def process(data: bytes, max_pixels: int) -> ProcessedImage:
    """Check ``data`` is a real PNG, JPEG or WebP of at most ``max_pixels`` and re-encode it."""
    kind = sniff(data)
    if kind is None:
        raise UnsupportedImageType
    try:
        # Opening reads the header only; Pillow's own bomb guard (2 x MAX_IMAGE_PIXELS) may
        # already refuse here.
        source = Image.open(io.BytesIO(data), formats=[kind.pillow_format])
    except Image.DecompressionBombError as exc:
        raise TooManyPixels(max_pixels) from exc
    except Exception as exc:
        raise CorruptImage from exc
    with source:
        width, height = source.size
        if width * height > max_pixels:
            raise TooManyPixels(max_pixels)
        try:
            source.load()
            image = ImageOps.exif_transpose(source)
            encoded = _encode(image, source, kind)
        except Exception as exc:  # any failure decoding untrusted bytes is the upload's fault
            raise CorruptImage from exc
    return ProcessedImage(kind=kind, data=encoded, width=image.width, height=image.height)


def _encode(image: Image.Image, source: Image.Image, kind: ImageKind) -> bytes:
    """Re-encode with an explicit allow-list of what is kept: nothing from ``info`` leaks."""
    kept = {key: source.info[key] for key in ("icc_profile", "transparency") if key in source.info}
    image.info = {}
    options: dict[str, object] = {}
    if "icc_profile" in kept:
        options["icc_profile"] = kept["icc_profile"]
    if kind is ImageKind.PNG:
        if "transparency" in kept:
            options["transparency"] = kept["transparency"]
    elif kind is ImageKind.JPEG:
        # The source's own quantisation tables and subsampling: no visible loss of quality.
        assert isinstance(source, JpegImagePlugin.JpegImageFile)
        options["qtables"] = source.quantization
        options["subsampling"] = JpegImagePlugin.get_sampling(source)
    else:
        options["quality"] = 90
    out = io.BytesIO()
    image.save(out, format=kind.pillow_format, **options)
    return out.getvalue()
