"""Deep JSCC at run time: image <-> power-normalised complex symbols. Two codecs, one layout:
"deepjscc" (Bourtsoulatze et al. 2019, one model per SNR) and "deepjscc-adaptive" (one model for
0..20 dB whose encoder and decoder graphs also take the SNR; docs/adaptive.md).

Symbol layout (shared with training.channels): the encoder's latent has c maps of
ceil(H/d) x ceil(W/d), d the downsampling (4 for the paper's model, the card's "downsampling"
for the adaptive one); symbol j = latent[j] + 1j * latent[j + c/2] flattened in (map, row,
column) order, so an image carries c/2 * ceil(H/d) * ceil(W/d) symbols. Images whose sides are
not multiples of d are edge-padded and cropped back. One SYMBOLS chunk per image.
"""
import numpy as np

from ..models import ModelError
from .base import SYMBOLS, Chunk, Codec, Decoded, snr_value
from .registry import register

CODEC = "deepjscc"
ADAPTIVE = "deepjscc-adaptive"


@register
class DeepJSCC(Codec):
    codec = CODEC
    kind = SYMBOLS
    down = 4  # image side / latent side: the paper's two stride-2 layers

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
        n_in = 2 if self.snr_input else 1  # the adaptive graphs take snr_db as their second input
        for part, sess in self._sessions.items():
            i, o = sess.input_shape, sess.output_shape
            if len(i) != 4 or len(o) != 4 or (i[1], o[1]) != want[part] or len(sess.input_names) != n_in:
                raise ModelError(f"model {self.name}: {part}.onnx maps {sess.input_names} {i} -> {o}, "
                                 f"which does not match the card (c = {self.c}, codec {self.codec})")

    def _run(self, part, x, snr_db):
        sess = self._sessions.get(part)
        if sess is None:
            raise RuntimeError(f"{part} not loaded (parts={tuple(self._sessions)})")
        return sess.run(x, *self._snr_inputs(snr_db, part))

    def _snr_inputs(self, snr_db, part):
        """The graphs' inputs after the first: none here (one model per SNR: snr_db is ignored)."""
        return ()

    def latent_hw(self, height, width):
        return -(-height // self.down), -(-width // self.down)

    def n_symbols(self, height, width):
        h, w = self.latent_hw(height, width)
        return self.c // 2 * h * w

    # --- the codec interface: one SYMBOLS chunk
    def encode(self, img, budget=None, snr_db=None):
        return [Chunk(0, SYMBOLS, self.encode_symbols(img, snr_db))]

    def decode(self, chunks, height, width, snr_db=None):
        """A lost chunk (None or absent) decodes from all-zero symbols; a damaged one is fitted
        to length (fit_length) and the damage reported in info."""
        n = self.n_symbols(height, width)
        c = chunks.get(0)
        sym = c.data if c is not None else np.zeros(0, np.complex64)
        sym, missing, extra, nonfinite = fit_length(sym, n)
        info = dict(missing=missing, extra=extra, nonfinite=nonfinite, lost=c is None)
        return Decoded(self.decode_symbols(sym, height, width, snr_db), info)

    # --- symbol level (model-level tools, training checks)
    def encode_symbols(self, img, snr_db=None):
        """uint8 HxWx3 (or anything imageio.to_rgb accepts) -> complex64 symbols, mean power 1."""
        img = self.image(img)
        height, width = img.shape[:2]
        h, w = self.latent_hw(height, width)
        d = self.down
        if (d * h, d * w) != (height, width):
            img = np.pad(img, ((0, d * h - height), (0, d * w - width), (0, 0)), mode="edge")
        x = img.transpose(2, 0, 1)[None].astype(np.float32, order="C")  # one pass, in the layout ORT wants
        z = self._run("encoder", x, snr_db)[0]
        half = self.c // 2
        return (z[:half] + 1j * z[half:]).astype(np.complex64).ravel()

    def decode_symbols(self, symbols, height, width, snr_db=None):
        """Received complex symbols (exactly n_symbols(height, width)) -> uint8 HxWx3."""
        symbols = np.asarray(symbols, np.complex64).ravel()
        n = self.n_symbols(height, width)
        if symbols.size != n:
            raise ValueError(f"{symbols.size} symbols for a {height}x{width} image; expected {n}")
        h, w = self.latent_hw(height, width)
        s = symbols.reshape(self.c // 2, h, w)
        z = np.concatenate([s.real, s.imag])[None].astype(np.float32)
        y = self._run("decoder", z, snr_db)[0]
        np.clip(y, 0, 255, out=y)
        np.rint(y, out=y)
        out = np.empty((height, width, 3), np.uint8)
        out[...] = y[:, :height, :width].transpose(1, 2, 0)  # crop, reorder and convert in one pass
        return out


@register
class AdaptiveDeepJSCC(DeepJSCC):
    """One model for a range of SNRs (docs/adaptive.md): encode(img, snr_db=...) with the SNR the
    transmitter knows (its CSI), decode(chunks, h, w, snr_db=...) with the receiver's estimate
    (the OFDM receiver's per-frame snr_db tag). The SNR is required: None or NaN is a ValueError.
    The graphs clip it to the range they were trained on (card "snr_range_db" for the encoder,
    "decoder_snr_range_db" for the decoder), so +-inf means that range's edge. Card:
    "downsampling" (image side / latent side) besides c and kn."""

    codec = ADAPTIVE
    snr_input = True

    def __init__(self, model, threads=0, parts=("encoder", "decoder"), engine="auto"):
        super().__init__(model, threads, parts, engine)
        self.down = self.card_field("downsampling")
        if self.down <= 0:
            raise ModelError(f"model {self.name}: downsampling = {self.down} must be positive")

    def _snr_inputs(self, snr_db, part):
        return (np.array([[snr_value(snr_db, f"{self.name} {part}")]], np.float32),)


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
