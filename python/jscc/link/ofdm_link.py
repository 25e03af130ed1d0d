"""Deep JSCC over the OFDM PHY: the transmitter and receiver halves every path shares
(loopback simulation, ZMQ processes, USRP, HackRF, IQ files)."""
from gnuradio import gr

from .. import meta as M
from ..blocks.deepjscc_decoder import deepjscc_decode_pdu
from ..blocks.deepjscc_encoder import STREAM_BUFFER, deepjscc_encode_pdu
from .frame_reassembler import frame_reassembler
from ..phy.ofdm import OfdmParams, ofdm_rx, ofdm_tx
from ..blocks.pdu_to_stream import pdu_to_stream
from ..blocks.stream_to_pdu import stream_to_pdu


class deepjscc_ofdm_tx(gr.hier_block2):
    """Image PDUs in ("in") -> OFDM baseband out: Deep JSCC encoder, one packet per image, framed
    and fragmented by the OFDM transmitter (header: image id, size, model id)."""

    def __init__(self, model="deepjscc-kn6-awgn-10db", params=None, gap=64, amplitude=1.0, clip_db=0.0, threads=0):
        gr.hier_block2.__init__(self, "jscc_deepjscc_ofdm_tx", gr.io_signature(0, 0, 0),
                                gr.io_signature(1, 1, gr.sizeof_gr_complex))
        p = params or OfdmParams()
        self.params = p
        self.message_port_register_hier_in("in")
        self.encode = deepjscc_encode_pdu(model, threads)
        self.to_stream = pdu_to_stream()
        self.to_stream.set_min_output_buffer(STREAM_BUFFER)
        self.tx = ofdm_tx(p.fft_len, p.cp_len, p.occupied, p.pilots, p.frame_symbols, gap, amplitude, clip_db)
        self.msg_connect(self, "in", self.encode, "in")
        self.msg_connect(self.encode, "out", self.to_stream, "pdus")
        self.connect(self.to_stream, self.tx, self)

    def idle(self):
        """Nothing queued: every image handed to the PHY (its last frame may still be in buffers)."""
        return self.to_stream.pending() == 0


class deepjscc_ofdm_rx(gr.hier_block2):
    """OFDM baseband in -> image PDUs out ("out"): OFDM receiver, frames to PDUs, reassembly by
    image id (lost fragments zero-filled, incomplete images sent after `timeout` s), Deep JSCC
    decoder. names: reference file names by image id (for the Image Sink's metrics)."""

    def __init__(self, model="deepjscc-kn6-awgn-10db", params=None, equalizer="zf", threshold=0.2, timeout=2.0,
                 names=(), threads=0):
        gr.hier_block2.__init__(self, "jscc_deepjscc_ofdm_rx", gr.io_signature(1, 1, gr.sizeof_gr_complex),
                                gr.io_signature(0, 0, 0))
        p = params or OfdmParams()
        self.params = p
        self.message_port_register_hier_out("out")
        self.message_port_register_hier_out("stats")
        self.rx = ofdm_rx(p.fft_len, p.cp_len, p.occupied, p.pilots, p.frame_symbols, "analog", equalizer, threshold)
        self.to_pdu = stream_to_pdu(M.LEN_TAG, p.max_payload)
        self.decode = deepjscc_decode_pdu(model, threads=threads)
        self.reassemble = frame_reassembler(p.max_payload, timeout, names, M.model_id(self.decode.codec.name))
        self.connect(self, self.rx, self.to_pdu)
        self.msg_connect(self.to_pdu, "pdus", self.reassemble, "in")
        self.msg_connect(self.reassemble, "out", self.decode, "in")
        self.msg_connect(self.decode, "out", self, "out")
        self.msg_connect(self.rx, "stats", self, "stats")

    def stats(self):
        """PHY frame counters, reassembly counters and decoder counters in one dict."""
        return dict(phy=self.rx.stats(), framing=self.to_pdu.stats(), reassembly=self.reassemble.stats(),
                    decoder=self.decode.stats())
