"""PUT /api/users/me/profile-picture: what is accepted, what is stored, what is refused."""

import io
import uuid
import zlib
from collections.abc import Callable

import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from .conftest import Bucket, Upload

pytestmark = pytest.mark.anyio

MakeImage = Callable[..., bytes]


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def key_of(user_id: uuid.UUID) -> str:
    return f"profile_pics/{user_id}"


@pytest.mark.parametrize(
    ("fmt", "media_type", "mode"),
    [("PNG", "image/png", "RGBA"), ("JPEG", "image/jpeg", "RGB"), ("WEBP", "image/webp", "RGB")],
)
async def test_each_supported_type_is_stored_under_the_users_key(
    upload: Upload,
    bucket: Bucket,
    user_id: uuid.UUID,
    make_image: MakeImage,
    fmt: str,
    media_type: str,
    mode: str,
) -> None:
    color = (10, 120, 200, 128) if mode == "RGBA" else (10, 120, 200)
    response = await upload(make_image(fmt, mode=mode, color=color), filename="avatar.bin")

    assert response.status_code == 200, response.text
    stored = bucket.get(key_of(user_id))
    assert stored is not None
    assert response.json() == {
        "user_id": str(user_id),
        "key": key_of(user_id),
        "content_type": media_type,
        "size": len(stored.data),
        "url": f"http://gateway.test/api/users/{user_id}/profile-picture",
    }
    assert stored.content_type == media_type
    image = decode(stored.data)
    assert (image.format, image.size, image.mode) == (fmt, (40, 20), mode)


async def test_a_script_named_png_is_refused_and_nothing_is_stored(
    upload: Upload, bucket: Bucket
) -> None:
    response = await upload(b"#!/bin/sh\nrm -rf /\n", filename="cat.png", content_type="image/png")

    assert response.status_code == 415
    assert response.json() == {"detail": "Unsupported image type"}
    assert bucket.keys() == []


async def test_a_jpeg_named_png_is_stored_as_jpeg(
    upload: Upload, bucket: Bucket, user_id: uuid.UUID, jpeg: bytes
) -> None:
    response = await upload(jpeg, filename="photo.png", content_type="image/png")

    assert response.status_code == 200
    assert response.json()["content_type"] == "image/jpeg"
    stored = bucket.get(key_of(user_id))
    assert stored is not None
    assert stored.content_type == "image/jpeg"
    assert decode(stored.data).format == "JPEG"


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"GIF89a" + b"\x00" * 64, id="gif"),
        pytest.param(b"<svg xmlns='http://www.w3.org/2000/svg'/>", id="svg"),
        pytest.param(b"", id="empty"),
    ],
)
async def test_other_types_are_unsupported(upload: Upload, bucket: Bucket, data: bytes) -> None:
    response = await upload(data)

    assert response.status_code == 415
    assert response.json() == {"detail": "Unsupported image type"}
    assert bucket.keys() == []


async def test_a_real_gif_is_unsupported(upload: Upload, make_image: MakeImage) -> None:
    response = await upload(make_image("GIF", mode="P", color=1), content_type="image/png")

    assert response.status_code == 415


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda png: png[:8] + b"\x00" * 40, id="signature-then-garbage"),
        pytest.param(lambda png: png[: len(png) // 2], id="truncated"),
    ],
)
async def test_a_corrupt_image_is_refused(
    upload: Upload, bucket: Bucket, make_image: MakeImage, damage: Callable[[bytes], bytes]
) -> None:
    noisy = make_image("PNG", size=(64, 64), mode="L", color=7)

    response = await upload(damage(noisy))

    assert response.status_code == 422
    assert response.json() == {"detail": "Image data is corrupt or truncated"}
    assert bucket.keys() == []


