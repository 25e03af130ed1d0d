"""Progressive mean-scale hyperprior at run time: an image becomes one BYTES chunk per latent
channel group, most important first (docs/progressive.md).

    encoder.onnx        image (1, 3, H, W), 0..255, H and W multiples of 64 -> y (1, M, H/16, W/16)
    hyper_encoder.onnx  y -> z (1, N, H/64, W/64)
    decoder.onnx        y_hat -> image (1, 3, H, W), clipped to 0..255
    entropy.npz         the integer h_s and the coding tables (codecs/entropy.py)

Encoding: z_hat = round(z); the integer h_s gives each element of y a mean mu (exact fixed
point) and a scale index; q = round(y - mu) is coded with the quantised Gaussian of its scale
index, group by group. Chunk 0 = varint(byte length of the z stream) | z stream | group 0 stream;
chunk g = group g's stream. Decoding needs chunk 0 (z: the means and scales of every group);
each other chunk decodes on its own, and a group that is missing or damaged is filled with its
predicted means. Without chunk 0 nothing decodes: the mid-grey failure image.

What is exact: from the bytes on, everything up to y_hat (z_hat, means, scale indices, the
symbols) is integer arithmetic and identical on every machine, engine and thread count. The ONNX
graphs are float: the encoder's y (hence the bytes) and the decoder's image may differ in float
rounding between engines, never the decodability of a bitstream.
"""
import os

import numpy as np

from ..models import ModelError
from . import entropy
from .base import BYTES, Chunk, Codec, Decoded, mean_colour_image
from .registry import register

CODEC = "progressive-hyperprior"
ENTROPY_FILE = "entropy.npz"
GRAPHS = {"encoder": ("encoder", "hyper_encoder"), "decoder": ("decoder",)}  # part -> ONNX graphs
DOWN = 64  # z is at 1/64: sides are padded to a multiple of it
MEAN_LIMIT = 1 << 14


