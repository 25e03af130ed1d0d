"""Any codec over the OFDM PHY: the transmitter and receiver halves every path shares (loopback
simulation, ZMQ processes, USRP, HackRF, IQ files).

TX: image PDUs -> Codec Encoder (PDU) -> Chunk FEC Encoder -> PDU to Stream -> OFDM Transmitter.
RX: OFDM Receiver (symbols + csi) -> Stream to PDU -> Chunk Reassembler -> Chunk FEC Decoder ->
Codec Decoder (PDU) -> image PDUs.
"""
import time

from gnuradio import gr

from .. import meta as M
from ..blocks.chunk_fec import chunk_fec_decoder, chunk_fec_encoder
from ..blocks.codec_blocks import STREAM_BUFFER, codec_decode_pdu, codec_encode_pdu
from ..blocks.pdu_to_stream import pdu_to_stream
from ..blocks.slot_scheduler import csi_tap, slot_scheduler
from ..blocks.stream_to_pdu import stream_to_pdu
from ..phy.ofdm import OfdmParams, ofdm_rx, ofdm_tx
from .chunk_reassembler import chunk_reassembler
from .ledger import packet_fits, tx_progress


class codec_ofdm_tx(tx_progress, gr.hier_block2):
    """Image PDUs in ("in") -> OFDM baseband out. Every frame header carries the image id, its
    size, the chunk, the model's id and, for digital chunks, the MCS: a receiver needs no side
    channel. kn / mcs: a byte codec's budget and channel coding (codec_encode_pdu); snr_db /
    set_snr_db / "snr": the transmitter's CSI for an SNR-adaptive codec. The receiver's half
    decodes such a codec for its own per-frame SNR estimate (the snr_db tags). burst: one
    tx_sob / tx_eob burst per frame for radios (ofdm_mod_cc).

    policy (e.g. "all", "groups:3"): the chunks go through the Slot Scheduler, slot_symbols
    channel uses per slot, paced by what this transmitter has sent; mcs "adaptive" then picks each
    chunk's MCS from the CSI messages on the "csi" port (Codec OFDM Receiver's "csi", directly
    or over ZMQ).

    Completion is known: for every chunk the modulator says how many frames and samples it
    will take (frame_len), so progress(given, taken) tells how many images are wholly on the
    air and when everything is (chunks a scheduler policy plans out are not owed)."""

    def __init__(self, model="deepjscc-kn6-awgn-10db", params=None, gap=64, amplitude=1.0, clip_db=0.0, threads=0,
                 kn=0, mcs="qpsk-1/2", engine="auto", policy=None, slot_symbols=12288, margin_db=1.0, snr_db=None,
                 burst=False):
        gr.hier_block2.__init__(self, "jscc_codec_ofdm_tx", gr.io_signature(0, 0, 0),
                                gr.io_signature(1, 1, gr.sizeof_gr_complex))
        p = params or OfdmParams()
        self.params, self.gap = p, int(gap)
        if mcs == "adaptive" and not policy:
            raise ValueError("mcs 'adaptive' needs the slot scheduler: give a policy (e.g. 'all')")
        self.message_port_register_hier_in("in")
        self.message_port_register_hier_in("csi")
        self.message_port_register_hier_in("snr")
        # the budget of a byte codec is sized at a fixed MCS; "adaptive" picks it per chunk later
        self.encode = codec_encode_pdu(model, kn, "qpsk-1/2" if mcs == "adaptive" else mcs, threads, engine, snr_db)
        self.fec = chunk_fec_encoder("qpsk-1/2" if mcs == "adaptive" else mcs)
        self.to_stream = pdu_to_stream()
        self.to_stream.set_min_output_buffer(STREAM_BUFFER)
        self.tx = ofdm_tx(p.fft_len, p.cp_len, p.occupied, p.pilots, p.frame_symbols, gap, amplitude, clip_db,
                          burst=burst)
        self._last = self.tx.mod
        mod, mp = self.tx.mod, p.max_payload
        first = [True]

        def cost(n, d):
            # what the modulator will make of this packet: whole frames, the first one after the lead-in
            frames = -(-n // mp)
            if not packet_fits(d) or frames > M.header_max(M.FRAG_COUNT):
                return 0, 0
            samples = (frames - 1) * mod.frame_len(mp) + mod.frame_len(n - (frames - 1) * mp)
            if first[0]:
                first[0] = False
                samples += mod.lead_in()
            return frames, samples
        self._link_ledger(cost)
        self.msg_connect(self, "in", self.encode, "in")
        self.msg_connect(self, "snr", self.encode, "snr")
        if policy:
            self.scheduler = slot_scheduler(policy, slot_symbols, margin_db, mcs)
            self.scheduler.progress = lambda: self.to_stream.nitems_written(0)
            self.msg_connect(self.encode, "out", self.scheduler, "in")
            self.msg_connect(self, "csi", self.scheduler, "csi")
            self.msg_connect(self.scheduler, "out", self.fec, "in")
        else:
            self.scheduler = None
            self.msg_connect(self.encode, "out", self.fec, "in")
        self.msg_connect(self.fec, "out", self.to_stream, "pdus")
        self.connect(self.to_stream, self.tx, self)

    @property
    def codec(self):
        return self.encode.codec

    def _last_input_read(self):
        return self.tx.mod.nitems_read(0)

    def _frames_out(self):
        return self.tx.mod.frames()

    def set_snr_db(self, snr_db):
        self.encode.set_snr_db(snr_db)


class codec_ofdm_rx(gr.hier_block2):
    """OFDM baseband in -> image PDUs out ("out"): OFDM receiver, frames to PDUs, reassembly by
    (image id, chunk) (lost fragments zero-filled, incomplete chunks sent after `timeout` s),
    digital chunks LDPC-decoded and CRC-checked, the codec's decoder. names: reference file names
    by image id (for the Image Sink's metrics). Frames of other models are counted and dropped.
    "csi": each frame's SNR estimate as a message, for a transmitter's Slot Scheduler."""

    def __init__(self, model="deepjscc-kn6-awgn-10db", params=None, equalizer="zf", threshold=0.2, timeout=2.0,
                 names=(), threads=0, engine="auto", refine=False):
        gr.hier_block2.__init__(self, "jscc_codec_ofdm_rx", gr.io_signature(1, 1, gr.sizeof_gr_complex),
                                gr.io_signature(0, 0, 0))
        p = params or OfdmParams()
        self.params = p
        self.message_port_register_hier_out("out")
        self.message_port_register_hier_out("stats")
        self.message_port_register_hier_out("csi")
        self.message_port_register_hier_out("refine")
        self.rx = ofdm_rx(p.fft_len, p.cp_len, p.occupied, p.pilots, p.frame_symbols, "analog", equalizer, threshold,
                          csi=True)
        self.to_pdu = stream_to_pdu(M.LEN_TAG, p.max_payload, csi=True)
        self.decode = codec_decode_pdu(model, threads=threads, timeout=timeout, engine=engine, refine=refine)
        self.reassemble = chunk_reassembler(p.max_payload, timeout, names, self.decode.codec.model_id)
        self.fec = chunk_fec_decoder(threads, getattr(self.decode.codec, "bit_error_tolerant", False))
        self.tap = csi_tap()
        self.connect(self, self.rx)
        self.connect((self.rx, 0), (self.to_pdu, 0))
        self.connect((self.rx, 1), (self.to_pdu, 1))
        self.msg_connect(self.to_pdu, "pdus", self.tap, "in")
        self.msg_connect(self.tap, "out", self.reassemble, "in")
        self.msg_connect(self.tap, "csi", self, "csi")
        self.msg_connect(self.reassemble, "out", self.fec, "in")
        self.msg_connect(self.fec, "out", self.decode, "in")
        self.msg_connect(self.decode, "out", self, "out")
        self.msg_connect(self.decode, "refine", self, "refine")
        self.msg_connect(self.rx, "stats", self, "stats")

    @property
    def codec(self):
        return self.decode.codec

    def drain(self, sink=None, timeout=10.0):
        """Before the flowgraph stops (Ctrl-C, --timeout, end of a recording): send on every
        partial chunk, let the FEC and the decoder take them, decode every partial image and, if
        a sink is given, wait until it has taken every image. True when all of it went through
        (decided on the blocks' counts; timeout only bounds a wedged block)."""
        t0 = time.monotonic()
        self.reassemble.flush()
        while not self._taken() and time.monotonic() - t0 < timeout:
            time.sleep(0.01)
        self.decode.flush()
        while sink is not None and sink.stat("received") < self.decode.stat("decoded") \
                and time.monotonic() - t0 < timeout:
            time.sleep(0.01)
        return self._taken() and (sink is None or sink.stat("received") >= self.decode.stat("decoded"))

    def _taken(self):
        """Every message a block sent on has been handled by the next one (the queues between the
        message blocks are empty)."""
        s2p, tap, ra = self.to_pdu.stats(), self.tap.stats(), self.reassemble.stats()
        fec, dec = self.fec.stats(), self.decode.stats()
        return (tap["received"] >= s2p["packets"] and ra["received"] >= tap["frames"] and fec["received"] >= ra["chunks"]
                and dec["received"] >= fec["decoded"] + fec["failed"] + fec["passed"])

    def settled(self, samples_in):
        """Every one of the first samples_in input samples has been demodulated (the frames in
        them delivered or given up) and every frame passed on has been handled by reassembly,
        FEC and the decoder. Images may still wait in reassembly or decoding for their missing
        parts: drain() sends them on."""
        return self.rx.demod.processed_to() >= samples_in and self._taken()

    def idle(self):
        """Nothing waits in reassembly or decoding and every chunk sent on has been taken by the
        next block (the message queues between them are empty)."""
        return self.reassemble.pending() == 0 and self.decode.pending() == 0 and self._taken()

    def stats(self):
        """PHY frame counters, reassembly, FEC and decoder counters in one dict."""
        return dict(phy=self.rx.stats(), framing=self.to_pdu.stats(), reassembly=self.reassemble.stats(),
                    fec=self.fec.stats(), decoder=self.decode.stats())


class deepjscc_ofdm_tx(codec_ofdm_tx):
    """Deep JSCC over the OFDM PHY (the block's name before other codecs existed)."""

    def __init__(self, model="deepjscc-kn6-awgn-10db", params=None, gap=64, amplitude=1.0, clip_db=0.0, threads=0,
                 engine="auto", burst=False):
        codec_ofdm_tx.__init__(self, model, params, gap, amplitude, clip_db, threads, engine=engine, burst=burst)


class deepjscc_ofdm_rx(codec_ofdm_rx):
    """Deep JSCC from the OFDM PHY (the block's name before other codecs existed)."""
