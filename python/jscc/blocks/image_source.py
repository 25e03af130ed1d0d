"""Image Source: image files -> image PDUs."""
import os
import threading

import pmt
from gnuradio import gr

from .. import meta as M
from ..imageio import IMAGE_EXTS, ImageError, load_rgb


def expand_paths(spec):
    """A file, a folder (its images, sorted), or a list of either (list, or ';'/','-separated string)."""
    if isinstance(spec, str):
        spec = [s.strip() for s in spec.replace(";", ",").split(",") if s.strip()]
    out = []
    for p in spec:
        if os.path.isdir(p):
            out += sorted(os.path.join(p, f) for f in os.listdir(p) if f.lower().endswith(IMAGE_EXTS))
        else:
            out.append(p)
    return out


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
    passes), height, width, file. Unreadable files are logged, skipped and
    counted (skipped()). With repeat, the list is sent again and again, one image per
    `interval` seconds (an interval is required then, so the queue cannot grow without bound).
    """

    def __init__(self, path="", repeat=False, interval=0.0, start_id=0):
        gr.basic_block.__init__(self, name="jscc_image_source", in_sig=None, out_sig=None)
        self.paths = expand_paths(path)
        if not self.paths:
            raise ValueError(f"image_source: no image files in {path!r}")
        if repeat and interval <= 0:
            raise ValueError("image_source: repeat needs interval > 0 (seconds between images)")
        if interval < 0:
            raise ValueError("image_source: interval must be >= 0")
        self.repeat, self.interval, self.next_id = repeat, float(interval), int(start_id)
        self._sent, self._skipped = 0, []
        self._stop = threading.Event()
        self._done = threading.Event()
        self._thread = None
        self.message_port_register_out(pmt.intern("out"))

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

    def _run(self):
        try:
            while not self._stop.is_set():
                for p in self.paths:
                    if self._stop.is_set():
                        return
                    try:
                        img = load_rgb(p)
                    except ImageError as e:
                        self._skipped.append(p)
                        self.logger.error(f"skipping {p}: {e}")
                        self.next_id += 1  # ids follow list positions, so a receiver can map id -> file
                        continue
                    md = M.with_entries(pmt.make_dict(), **{M.IMAGE_ID: self.next_id, M.FILE: os.path.basename(p)})
                    self.message_port_pub(pmt.intern("out"), M.image_pdu(img, md))
                    self.next_id += 1
                    self._sent += 1
                    if self.interval and self._stop.wait(self.interval):
                        return
                if not self.repeat:
                    return
        finally:
            self._done.set()

    def sent(self):
        return self._sent

    def skipped(self):
        return list(self._skipped)

    def done(self):
        """True once every file was sent or skipped (never with repeat)."""
        return self._done.is_set()
