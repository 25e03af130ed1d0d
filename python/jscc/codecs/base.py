"""The one codec interface every scheme implements: an image becomes an ordered list of chunks,
and whatever chunks arrived become an image again. No GNU Radio in here.

A chunk is the unit the link layer sends and a scheduler counts:
- SYMBOLS: analog, power-normalised complex64 symbols sent as they are (Deep JSCC). A lost or
  partly lost chunk arrives zero-filled (zero is the mean of the symbols).
- BYTES: digital, sent through CRC + FEC + QAM (coding.chain). It arrives whole (its CRC
  passed) or not at all: a failed chunk reaches the codec as None and the codec degrades as
  it can (fewer refinements, or the paper's mean-colour image).
"""
import dataclasses
import math

import numpy as np

from ..imageio import to_rgb
from ..models import ModelError, find_model, load_card

SYMBOLS, BYTES = "symbols", "bytes"
KINDS = (SYMBOLS, BYTES)


@dataclasses.dataclass
class Chunk:
    index: int                 # send order within the image; decode accepts any subset
    kind: str                  # SYMBOLS | BYTES
    data: np.ndarray           # complex64 (SYMBOLS) or uint8 (BYTES)
    meta: dict = dataclasses.field(default_factory=dict)  # e.g. quality, group, stage

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"chunk kind must be one of {KINDS}, got {self.kind!r}")
        want = np.complex64 if self.kind == SYMBOLS else np.uint8
        self.data = np.ascontiguousarray(self.data, want).ravel()

    @property
    def n_bytes(self):
        return int(self.data.size) if self.kind == BYTES else int(self.data.size * 8)


@dataclasses.dataclass
class Decoded:
    image: np.ndarray          # uint8 HxWx3
    info: dict                 # what the codec used and what it had to make up, for counting


class Codec:
    """Base of every scheme. Subclasses set `codec` (the card's "codec" field, the registry key)
    and `kind`, and implement encode / decode. model: a name (models/<name>) or a folder.
    threads: inference threads (0: default); parts: the graphs a learned codec loads
    ("encoder", "decoder": a transmitter needs only the encoder); engine: the inference engine
    of a learned codec (engines.py: "auto", "onnxruntime", "openvino-bf16", ...). `card` is the
    parsed model.json, `path` its folder.
    """

    codec = ""
    kind = SYMBOLS
    snr_input = False  # True: encode / decode need snr_db (an SNR-adaptive model); else it is ignored

    def __init__(self, model, threads=0, parts=("encoder", "decoder"), engine="auto"):
        self.path = find_model(model)
        self.card = load_card(self.path)
        if not isinstance(self.card, dict):
            raise ModelError(f"{self.path}/model.json is not a JSON object")
        self.name = str(self.card.get("name") or self.path.rstrip("/").rsplit("/", 1)[-1])
        if self.card.get("codec") != self.codec:
            raise ModelError(f"{self.path} is a {self.card.get('codec')!r} model, not {self.codec}")
        if not parts or set(parts) - {"encoder", "decoder"}:
            raise ValueError(f"parts must name 'encoder' and/or 'decoder', not {parts!r}")
        self.threads, self.parts, self.engine = threads, tuple(parts), engine
        mid = self.card.get("model_id")
        if isinstance(mid, bool) or not isinstance(mid, int):
            raise ModelError(f"model {self.name}: the card has no integer model_id")
        if not 0 <= mid <= 255:
            raise ModelError(f"model {self.name}: model_id {mid} is outside 0..255 (8 header bits)")
        self.model_id = mid

    def load_graphs(self, graphs):
        """ONNX sessions {graph: session} through engines.session for graphs {part: (graph, ...)}
        of the parts asked for; a part not asked for still needs its files (a clear ModelError
        now rather than on the other side of the link)."""
        import os
        from .. import engines
        sessions = {}
        for part, names in graphs.items():
            for g in names:
                path = os.path.join(self.path, g + ".onnx")
                try:
                    if part in self.parts:
                        sessions[g] = engines.session(path, self.engine, self.threads, self.card, g)
                    elif not os.path.isfile(path):
                        raise FileNotFoundError(f"ONNX model file {path} does not exist")
                except (FileNotFoundError, engines.EngineError) as e:
                    raise ModelError(f"model {self.name}: {e}") from None
        return sessions

    # codecs with ONNX graphs keep load_graphs' result in self._sessions
    @property
    def engines(self):
        """The engine running each loaded graph, e.g. {"encoder": "openvino-bf16"}."""
        return {g: s.name for g, s in getattr(self, "_sessions", {}).items()}

    def _run(self, graph, x):
        s = getattr(self, "_sessions", {}).get(graph)
        if s is None:
            raise RuntimeError(f"{graph} not loaded (parts={self.parts})")
        return s.run(x)

    def card_field(self, key, kind=int):
        """A required card entry, converted; a clear ModelError when it is missing or wrong."""
        try:
            return kind(self.card[key])
        except KeyError:
            raise ModelError(f"model {self.name}: the card has no {key!r}") from None
        except (TypeError, ValueError):
            raise ModelError(f"model {self.name}: card entry {key!r} = {self.card[key]!r} is not {kind.__name__}") from None

    # --- the interface
    def encode(self, img, budget=None, snr_db=None):
        """uint8 HxWx3 -> [Chunk] in send order. budget: the most payload bytes the digital
        chain can carry for this image (BYTES codecs with rate control need it). snr_db: the
        channel SNR the transmitter knows (its CSI); every codec takes it, those with
        snr_input use it and raise ValueError without it, the others ignore it."""
        raise NotImplementedError

    def decode(self, chunks, height, width, snr_db=None):
        """chunks: {index: Chunk | None} (None: sent but lost / failed its CRC; absent: not
        sent) -> Decoded. Never raises on damaged or missing chunks. snr_db: the receiver's
        estimate of the channel SNR (as in encode: required with snr_input, else ignored)."""
        raise NotImplementedError

    def max_chunks(self, height, width):
        """Most chunks encode() gives for an image of this size."""
        return 1

    # --- helpers every codec shares
    @staticmethod
    def image(img):
        return to_rgb(img)

    def __repr__(self):
        return f"<{type(self).__name__} {self.name} (codec {self.codec}, id {self.model_id})>"


def mean_colour_image(height, width, mean_rgb=None):
    """The paper's failed-decode image: each colour channel at its mean (mid-grey when the
    receiver does not know the means)."""
    m = np.full(3, 128, np.uint8) if mean_rgb is None else np.clip(np.rint(mean_rgb), 0, 255).astype(np.uint8)
    return np.broadcast_to(m, (height, width, 3)).copy()


def snr_value(snr_db, what):
    """The SNR (dB) an SNR-input codec was given, as a float: a ValueError that says what is
    missing for None, NaN or anything that is not a number (inf is allowed: the graph clips)."""
    if snr_db is None:
        raise ValueError(f"{what} needs the SNR (snr_db=...): the transmitter's CSI at the encoder, "
                         "the receiver's estimate at the decoder")
    try:
        v = float(snr_db)
    except (TypeError, ValueError):
        raise ValueError(f"{what}: snr_db = {snr_db!r} is not a number") from None
    if math.isnan(v):
        raise ValueError(f"{what}: snr_db is NaN")
    return v
