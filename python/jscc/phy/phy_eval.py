"""Frame-level measurements of the OFDM PHY (used by apps/ofdm_eval.py and the tests).

Frames are made by ofdm_mod_cc; each frame then gets its own carrier frequency offset (uniform
in +-cfo_max subcarrier spacings), its own fractional and whole-sample timing offset and AWGN
(numpy), and the receiver (ofdm_sync_cc + ofdm_demod_cc) runs over the lot. Every frame carries
a known random payload, so the post-equalisation SNR is measured, not estimated.
"""
import numpy as np
import pmt
from gnuradio import blocks, gr

from .. import meta as M
from .ofdm import OfdmParams, ofdm_rx
from ..jscc_python import ofdm_mod_cc


def packets(n, length, seed):
    """n packets of random unit-power complex symbols -> (n x length array, stream tags: packet_len
    and image_id = packet index on each packet's first symbol)."""
    rng = np.random.default_rng(seed)
    data = ((rng.standard_normal((n, length)) + 1j * rng.standard_normal((n, length))) / np.sqrt(2)).astype(
        np.complex64)
    tags = []
    for i in range(n):
        for k, v in ((M.LEN_TAG, length), (M.IMAGE_ID, i % (M.header_max(M.IMAGE_ID) + 1))):
            t = gr.tag_t()
            t.offset, t.key, t.value = i * length, pmt.intern(k), pmt.from_long(v)
            tags.append(t)
    return data, tags


def make_frames(n_frames, params, seed=0, payload_len=None, gap=64):
    """-> (list of per-frame sample arrays, payloads (n_frames x L complex64))."""
    p = params
    L = payload_len or p.max_payload
    data, tags = packets(n_frames, L, seed)
    tb = gr.top_block()
    src = blocks.vector_source_c(data.ravel(), False, 1, tags)
    mod = ofdm_mod_cc(*p.args(), gap, 1.0, 0.0)
    snk = blocks.vector_sink_c()
    tb.connect(src, mod, snk)
    tb.run()
    x = np.asarray(snk.data(), np.complex64)
    x = x[mod.lead_in():]  # the silence before the first frame
    n = mod.frame_len(L)
    if x.size != n * n_frames:
        raise RuntimeError(f"modulator gave {x.size} samples for {n_frames} frames of {n}")
    return list(x.reshape(n_frames, n)), data


def impair(frames, snr_db, params, cfo_max=0.0, seed=1, max_delay=None):
    """Per frame: CFO uniform in +-cfo_max, fractional delay in [0, 1), 0..max_delay zeros in
    front; then AWGN at snr_db (unit signal power) over everything."""
    rng = np.random.default_rng(seed)
    N = params.fft_len
    max_delay = N if max_delay is None else max_delay
    out, truth = [np.zeros(3 * N, np.complex64)], []
    for f in frames:
        cfo = rng.uniform(-cfo_max, cfo_max) if cfo_max else 0.0
        frac = rng.uniform(0, 1)
        lead = int(rng.integers(0, max_delay + 1))
        m = f.size + 16
        spec = np.fft.fft(np.concatenate([f, np.zeros(16, np.complex64)]))
        k = np.fft.fftfreq(m) * m
        g = np.fft.ifft(spec * np.exp(-2j * np.pi * k * frac / m))
        g = g * np.exp(2j * np.pi * cfo * np.arange(m) / N + 1j * rng.uniform(0, 2 * np.pi))
        out += [np.zeros(lead, np.complex64), g.astype(np.complex64)]
        truth.append(cfo)
    x = np.concatenate(out + [np.zeros(3 * N, np.complex64)])
    sigma = np.sqrt(10 ** (-snr_db / 10) / 2)
    x = x + sigma * (rng.standard_normal(x.size) + 1j * rng.standard_normal(x.size)).astype(np.complex64)
    return x.astype(np.complex64), np.array(truth)


def receive(x, params, **rx_args):
    """Run the OFDM receiver over samples -> (payload symbols, tags, stats)."""
    p = params
    tb = gr.top_block()
    src = blocks.vector_source_c(x, False)
    rx = ofdm_rx(p.fft_len, p.cp_len, p.occupied, p.pilots, p.frame_symbols, "analog", **rx_args)
    snk = blocks.vector_sink_c()
    tb.connect(src, rx, snk)
    tb.run()
    return np.asarray(snk.data(), np.complex64), snk.tags(), rx.stats()


