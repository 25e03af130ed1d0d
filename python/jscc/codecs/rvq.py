"""Progressive residual-VQ codec at run time: an image becomes one BYTES chunk per RVQ stage,
coarse first (docs/rvq.md).

    encoder.onnx    image (1, 3, H, W), 0..255, H and W multiples of 16 -> z (1, D, H/16, W/16)
    decoder.onnx    z_hat (1, D, H/16, W/16) -> image (1, 3, H, W) (clipped to 0..255 here)
    codebooks.npy   (S, K, D) float32, K = 2**bits: stage s's codewords in Hamming-aware order

Encoding: greedy residual quantisation in numpy, as in training: stage s takes the nearest
codeword (Euclidean) to what stages < s left of z. Chunk s = stage s's indices, one per token in
raster order, `bits` bits each, most significant first, packed into bytes (the last byte padded
with zeros): fixed length, (H/16)(W/16) bits / 8 rounded up.

Decoding: z_hat = the sum of the codewords of every stage that arrived, then the decoder. Every
bit pattern is a valid index (K = 2**bits), so flipped bits give other codewords, never an
error; a short chunk leaves its last tokens without that stage's codeword, extra bytes are
ignored. Any subset of stages decodes (a missing stage adds nothing); nothing at all: the
mid-grey failure image.
"""
import os

import numpy as np

from ..models import ModelError
from .base import BYTES, Chunk, Codec, Decoded, mean_colour_image
from .registry import register

CODEC = "progressive-vq"
CODEBOOK_FILE = "codebooks.npy"
GRAPHS = {"encoder": ("encoder",), "decoder": ("decoder",)}
DOWN = 16


