"""The exact half of the progressive hyperprior codec: integer hyper-synthesis (z_hat -> means and
scale indices) and table-driven entropy coding through constriction. numpy only, no ONNX.

Why integers (CompressAI issue 309): the decoder must derive the same entropy parameters as the
encoder from z_hat, bit for bit; a float network gives slightly different scales on another CPU,
engine or thread count, one scale index differs, and the rest of the bitstream decodes to garbage.
Here every layer is integer: weights quantised per output channel, activations on a fixed grid,
accumulation exact, requantisation by an integer multiplier and a rounding right shift. The
accumulation runs in float64 BLAS: every product and partial sum is an integer below 2**53
(checked when the tables are loaded), so any summation order on any machine gives the exact
integer, at BLAS speed (numpy's integer matmul has no BLAS).

The file (entropy.npz, written by training/hyperprior.export_entropy):
  hs_layers        int64 (L, 5): kind (0 conv, 1 transposed conv), stride, padding, relu, act_max
  hs{i}_w          int16 (Cin, k, k, Cout) weights
  hs{i}_mult/_shift/_bias  int64 (Cout,): out = (acc * mult + bias + 2**(shift-1)) >> shift
  mean_bits, log_scale_bits   the last layer's output grid: mean = m / 2**mean_bits,
                   log(scale) = l / 2**log_scale_bits (natural log)
  scale_table      float64 (S,): the Gaussian scales; scale_thresholds int64 (S-1,) on the l grid:
                   scale index = number of thresholds <= l
  gauss_counts     int64 (S, 2*q_max+1): integer pmf of round(y - mean) per scale index, sum 2**24
  z_counts         int64 (N, 2*z_max+1): integer pmf of z_hat per channel (the factorized prior)
  q_max, z_max     symbol ranges (values are clipped to them; both sides clip alike)
  groups           int64 (G,): channels per group, in send order
"""
import numpy as np

FORMAT = 1
PRECISION = 24            # constriction's default ANS coder: 24-bit probabilities, 32-bit words
CONV, TCONV = 0, 1
EXACT_F64 = 2 ** 52       # accumulators stay below this: exact in float64
EXACT_I64 = 2 ** 62       # requantisation products stay below this: no int64 overflow
# Every stream ends (in decode order) with this 16-bit word: ANS errors propagate, so bytes that
# are truncated, damaged or not this image's stream miss it with probability 1 - 2**-16.
END_MARK, END_BITS = 0xA5C3, 16


class CorruptStream(ValueError):
    """Bytes that are not a bitstream of this model for this image size."""


# --- integer hyper-synthesis ----------------------------------------------------------------------
def conv_layer_int(a, w, kind, stride, pad):
    """Exact integer convolution of a (H, W, Cin) integer map with w (Cin, k, k, Cout) in float64.

    One GEMM gives every tap's contribution at every input position; the taps are then added
    into the output at their offsets (transposed conv: out[s*i + kh - p]; conv, stride 1:
    out[o] = sum x[o + kh - p])."""
    h, wd, cin = a.shape
    k, cout = w.shape[1], w.shape[3]
    p = np.asarray(a, np.float64).reshape(h * wd, cin) @ w.reshape(cin, k * k * cout).astype(np.float64)
    p = p.reshape(h, wd, k, k, cout)
    if kind == TCONV:
        s = stride
        canvas = np.zeros((s * (h - 1) + k, s * (wd - 1) + k, cout))
        for kh in range(k):
            for kw in range(k):
                canvas[kh:kh + s * (h - 1) + 1:s, kw:kw + s * (wd - 1) + 1:s] += p[:, :, kh, kw]
        ho, wo = s * (h - 1) - 2 * pad + k + (s - 1), s * (wd - 1) - 2 * pad + k + (s - 1)  # output_padding s-1
        return canvas[pad:pad + ho, pad:pad + wo]
    if stride != 1:
        raise ValueError("integer conv layers have stride 1")
    canvas = np.zeros((h + k - 1, wd + k - 1, cout))
    for kh in range(k):
        for kw in range(k):
            canvas[k - 1 - kh:k - 1 - kh + h, k - 1 - kw:k - 1 - kw + wd] += p[:, :, kh, kw]
    o = k - 1 - pad
    return canvas[o:o + h + 2 * pad - k + 1, o:o + wd + 2 * pad - k + 1]


