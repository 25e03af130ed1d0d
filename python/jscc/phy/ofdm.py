"""OFDM transmitter and receiver hier blocks (the C++ framer, detector, demodulator and demapper).

Frame format and parameters: docs/ofdm_frame.md. Both ends must use the same
fft_len / cp_len / occupied / pilots / frame_symbols; OfdmParams keeps them together.
"""
import dataclasses

from gnuradio import gr

from .. import cli, meta as M
from ..jscc_python import ofdm_demod_cc, ofdm_mod_cc, ofdm_sync_cc, soft_demapper_cf
from ..blocks.pdu_to_stream import pdu_to_stream
from ..blocks.qam_mapper import qam_mapper

ANALOG, DIGITAL = 0, 1


@dataclasses.dataclass
class OfdmParams:
    fft_len: int = 64
    cp_len: int = 16
    occupied: int = 0       # 0: 13/16 of fft_len (52 for 64, 832 for 1024)
    pilots: int = 0         # 0: one per 13 occupied carriers (4 for 52)
    frame_symbols: int = 64  # payload OFDM symbols per frame at most

    def __post_init__(self):
        if not self.occupied:
            self.occupied = 2 * round(self.fft_len * 13 / 32)
        if not self.pilots:
            self.pilots = max(2, self.occupied // 13)

    def args(self):
        return (self.fft_len, self.cp_len, self.occupied, self.pilots, self.frame_symbols)

    @property
    def n_data(self):
        return self.occupied - self.pilots

    @property
    def max_payload(self):
        return self.frame_symbols * self.n_data


def add_arguments(parser):
    """The PHY settings every app takes (both ends of a link must agree); returns the group."""
    g = parser.add_argument_group("OFDM PHY (both ends must agree)")
    g.add_argument("--fft-len", type=cli.power_of_two, default=64)
    g.add_argument("--cp-len", type=cli.positive_int, default=16)
    g.add_argument("--frame-symbols", type=cli.positive_int, default=64, help="payload OFDM symbols per frame")
    return g


def params_from(args):
    return OfdmParams(args.fft_len, args.cp_len, frame_symbols=args.frame_symbols)


class ofdm_tx(gr.hier_block2):
    """OFDM Transmitter. payload="analog": a tagged complex stream in (one packet_len packet per
    image, header fields from the packet's tags), baseband samples out. payload="digital": byte
    PDUs in on "pdus", mapped to Gray QAM of bits_per_symbol (1, 2, 4, 6).

    Output power: unit-power payload gives unit RMS over each frame, times amplitude; clip_db > 0
    limits peaks to clip_db above that RMS (frames() / papr_db() / clipped_fraction() report).
    burst: one burst per frame, tagged tx_sob / tx_eob / burst_len for radios (ofdm_mod_cc);
    continuous (False) streams the same samples untagged.
    """

    def __init__(self, fft_len=64, cp_len=16, occupied=0, pilots=0, frame_symbols=64, gap=64,
                 amplitude=1.0, clip_db=0.0, payload="analog", bits_per_symbol=2, len_tag_key=M.LEN_TAG,
                 burst=False):
        if payload not in ("analog", "digital"):
            raise ValueError(f"payload must be analog or digital, got {payload!r}")
        p = OfdmParams(fft_len, cp_len, occupied, pilots, frame_symbols)
        analog = payload == "analog"
        gr.hier_block2.__init__(self, "jscc_ofdm_tx",
                                gr.io_signature(1 if analog else 0, 1 if analog else 0, gr.sizeof_gr_complex),
                                gr.io_signature(1, 1, gr.sizeof_gr_complex))
        self.params = p
        self.mod = ofdm_mod_cc(*p.args(), gap, amplitude, clip_db, len_tag_key, bool(burst))
        if analog:
            self.connect(self, self.mod)
        else:
            self.message_port_register_hier_in("pdus")
            self.mapper = qam_mapper(bits_per_symbol)
            self.to_stream = pdu_to_stream(len_tag_key)
            self.msg_connect(self, "pdus", self.mapper, "in")
            self.msg_connect(self.mapper, "out", self.to_stream, "pdus")
            self.connect(self.to_stream, self.mod)
        self.connect(self.mod, self)

    def frames(self):
        return self.mod.frames()

    def papr_db(self):
        return self.mod.papr_db()

    def clipped_fraction(self):
        return self.mod.clipped_fraction()


class ofdm_rx(gr.hier_block2):
    """OFDM Receiver: baseband samples in. payload="analog": equalised payload symbols out as a
    tagged stream (header fields, snr_db, noise_var, cfo tags per frame), every frame whatever
    its type; with csi, a second output carries each symbol's reliability |h|^2/noise_var (what
    the chunk link's soft demapping of digital frames needs). "digital": LLRs out (float,
    log P(0)/P(1)), bits_per_symbol per frame from the header, digital frames only. Frame
    counters as messages on "stats" (and stats()).
    """

    def __init__(self, fft_len=64, cp_len=16, occupied=0, pilots=0, frame_symbols=64, payload="analog",
                 equalizer="zf", threshold=0.2, smoothing=5, timing_backoff=2, track_amplitude=True,
                 chan_est_tags=False, len_tag_key=M.LEN_TAG, csi=False):
        if payload not in ("analog", "digital"):
            raise ValueError(f"payload must be analog or digital, got {payload!r}")
        p = OfdmParams(fft_len, cp_len, occupied, pilots, frame_symbols)
        digital = payload == "digital"
        if digital:
            out = gr.io_signature(1, 1, gr.sizeof_float)
        elif csi:
            out = gr.io_signature.makev(2, 2, [gr.sizeof_gr_complex, gr.sizeof_float])
        else:
            out = gr.io_signature(1, 1, gr.sizeof_gr_complex)
        gr.hier_block2.__init__(self, "jscc_ofdm_rx", gr.io_signature(1, 1, gr.sizeof_gr_complex), out)
        self.params = p
        self.message_port_register_hier_out("stats")
        self.sync = ofdm_sync_cc(fft_len, cp_len, threshold)
        # analog mode accepts every frame type: the chunk link demaps digital frames itself
        self.demod = ofdm_demod_cc(*p.args(), equalizer, "digital" if digital else "all", smoothing,
                                   timing_backoff, track_amplitude, chan_est_tags, len_tag_key)
        # the demodulator reads a preamble and the whole header at once
        self.sync.set_min_output_buffer(max(1 << 14, 4 * self.demod.max_input_needed()))
        self.connect(self, self.sync, self.demod)
        if digital:
            self.demapper = soft_demapper_cf(2, len_tag_key)
            self.connect((self.demod, 0), (self.demapper, 0))
            self.connect((self.demod, 1), (self.demapper, 1))
            self.connect(self.demapper, self)
        else:
            self.connect((self.demod, 0), (self, 0))
            if csi:
                self.connect((self.demod, 1), (self, 1))
        self.msg_connect(self.demod, "stats", self, "stats")

    def stats(self):
        d = self.demod
        return dict(detected=d.detected(), header_ok=d.headers_ok(), header_crc_fail=d.header_crc_failures(),
                    header_invalid=d.header_invalid(), filtered=d.filtered(), missed=d.missed(),
                    frames=d.frames(), nonfinite=d.nonfinite(), bad_samples=d.bad_samples(),
                    sync_bad_samples=self.sync.bad_samples())
