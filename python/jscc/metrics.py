"""Image quality: PSNR (MAX = 255), SSIM (Wang et al. 2004, Gaussian window) and MS-SSIM on uint8 RGB."""
import numpy as np
from scipy.ndimage import gaussian_filter


def psnr(ref, img):
    ref, img = np.asarray(ref), np.asarray(img)
    if ref.shape != img.shape:
        raise ValueError(f"shape mismatch {ref.shape} vs {img.shape}")
    d = np.subtract(ref, img, dtype=np.float64).ravel()  # one pass; the dot of integer values is exact
    mse = float(np.dot(d, d)) / max(d.size, 1)
    return float("inf") if mse == 0 else float(10 * np.log10(255.0 ** 2 / mse))


def ssim(ref, img):
    """Mean SSIM over the colour channels: sigma 1.5 Gaussian, K1 0.01, K2 0.03, L 255."""
    ref, img = np.asarray(ref, np.float64), np.asarray(img, np.float64)
    if ref.shape != img.shape:
        raise ValueError(f"shape mismatch {ref.shape} vs {img.shape}")
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    sig = (1.5, 1.5, 0) if ref.ndim == 3 else 1.5  # filter spatially, per channel
    f = lambda a: gaussian_filter(a, sig, truncate=3.5)  # 11x11 window, as in the reference code
    mx, my = f(ref), f(img)
    vx, vy, cxy = f(ref * ref) - mx * mx, f(img * img) - my * my, f(ref * img) - mx * my
    s = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
    return float(s.mean())


MS_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)  # Wang, Simoncelli, Bovik 2003


def _ssim_parts(x, y):
    """(luminance, contrast-structure) means of SSIM's two factors, per colour channel."""
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    f = lambda a: gaussian_filter(a, (1.5, 1.5, 0), truncate=3.5)  # noqa: E731
    mx, my = f(x), f(y)
    vx, vy, cxy = f(x * x) - mx * mx, f(y * y) - my * my, f(x * y) - mx * my
    lum = (2 * mx * my + c1) / (mx * mx + my * my + c1)
    cs = (2 * cxy + c2) / (vx + vy + c2)
    return lum.mean((0, 1)), cs.mean((0, 1))


def ms_ssim(ref, img):
    """MS-SSIM (Wang et al. 2003: 5 scales, 2x2 mean downsampling, the published weights), per
    colour channel then averaged; negative contrast terms are clipped to 0 (as common
    implementations do) so the product stays real. An image too small to halve 4 times gives
    its smallest scale the remaining weights."""
    x, y = np.asarray(ref, np.float64), np.asarray(img, np.float64)
    if x.shape != y.shape:
        raise ValueError(f"shape mismatch {x.shape} vs {y.shape}")
    if x.ndim == 2:
        x, y = x[..., None], y[..., None]
    out = np.ones(x.shape[2])
    for i, w in enumerate(MS_WEIGHTS):
        lum, cs = _ssim_parts(x, y)
        last = i == len(MS_WEIGHTS) - 1
        out *= np.maximum(lum * cs if last else cs, 0) ** w
        if not last:
            h, wd = x.shape[0] // 2 * 2, x.shape[1] // 2 * 2
            if h < 2 or wd < 2:
                out *= np.maximum(lum * cs, 0) ** sum(MS_WEIGHTS[i + 1:])  # no smaller scale: reuse this one
                break
            x = x[:h, :wd].reshape(h // 2, 2, wd // 2, 2, -1).mean((1, 3))
            y = y[:h, :wd].reshape(h // 2, 2, wd // 2, 2, -1).mean((1, 3))
    return float(out.mean())
