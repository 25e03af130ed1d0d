"""PDU to Stream: PDUs -> a tagged stream of any length, in buffer-sized chunks."""
import collections
import threading

import numpy as np
import pmt
from gnuradio import gr

from .. import meta as M
from .pdu_block import message_guard


class pdu_to_stream(message_guard, gr.sync_block):
    """PDUs on "pdus" -> complex stream; each packet starts with a len_tag_key tag plus one tag per
    metadata entry. Unlike GNU Radio's pdu_to_tagged_stream it streams a packet in pieces, so a
    packet never has to fit into one buffer (an image is ~200k symbols).

    Non-complex or malformed messages are logged, counted (errors()) and dropped (the message
    skeleton of pdu_block). Between packets the block waits without spinning and produces
    nothing. stats(): received, queued (packets accepted), packets (streamed whole), dropped.
    on_packet: if set, called as on_packet(meta_dict, n_items) for each packet accepted, in
    stream order (the transmitters' ledger of what each image will cost on the air).
    """

    def __init__(self, len_tag_key=M.LEN_TAG):
        gr.sync_block.__init__(self, name="jscc_pdu_to_stream", in_sig=None, out_sig=[np.complex64])
        self._init_ports(("pdus",), (), stat_keys=("queued", "packets"))
        self.len_key = pmt.intern(len_tag_key)
        self._queue = collections.deque()
        self._cond = threading.Condition()
        self._cur, self._pos, self._meta = None, 0, None
        self.on_packet = None

    def handle(self, port, meta, d, data):
        if not np.iscomplexobj(data) or data.size == 0:
            raise ValueError(f"payload of {data.size} {data.dtype} items; expected complex symbols")
        with self._cond:
            if self.on_packet is not None:
                self.on_packet(d, int(data.size))
            self._queue.append((meta, data.astype(np.complex64, copy=False)))
            self.count("queued")
            self._cond.notify()

    def work(self, input_items, output_items):
        out = output_items[0]
        if self._cur is None:
            with self._cond:
                if not self._queue and not self._cond.wait(0.05):  # woken by a message, or poll again
                    return 0
                if not self._queue:
                    return 0
                self._meta, self._cur = self._queue.popleft()
            self._pos = 0
            start = self.nitems_written(0)
            self.add_item_tag(0, start, self.len_key, pmt.from_long(self._cur.size))
            for k, v in M.to_dict(self._meta).items():
                self.add_item_tag(0, start, pmt.intern(k), pmt.dict_ref(self._meta, pmt.intern(k), pmt.PMT_NIL))
        n = min(len(out), self._cur.size - self._pos)
        out[:n] = self._cur[self._pos:self._pos + n]
        self._pos += n
        if self._pos == self._cur.size:
            with self._cond:
                self._cur = None
                self.count("packets")
        return n

    def packets(self):
        return self.stat("packets")

    def pending(self):
        """Packets queued or in progress."""
        with self._cond:
            return len(self._queue) + (self._cur is not None)
