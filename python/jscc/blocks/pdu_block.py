"""The one skeleton every gr-jscc message block is built on.

A Python exception in a message handler kills that block's message thread in GNU Radio: every
later message would be ignored, uncounted. Here each handler (every message block of the module:
the codec, FEC, reassembly, QAM, PDU-to-stream, sink and view blocks) runs under one guard: bad input
(ValueError, TypeError, KeyError, OverflowError: a message that is not what the port takes) is
logged and counted as "dropped"; anything else (a bug, MemoryError) is logged with its type and
counted as "errors". Either way the block keeps serving the next message. Counters are kept
under a lock (handlers and the apps' polling threads read them concurrently).
"""
import collections
import functools
import threading
import time
import traceback

import pmt
from gnuradio import gr

from .. import meta as M
from ..pmtio import to_pmt

BAD_INPUT = (ValueError, TypeError, KeyError, OverflowError, IndexError)


class message_guard:
    """The skeleton itself, as a mixin for any GNU Radio block with message inputs (pdu_block is
    it on a basic_block; a stream block such as PDU to Stream mixes it in). Call
    _init_ports(in_ports, out_ports, stat_keys) after the GNU Radio base __init__. Counts
    "received" for every message taken (whatever its fate), "dropped" and "errors"."""

    raw_ports = ()  # ports whose messages are not PDUs: handle_message(port, msg) gets them as they are

    def _init_ports(self, in_ports=("in",), out_ports=("out",), stat_keys=()):
        self._lock = threading.RLock()
        self._stats = collections.Counter(dict.fromkeys(tuple(stat_keys) + ("received", "dropped", "errors"), 0))
        self._out_ports = tuple(out_ports)
        for p in out_ports:
            self.message_port_register_out(pmt.intern(p))
        for p in in_ports:
            self.message_port_register_in(pmt.intern(p))
            # GNU Radio's gateway calls the handler by its name on the block: one method per port
            fn = functools.partial(self._guard, p)
            name = f"_handle_{p}"
            setattr(self, name, fn)
            fn.__name__ = name
            self.set_msg_handler(pmt.intern(p), fn)

    def _guard(self, port, msg):
        try:
            if port in self.raw_ports:
                self.handle_message(port, msg)
            else:
                meta, data = M.split_pdu(msg)
                self.handle(port, meta, M.to_dict(meta), data)
        except BAD_INPUT as e:
            self.drop(f"{e}")
        except Exception as e:  # a bug or MemoryError must not silence the block for good
            self.count("errors")
            self.logger.error(f"message on {port!r} failed ({type(e).__name__}: {e} at {_where()}); "
                              "block keeps running")
        finally:
            # counted last: once received() reaches what was posted, every effect of it is done
            self.count("received")

    def handle(self, port, meta, d, data):
        raise NotImplementedError

    def handle_message(self, port, msg):
        raise NotImplementedError

    def drop(self, why):
        self.count("dropped")
        self.logger.error(f"dropping message ({self.stat('dropped')} dropped so far): {why}")

    def count(self, key, n=1):
        with self._lock:
            self._stats[key] += n

    def stat(self, key):
        with self._lock:
            return self._stats[key]

    def stats(self):
        with self._lock:
            return dict(self._stats)

    def errors(self):
        """Messages that did not do what they were sent for: bad input and failures."""
        with self._lock:
            return self._stats["dropped"] + self._stats["errors"]

    def publish(self, meta, payload, port=None):
        """Send a PDU; payload is a numpy array (or already a PMT vector)."""
        if not isinstance(payload, pmt.pmt_base):
            payload = to_pmt(payload)
        self.message_port_pub(pmt.intern(port or self._out_ports[0]), pmt.cons(meta, payload))


class pdu_block(message_guard, gr.basic_block):
    """Subclasses implement handle(port, meta, d, data): meta the PMT dict, d the same as a Python
    dict, data the numpy payload; they publish with self.publish(meta, payload) and count with
    self.count(key). stat_keys: the counters stats() always reports (0 until counted)."""

    def __init__(self, name, in_ports=("in",), out_ports=("out",), stat_keys=()):
        gr.basic_block.__init__(self, name=name, in_sig=None, out_sig=None)
        self._init_ports(in_ports, out_ports, stat_keys)


def _where():
    """file:line of the innermost frame of the exception being handled (for the error log)."""
    tb = traceback.extract_tb(traceback.sys.exc_info()[2])
    return f"{tb[-1].filename.rsplit('/', 1)[-1]}:{tb[-1].lineno}" if tb else "?"


class pending_pdu_block(pdu_block):
    """A pdu_block that holds partial work in self._pending ({key: item with .updated, the
    time.monotonic() of its last change}) and gives it up `timeout` seconds after its last change:
    a watcher thread calls self.expire(key) (lock held; the subclass sends the item on and removes
    it) and counts "timed_out". flush() expires everything now (receivers call it before they
    stop); pending() counts what is held."""

    def __init__(self, name, timeout, **kw):
        pdu_block.__init__(self, name, **kw)
        if not timeout > 0:
            raise ValueError(f"timeout must be > 0 s, got {timeout}")
        self.timeout = float(timeout)
        self._pending = {}
        self._stop = threading.Event()
        self._thread = None
        self.count("timed_out", 0)

    def expire(self, key):
        raise NotImplementedError

    def start(self):
        self._stop.clear()
        self._thread = threading.Thread(target=self._watch, daemon=True, name=f"{self.name()}_timeout")
        self._thread.start()
        return True

    def stop(self):
        self._stop.set()
        if self._thread:
            self._thread.join(1.0)
        return True

    def _expire(self, key):
        """expire() under the same guard as a message: one bad item is dropped (or counted as an
        error), never raised into the watcher thread or the receiver that flushes."""
        try:
            self.expire(key)
        except BAD_INPUT as e:
            self.drop(f"{e}")
        except Exception as e:
            self.count("errors")
            self.logger.error(f"giving up pending item {key!r} failed ({type(e).__name__}: {e} at {_where()})")
        finally:
            self._pending.pop(key, None)  # given up either way: it cannot fail again

    def _watch(self):
        while not self._stop.wait(min(0.1, self.timeout / 4)):
            now = time.monotonic()
            with self._lock:
                for k in [k for k, it in self._pending.items() if now - it.updated > self.timeout]:
                    self.count("timed_out")
                    self._expire(k)

    def flush(self):
        with self._lock:
            for k in list(self._pending):
                self._expire(k)

    def pending(self):
        with self._lock:
            return len(self._pending)
