"""Progressive residual-VQ autoencoder (the npj paper's VQGAN branch, built from scratch here):
coarse codewords first, then residual refinement stages, fixed-length indices, robust to bit
errors without channel coding (docs/rvq.md).

    encoder: x/255 - 0.5 -> conv5x5/2 N, LReLU, conv5x5/2 N, LReLU, conv5x5/2 N, LReLU, ResBlock N,
             conv5x5/2 D                                                   -> z (D, H/16, W/16)
    RVQ:     S stages of K codewords in D dimensions (vector-quantize-pytorch ResidualVQ, EMA
             codebooks, dead-code restarts): stage s quantises what stages < s left over
    decoder: z_hat -> conv3x3 N, LReLU, ResBlock N, tconv5x5/2 N, LReLU (x3), tconv5x5/2 3, + 0.5, x255

Downsampling f16: one token per 16x16 pixels, log2(K) bits each, so a stage costs
log2(K) / 256 bpp (K = 1024: 0.039 bpp; 8 stages: 0.31 bpp).

Any prefix decodes: ResidualVQ's quantizer dropout keeps stages 1..k for a random k per batch,
so the decoder learns every prefix. Bit errors: a fraction of the examples gets its indices'
bits flipped independently at a BER drawn log-uniformly up to ber_max before the decoder sees
them (the decoder learns what flipped codewords look like), and the codebooks are kept in a
Hamming-aware order (hamming_order: index bit k splits the codewords along one direction, so a
flipped bit moves the codeword along that direction instead of to a random one).

Loss: MSE + commitment; optionally a patch-adversarial hinge term (PatchDiscriminator, off by
default: apps/train_rvq.py --gan-weight).
"""
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..codecs.rvq import DOWN  # noqa: F401  (image sides: multiples of this)

N, DIM, CODEBOOK, STAGES = 128, 32, 1024, 8
# per stage, summed over the S stages: at 0.25 (VQ-VAE's beta) the sum outweighed the MSE on [0, 1]
# (0.014 against 0.010 at 19.8 dB) and the autoencoder stalled near 19 dB (docs/rvq.md)
COMMITMENT = 0.02
BER_MAX, BER_MIN, BER_FRACTION = 3e-2, 1e-4, 0.5