@register
class ProgressiveVQ(Codec):
    codec = CODEC
    kind = BYTES
    bit_error_tolerant = True  # any bytes decode: the link may send it without FEC (link/slots.py)

    def __init__(self, model, threads=0, parts=("encoder", "decoder"), engine="auto"):
        super().__init__(model, threads, parts, engine)
        self.dim = self.card_field("latent_dim")
        self.stages = self.card_field("stages")
        self.codebook_size = self.card_field("codebook_size")
        k = self.codebook_size
        if k < 2 or k & (k - 1):
            raise ModelError(f"model {self.name}: codebook_size {k} is not a power of two")
        self.bits = k.bit_length() - 1
        if self.card_field("downsampling") != DOWN:
            raise ModelError(f"model {self.name}: downsampling {self.card['downsampling']}, this code runs {DOWN}")
        path = os.path.join(self.path, self.card.get("codebook_file", CODEBOOK_FILE))
        try:
            cb = np.load(path, allow_pickle=False)
        except FileNotFoundError:
            raise ModelError(f"model {self.name}: {path} does not exist") from None
        except (OSError, ValueError) as e:
            raise ModelError(f"model {self.name}: {path} is not a readable .npy ({e})") from None
        if cb.shape != (self.stages, k, self.dim) or not np.isfinite(cb).all():
            raise ModelError(f"model {self.name}: {path} holds {cb.shape}, expected finite "
                             f"(stages {self.stages}, codebook_size {k}, latent_dim {self.dim})")
        self.codebooks = np.ascontiguousarray(cb, np.float32)
        self._norms = (self.codebooks ** 2).sum(-1)  # |c|^2 per stage, for distances
        self._sessions = self.load_graphs(GRAPHS)
        want = {"encoder": (3, self.dim), "decoder": (self.dim, 3)}
        for g, s in self._sessions.items():
            i, o = s.input_shape, s.output_shape
            if len(i) != 4 or len(o) != 4 or (i[1], o[1]) != want[g]:
                raise ModelError(f"model {self.name}: {g}.onnx maps {i} -> {o}, not {want[g][0]} -> {want[g][1]} "
                                 f"channels as the card says")

    def max_chunks(self, height, width):
        return self.stages

    @staticmethod
    def padded(height, width):
        return -(-height // DOWN) * DOWN, -(-width // DOWN) * DOWN

    @classmethod
    def pad(cls, img):
        h, w = img.shape[:2]
        ph, pw = cls.padded(h, w)
        return img if (ph, pw) == (h, w) else np.pad(img, ((0, ph - h), (0, pw - w), (0, 0)), mode="edge")

    def tokens(self, height, width):
        ph, pw = self.padded(height, width)
        return (ph // DOWN) * (pw // DOWN)

    def chunk_bytes(self, height, width):
        return -(-self.tokens(height, width) * self.bits // 8)

    # --- encode -----------------------------------------------------------------------------------
    def latent(self, img):
        """uint8 HxWx3 -> z float32 (D, h, w) (sides padded to 16)."""
        x = self.pad(self.image(img)).transpose(2, 0, 1)[None].astype(np.float32, order="C")
        return self._run("encoder", x)[0]

    def quantise(self, z):
        """z (D, h, w) -> indices int64 (S, h*w), greedy residual nearest codewords."""
        r = np.ascontiguousarray(z.reshape(self.dim, -1).T, np.float32)
        idx = np.empty((self.stages, r.shape[0]), np.int64)
        for s in range(self.stages):
            # |r - c|^2 = |r|^2 - 2 r.c + |c|^2; |r|^2 is the same for every c. float32, as in
            # training: the rare near-ties may still pick the other codeword (the export measures it)
            idx[s] = np.argmin(self._norms[s][None] - 2 * (r @ self.codebooks[s].T), axis=1)
            r -= self.codebooks[s][idx[s]]
        return idx

    def pack(self, idx):
        """One stage's indices -> bytes (bits per index, MSB first)."""
        shifts = np.arange(self.bits - 1, -1, -1)
        return np.packbits(((idx[:, None] >> shifts) & 1).astype(np.uint8).ravel())

    def unpack(self, data, n_tokens):
        """bytes -> (indices int64 (n_tokens,), known bool (n_tokens,)); tokens past the end of a
        short chunk are unknown."""
        bits = np.unpackbits(np.asarray(data, np.uint8))
        n_known = min(n_tokens, bits.size // self.bits)
        b = bits[:n_known * self.bits].reshape(n_known, self.bits).astype(np.int64)
        idx = np.zeros(n_tokens, np.int64)
        idx[:n_known] = b @ (1 << np.arange(self.bits - 1, -1, -1))
        known = np.zeros(n_tokens, bool)
        known[:n_known] = True
        return idx, known

    def encode(self, img, budget=None, snr_db=None):
        """All stages as chunks, in order; with a budget (bytes), the longest prefix that fits.
        snr_db: ignored (the interface's; this codec has no SNR input)."""
        img = self.image(img)
        h, w = img.shape[:2]
        idx = self.quantise(self.latent(img))
        chunks, total = [], 0
        for s in range(self.stages):
            data = self.pack(idx[s])
            if budget is not None and total + data.size > budget:
                break
            total += data.size
            chunks.append(Chunk(s, BYTES, data, {"stage": s, "bits": self.bits, "tokens": int(idx.shape[1]),
                                                 "n_bytes": int(data.size), "cum_bytes": total,
                                                 "bpp": round(8 * total / (h * w), 5)}))
        return chunks

    def encode_prefix_sizes(self, img):
        return [{"groups": c.index + 1, "n_bytes": c.meta["cum_bytes"], "bpp": c.meta["bpp"]}
                for c in self.encode(img)]

    # --- decode -----------------------------------------------------------------------------------
    def decode_latent(self, chunks, height, width):
        """chunks {index: Chunk | None} -> (z_hat (D, h, w) or None when no stage arrived, info)."""
        ph, pw = self.padded(height, width)
        n = self.tokens(height, width)
        info = {"groups_used": [], "missing": [], "truncated": {}, "failed": False}
        info["extra"] = sorted((i for i in chunks if not (isinstance(i, int) and 0 <= i < self.stages)), key=str)
        z = np.zeros((n, self.dim), np.float32)
        for s in range(self.stages):
            c = chunks.get(s)
            if c is None:
                info["missing"].append(s)
                continue
            idx, known = self.unpack(c.data, n)
            if not known.all():
                info["truncated"][s] = int((~known).sum())  # tokens without this stage's codeword
            z[known] += self.codebooks[s][idx[known]]
            info["groups_used"].append(s)
        info["prefix"] = next((s for s in range(self.stages) if s not in info["groups_used"]), self.stages)
        if not info["groups_used"]:
            info.update(failed=True, reason="no stage arrived")
            return None, info
        return z.T.reshape(self.dim, ph // DOWN, pw // DOWN), info

    def synthesise(self, z_hat, height, width):
        x = self._run("decoder", np.ascontiguousarray(z_hat[None], np.float32))[0]
        np.clip(x, 0, 255, out=x)
        np.rint(x, out=x)
        out = np.empty((height, width, 3), np.uint8)
        out[...] = x[:, :height, :width].transpose(1, 2, 0)
        return out

    def decode(self, chunks, height, width, snr_db=None, side=None):
        """Any subset of stages, any bytes -> Decoded; never raises on missing or damaged chunks
        (info: groups_used (stages), missing, truncated {stage: tokens}, failed, prefix)."""
        z_hat, info = self.decode_latent(chunks, height, width)
        if z_hat is None:
            return Decoded(mean_colour_image(height, width, (side or {}).get("mean_rgb")), info)
        return Decoded(self.synthesise(z_hat, height, width), info)
