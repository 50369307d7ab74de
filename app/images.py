"""Uploaded images (member avatars, challenge covers): checked, re-encoded, stored by content hash.

An upload is read up to the size limit, decoded by Pillow (so a renamed text
file or a decompression bomb is refused), re-encoded as WebP without its
metadata and shrunk to a bounded size, then written under UPLOAD_DIR as
`<kind>-<sha256>.webp`. The name changes with the content, so the serving
route can tell browsers to cache it for a year.
"""
import hashlib
import io
import os
import warnings

from flask import current_app
from flask_wtf.file import FileField
from PIL import Image, ImageOps
from wtforms.validators import ValidationError

BOXES = {"avatar": (256, 256), "cover": (1600, 900)}
NOT_AN_IMAGE = "That file is not an image we can read: choose a PNG, JPEG, GIF or WebP picture."


def upload_dir():
    return current_app.config.get("UPLOAD_DIR") or os.path.join(current_app.instance_path, "uploads")


def max_bytes():
    return current_app.config.get("UPLOAD_MAX_BYTES", 5 * 1024 * 1024)


def max_pixels():
    return current_app.config.get("UPLOAD_MAX_PIXELS", 40_000_000)


def reencode(stream, kind):
    """The upload as WebP bytes, or ValueError with the message shown beside the field."""
    limit = max_bytes()
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"That file is too large: choose an image under {limit // (1024 * 1024)} MB.")
    if not data:
        raise ValueError("That file is empty: choose an image.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > max_pixels():
                raise ValueError("That image has too many pixels: choose one under 40 megapixels.")
            image.load()
            image = ImageOps.exif_transpose(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValueError("That image has too many pixels: choose one under 40 megapixels.") from None
    except (OSError, SyntaxError, Image.UnidentifiedImageError, EOFError):
        raise ValueError(NOT_AN_IMAGE) from None
    image = image.convert("RGBA" if "A" in image.getbands() or image.mode == "P" else "RGB")
    if kind == "avatar":
        image = ImageOps.fit(image, BOXES[kind])
    else:
        image.thumbnail(BOXES[kind])
    out = io.BytesIO()
    image.save(out, "WEBP", quality=85, method=4)
    return out.getvalue()


def store(data, kind):
    """Write re-encoded bytes under UPLOAD_DIR; the file name it returns is the content's hash."""
    name = f"{kind}-{hashlib.sha256(data).hexdigest()[:32]}.webp"
    folder = upload_dir()
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, name)
    if not os.path.exists(path):
        temporary = f"{path}.{os.getpid()}.tmp"
        with open(temporary, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    return name


class ImageField(FileField):
    """An optional image upload, decoded and re-encoded while the form validates (result in `.image`)."""

    def __init__(self, label=None, validators=None, kind="avatar", **kwargs):
        super().__init__(label, validators, **kwargs)
        self.kind = kind
        self.image = None

    def pre_validate(self, form):
        self.image = None
        upload = self.data
        if not upload or not getattr(upload, "filename", None):
            return
        try:
            self.image = reencode(upload.stream, self.kind)
        except ValueError as error:
            raise ValidationError(str(error)) from None


def apply(owner, attribute, field, remove_field, allowed=None):
    """Set (or clear) `owner.<attribute>` from a validated ImageField; never commits.

    `allowed` is the gatekeeper's verdict (app.permissions.uploads): refused raises Refused.
    """
    from app import permissions

    changing = field.image is not None or (remove_field is not None and remove_field.data)
    if changing and allowed is not None:
        permissions.require(allowed)
    if field.image is not None:
        setattr(owner, attribute, store(field.image, field.kind))
    elif remove_field is not None and remove_field.data:
        setattr(owner, attribute, None)