def _conv(cin, cout, k=5, s=2):
    return nn.Conv2d(cin, cout, k, s, k // 2)


def _tconv(cin, cout, k=5, s=2):
    return nn.ConvTranspose2d(cin, cout, k, s, k // 2, output_padding=s - 1)


class ResBlock(nn.Module):
    def __init__(self, ch):
        super().__init__()
        self.a, self.b = nn.Conv2d(ch, ch, 3, 1, 1), nn.Conv2d(ch, ch, 3, 1, 1)

    def forward(self, x):
        return x + self.b(F.leaky_relu(self.a(F.leaky_relu(x, 0.2)), 0.2))


class Encoder(nn.Module):
    def __init__(self, n, dim):
        super().__init__()
        self.net = nn.Sequential(_conv(3, n), nn.LeakyReLU(0.2), _conv(n, n), nn.LeakyReLU(0.2),
                                 _conv(n, n), nn.LeakyReLU(0.2), ResBlock(n), _conv(n, dim))

    def forward(self, x255):
        return self.net(x255 / 255.0 - 0.5)


class Decoder(nn.Module):
    def __init__(self, n, dim):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(dim, n, 3, 1, 1), nn.LeakyReLU(0.2), ResBlock(n),
                                 _tconv(n, n), nn.LeakyReLU(0.2), _tconv(n, n), nn.LeakyReLU(0.2),
                                 _tconv(n, n), nn.LeakyReLU(0.2), _tconv(n, 3))

    def forward(self, z):
        return (self.net(z) + 0.5) * 255.0  # unclipped: the loss sees overshoot; the codec clips


def flip_bits(idx, ber, bits, generator=None):
    """Independent bit flips on fixed-length indices (..., S) (-1: a dropped stage, kept).
    ber: a float or one per example (leading dimension)."""
    ber = torch.as_tensor(ber, dtype=torch.float32, device=idx.device)
    if ber.ndim == 1:
        ber = ber.view(-1, *([1] * idx.ndim))
    flips = torch.rand(*idx.shape, bits, device=idx.device, generator=generator) < ber
    mask = (flips.long() << torch.arange(bits, device=idx.device)).sum(-1)
    return torch.where(idx >= 0, idx ^ mask, idx)


class ProgressiveRVQ(nn.Module):
    def __init__(self, n=N, dim=DIM, codebook=CODEBOOK, stages=STAGES, kmeans_init=True, commitment=COMMITMENT):
        super().__init__()
        from vector_quantize_pytorch import ResidualVQ
        if codebook < 2 or codebook & (codebook - 1):
            raise ValueError(f"codebook size {codebook} must be a power of two (every bit pattern a valid index)")
        if stages < 1:
            raise ValueError("stages must be >= 1")
        self.n, self.dim, self.codebook, self.stages = n, dim, codebook, stages
        self.bits = codebook.bit_length() - 1
        self.encoder, self.decoder = Encoder(n, dim), Decoder(n, dim)
        self.rvq = ResidualVQ(dim=dim, num_quantizers=stages, codebook_size=codebook,
                              quantize_dropout=stages > 1, decay=0.99, commitment_weight=commitment,
                              kmeans_init=kmeans_init, kmeans_iters=10, threshold_ema_dead_code=2)

    def codebooks(self):
        """(S, K, D) float32: what the codec's codebooks.npy holds."""
        return torch.stack([layer.codebook.detach().float() for layer in self.rvq.layers])

    def quantise(self, z):
        """z (B, D, h, w) -> (z_hat, indices (B, h, w, S), commitment loss); in training a random
        prefix of stages (the rest -1), in eval all stages. Float32 (EMA and distances)."""
        b, d, h, w = z.shape
        with torch.autocast(z.device.type, enabled=False):
            # tokens as a sequence (B, h*w, D): ResidualVQ's image-map mode breaks its own bookkeeping
            q, idx, commit = self.rvq(z.float().flatten(2).transpose(1, 2))
        return q.transpose(1, 2).reshape(b, d, h, w), idx.reshape(b, h, w, -1), commit.sum()

    def from_indices(self, idx):
        """(B, h, w, S') indices (S' <= S, -1: not received) -> z_hat (B, D, h, w)."""
        if idx.shape[-1] < self.stages:
            idx = F.pad(idx, (0, self.stages - idx.shape[-1]), value=-1)
        b, h, w, s = idx.shape
        return self.rvq.get_output_from_indices(idx.reshape(b, h * w, s)).transpose(1, 2).reshape(b, self.dim, h, w)

    def forward(self, x, ber=None):
        """x (B, 3, H, W) 0..255 -> (x_hat 0..255, commitment loss, indices). ber: per-example
        bit error rates applied to the indices before decoding (None: clean)."""
        z = self.encoder(x)
        q, idx, commit = self.quantise(z)
        if ber is not None:
            noisy = self.from_indices(flip_bits(idx, ber, self.bits))
            q = q + (noisy - q).detach()  # the decoder sees the flipped codewords; gradients as clean
        return self.decoder(q), commit, idx

    @torch.no_grad()
    def reorder(self):
        """Put every stage's codebook in Hamming-aware order (hamming_order); the function the
        model computes is unchanged, only which index names which codeword."""
        for layer in self.rvq.layers:
            cb = layer._codebook
            perm = torch.from_numpy(hamming_order(cb.embed[0].float().cpu().numpy())).to(cb.embed.device)
            for name in ("embed", "embed_avg", "cluster_size"):
                buf = getattr(cb, name)
                buf.data.copy_(buf.data[:, perm])


def training_ber(batch, rng, ber_max=BER_MAX, fraction=BER_FRACTION):
    """Per-example BER for a training batch: 0 for 1 - fraction of it, else log-uniform in
    [BER_MIN, ber_max] (the range the checks evaluate)."""
    if ber_max <= 0 or fraction <= 0:
        return None
    ber = np.exp(rng.uniform(np.log(BER_MIN), np.log(ber_max), batch))
    ber[rng.random(batch) >= fraction] = 0.0
    return torch.from_numpy(ber.astype(np.float32))


def loss_fn(model, x, ber=None, net=None, disc=None, gan_weight=0.0):
    """-> (loss, mse on 0..255, discriminator loss or None): MSE on [0, 1] + commitment, plus
    gan_weight x the hinge generator term when a discriminator is given."""
    x_hat, commit, _ = (net or model)(x, ber)
    mse = F.mse_loss(x_hat.float(), x)
    loss = mse / 255.0 ** 2 + commit
    if disc is None:
        return loss, mse, None
    g, d = adversarial_losses(disc, x, x_hat.float().clamp(0, 255))
    return loss + gan_weight * g, mse, d


# --- optional patch-adversarial term --------------------------------------------------------------
class PatchDiscriminator(nn.Module):
    """A small PatchGAN (Isola et al. 2017): conv4x4/2 64, 128, 256 with LeakyReLU, then conv4x4/1
    to one logit per ~46x46 patch. Spectral norm keeps it from overpowering the codec early."""

    def __init__(self, ch=64):
        super().__init__()
        sn = nn.utils.parametrizations.spectral_norm
        self.net = nn.Sequential(sn(nn.Conv2d(3, ch, 4, 2, 1)), nn.LeakyReLU(0.2),
                                 sn(nn.Conv2d(ch, 2 * ch, 4, 2, 1)), nn.LeakyReLU(0.2),
                                 sn(nn.Conv2d(2 * ch, 4 * ch, 4, 2, 1)), nn.LeakyReLU(0.2),
                                 sn(nn.Conv2d(4 * ch, 1, 4, 1, 1)))

    def forward(self, x255):
        return self.net(x255 / 127.5 - 1.0)


def adversarial_losses(disc, x, x_hat):
    """Hinge losses: (generator term for the codec, discriminator loss on detached x_hat)."""
    g = -disc(x_hat).mean()
    d = F.relu(1 - disc(x)).mean() + F.relu(1 + disc(x_hat.detach())).mean()
    return g, d


# --- Hamming-aware index assignment ---------------------------------------------------------------
def hamming_order(codebook):
    """A permutation perm (new index i holds codeword perm[i]) of a (K, D) codebook, K = 2**B, so
    that indices one bit apart name nearby codewords. Bit B-1-k (most significant first) splits
    every cell of depth k at the median of one direction: the top principal axis of all cells'
    codewords about their cell means, shared by the cells of that depth. Flipping bit k then
    moves a codeword to the matching one in the sibling cell, a step along that axis (as on a
    hypercube), rather than to a random codeword."""
    c = np.asarray(codebook, np.float64)
    k = c.shape[0]
    bits = k.bit_length() - 1
    if k != 1 << bits:
        raise ValueError(f"codebook size {k} is not a power of two")
    cells = [np.arange(k)]
    for _ in range(bits):
        centred = np.concatenate([c[ids] - c[ids].mean(0) for ids in cells])
        # the shared split direction: top right-singular vector of the pooled within-cell spread
        v = np.linalg.svd(centred, full_matrices=False)[2][0] if centred.any() else np.eye(c.shape[1])[0]
        nxt = []
        for ids in cells:
            order = ids[np.argsort(c[ids] @ v, kind="stable")]
            half = order.size // 2
            nxt += [order[:half], order[half:]]  # bit 0: the low side of the axis, in every cell
        cells = nxt
    return np.concatenate(cells)


def flip_distortion(codebook, weights=None):
    """Mean squared distance between a codeword and its one-bit-flip neighbours, averaged over
    bits (and over codewords, weighted by usage if given): what one bit error costs in the latent."""
    c = np.asarray(codebook, np.float64)
    k = c.shape[0]
    bits = k.bit_length() - 1
    w = np.full(k, 1.0 / k) if weights is None else np.asarray(weights, np.float64) / np.sum(weights)
    i = np.arange(k)
    return float(np.mean([w @ ((c - c[i ^ (1 << b)]) ** 2).sum(1) for b in range(bits)]))