class IntegerNet:
    """The hyper-synthesis h_s in integers. __call__: z_hat (N, h, w) int -> (2M, 4h, 4w) int64
    on the output grids (means first, then log-scales)."""

    def __init__(self, arrays, in_max):
        self.layers = []
        spec = np.asarray(arrays["hs_layers"], np.int64)
        if spec.ndim != 2 or spec.shape[1] != 5:
            raise ValueError(f"hs_layers has shape {spec.shape}, expected (L, 5)")
        cin = None
        for i, (kind, stride, pad, relu, act_max) in enumerate(spec.tolist()):
            w = np.asarray(arrays[f"hs{i}_w"])
            mult, shift, bias = (np.asarray(arrays[f"hs{i}_{n}"], np.int64) for n in ("mult", "shift", "bias"))
            if w.ndim != 4 or w.shape[1] != w.shape[2] or (cin is not None and w.shape[0] != cin):
                raise ValueError(f"hs{i}_w has shape {w.shape}; expected (Cin, k, k, Cout) chained from layer {i - 1}")
            cout = w.shape[3]
            if not (mult.shape == shift.shape == bias.shape == (cout,)):
                raise ValueError(f"hs{i}: multiplier, shift and bias must have {cout} entries")
            if kind not in (CONV, TCONV) or (shift < 1).any() or (shift > 62).any() or (mult < 0).any():
                raise ValueError(f"hs{i}: bad layer kind {kind} or shifts outside 1..62")
            # exactness: the largest accumulator any input on the grid can give
            acc_max = np.abs(w.astype(np.int64)).reshape(-1, cout).sum(0) * int(in_max)
            if acc_max.max() >= EXACT_F64 or (acc_max * mult + np.abs(bias) + (1 << shift)).max() >= EXACT_I64:
                raise ValueError(f"hs{i}: accumulators can exceed the exact range (2**52 / 2**62)")
            half = np.int64(1) << (shift - 1)
            self.layers.append((w.astype(np.float64), int(kind), int(stride), int(pad), bool(relu), int(act_max),
                                mult, shift, bias + half))
            cin, in_max = cout, act_max if relu else (1 << 40)
        self.in_channels = np.asarray(arrays["hs0_w"]).shape[0]
        self.out_channels = cin

    def __call__(self, z):
        a = np.ascontiguousarray(np.asarray(z, np.int64).transpose(1, 2, 0))  # HWC: the GEMM wants rows
        for w, kind, stride, pad, relu, act_max, mult, shift, bias in self.layers:
            acc = conv_layer_int(a, w, kind, stride, pad).astype(np.int64)  # exact: integers < 2**52
            a = (acc * mult + bias) >> shift  # per output channel (last axis)
            if relu:
                np.clip(a, 0, act_max, out=a)
        return np.ascontiguousarray(a.transpose(2, 0, 1))


# --- entropy coding (constriction ANS) ------------------------------------------------------------
def categorical_models(counts):
    """One constriction Categorical per row of integer counts (exact in float64, so every machine
    hands constriction the same table)."""
    import constriction
    cat = constriction.stream.model.Categorical
    return [cat(np.asarray(c, np.float64), perfect=False) for c in counts]


def _runs(table_idx):
    """Symbols are coded grouped by table, in (table, position) order: one constriction call per
    table. Returns the order and the (table, start, end) runs."""
    order = np.argsort(table_idx, kind="stable")
    t = table_idx[order]
    cut = np.flatnonzero(np.diff(t)) + 1
    starts = np.concatenate([[0], cut])
    ends = np.concatenate([cut, [t.size]])
    return order, [(int(t[s]), int(s), int(e)) for s, e in zip(starts, ends) if e > s]


def encode_symbols(symbols, table_idx, models):
    """symbols (alphabet indices) coded with models[table_idx] -> bytes (32-bit words, little endian)."""
    import constriction
    symbols, table_idx = np.asarray(symbols).ravel(), np.asarray(table_idx).ravel()
    order, runs = _runs(table_idx)
    s = symbols[order].astype(np.int32)
    coder = constriction.stream.stack.AnsCoder()
    coder.encode_reverse(np.array([END_MARK], np.int32), constriction.stream.model.Uniform(1 << END_BITS))
    for k, a, b in reversed(runs):  # a stack: encode last what is decoded first
        coder.encode_reverse(s[a:b], models[k])
    return coder.get_compressed().astype("<u4").tobytes()


def decode_symbols(data, table_idx, models):
    """Inverse of encode_symbols; raises CorruptStream for bytes that are not such a stream: the
    end mark must follow the last symbol and use the stream up exactly."""
    import constriction
    table_idx = np.asarray(table_idx).ravel()
    if len(data) % 4:
        raise CorruptStream(f"{len(data)} bytes is not a whole number of 32-bit words")
    try:
        coder = constriction.stream.stack.AnsCoder(np.frombuffer(data, "<u4").astype(np.uint32))
        order, runs = _runs(table_idx)
        out = np.empty(table_idx.size, np.int64)
        for k, a, b in runs:
            out[order[a:b]] = coder.decode(models[k], b - a)
        mark = int(coder.decode(constriction.stream.model.Uniform(1 << END_BITS)))
        done = coder.is_empty()
    except Exception as e:  # constriction raises its own errors on invalid words
        raise CorruptStream(f"not decodable: {e}") from None
    if mark != END_MARK or not done:
        raise CorruptStream("not this image's stream (end mark missing or bytes left over): damaged or truncated")
    return out


def varint(n):
    """LEB128: 7 bits a byte, high bit set on all but the last."""
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def read_varint(data, pos=0):
    n = shift = 0
    while True:
        if pos >= len(data) or shift > 28:
            raise CorruptStream("truncated or overlong length field")
        b = data[pos]
        n |= (b & 0x7F) << shift
        pos, shift = pos + 1, shift + 7
        if not b & 0x80:
            return n, pos