def frame_results(y, tags, payloads):
    """Per delivered frame: image id, estimated SNR, CFO, measured post-equalisation SNR."""
    by_off = {}
    for t in tags:
        by_off.setdefault(t.offset, {})[pmt.symbol_to_string(t.key)] = pmt.to_python(t.value)
    rows = []
    for off in sorted(by_off):
        d = by_off[off]
        if "packet_len" not in d:
            continue
        i, n = int(d[M.IMAGE_ID]), int(d[M.LEN_TAG])
        if i >= len(payloads) or n != payloads.shape[1] or off + n > y.size:
            continue  # not one of ours, or cut short by the end of the stream
        err = y[off:off + n] - payloads[i]
        rows.append(dict(frame=i, snr_est_db=float(d[M.SNR_DB]), cfo_est=float(d["cfo"]),
                         post_eq_snr_db=float(10 * np.log10(1.0 / max(np.mean(np.abs(err) ** 2), 1e-12)))))
    return rows


def evaluate(snr_db, n_frames=2000, params=None, cfo_max=0.4, seed=0, **rx_args):
    """Delivery, SNR-estimate error and post-equalisation SNR at one SNR."""
    p = params or OfdmParams()
    frames, payloads = make_frames(n_frames, p, seed)
    x, cfo = impair(frames, snr_db, p, cfo_max, seed + 1)
    y, tags, stats = receive(x, p, **rx_args)
    rows = frame_results(y, tags, payloads)
    delivered = len({r["frame"] for r in rows})
    est = np.array([r["snr_est_db"] for r in rows])
    err = est - snr_db if rows else np.array([np.nan])
    return dict(snr_db=snr_db, frames=n_frames, delivered=delivered, delivery=delivered / n_frames,
                snr_est_mean_db=float(np.mean(est)) if rows else float("nan"),
                snr_est_bias_db=float(np.mean(err)), snr_est_p95_abs_err_db=float(np.percentile(np.abs(err), 95)),
                post_eq_snr_db=float(10 * np.log10(np.mean([10 ** (r["post_eq_snr_db"] / 10) for r in rows])))
                if rows else float("nan"),
                cfo_max=cfo_max, stats=stats)


def loopback_rate(n_samples=20_000_000, params=None, snr_db=20.0, cfo=0.0):
    """Throughput of TX + channel + RX in one flowgraph: (complex samples per second through the
    channel, receiver stats). The TX repeats random payload packets; the channel is awgn_cc (plus a
    rotator for cfo); the RX output goes to a null sink."""
    import time
    from ..jscc_python import awgn_cc
    p = params or OfdmParams()
    data, tags = packets(8, p.max_payload, 0)
    tb = gr.top_block()
    src = blocks.vector_source_c(data.ravel(), True, 1, tags)
    mod = ofdm_mod_cc(*p.args(), 64, 1.0, 0.0)
    head = blocks.head(gr.sizeof_gr_complex, int(n_samples))
    chain = [head]
    if cfo:
        chain.append(blocks.rotator_cc(2 * np.pi * cfo / p.fft_len))
    chain.append(awgn_cc(snr_db, 1.0, 1, ""))
    rx = ofdm_rx(p.fft_len, p.cp_len, p.occupied, p.pilots, p.frame_symbols)
    tb.connect(src, mod, *chain, rx, blocks.null_sink(gr.sizeof_gr_complex))
    t0 = time.perf_counter()
    tb.run()
    return n_samples / (time.perf_counter() - t0), rx.stats()


def gr_ofdm_reference_rate(n_samples=20_000_000, snr_db=20.0):
    """Throughput of GNU Radio's own in-tree OFDM chain, as its examples/ofdm flowgraphs build it:
    96-byte packets -> digital.ofdm_tx (FFT 64, CP 16, BPSK header, QPSK payload) -> x 0.05 ->
    channels.channel_model (AWGN at snr_db) -> digital.ofdm_rx -> null sink; complex samples per
    second through the channel (the reference apps/benchmark.py compares ours with)."""
    import time
    from gnuradio import channels, digital
    payload = np.random.default_rng(0).integers(0, 256, 96 * 64, dtype=np.uint8).tolist()
    tb = gr.top_block()
    src = blocks.vector_source_b(payload, True)
    tagger = blocks.stream_to_tagged_stream(gr.sizeof_char, 1, 96, "packet_len")
    tx = digital.ofdm_tx(fft_len=64, cp_len=16, packet_length_tag_key="packet_len", bps_header=1, bps_payload=2,
                         rolloff=0, debug_log=False, scramble_bits=False)
    head = blocks.head(gr.sizeof_gr_complex, int(n_samples))
    scale = blocks.multiply_const_cc(0.05)
    chan = channels.channel_model(noise_voltage=0.05 * 10 ** (-snr_db / 20), frequency_offset=0.0, epsilon=1.0,
                                  taps=[1.0], noise_seed=1, block_tags=True)
    rx = digital.ofdm_rx(fft_len=64, cp_len=16, frame_length_tag_key="frame_len", packet_length_tag_key="packet_len",
                         bps_header=1, bps_payload=2, debug_log=False, scramble_bits=False)
    tb.connect(src, tagger, tx, head, scale, chan, rx, blocks.null_sink(gr.sizeof_char))
    t0 = time.perf_counter()
    tb.run()
    return n_samples / (time.perf_counter() - t0)
