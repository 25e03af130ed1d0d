"""Image Sink: image PDUs -> PNG files, PSNR/SSIM against references, a CSV and metric messages."""
import csv
import os
import threading

import pmt
from gnuradio import gr

from .. import meta as M
from ..imageio import ImageError, load_rgb, save_png
from ..metrics import psnr, ssim

CSV_FIELDS = [M.IMAGE_ID, M.FILE, M.HEIGHT, M.WIDTH, M.SNR_DB, M.PSNR_DB, M.SSIM, M.MISSING, M.EXTRA, M.NONFINITE,
              M.LOST_FRAGMENTS, M.CHUNKS, M.CHUNKS_FAILED, M.DECODE_FAILED, M.PNG]


class image_sink(gr.basic_block):
    """Receives image PDUs on "in".

    out_dir: write each image as <image_id>_<file>.png ("" writes nothing).
    reference: a folder (matched by the file metadata) or one image file to compare with;
    gives psnr_db and ssim (if enabled) per image, appended to csv_path (default
    <out_dir>/metrics.csv) and published on "metrics" as a PMT dict.
    A missing reference or a size mismatch is logged and counted; the image is still saved.
    """

    def __init__(self, out_dir="", reference="", compute_ssim=True, csv_path=""):
        gr.basic_block.__init__(self, name="jscc_image_sink", in_sig=None, out_sig=None)
        self.out_dir, self.reference, self.compute_ssim = out_dir, reference, bool(compute_ssim)
        if out_dir:
            os.makedirs(out_dir, exist_ok=True)
        self.csv_path = csv_path or (os.path.join(out_dir, "metrics.csv") if out_dir else "")
        if reference and not os.path.exists(reference):
            raise ValueError(f"image_sink: reference {reference!r} does not exist")
        self._refs = {}
        self._results, self._errors = [], 0
        self._cond = threading.Condition()
        self.message_port_register_in(pmt.intern("in"))
        self.message_port_register_out(pmt.intern("metrics"))
        self.set_msg_handler(pmt.intern("in"), self._handle)
        if self.csv_path:
            with open(self.csv_path, "w", newline="") as f:
                csv.DictWriter(f, CSV_FIELDS).writeheader()

    def _reference(self, name):
        path = self.reference if os.path.isfile(self.reference) else os.path.join(self.reference, name or "")
        if path not in self._refs:
            self._refs[path] = load_rgb(path)  # raises ImageError with the path in it
        return self._refs[path]

    def _handle(self, msg):
        try:
            _, d, img = M.pdu_image(msg)
        except (ValueError, TypeError) as e:
            self._count_error(f"not an image PDU: {e}")
            return
        row = {k: d.get(k, "") for k in CSV_FIELDS}
        if self.out_dir:
            stem = os.path.splitext(str(d.get(M.FILE, "image")))[0]
            row[M.PNG] = os.path.join(self.out_dir, f"{int(d.get(M.IMAGE_ID, len(self._results))):04d}_{stem}.png")
            save_png(row[M.PNG], img)
        if self.reference:
            try:
                ref = self._reference(d.get(M.FILE))
                row[M.PSNR_DB] = round(psnr(ref, img), 4)
                if self.compute_ssim:
                    row[M.SSIM] = round(ssim(ref, img), 5)
            except (ImageError, ValueError) as e:
                self._count_error(f"image {d.get(M.IMAGE_ID)}: no metrics: {e}")
        if self.csv_path:
            with open(self.csv_path, "a", newline="") as f:
                csv.DictWriter(f, CSV_FIELDS).writerow(row)
        out = {k: v for k, v in row.items() if v != ""}
        self.message_port_pub(pmt.intern("metrics"), M.with_entries(pmt.make_dict(), **out))
        with self._cond:
            self._results.append(out)
            self._cond.notify_all()

    def _count_error(self, why):
        self._errors += 1
        self.logger.error(why)

    def results(self):
        with self._cond:
            return list(self._results)

    def errors(self):
        return self._errors

    def wait(self, n, timeout=None):
        """Block until n images arrived (True) or the timeout passed (False)."""
        with self._cond:
            return self._cond.wait_for(lambda: len(self._results) >= n, timeout)
