"""Deep JSCC (Bourtsoulatze et al. 2019) at run time: image <-> power-normalised complex symbols.

Symbol layout (shared with training.channels): the encoder's latent has c maps of
ceil(H/4) x ceil(W/4); symbol j = latent[j] + 1j * latent[j + c/2] flattened in
(map, row, column) order, so an image carries c/2 * ceil(H/4) * ceil(W/4) symbols.
Images whose sides are not multiples of 4 are edge-padded and cropped back.
One SYMBOLS chunk per image.
"""
import numpy as np

from ..models import ModelError
from .base import SYMBOLS, Chunk, Codec, Decoded
from .registry import register

CODEC = "deepjscc"


@register
class DeepJSCC(Codec):
    codec = CODEC
    kind = SYMBOLS

    def __init__(self, model, threads=0, parts=("encoder", "decoder"), engine="auto"):
        super().__init__(model, threads, parts, engine)
        self.c = self.card_field("c")
        self.kn = self.card_field("kn")
        if self.c <= 0 or self.c % 2:
            raise ModelError(f"model {self.name}: c = {self.c} must be a positive even number")
        self._sessions = self.load_graphs({"encoder": ("encoder",), "decoder": ("decoder",)})
        self._check_io()

    def _check_io(self):
        want = {"encoder": (3, self.c), "decoder": (self.c, 3)}  # (input, output) channels
        for part, sess in self._sessions.items():
            i, o = sess.input_shape, sess.output_shape
            if len(i) != 4 or len(o) != 4 or (i[1], o[1]) != want[part]:
                raise ModelError(f"model {self.name}: {part}.onnx maps {i} -> {o}, "
                                 f"which does not match the card (c = {self.c})")

    @property
    def engines(self):
        """The engine running each loaded graph, e.g. {"encoder": "openvino-bf16"}."""
        return {part: s.name for part, s in self._sessions.items()}

    def _run(self, part, x):
        sess = self._sessions.get(part)
        if sess is None:
            raise RuntimeError(f"{part} not loaded (parts={tuple(self._sessions)})")
        return sess.run(x)

    @staticmethod
    def latent_hw(height, width):
        return -(-height // 4), -(-width // 4)

    def n_symbols(self, height, width):
        h, w = self.latent_hw(height, width)
        return self.c // 2 * h * w

    # --- the codec interface: one SYMBOLS chunk
    def encode(self, img, budget=None):
        return [Chunk(0, SYMBOLS, self.encode_symbols(img))]

    def decode(self, chunks, height, width):
        """A lost chunk (None or absent) decodes from all-zero symbols; a damaged one is fitted
        to length (fit_length) and the damage reported in info."""
        n = self.n_symbols(height, width)
        c = chunks.get(0)
        sym = c.data if c is not None else np.zeros(0, np.complex64)
        sym, missing, extra, nonfinite = fit_length(sym, n)
        info = dict(missing=missing, extra=extra, nonfinite=nonfinite, lost=c is None)
        return Decoded(self.decode_symbols(sym, height, width), info)

    # --- symbol level (model-level tools, training checks)
    def encode_symbols(self, img):
        """uint8 HxWx3 (or anything imageio.to_rgb accepts) -> complex64 symbols, mean power 1."""
        img = self.image(img)
        height, width = img.shape[:2]
        h, w = self.latent_hw(height, width)
        if (4 * h, 4 * w) != (height, width):
            img = np.pad(img, ((0, 4 * h - height), (0, 4 * w - width), (0, 0)), mode="edge")
        x = img.transpose(2, 0, 1)[None].astype(np.float32, order="C")  # one pass, in the layout ORT wants
        z = self._run("encoder", x)[0]
        half = self.c // 2
        return (z[:half] + 1j * z[half:]).astype(np.complex64).ravel()

    def decode_symbols(self, symbols, height, width):
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
