"""Image files in and out as uint8 HxWx3 arrays."""
import os

import numpy as np
from PIL import Image, UnidentifiedImageError

MAX_PIXELS = 64 * 1024 * 1024  # refuse absurd sizes with a clear error instead of exhausting memory


IMAGE_EXTS = (".png", ".jpg", ".jpeg", ".bmp", ".ppm", ".tif", ".tiff", ".webp")


def list_images(root):
    """All image files under root (recursively), sorted so runs are the same on every machine."""
    found = []
    for dirpath, _, files in os.walk(root):
        found += [os.path.join(dirpath, f) for f in files if f.lower().endswith(IMAGE_EXTS)]
    return sorted(found)


class ImageError(ValueError):
    """An image file that cannot be used (unreadable, empty, too large)."""


def to_rgb(a):
    """Any uint8/uint16/float/bool array of shape HxW, HxWx1, HxWx3 or HxWx4 -> uint8 HxWx3."""
    a = np.asarray(a)
    if a.ndim == 2:
        a = a[:, :, None]
    if a.ndim != 3 or a.shape[2] not in (1, 3, 4) or 0 in a.shape:
        raise ImageError(f"not an image array: shape {a.shape}")
    if a.dtype == np.uint16:
        a = (a >> 8).astype(np.uint8)
    elif a.dtype != np.uint8:
        a = np.clip(np.nan_to_num(a.astype(np.float64)) * (255 if a.dtype.kind in "fb" else 1), 0, 255).round()
        a = a.astype(np.uint8)
    if a.shape[2] == 1:
        a = np.repeat(a, 3, axis=2)
    elif a.shape[2] == 4:  # composite on white: transparent pixels have no defined colour
        alpha = a[:, :, 3:].astype(np.float32) / 255
        a = (a[:, :, :3] * alpha + 255 * (1 - alpha)).round().astype(np.uint8)
    return np.ascontiguousarray(a)


def load_rgb(path):
    """Read an image file as uint8 HxWx3 (grayscale and palette expanded, alpha composited on white)."""
    try:
        with Image.open(path) as im:
            if im.width * im.height > MAX_PIXELS:
                raise ImageError(f"{path}: {im.width}x{im.height} exceeds {MAX_PIXELS} pixels")
            im.load()
            if im.mode in ("RGBA", "LA") or (im.mode == "P" and "transparency" in im.info):
                im = im.convert("RGBA")
            elif im.mode not in ("RGB", "L"):
                im = im.convert("RGB")
            return to_rgb(np.asarray(im))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        if isinstance(e, ImageError):
            raise
        raise ImageError(f"cannot read image {path}: {e}") from None


def save_png(path, img, compress_level=1):
    Image.fromarray(to_rgb(img)).save(path, compress_level=compress_level)
