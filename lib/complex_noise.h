/* -*- c++ -*- */
/*
 * Copyright 2026 gr-jscc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_JSCC_COMPLEX_NOISE_H
#define INCLUDED_JSCC_COMPLEX_NOISE_H

#include <cmath>
#include <complex>
#include <cstdint>
#include <random>

namespace gr {
namespace jscc {

//! Circular complex Gaussian samples, CN(0, 1), from a seedable generator.
class complex_noise
{
public:
    explicit complex_noise(uint64_t seed)
        : d_rng(seed ? seed : std::random_device{}()), d_normal(0.0f, 1.0f)
    {
    }

    //! CN(0, 1): each part has variance 1/2.
    std::complex<float> draw()
    {
        const float a = d_normal(d_rng), b = d_normal(d_rng);
        return { a * s_half, b * s_half };
    }

    //! Uniform on [-pi, pi) from the same generator (sum-of-sinusoids angles and phases).
    double angle() { return d_uniform(d_rng); }

    //! out[i] = in[i] * gain + sigma * CN(0, 1)
    void add(const std::complex<float>* in,
             std::complex<float>* out,
             int n,
             std::complex<float> gain,
             float sigma)
    {
        const float s = sigma * s_half;
        for (int i = 0; i < n; i++) {
            const float a = d_normal(d_rng), b = d_normal(d_rng);
            out[i] = in[i] * gain + std::complex<float>(a * s, b * s);
        }
    }

    //! Per-complex-sample noise std for SNR (dB) against power P.
    static double sigma_for(double snr_db, double power)
    {
        return std::sqrt(power / std::pow(10.0, snr_db / 10.0));
    }

private:
    static constexpr float s_half = 0.70710678118654752f;
    std::mt19937_64 d_rng;
    std::normal_distribution<float> d_normal;
    std::uniform_real_distribution<double> d_uniform{ -M_PI, M_PI };
};

} // namespace jscc
} // namespace gr

#endif
