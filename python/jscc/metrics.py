"""Image quality: PSNR (MAX = 255) and SSIM (Wang et al. 2004, Gaussian window) on uint8 RGB."""
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