def with_claimed_size(png: bytes, width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height``: how a decompression bomb looks."""
    ihdr = b"IHDR" + width.to_bytes(4, "big") + height.to_bytes(4, "big") + png[24:29]
    return png[:12] + ihdr + zlib.crc32(ihdr).to_bytes(4, "big") + png[33:]


@pytest.mark.parametrize(
    ("width", "height"),
    [
        pytest.param(6_000, 6_000, id="over-our-limit"),
        pytest.param(100_000, 100_000, id="over-pillows-own-limit"),
    ],
)
async def test_a_decompression_bomb_is_refused_before_decoding(
    upload: Upload, bucket: Bucket, png: bytes, width: int, height: int
) -> None:
    """A few hundred bytes claiming billions of pixels: refused from the header, and the
    service carries on."""
    response = await upload(with_claimed_size(png, width, height))

    assert response.status_code == 422
    assert response.json() == {
        "detail": "Image dimensions too large: at most 25000000 pixels allowed"
    }
    assert bucket.keys() == []
    assert (await upload(png)).status_code == 200


@pytest.mark.settings(max_image_pixels=800)
async def test_the_pixel_limit_is_a_setting(upload: Upload, make_image: MakeImage) -> None:
    assert (await upload(make_image(size=(40, 20)))).status_code == 200  # 800 pixels: at the limit

    response = await upload(make_image(size=(40, 21)))

    assert response.status_code == 422
    assert response.json()["detail"] == "Image dimensions too large: at most 800 pixels allowed"


async def test_a_new_upload_replaces_the_old_one_whatever_its_type(
    upload: Upload, bucket: Bucket, user_id: uuid.UUID, png: bytes, jpeg: bytes
) -> None:
    assert (await upload(png)).status_code == 200

    response = await upload(jpeg, filename="new.jpg", content_type="image/jpeg")

    assert response.status_code == 200
    assert bucket.keys() == [key_of(user_id)]
    stored = bucket.get(key_of(user_id))
    assert stored is not None
    assert stored.content_type == "image/jpeg"
    assert decode(stored.data).format == "JPEG"


async def test_each_user_has_their_own_picture(
    upload: Upload, bucket: Bucket, user_id: uuid.UUID, signer, png: bytes, jpeg: bytes
) -> None:
    other = uuid.uuid4()
    await upload(png)
    await upload(jpeg, headers=signer.bearer(user_id=other))

    assert sorted(bucket.keys()) == sorted([key_of(user_id), key_of(other)])


async def test_exif_is_stripped_and_its_orientation_applied(
    upload: Upload, bucket: Bucket, user_id: uuid.UUID, make_image: MakeImage
) -> None:
    """A phone photo carries its GPS position in EXIF; none of it may be published."""
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (52.0, 22.0, 1.0), 3: "E", 4: (4.0, 53.0, 0.0)}  # GPS
    photo = make_image(
        "JPEG",
        size=(40, 20),
        exif=exif.tobytes(),
        xmp=b"<x:xmpmeta>secret</x:xmpmeta>",
        comment=b"taken at home",
    )
    assert decode(photo).getexif()[0x8825]  # the upload really carries GPS

    response = await upload(photo, filename="photo.jpg", content_type="image/jpeg")

    assert response.status_code == 200
    stored = bucket.get(key_of(user_id))
    assert stored is not None
    image = decode(stored.data)
    assert (image.format, image.mode, image.size) == ("JPEG", "RGB", (20, 40))  # upright
    assert dict(image.getexif()) == {}
    assert "xmp" not in image.info
    assert "comment" not in image.info
    assert b"PhoneMaker" not in stored.data
    assert b"secret" not in stored.data
    assert b"at home" not in stored.data


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
async def test_an_animation_keeps_its_first_frame(
    upload: Upload, bucket: Bucket, user_id: uuid.UUID, fmt: str
) -> None:
    red, blue = Image.new("RGB", (8, 8), (255, 0, 0)), Image.new("RGB", (8, 8), (0, 0, 255))
    animation = io.BytesIO()
    red.save(animation, fmt, save_all=True, append_images=[blue], duration=100, loop=0)
    assert getattr(Image.open(animation), "n_frames", 1) == 2

    response = await upload(animation.getvalue())

    assert response.status_code == 200
    stored = bucket.get(key_of(user_id))
    assert stored is not None
    image = Image.open(io.BytesIO(stored.data))
    assert getattr(image, "n_frames", 1) == 1
    pixel = image.convert("RGB").getpixel((0, 0))
    assert isinstance(pixel, tuple)
    r, _, b = pixel
    assert r > 250 and b < 5  # red (lossy WebP may shift a channel by a step)


async def test_png_text_chunks_are_stripped(
    upload: Upload, bucket: Bucket, user_id: uuid.UUID, make_image: MakeImage
) -> None:
    info = PngInfo()
    info.add_text("Comment", "GPS 59.91N 10.75E")
    info.add_itxt("Author", "Alice Example")

    response = await upload(make_image("PNG", pnginfo=info))

    assert response.status_code == 200
    stored = bucket.get(key_of(user_id))
    assert stored is not None
    assert decode(stored.data).info == {}
    assert b"GPS" not in stored.data
    assert b"Alice" not in stored.data


async def test_transparency_and_colour_profile_survive_re_encoding(
    upload: Upload, bucket: Bucket, user_id: uuid.UUID, make_image: MakeImage
) -> None:
    icc = decode(make_image("JPEG")).info.get("icc_profile") or _srgb_profile()
    response = await upload(make_image("PNG", mode="RGBA", color=(0, 255, 0, 40), icc_profile=icc))

    assert response.status_code == 200
    stored = bucket.get(key_of(user_id))
    assert stored is not None
    image = decode(stored.data)
    assert image.mode == "RGBA"
    assert image.getpixel((0, 0)) == (0, 255, 0, 40)
    assert image.info["icc_profile"] == icc


async def test_palette_transparency_survives(
    upload: Upload, bucket: Bucket, user_id: uuid.UUID
) -> None:
    image = Image.new("P", (40, 20), 1)
    image.putpalette([0, 0, 0, 255, 0, 0])
    original = io.BytesIO()
    image.save(original, "PNG", transparency=1)  # palette entry 1 (red) is transparent

    response = await upload(original.getvalue())

    assert response.status_code == 200
    stored = bucket.get(key_of(user_id))
    assert stored is not None
    assert decode(stored.data).convert("RGBA").getpixel((0, 0)) == (255, 0, 0, 0)


def _srgb_profile() -> bytes:
    from PIL import ImageCms

    profile: bytes = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return profile


# --- the request body ---------------------------------------------------------------------


async def test_no_file_field_is_a_validation_error(
    client, auth_headers: dict[str, str], png: bytes
) -> None:
    response = await client.put(
        "/api/users/me/profile-picture",
        files={"picture": ("me.png", png, "image/png")},
        data={"note": "hi"},
        headers=auth_headers,
    )

    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            {"type": "missing", "loc": ["body", "file"], "msg": "Field required", "input": None}
        ]
    }


async def test_a_json_body_is_a_validation_error(client, auth_headers: dict[str, str]) -> None:
    response = await client.put(
        "/api/users/me/profile-picture", json={"file": "x"}, headers=auth_headers
    )

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "file"]


async def test_the_file_may_be_sent_as_a_plain_field(
    client, auth_headers: dict[str, str], bucket: Bucket, user_id: uuid.UUID, png: bytes
) -> None:
    """``curl -F 'file=<me.png'`` sends no filename: the bytes still decide."""
    body = (
        b'--b0undary\r\nContent-Disposition: form-data; name="file"\r\n\r\n'
        + png
        + b"\r\n--b0undary--\r\n"
    )
    response = await client.put(
        "/api/users/me/profile-picture",
        content=body,
        headers={**auth_headers, "Content-Type": "multipart/form-data; boundary=b0undary"},
    )

    assert response.status_code == 200
    assert bucket.get(key_of(user_id)) is not None


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        pytest.param("multipart/form-data", b"--x\r\n", id="no-boundary"),
        pytest.param("multipart/form-data; boundary=x", b"not multipart at all", id="bad-framing"),
        pytest.param(
            "multipart/form-data; boundary=x",
            b'--x\r\nContent-Disposition: form-data; name="file"\r\n\r\n\x89PNG',
            id="truncated",
        ),
    ],
)
async def test_a_malformed_multipart_body_is_a_bad_request(
    client, auth_headers: dict[str, str], bucket: Bucket, content_type: str, body: bytes
) -> None:
    response = await client.put(
        "/api/users/me/profile-picture",
        content=body,
        headers={**auth_headers, "Content-Type": content_type},
    )

    assert response.status_code == 400
    assert response.json() == {"detail": "Invalid multipart body"}
    assert bucket.keys() == []
