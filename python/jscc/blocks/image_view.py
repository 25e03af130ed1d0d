"""Image View: a Qt GUI sink that shows each received image (for GRC's Qt GUI flowgraphs)."""
import numpy as np
import pmt

from .. import meta as M
from .pdu_block import pdu_block


def _widget_class():
    # PyQt5 is imported only when a view is built, so headless flowgraphs never need a display
    from PyQt5 import QtCore, QtGui, QtWidgets

    class View(QtWidgets.QWidget):
        show_image = QtCore.pyqtSignal(object, str)

        def __init__(self, title, max_width):
            super().__init__()
            self.max_width = max_width
            self.label = QtWidgets.QLabel("waiting for images")
            self.label.setAlignment(QtCore.Qt.AlignCenter)
            self.caption = QtWidgets.QLabel(title)
            lay = QtWidgets.QVBoxLayout(self)
            lay.addWidget(self.caption)
            lay.addWidget(self.label)
            # message handlers run on GNU Radio's threads: hand the picture to the GUI thread
            self.show_image.connect(self._show)

        def _show(self, img, caption):
            h, w = img.shape[:2]
            q = QtGui.QImage(img.data, w, h, 3 * w, QtGui.QImage.Format_RGB888).copy()
            pix = QtGui.QPixmap.fromImage(q)
            if w > self.max_width:
                pix = pix.scaledToWidth(self.max_width, QtCore.Qt.SmoothTransformation)
            self.label.setPixmap(pix)
            self.caption.setText(caption)

    return View


class image_view(pdu_block):
    """Image PDUs on "in" -> the latest image in a Qt widget (widget()), captioned with its id,
    file, lost fragments and SNR when the metadata has them. Non-image messages are counted
    (errors()) and ignored."""

    def __init__(self, title="Received image", max_width=768):
        pdu_block.__init__(self, "jscc_image_view", out_ports=(), stat_keys=("shown",))
        self.title = title
        self._widget = _widget_class()(title, int(max_width))

    def widget(self):
        return self._widget

    def handle(self, port, meta, d, data):
        _, d, img = M.pdu_image(pmt.cons(meta, M.to_pmt(data)))
        parts = [f"{self.title}: image {d.get(M.IMAGE_ID, '?')}"]
        if M.FILE in d:
            parts.append(str(d[M.FILE]))
        if M.LOST_FRAGMENTS in d:
            parts.append(f"lost fragments {d[M.LOST_FRAGMENTS]}/{d.get(M.FRAGMENTS, '?')}")
        if M.SNR_DB in d:
            parts.append(f"SNR {M.get_float(d, M.SNR_DB):.1f} dB")
        if M.REFINEMENT in d:
            parts.append(f"chunks {d[M.REFINEMENT]}/{d.get(M.CHUNKS, '?')}")
        if M.MCS in d:
            parts.append(str(d[M.MCS]))
        self.count("shown")
        self._widget.show_image.emit(np.ascontiguousarray(img), ", ".join(parts))

    def shown(self):
        return self.stat("shown")
