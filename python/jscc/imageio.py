"""Image files in and out as uint8 HxWx3 arrays."""
import os

import numpy as np
from PIL import Image, UnidentifiedImageError

MAX_PIXELS = 64 * 1024 * 1024  # refuse absurd sizes with a clear error instead of exhausting memory


IMAGE_EXTS = (".png", ".jpg", ".jpeg", ".bmp", ".ppm", ".tif", ".tiff", ".webp")


class ImageError(ValueError):
    """An image file that cannot be used (unreadable, empty, too large)."""


def is_image_name(name):
    return name.lower().endswith(IMAGE_EXTS) and not os.path.basename(name).startswith(".")


def list_images(spec, recursive=False):
    """THE listing rule for image folders, shared by the sender (Image Source numbers images by
    their position here) and the receiver (which finds each image's reference by that number):
    spec is a file, a folder (its image files, one level, sorted by name), or a list of either
    (a list, or a ';'/','-separated string). recursive=True walks sub-folders too (training sets).
    A path that does not exist raises ImageError naming it."""
    if isinstance(spec, str):
        spec = [s.strip() for s in spec.replace(";", ",").split(",") if s.strip()]
    out = []
    for p in spec:
        p = os.fspath(p)
        if os.path.isdir(p):
            if recursive:
                found = [os.path.join(d, f) for d, _, files in os.walk(p) for f in files if is_image_name(f)]
            else:
                found = [os.path.join(p, f) for f in os.listdir(p)
                         if is_image_name(f) and os.path.isfile(os.path.join(p, f))]
            out += sorted(found)
        elif os.path.exists(p):
            out.append(p)
        else:
            raise ImageError(f"{p}: no such file or folder")
    return out


def to_rgb(a):
    """Any uint8/uint16/float/bool array of shape HxW, HxWx1, HxWx3 or HxWx4 -> uint8 HxWx3."""
    a = np.asarray(a)
    if a.ndim == 2:
        a = a[:, :, None]
    if a.ndim != 3 or a.shape[2] not in (1, 3, 4) or 0 in a.shape:
        raise ImageError(f"not an image array: shape {a.shape}")
    if a.dtype.kind in "ui" and a.dtype.itemsize > 1:
        # high bit depth (16-bit PNG / TIFF): scale the full range, never clip it to 8 bits
        top = 65535 if a.dtype.itemsize <= 2 or a.max(initial=0) <= 65535 else np.iinfo(a.dtype).max
        a = (np.clip(a.astype(np.float64), 0, top) * (255 / top)).round().astype(np.uint8)
    elif a.dtype.kind == "f" and np.nanmax(a, initial=0) > 1.0:
        a = np.clip(np.nan_to_num(a.astype(np.float64)), 0, 255).round().astype(np.uint8)  # already 0..255
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
            if im.mode in ("RGBA", "LA", "PA", "La", "RGBa") or (im.mode == "P" and "transparency" in im.info):
                im = im.convert("RGBA")
            elif im.mode.startswith("I") or im.mode == "F":
                pass  # 16/32-bit grey: to_rgb scales it (convert("RGB") would clip it to white)
            elif im.mode not in ("RGB", "L"):
                im = im.convert("RGB")
            return to_rgb(np.asarray(im))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        if isinstance(e, ImageError):
            raise
        raise ImageError(f"cannot read image {path}: {e}") from None


def save_png(path, img, compress_level=1):
    Image.fromarray(to_rgb(img)).save(path, compress_level=compress_level)
