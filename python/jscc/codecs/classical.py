"""Classical image codecs as one BYTES chunk, through Pillow and imagecodecs (never hand-rolled).

Rate control follows the Deep JSCC paper: the highest quality whose bitstream fits the budget
the digital chain can carry (k channel uses x bits per symbol x code rate, coding.chain), by a
binary search over the codec's quality scale, or its own target-size control where it has one
(JPEG 2000). When even the lowest quality does not fit, nothing is sent. A chunk that is lost,
fails its CRC or does not decode gives the paper's failed-decode image: each colour channel at
its mean (known to the receiver as side information in the paper's evaluation; mid-grey when
it is not, e.g. over the air).

Settings are the ones these codecs' experts use: JPEG with optimised Huffman tables; JPEG 2000
with the irreversible 9/7 wavelet and the multiple-component (colour) transform (Pillow applies
none unless asked: 33.7 dB without vs 39.2 dB with it on Kodak at 1.73 bpp), raw codestream;
WebP method 6; JPEG XL effort 7 and AVIF speed 6, raw codestreams.
"""
import io

import numpy as np
from PIL import Image

from .base import BYTES, Chunk, Codec, Decoded, mean_colour_image
from .registry import register


class ImageCodec(Codec):
    """One BYTES chunk: a still-image bitstream. Subclasses give the quality range and the
    encode/decode calls."""

    kind = BYTES
    qualities = range(1, 101)  # increasing quality, increasing size (assumed monotonic)

    def _encode_at(self, img, quality):
        raise NotImplementedError

    def _decode_bytes(self, data):
        raise NotImplementedError

    def default_quality(self):
        return int(self.card.get("default_quality", self.qualities[len(self.qualities) * 3 // 4]))

    def side_info(self, img):
        """What the paper's evaluation lets the receiver know for free: the mean colour."""
        return {"mean_rgb": np.asarray(img, np.float64).reshape(-1, 3).mean(0).tolist()}

    def encode(self, img, budget=None, snr_db=None):
        img = self.image(img)
        if budget is None:
            q = self.default_quality()
            data = self._encode_at(img, q)
        else:
            q, data = self._fit(img, int(budget))
            if data is None:
                return []
        return [Chunk(0, BYTES, np.frombuffer(data, np.uint8), {"quality": q, "n_bytes": len(data)})]

    def _fit(self, img, budget):
        """(quality, bytes) of the highest quality that fits budget bytes, or (None, None)."""
        qs = list(self.qualities)
        lo, hi, best = 0, len(qs) - 1, (None, None)
        while lo <= hi:
            mid = (lo + hi) // 2
            data = self._encode_at(img, qs[mid])
            if len(data) <= budget:
                best, lo = (qs[mid], data), mid + 1
            else:
                hi = mid - 1
        return best

    def decode(self, chunks, height, width, snr_db=None, side=None):
        c = chunks.get(0)
        mean = (side or {}).get("mean_rgb")
        if c is None:
            return Decoded(mean_colour_image(height, width, mean), dict(failed=True, reason="lost"))
        try:
            img = self.image(self._decode_bytes(c.data.tobytes()))
            if img.shape[:2] != (height, width):
                raise ValueError(f"decoded {img.shape[1]}x{img.shape[0]}, expected {width}x{height}")
        except Exception as e:  # any codec library error on a damaged bitstream means the same
            return Decoded(mean_colour_image(height, width, mean), dict(failed=True, reason=f"undecodable: {e}"))
        return Decoded(img, dict(failed=False))


def _pillow(img, fmt, **kw):
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, fmt, **kw)
    return buf.getvalue()


def _pillow_decode(data):
    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("RGB"))


@register
class JPEG(ImageCodec):
    codec = "jpeg"
    qualities = range(1, 101)

    def _encode_at(self, img, quality):
        return _pillow(img, "JPEG", quality=quality, optimize=True)

    _decode_bytes = staticmethod(_pillow_decode)


@register
class WebP(ImageCodec):
    codec = "webp"
    qualities = range(0, 101)

    def _encode_at(self, img, quality):
        return _pillow(img, "WEBP", quality=quality, method=6)

    _decode_bytes = staticmethod(_pillow_decode)


@register
class JPEG2000(ImageCodec):
    """Quality is the compression ratio's inverse: OpenJPEG's own rate allocation aims at a
    target size, so the search is over target sizes, not a quality knob."""

    codec = "jpeg2000"

    def _encode_at(self, img, n_bytes):
        ratio = img.size / max(n_bytes, 1)
        return _pillow(img, "JPEG2000", irreversible=True, mct=1, no_jp2=True,
                       quality_mode="rates", quality_layers=[max(ratio, 1.0)])

    def encode(self, img, budget=None, snr_db=None):
        img = self.image(img)
        target = budget if budget is not None else int(img.size * self.card.get("default_bpp", 1.0) / 24)
        data = self._encode_at(img, target)
        for _ in range(6):  # OpenJPEG may overshoot by the codestream's markers: aim lower
            if len(data) <= target:
                break
            data = self._encode_at(img, int(target * target / len(data) * 0.995))
        else:
            if len(data) > target:
                return []
        return [Chunk(0, BYTES, np.frombuffer(data, np.uint8), {"target_bytes": int(target), "n_bytes": len(data)})]

    _decode_bytes = staticmethod(_pillow_decode)


@register
class JPEGXL(ImageCodec):
    codec = "jpegxl"
    qualities = range(1, 100)

    def _encode_at(self, img, quality):
        import imagecodecs
        return imagecodecs.jpegxl_encode(img, level=quality, effort=7, usecontainer=False, numthreads=1)

    @staticmethod
    def _decode_bytes(data):
        import imagecodecs
        return imagecodecs.jpegxl_decode(data)


@register
class AVIF(ImageCodec):
    codec = "avif"
    qualities = range(0, 101)

    def _encode_at(self, img, quality):
        import imagecodecs
        return imagecodecs.avif_encode(img, level=quality, speed=6, numthreads=1)

    @staticmethod
    def _decode_bytes(data):
        import imagecodecs
        return imagecodecs.avif_decode(data)
