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
    def __init__(self, model, threads=0):
        self.path = find_model(model)
        self.card = load_card(self.path)
        if self.card.get("codec") != CODEC:
            raise ModelError(f"{self.path} is a {self.card.get('codec')!r} model, not {CODEC}")
        self.name = self.card.get("name", os.path.basename(self.path))
        self.c = int(self.card["c"])
        self.kn = int(self.card["kn"])
        try:
            self._enc = ort.session(os.path.join(self.path, "encoder.onnx"), threads)
            self._dec = ort.session(os.path.join(self.path, "decoder.onnx"), threads)
        except (FileNotFoundError, ValueError) as e:
            raise ModelError(f"model {self.name}: {e}") from None
        self._check_io()

    def _check_io(self):
        ei, eo = self._enc.get_inputs()[0], self._enc.get_outputs()[0]
        di = self._dec.get_inputs()[0]
        if ei.shape[1] != 3 or eo.shape[1] != self.c or di.shape[1] != self.c:
            raise ModelError(f"model {self.name}: ONNX shapes {ei.shape} -> {eo.shape}, decoder {di.shape} "
                             f"do not match the card (c = {self.c})")
        self._enc_in, self._dec_in = ei.name, di.name

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
        x = np.pad(img, ((0, 4 * h - height), (0, 4 * w - width), (0, 0)), mode="edge")
        x = x.transpose(2, 0, 1)[None].astype(np.float32)
        z = self._enc.run(None, {self._enc_in: x})[0][0]
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
        y = self._dec.run(None, {self._dec_in: z})[0][0]
        return np.clip(y[:, :height, :width].round(), 0, 255).astype(np.uint8).transpose(1, 2, 0).copy()


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
