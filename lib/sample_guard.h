/* -*- c++ -*- */
/*
 * Copyright 2026 gr-jscc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_JSCC_SAMPLE_GUARD_H
#define INCLUDED_JSCC_SAMPLE_GUARD_H

#include <gnuradio/gr_complex.h>
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace gr {
namespace jscc {

/*!
 * Bad input samples (NaN, inf, or finite but absurdly large: an ADC glitch, a corrupted
 * recording) are erasures: the receiver blocks replace them with 0 and count them, so one
 * bad sample costs its own OFDM symbol a little and never poisons a running sum, an
 * estimate or a tracking loop for the rest of the frame.
 */
namespace sample_guard {

//! A finite sample at or below \p limit power (|x|^2).
inline bool ok(gr_complex v, float limit)
{
    const float p = std::norm(v);
    return std::isfinite(v.real()) && std::isfinite(v.imag()) && p <= limit;
}

//! Legitimate OFDM peaks stay within ~16 dB of the mean power, noise peaks within ~10 dB of
//! it; 40 dB above the frame's median sample power is no signal.
constexpr float FRAME_LIMIT = 1e4f;

//! The frame's reference level: the median power of n samples (bad ones do not move a
//! median); \p limit power for ok() follows as FRAME_LIMIT times it.
inline float frame_limit(const gr_complex* x, int n)
{
    std::vector<float> p;
    p.reserve(n);
    for (int i = 0; i < n; i++)
        if (std::isfinite(x[i].real()) && std::isfinite(x[i].imag()))
            p.push_back(std::norm(x[i]));
    if (p.empty())
        return 0.0f;
    std::nth_element(p.begin(), p.begin() + p.size() / 2, p.end());
    const float med = p[p.size() / 2];
    // a preamble read in silence has a median of ~0: then nothing finite is called huge
    return med > 0 && std::isfinite(med * FRAME_LIMIT) ? med * FRAME_LIMIT
                                                       : std::numeric_limits<float>::max();
}

//! An isolated spike: a sample that has more than SPIKE_LIMIT times the mean power of the
//! W samples on either side (the larger side), as at a burst's onset or end only one side
//! is quiet. Used where no frame level is known yet (the detector).
constexpr float SPIKE_LIMIT = 1e3f;
constexpr int SPIKE_W = 4;

} // namespace sample_guard
} // namespace jscc
} // namespace gr

#endif
