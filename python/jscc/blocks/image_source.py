"""Image Source: image files -> image PDUs."""
import os
import threading

import pmt
from gnuradio import gr

from .. import meta as M
from ..imageio import ImageError, list_images, load_rgb


def expand_paths(spec):
    """A file, a folder (its images, one level, sorted), or a list of either: imageio.list_images,
    the one listing rule senders and receivers share."""
    return list_images(spec)


def add_arguments(ap):
    """The apps' image choice: --image FILE or --images DIR, one of them required."""
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--image", help="one image file")
    g.add_argument("--images", help="a folder of images")


def file_names(spec):
    """Base names of the files expand_paths(spec) lists, in order: image id i (as Image Source numbers
    them) is file_names(spec)[i % n]. Receivers use it to find the reference images."""
    return [os.path.basename(p) for p in expand_paths(spec)]


class image_source(gr.basic_block):
    """Reads image files and emits each as an image PDU on port "out".

    Metadata: image_id (start_id + position in the list, counting skipped files and earlier
    passes), height, width, file. Ids wrap at the largest multiple of the list length that the
    frame header's 16-bit field holds, so image_id modulo the list length stays the position (a
    receiver maps ids to files that way) and nothing is sent with an id the header cannot carry.
    Unreadable files are logged, skipped and counted (skipped()). With repeat, the list is sent
    again and again, one image per `interval` seconds (an interval or a window is required then,
    so the queue cannot grow without bound).

    window > 0: back-pressure. An image is read and sent only while fewer than `window` images
    are in flight, as the callable given to set_in_flight() counts them (the transmit chain, or
    a whole loopback, says how many images it holds); memory stays flat on any folder.
    """

    def __init__(self, path="", repeat=False, interval=0.0, start_id=0, window=0):
        gr.basic_block.__init__(self, name="jscc_image_source", in_sig=None, out_sig=None)
        self.paths = expand_paths(path)
        if not self.paths:
            raise ValueError(f"image_source: no image files in {path!r}")
        if interval < 0 or window < 0:
            raise ValueError("image_source: interval and window must be >= 0")
        if repeat and interval <= 0 and window <= 0:
            raise ValueError("image_source: repeat needs interval > 0 (seconds between images) or a window")
        self.repeat, self.interval, self.window = repeat, float(interval), int(window)
        n = len(self.paths)
        self.id_period = (M.header_max(M.IMAGE_ID) + 1) // n * n or (M.header_max(M.IMAGE_ID) + 1)
        self.next_id = int(start_id) % self.id_period
        self._in_flight = None
        self._sent, self._skipped, self._errors = 0, [], 0
        self._stop = threading.Event()
        self._done = threading.Event()
        self._thread = None
        self.message_port_register_out(pmt.intern("out"))

    def set_in_flight(self, fn, window=None):
        """fn() -> images in flight downstream; the source waits while it is >= window."""
        self._in_flight = fn
        if window is not None:
            if window < 1:
                raise ValueError("image_source: window must be >= 1")
            self.window = int(window)

    def start(self):
        self._stop.clear()
        self._done.clear()
        self._thread = threading.Thread(target=self._run, name="jscc_image_source", daemon=True)
        self._thread.start()
        return True

    def stop(self):
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
        return True

    def _wait_for_room(self):
        """False if stopped while waiting."""
        if not (self.window and self._in_flight):
            return True
        while not self._stop.is_set():
            try:
                if self._in_flight() < self.window:
                    return True
            except Exception as e:  # a broken counter must not stop the source for good
                self._errors += 1
                self.logger.error(f"in-flight count failed ({type(e).__name__}: {e}); sending on")
                return True
            self._stop.wait(0.005)
        return False

    def _send(self, p):
        try:
            img = load_rgb(p)
        except ImageError as e:
            self._skipped.append(p)
            self.logger.error(f"skipping {p}: {e}")
            return
        except Exception as e:  # MemoryError, a decoder bug: this image is lost, the source goes on
            self._skipped.append(p)
            self._errors += 1
            self.logger.error(f"skipping {p}: {type(e).__name__}: {e}")
            return
        md = M.with_entries(pmt.make_dict(), **{M.IMAGE_ID: self.next_id, M.FILE: os.path.basename(p)})
        self.message_port_pub(pmt.intern("out"), M.image_pdu(img, md))
        self._sent += 1

    def _run(self):
        try:
            while not self._stop.is_set():
                for p in self.paths:
                    if self._stop.is_set() or not self._wait_for_room():
                        return
                    self._send(p)
                    # ids follow list positions (a skipped file keeps its id), so a receiver can map id -> file
                    self.next_id = (self.next_id + 1) % self.id_period
                    if self.interval and self._stop.wait(self.interval):
                        return
                if not self.repeat:
                    return
        finally:
            self._done.set()

    def sent(self):
        return self._sent

    def given(self):
        """Images the source was asked to send (one pass): every file in its list."""
        return len(self.paths)

    def skipped(self):
        return list(self._skipped)

    def errors(self):
        return self._errors

    def done(self):
        """True once every file was sent or skipped (never with repeat)."""
        return self._done.is_set()
