"""Image Sink: image PDUs -> PNG files, PSNR/SSIM against references, a CSV and metric messages."""
import collections
import csv
import os
import threading

import pmt

from .. import meta as M
from ..imageio import ImageError, load_rgb, save_png
from ..metrics import psnr, ssim
from .pdu_block import pdu_block

CSV_FIELDS = [M.IMAGE_ID, M.FILE, M.HEIGHT, M.WIDTH, M.SNR_DB, M.PSNR_DB, M.SSIM, M.MISSING, M.EXTRA, M.NONFINITE,
              M.LOST_FRAGMENTS, M.CHUNKS, M.CHUNKS_FAILED, M.DECODE_FAILED, M.PNG]
REFERENCE_CACHE = 4   # references held in memory (loaded on demand: memory does not grow with the folder)
ID_WINDOW = 4096      # image ids remembered for duplicate detection (ids wrap after 65536 images)


def damage(d):
    """How damaged a received image is (smaller is better), to choose between two copies."""
    return (bool(d.get(M.DECODE_FAILED)), int(d.get(M.CHUNKS_FAILED) or 0), int(d.get(M.LOST_FRAGMENTS) or 0),
            int(d.get(M.MISSING) or 0) + int(d.get(M.NONFINITE) or 0))


class image_sink(pdu_block):
    """Receives image PDUs on "in".

    out_dir: write each image as <image_id>_<file>.png ("" writes nothing).
    reference: a folder (matched by the file metadata) or one image file to compare with;
    gives psnr_db and ssim (if enabled) per image, appended to csv_path (default
    <out_dir>/metrics.csv) and published on "metrics" as a PMT dict. References are read when
    needed (a few are cached), so memory does not grow with the folder.
    A missing reference or a size mismatch is logged and counted (errors()); the image is still
    saved. A second copy of an image id (a re-delivery) is counted ("duplicates") and replaces
    the first only if it is less damaged ("replaced"): a good PNG is never overwritten by a worse
    one, and results() has one entry per image.
    """

    def __init__(self, out_dir="", reference="", compute_ssim=True, csv_path=""):
        pdu_block.__init__(self, "jscc_image_sink", out_ports=("metrics",),
                           stat_keys=("images", "no_metrics", "duplicates", "replaced"))
        self.out_dir, self.reference, self.compute_ssim = out_dir, reference, bool(compute_ssim)
        if out_dir:
            try:
                os.makedirs(out_dir, exist_ok=True)
                probe = os.path.join(out_dir, ".jscc_write_test")
                open(probe, "w").close()
                os.remove(probe)
            except OSError as e:
                raise ValueError(f"image_sink: cannot write to {out_dir!r}: {e.strerror or e}") from None
        self.csv_path = csv_path or (os.path.join(out_dir, "metrics.csv") if out_dir else "")
        if reference and not os.path.exists(reference):
            raise ValueError(f"image_sink: reference {reference!r} does not exist")
        self._refs = collections.OrderedDict()
        self._results, self._by_id = [], collections.OrderedDict()
        self._cond = threading.Condition(self._lock)
        if self.csv_path:
            try:
                with open(self.csv_path, "w", newline="") as f:
                    csv.DictWriter(f, CSV_FIELDS).writeheader()
            except OSError as e:
                raise ValueError(f"image_sink: cannot write {self.csv_path!r}: {e.strerror or e}") from None

    def _reference(self, name):
        path = self.reference if os.path.isfile(self.reference) else os.path.join(self.reference, name or "")
        ref = self._refs.pop(path, None)
        if ref is None:
            ref = load_rgb(path)  # raises ImageError with the path in it
        self._refs[path] = ref
        while len(self._refs) > REFERENCE_CACHE:
            self._refs.popitem(last=False)
        return ref

    def handle(self, port, meta, d, data):
        _, d, img = M.pdu_image(pmt.cons(meta, M.to_pmt(data)))
        with self._lock:
            key = M.get_int(d, M.IMAGE_ID, -1 - len(self._results), lo=None)
            prev = self._by_id.get(key)
            if prev is not None:
                self.count("duplicates")
                better = damage(d) < damage(self._results[prev])
                self.logger.warn(f"image {key} received again ({'less' if better else 'not less'} damaged: "
                                 f"{'replaces' if better else 'keeps'} the first copy)")
                if not better:
                    return
                self.count("replaced")
        row = {k: d.get(k, "") for k in CSV_FIELDS}
        if self.out_dir:
            stem = os.path.splitext(os.path.basename(str(d.get(M.FILE, "image"))))[0]
            row[M.PNG] = os.path.join(self.out_dir, f"{key if key >= 0 else len(self._results):04d}_{stem}.png")
            save_png(row[M.PNG], img)
        if self.reference:
            try:
                ref = self._reference(os.path.basename(str(d.get(M.FILE, ""))))
                row[M.PSNR_DB] = round(psnr(ref, img), 4)
                if self.compute_ssim:
                    row[M.SSIM] = round(ssim(ref, img), 5)
            except (ImageError, ValueError) as e:
                self.count("no_metrics")
                self.logger.error(f"image {d.get(M.IMAGE_ID)}: no metrics: {e}")
        if self.csv_path:
            with open(self.csv_path, "a", newline="") as f:
                csv.DictWriter(f, CSV_FIELDS).writerow(row)
        out = {k: v for k, v in row.items() if v != ""}
        self.message_port_pub(pmt.intern("metrics"), M.with_entries(pmt.make_dict(), **out))
        with self._cond:
            if prev is not None:
                self._results[prev] = out
            else:
                self._by_id[key] = len(self._results)
                self._results.append(out)
                while len(self._by_id) > ID_WINDOW:
                    self._by_id.popitem(last=False)
                self.count("images")
            self._cond.notify_all()

    def results(self):
        """One entry per image received (the best copy of a re-delivered one)."""
        with self._cond:
            return list(self._results)

    def count_received(self):
        with self._cond:
            return len(self._results)

    def errors(self):
        """Messages that were not images, failed, or got no metrics."""
        st = self.stats()
        return st["dropped"] + st["errors"] + st["no_metrics"]

    def wait(self, n, timeout=None):
        """Block until n images arrived (True) or the timeout passed (False)."""
        with self._cond:
            return self._cond.wait_for(lambda: len(self._results) >= n, timeout)
