"""Image View: a Qt GUI sink that shows each received image (for GRC's Qt GUI flowgraphs)."""
import numpy as np
import pmt
from gnuradio import gr

from .. import meta as M


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


class image_view(gr.basic_block):
    """Image PDUs on "in" -> the latest image in a Qt widget (widget()), captioned with its id,
    file, lost fragments and SNR when the metadata has them. Non-image messages are counted
    (errors()) and ignored."""

    def __init__(self, title="Received image", max_width=768):
        gr.basic_block.__init__(self, name="jscc_image_view", in_sig=None, out_sig=None)
        self.title = title
        self._widget = _widget_class()(title, int(max_width))
        self._shown, self._errors = 0, 0
        self.message_port_register_in(pmt.intern("in"))
        self.set_msg_handler(pmt.intern("in"), self._handle)

    def widget(self):
        return self._widget

    def _handle(self, msg):
        try:
            _, d, img = M.pdu_image(msg)
        except (ValueError, TypeError) as e:
            self._errors += 1
            self.logger.error(f"not an image PDU: {e}")
            return
        parts = [f"{self.title}: image {d.get(M.IMAGE_ID, '?')}"]
        if M.FILE in d:
            parts.append(str(d[M.FILE]))
        if "lost_fragments" in d:
            parts.append(f"lost fragments {d['lost_fragments']}/{d.get('fragments', '?')}")
        if M.SNR_DB in d:
            parts.append(f"SNR {float(d[M.SNR_DB]):.1f} dB")
        if M.REFINEMENT in d:
            parts.append(f"chunks {d[M.REFINEMENT]}/{d.get(M.CHUNKS, '?')}")
        if M.MCS in d:
            parts.append(str(d[M.MCS]))
        self._shown += 1
        self._widget.show_image.emit(np.ascontiguousarray(img), ", ".join(parts))

    def shown(self):
        return self._shown

    def errors(self):
        return self._errors
