"""PDU to Stream: PDUs -> a tagged stream of any length, in buffer-sized chunks."""
import collections
import threading

import numpy as np
import pmt
from gnuradio import gr

from .. import meta as M


class pdu_to_stream(gr.sync_block):
    """PDUs on "pdus" -> complex stream; each packet starts with a len_tag_key tag plus one tag per
    metadata entry. Unlike GNU Radio's pdu_to_tagged_stream it streams a packet in pieces, so a
    packet never has to fit into one buffer (an image is ~200k symbols).

    Non-complex or malformed messages are logged, counted (errors()) and dropped. Between
    packets the block waits without spinning and produces nothing.
    """

    def __init__(self, len_tag_key=M.LEN_TAG):
        gr.sync_block.__init__(self, name="jscc_pdu_to_stream", in_sig=None, out_sig=[np.complex64])
        self.len_key = pmt.intern(len_tag_key)
        self._queue = collections.deque()
        self._cond = threading.Condition()
        self._cur, self._pos, self._meta = None, 0, None
        self._packets, self._errors = 0, 0
        self.message_port_register_in(pmt.intern("pdus"))
        self.set_msg_handler(pmt.intern("pdus"), self._handle)

    def _handle(self, msg):
        try:
            meta, data = M.split_pdu(msg)
            if not np.iscomplexobj(data) or data.size == 0:
                raise ValueError(f"payload of {data.size} {data.dtype} items; expected complex symbols")
        except (ValueError, TypeError) as e:
            self._errors += 1
            self.logger.error(f"dropping message ({self._errors} dropped): {e}")
            return
        with self._cond:
            self._queue.append((meta, data.astype(np.complex64, copy=False)))
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
            self._cur = None
            self._packets += 1
        return n

    def packets(self):
        return self._packets

    def errors(self):
        return self._errors

    def pending(self):
        """Packets queued or in progress."""
        with self._cond:
            return len(self._queue) + (self._cur is not None)