@register
class ProgressiveHyperprior(Codec):
    codec = CODEC
    kind = BYTES

    def __init__(self, model, threads=0, parts=("encoder", "decoder"), engine="auto"):
        super().__init__(model, threads, parts, engine)
        self.m = self.card_field("latent_channels")
        self.n = self.card_field("hyper_channels")
        self.groups = tuple(int(g) for g in self.card_field("groups", list))
        if sum(self.groups) != self.m or min(self.groups, default=0) < 1:
            raise ModelError(f"model {self.name}: groups {self.groups} must be positive and sum to {self.m}")
        self.cum = np.cumsum((0,) + self.groups)
        self._load_entropy(os.path.join(self.path, ENTROPY_FILE))
        self._sessions = self.load_graphs(GRAPHS)
        want = {"encoder": (3, self.m), "hyper_encoder": (self.m, self.n), "decoder": (self.m, 3)}
        for g, s in self._sessions.items():
            i, o = s.input_shape, s.output_shape
            if len(i) != 4 or len(o) != 4 or (i[1], o[1]) != want[g]:
                raise ModelError(f"model {self.name}: {g}.onnx maps {i} -> {o}, not {want[g][0]} -> {want[g][1]} "
                                 f"channels as the card says")

    def _load_entropy(self, path):
        try:
            with np.load(path) as f:
                a = {k: f[k] for k in f.files}
        except FileNotFoundError:
            raise ModelError(f"model {self.name}: {path} does not exist") from None
        except (OSError, ValueError) as e:
            raise ModelError(f"model {self.name}: {path} is not a readable .npz ({e})") from None
        try:
            if int(a["format"]) != entropy.FORMAT:
                raise ValueError(f"format {int(a['format'])}, this code reads {entropy.FORMAT}")
            if tuple(a["groups"].tolist()) != self.groups:
                raise ValueError(f"groups {a['groups'].tolist()} differ from the card's {list(self.groups)}")
            self.q_max, self.z_max = int(a["q_max"]), int(a["z_max"])
            self.mean_bits, self.log_scale_bits = int(a["mean_bits"]), int(a["log_scale_bits"])
            self.thresholds = np.asarray(a["scale_thresholds"], np.int64)
            gauss, zc = np.asarray(a["gauss_counts"]), np.asarray(a["z_counts"])
            if gauss.shape != (self.thresholds.size + 1, 2 * self.q_max + 1):
                raise ValueError(f"gauss_counts has shape {gauss.shape}, expected "
                                 f"({self.thresholds.size + 1}, {2 * self.q_max + 1})")
            if zc.shape != (self.n, 2 * self.z_max + 1):
                raise ValueError(f"z_counts has shape {zc.shape}, expected ({self.n}, {2 * self.z_max + 1})")
            for name, c in (("gauss_counts", gauss), ("z_counts", zc)):
                if (c < 1).any() or (c.sum(1) != 1 << entropy.PRECISION).any():
                    raise ValueError(f"{name} rows must be positive counts summing to 2**{entropy.PRECISION}")
            self.hs = entropy.IntegerNet(a, self.z_max)
            if (self.hs.in_channels, self.hs.out_channels) != (self.n, 2 * self.m):
                raise ValueError(f"the integer h_s maps {self.hs.in_channels} -> {self.hs.out_channels} channels, "
                                 f"expected {self.n} -> {2 * self.m}")
        except KeyError as e:
            raise ModelError(f"model {self.name}: {path} has no {e.args[0]!r}") from None
        except ValueError as e:
            raise ModelError(f"model {self.name}: {path}: {e}") from None
        self._gauss = entropy.categorical_models(gauss)
        self._z = entropy.categorical_models(zc)

    def max_chunks(self, height, width):
        return len(self.groups)

    @staticmethod
    def padded(height, width):
        return -(-height // DOWN) * DOWN, -(-width // DOWN) * DOWN

    @classmethod
    def pad(cls, img):
        """Edge-pad an HxWx3 image to sides that are multiples of 64."""
        h, w = img.shape[:2]
        ph, pw = cls.padded(h, w)
        return img if (ph, pw) == (h, w) else np.pad(img, ((0, ph - h), (0, pw - w), (0, 0)), mode="edge")

    # --- the exact path: z_hat -> means and scale indices --------------------------------------
    def entropy_parameters(self, z_hat):
        """z_hat (N, h, w) integers -> (mu_int (M, 4h, 4w) int64 on the 2**-mean_bits grid,
        scale index (M, 4h, 4w))."""
        out = self.hs(z_hat)
        return out[:self.m], self.scale_index(out[self.m:])

    def scale_index(self, log_scale_int):
        return np.searchsorted(self.thresholds, log_scale_int, side="right")

    def means(self, mu_int):
        # |mu| < 2**14 with mean_bits fraction bits: mu and mu + q are exact in float32
        mu_int = np.clip(mu_int, -MEAN_LIMIT << self.mean_bits, MEAN_LIMIT << self.mean_bits)
        return (mu_int * 2.0 ** -self.mean_bits).astype(np.float32)

    # --- encode -----------------------------------------------------------------------------------
    def analyse(self, img):
        """uint8 HxWx3 -> (y float32 (M, h, w), z_hat int64 (N, h/4, w/4)), sides padded to 64."""
        x = self.pad(self.image(img)).transpose(2, 0, 1)[None].astype(np.float32, order="C")
        y = self._run("encoder", x)
        z = self._run("hyper_encoder", y)[0]
        z_hat = np.clip(np.rint(z), -self.z_max, self.z_max).astype(np.int64)
        return y[0], z_hat

    def code(self, y, z_hat, mu_int, idx):
        """The streams: (z bytes, [group bytes]) and q = round(y - mu) (clipped to the tables)."""
        q = np.clip(np.rint(y - self.means(mu_int)), -self.q_max, self.q_max).astype(np.int64)
        zs = entropy.encode_symbols(z_hat + self.z_max, self._z_tables(z_hat.shape), self._z)
        gs = [entropy.encode_symbols(q[a:b] + self.q_max, idx[a:b], self._gauss)
              for a, b in zip(self.cum[:-1], self.cum[1:])]
        return zs, gs, q

    def _z_tables(self, shape):
        return np.broadcast_to(np.arange(shape[0])[:, None, None], shape)  # one table per channel

    def encode(self, img, budget=None, snr_db=None):
        """All groups as chunks, in order; with a budget (bytes), the longest prefix that fits
        ([] when even chunk 0 does not)."""
        img = self.image(img)
        pixels = img.shape[0] * img.shape[1]
        y, z_hat = self.analyse(img)
        mu_int, idx = self.entropy_parameters(z_hat)
        zs, gs, _ = self.code(y, z_hat, mu_int, idx)
        chunks, total = [], 0
        for g, data in enumerate(gs):
            if g == 0:
                data = entropy.varint(len(zs)) + zs + data
            if budget is not None and total + len(data) > budget:
                break
            total += len(data)
            a, b = int(self.cum[g]), int(self.cum[g + 1])
            chunks.append(Chunk(g, BYTES, np.frombuffer(data, np.uint8),
                                {"group": g, "channels": b - a, "first_channel": a, "n_bytes": len(data),
                                 "cum_bytes": total, "bpp": round(8 * total / pixels, 5)}))
        return chunks

    def encode_prefix_sizes(self, img):
        """Rate per prefix: [{"groups": g, "n_bytes": bytes of chunks 0..g-1, "bpp"}] for g = 1..G."""
        return [{"groups": c.index + 1, "n_bytes": c.meta["cum_bytes"], "bpp": c.meta["bpp"]}
                for c in self.encode(img)]

    # --- decode -----------------------------------------------------------------------------------
    def decode_latent(self, chunks, height, width):
        """chunks {index: Chunk | None} -> (y_hat float32 (M, h, w) or None when chunk 0 is
        unusable, info). Identical on every machine for the same bytes."""
        ph, pw = self.padded(height, width)
        zshape = (self.n, ph // DOWN, pw // DOWN)
        info = {"groups_used": [], "missing": [], "corrupt": {}, "failed": False}
        n_groups = len(self.groups)
        info["extra"] = sorted((i for i in chunks if not (isinstance(i, int) and 0 <= i < n_groups)), key=str)
        streams = {}
        for g in range(n_groups):
            c = chunks.get(g)
            if c is None:
                info["missing"].append(g)
                continue
            streams[g] = np.asarray(c.data, np.uint8).tobytes()
        mu_int = idx = None
        if 0 in streams:
            try:
                nz, pos = entropy.read_varint(streams[0])
                if pos + nz > len(streams[0]):
                    raise entropy.CorruptStream("the z stream is longer than the chunk")
                z_hat = entropy.decode_symbols(streams[0][pos:pos + nz], self._z_tables(zshape), self._z)
                z_hat = z_hat.reshape(zshape) - self.z_max
                streams[0] = streams[0][pos + nz:]
                mu_int, idx = self.entropy_parameters(z_hat)
            except entropy.CorruptStream as e:
                info["corrupt"][0] = str(e)
        if mu_int is None:
            info.update(failed=True, reason="chunk 0 (z and group 0) " + ("lost" if 0 in info["missing"] else "corrupt"))
            return None, info
        y_hat = self.means(mu_int)  # a group not received: its predicted means
        for g, data in streams.items():
            a, b = self.cum[g], self.cum[g + 1]
            try:
                q = entropy.decode_symbols(data, idx[a:b], self._gauss)
            except entropy.CorruptStream as e:
                info["corrupt"][g] = str(e)
                continue
            y_hat[a:b] += (q - self.q_max).reshape(idx[a:b].shape).astype(np.float32)
            info["groups_used"].append(g)
        info["groups_used"].sort()
        # the number of leading groups that decoded: what a progressive viewer shows as its level
        info["prefix"] = next((g for g in range(n_groups) if g not in info["groups_used"]), n_groups)
        return y_hat, info

    def synthesise(self, y_hat, height, width):
        x = self._run("decoder", np.ascontiguousarray(y_hat[None], np.float32))[0]
        np.clip(x, 0, 255, out=x)
        np.rint(x, out=x)
        out = np.empty((height, width, 3), np.uint8)
        out[...] = x[:, :height, :width].transpose(1, 2, 0)
        return out

    def decode(self, chunks, height, width, snr_db=None, side=None):
        """Any subset of chunks -> Decoded; never raises on missing, damaged or foreign bytes
        (info: groups_used, missing, corrupt {group: why}, failed, prefix)."""
        y_hat, info = self.decode_latent(chunks, height, width)
        if y_hat is None:
            return Decoded(mean_colour_image(height, width, (side or {}).get("mean_rgb")), info)
        return Decoded(self.synthesise(y_hat, height, width), info)
