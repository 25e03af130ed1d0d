"""Deep JSCC (Bourtsoulatze et al. 2019) at run time: image <-> power-normalised complex symbols.

Symbol layout (shared with training.channels): the encoder's latent has c maps of
ceil(H/4) x ceil(W/4); symbol j = latent[j] + 1j * latent[j + c/2] flattened in
(map, row, column) order, so an image carries c/2 * ceil(H/4) * ceil(W/4) symbols.
Images whose sides are not multiples of 4 are edge-padded and cropped back.
"""
import os

import numpy as np

from .. import ort
from ..imageio import to_rgb
from ..models import ModelError, find_model, load_card

CODEC = "deepjscc"


class DeepJSCC:
    def __init__(self, model, threads=0, parts=("encoder", "decoder")):
        """parts: which ONNX graphs to load (a transmitter needs only the encoder). Both files must exist."""
        self.path = find_model(model)
        self.card = load_card(self.path)
        if self.card.get("codec") != CODEC:
            raise ModelError(f"{self.path} is a {self.card.get('codec')!r} model, not {CODEC}")
        if not parts or set(parts) - {"encoder", "decoder"}:
            raise ValueError(f"parts must name 'encoder' and/or 'decoder', not {parts!r}")
        self.name = self.card.get("name", os.path.basename(self.path))
        self.c = int(self.card["c"])
        self.kn = int(self.card["kn"])
        self._sessions = {}
        for part in ("encoder", "decoder"):
            path = os.path.join(self.path, part + ".onnx")
            try:
                if part in parts:
                    self._sessions[part] = ort.session(path, threads)
                elif not os.path.isfile(path):
                    raise FileNotFoundError(f"ONNX model file {path} does not exist")
            except (FileNotFoundError, ValueError) as e:
                raise ModelError(f"model {self.name}: {e}") from None
        self._check_io()

    def _check_io(self):
        want = {"encoder": (3, self.c), "decoder": (self.c, 3)}  # (input, output) channels
        for part, sess in self._sessions.items():
            i, o = sess.get_inputs()[0], sess.get_outputs()[0]
            if (i.shape[1], o.shape[1]) != want[part]:
                raise ModelError(f"model {self.name}: {part}.onnx maps {i.shape} -> {o.shape}, "
                                 f"which does not match the card (c = {self.c})")

    def _run(self, part, x):
        sess = self._sessions.get(part)
        if sess is None:
            raise RuntimeError(f"{part} not loaded (parts={tuple(self._sessions)})")
        return sess.run(None, {sess.get_inputs()[0].name: x})[0]

    @staticmethod
    def latent_hw(height, width):
        return -(-height // 4), -(-width // 4)

    def n_symbols(self, height, width):
        h, w = self.latent_hw(height, width)
        return self.c // 2 * h * w

    def encode(self, img):
        """uint8 HxWx3 (or anything imageio.to_rgb accepts) -> complex64 symbols, mean power 1."""
        img = to_rgb(img)
        height, width = img.shape[:2]
        h, w = self.latent_hw(height, width)
        if (4 * h, 4 * w) != (height, width):
            img = np.pad(img, ((0, 4 * h - height), (0, 4 * w - width), (0, 0)), mode="edge")
        x = img.transpose(2, 0, 1)[None].astype(np.float32, order="C")  # one pass, in the layout ORT wants
        z = self._run("encoder", x)[0]
        half = self.c // 2
        return (z[:half] + 1j * z[half:]).astype(np.complex64).ravel()

    def decode(self, symbols, height, width):
        """Received complex symbols (exactly n_symbols(height, width)) -> uint8 HxWx3."""
        symbols = np.asarray(symbols, np.complex64).ravel()
        n = self.n_symbols(height, width)
        if symbols.size != n:
            raise ValueError(f"{symbols.size} symbols for a {height}x{width} image; expected {n}")
        h, w = self.latent_hw(height, width)
        s = symbols.reshape(self.c // 2, h, w)
        z = np.concatenate([s.real, s.imag])[None].astype(np.float32)
        y = self._run("decoder", z)[0]
        np.clip(y, 0, 255, out=y)
        np.rint(y, out=y)
        out = np.empty((height, width, 3), np.uint8)
        out[...] = y[:, :height, :width].transpose(1, 2, 0)  # crop, reorder and convert in one pass
        return out


def fit_length(symbols, n):
    """Make a received packet usable: zero-fill missing symbols, drop extra ones, zero non-finite.

    Returns (symbols of length n, missing, extra, nonfinite) so the caller can count the damage.
    Zero is the mean of the power-normalised symbols: the least harmful guess.
    """
    symbols = np.asarray(symbols, np.complex64).ravel()
    bad = ~np.isfinite(symbols)
    nonfinite = int(bad.sum())
    if nonfinite:
        symbols = np.where(bad, 0, symbols).astype(np.complex64)
    missing, extra = max(n - symbols.size, 0), max(symbols.size - n, 0)
    if missing:
        symbols = np.concatenate([symbols, np.zeros(missing, np.complex64)])
    return symbols[:n], missing, extra, nonfinite
