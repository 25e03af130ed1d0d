"""Training images held in memory as uint8 arrays; random crops with flips."""
import numpy as np
from PIL import Image

from ..imageio import list_images  # noqa: F401  (re-exported for the training command)


def split_holdout(paths, every=200):
    """Hold back every `every`-th image for validation (never trained on)."""
    val = paths[::every]
    return [p for p in paths if p not in set(val)], val


class CropSampler:
    def __init__(self, paths, crop, rng, progress=None):
        self.crop, self.rng, self.images, self.skipped = crop, rng, [], []
        for p in progress(paths) if progress else paths:
            try:
                a = np.asarray(Image.open(p).convert("RGB"))
            except OSError:
                self.skipped.append(p)
                continue
            if min(a.shape[:2]) < crop:
                self.skipped.append(p)
                continue
            self.images.append(a)
        if not self.images:
            raise ValueError(f"no usable training images (>= {crop} px) among {len(paths)} files")

    def batch(self, n):
        out = np.empty((n, self.crop, self.crop, 3), np.uint8)
        for i in range(n):
            a = self.images[self.rng.integers(len(self.images))]
            y = self.rng.integers(a.shape[0] - self.crop + 1)
            x = self.rng.integers(a.shape[1] - self.crop + 1)
            c = a[y:y + self.crop, x:x + self.crop]
            out[i] = c[:, ::-1] if self.rng.random() < 0.5 else c
        return out.transpose(0, 3, 1, 2)  # NCHW


def center_crops(paths, size, multiple=4):
    """The central square of each image, of side min(size, its sides) rounded down to a multiple
    of `multiple` (a network's downsampling); images smaller than that are left out."""
    out = []
    for p in paths:
        a = np.asarray(Image.open(p).convert("RGB"))
        h, w = a.shape[:2]
        s = min(size, h // multiple * multiple, w // multiple * multiple)
        if s <= 0:
            continue
        y, x = (h - s) // 2, (w - s) // 2
        out.append(a[y:y + s, x:x + s].transpose(2, 0, 1).copy())
    return out
