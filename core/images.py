"""Checked, resized and re-encoded images: the original upload's bytes are never stored or served."""

from __future__ import annotations

import io

from PIL import Image, ImageOps, UnidentifiedImageError

from core.models import StoredImage

ACCEPTED_FORMATS = {"PNG", "JPEG", "WEBP"}
#: Decompression-bomb guard: refuse images larger than this many pixels before decoding them.
MAX_PIXELS = 40_000_000


class ImageRejected(ValueError):
    """The upload is not an image we accept; the message is safe to show the user."""


def process_image(data: bytes, max_size: int = 800) -> StoredImage:
    """Check that ``data`` is a PNG, JPEG or WebP image; return it resized and re-encoded as WebP.

    Re-encoding drops metadata (EXIF location, camera details) and anything smuggled after the pixels.
    """
    try:
        with Image.open(io.BytesIO(data)) as probe:
            image_format = probe.format
            width, height = probe.size
            probe.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ImageRejected("The file is not an image. Upload a PNG, JPEG or WebP picture.") from None
    if image_format not in ACCEPTED_FORMATS:
        raise ImageRejected(f"{image_format} images are not accepted. Upload a PNG, JPEG or WebP picture.")
    if width * height > MAX_PIXELS:
        raise ImageRejected("The image is too large. Upload a picture under 40 megapixels.")
    try:
        with Image.open(io.BytesIO(data)) as image:
            image = ImageOps.exif_transpose(image)
            image = image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB")
            image.thumbnail((max_size, max_size))
            out = io.BytesIO()
            image.save(out, format="WEBP", quality=82, method=4)
    except (OSError, ValueError, Image.DecompressionBombError):
        raise ImageRejected("The image could not be read. Upload a PNG, JPEG or WebP picture.") from None
    return StoredImage(content_type="image/webp", width=image.width, height=image.height, data=out.getvalue())
