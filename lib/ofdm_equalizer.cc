/* -*- c++ -*- */
/*
 * Copyright 2026 gr-jscc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "ofdm_equalizer.h"
#include <cmath>
#include <vector>
#include <stdexcept>

namespace gr {
namespace jscc {

namespace {
class zf_equalizer : public ofdm_equalizer
{
public:
    void equalize(const gr_complex* y, const gr_complex* h, float nv, int n, gr_complex* out,
                  float* csi) const override
    {
        for (int i = 0; i < n; i++) {
            const float g = std::norm(h[i]);
            out[i] = g > 0 ? y[i] * std::conj(h[i]) / g : gr_complex(0);
            if (csi)
                csi[i] = g / nv;
        }
    }
    const char* name() const override { return "zf"; }
};

class mmse_equalizer : public ofdm_equalizer
{
public:
    void equalize(const gr_complex* y, const gr_complex* h, float nv, int n, gr_complex* out,
                  float* csi) const override
    {
        for (int i = 0; i < n; i++) {
            const float g = std::norm(h[i]);
            out[i] = y[i] * std::conj(h[i]) / (g + nv);
            if (csi)
                csi[i] = g / nv;
        }
    }
    const char* name() const override { return "mmse"; }
};

inline double wrap(double a) { return std::remainder(a, 2 * M_PI); }

// loop gains: chosen on simulated frames (tests/test_ofdm.py measures the result)
constexpr double ALPHA = 0.15, BETA = 0.02, SLOPE_GAIN = 0.02, AMP_GAIN = 0.03;
} // namespace

std::unique_ptr<ofdm_equalizer> ofdm_equalizer::make(const std::string& name)
{
    if (name == "zf")
        return std::make_unique<zf_equalizer>();
    if (name == "mmse")
        return std::make_unique<mmse_equalizer>();
    throw std::invalid_argument("OFDM equalizer must be \"zf\" or \"mmse\", got \"" + name + "\"");
}

void pilot_tracker::reset()
{
    d_theta = d_omega = d_slope = 0;
    d_amp = 1;
}

void pilot_tracker::update(const gr_complex* y, const gr_complex* h, const float* ref,
                           const int* k, int n)
{
    std::vector<std::complex<double>> z(n);
    double gain = 0;
    for (int p = 0; p < n; p++) {
        z[p] = std::complex<double>(y[p] * std::conj(h[p]) * ref[p]);
        gain += std::norm(h[p]);
    }
    if (!(gain > 0))
        return;
    // slope: phase step between neighbouring pilots, per carrier
    if (n > 1) {
        std::complex<double> acc = 0;
        for (int p = 1; p < n; p++)
            acc += z[p] * std::conj(z[p - 1]);
        if (std::abs(acc) > 0) {
            const double step = double(k[n - 1] - k[0]) / (n - 1);
            d_slope += SLOPE_GAIN * (std::arg(acc) / step - d_slope);
        }
    }
    std::complex<double> c = 0;
    for (int p = 0; p < n; p++)
        c += z[p] * std::polar(1.0, -d_slope * k[p]);
    if (std::abs(c) == 0)
        return;
    const double meas = std::arg(c);
    const double pred = d_theta + d_omega;
    // starts at zero: the preamble estimate already holds the phase at the frame start
    const double e = wrap(meas - pred);
    d_theta = wrap(pred + ALPHA * e);
    d_omega += BETA * e;
    if (d_track_amp) {
        const double a = (c * std::polar(1.0, -d_theta)).real() / gain;
        if (a > 0)
            d_amp += AMP_GAIN * (a - d_amp);
    }
}

void pilot_tracker::coast() { d_theta = wrap(d_theta + d_omega); }

gr_complex pilot_tracker::correction(int k) const
{
    return gr_complex(std::polar(d_amp, d_theta + d_slope * k));
}

} // namespace jscc
} // namespace gr
