/* -*- c++ -*- */
/*
 * Copyright 2026 gr-jscc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_JSCC_FADING_PROCESS_H
#define INCLUDED_JSCC_FADING_PROCESS_H

#include "complex_noise.h"
#include <algorithm>
#include <cmath>
#include <complex>
#include <stdexcept>
#include <string>
#include <vector>

namespace gr {
namespace jscc {

/*!
 * A unit-power complex Gaussian fading process h[k], one value per update of
 * update_every samples (python/jscc/channels/fading.py is the numpy twin and
 * states the models and why they have the statistics they have).
 *
 * "clarke": Xiao, Zheng & Beaulieu (2006), h(t) = M^-1/2 sum_n
 * exp(j (w_d cos(a_n) t + phi_n)), a_n = (2 pi n + theta_n) / M: ensemble
 * autocorrelation J0(w_d tau) for any M. Each sinusoid is a phasor rotated by
 * its step every update and recomputed from its exact phase every RESYNC
 * updates, so rounding never accumulates.
 *
 * "gauss-markov": AR(1), h[k] = rho h[k-1] + sqrt(1 - rho^2) CN(0, 1),
 * rho = J0(w_d T) up to J0's first zero, 0 beyond, T the update period.
 */
class fading_process
{
public:
    enum class kind { clarke, gauss_markov };

    static kind parse(const std::string& name)
    {
        if (name == "clarke")
            return kind::clarke;
        if (name == "gauss-markov")
            return kind::gauss_markov;
        throw std::invalid_argument("fading model must be 'clarke' or 'gauss-markov', got '" +
                                    name + "'");
    }

    //! step_s: seconds between updates; draws the sinusoids' angles and phases from rng.
    fading_process(kind k, double doppler_hz, double step_s, int n_sinusoids, complex_noise& rng)
        : d_kind(k),
          d_rho(std::cyl_bessel_j(0.0, 2 * M_PI * doppler_hz * step_s)),
          d_started(false),
          d_h(1.0f, 0.0f),
          d_since_sync(0)
    {
        if (d_kind == kind::gauss_markov) {
            if (2 * M_PI * doppler_hz * step_s >= J0_FIRST_ZERO)
                d_rho = 0.0; // decorrelated within one update: independent draws
            d_innov = float(std::sqrt(1.0 - d_rho * d_rho));
            return;
        }
        const int m = n_sinusoids;
        d_scale = 1.0 / std::sqrt(double(m));
        std::vector<double> theta(m);
        for (auto& t : theta) // theta first, then phi: the order fading.clarke draws them
            t = rng.angle();
        d_phase.resize(m);
        d_sync_step.resize(m);
        d_re.resize(m);
        d_im.resize(m);
        d_step_re.resize(m);
        d_step_im.resize(m);
        for (int n = 0; n < m; n++) {
            const double a = (2 * M_PI * (n + 1) + theta[n]) / m;
            const double w = 2 * M_PI * doppler_hz * step_s * std::cos(a); // rad per update
            d_phase[n] = rng.angle();
            d_sync_step[n] = std::remainder(w * RESYNC, 2 * M_PI);
            d_step_re[n] = std::cos(w);
            d_step_im[n] = std::sin(w);
        }
        sync();
    }

    //! Correlation of h between consecutive updates (J0; for AR(1) 0 past J0's first zero).
    double rho() const { return d_rho; }

    //! h of the next update.
    std::complex<float> next(complex_noise& rng)
    {
        if (d_kind == kind::gauss_markov) {
            // h[0] ~ CN(0, 1): stationary from the first sample
            d_h = d_started ? float(d_rho) * d_h + d_innov * rng.draw() : rng.draw();
            d_started = true;
            return d_h;
        }
        if (d_started && ++d_since_sync == RESYNC) {
            for (size_t n = 0; n < d_phase.size(); n++)
                d_phase[n] = std::remainder(d_phase[n] + d_sync_step[n], 2 * M_PI);
            sync();
        } else if (d_started) {
            // separate real arrays so the rotation loop vectorises
            for (size_t n = 0; n < d_re.size(); n++) {
                const double re = d_re[n] * d_step_re[n] - d_im[n] * d_step_im[n];
                d_im[n] = d_re[n] * d_step_im[n] + d_im[n] * d_step_re[n];
                d_re[n] = re;
            }
        }
        d_started = true;
        // four partial sums: without -ffast-math one running sum is a serial chain of adds
        double sr[4] = { 0, 0, 0, 0 }, si[4] = { 0, 0, 0, 0 };
        const size_t m = d_re.size();
        size_t n = 0;
        for (; n + 4 <= m; n += 4)
            for (int j = 0; j < 4; j++) {
                sr[j] += d_re[n + j];
                si[j] += d_im[n + j];
            }
        for (; n < m; n++) {
            sr[0] += d_re[n];
            si[0] += d_im[n];
        }
        return { float((sr[0] + sr[1] + sr[2] + sr[3]) * d_scale),
                 float((si[0] + si[1] + si[2] + si[3]) * d_scale) };
    }

private:
    static constexpr int RESYNC = 1024;
    static constexpr double J0_FIRST_ZERO = 2.404825557695773;
    const kind d_kind;
    double d_rho;
    float d_innov = 0.0f;
    bool d_started;
    std::complex<float> d_h;
    double d_scale = 1.0;
    int d_since_sync;
    std::vector<double> d_phase;     // exact phase at the last resync, in [-pi, pi]
    std::vector<double> d_sync_step; // phase advance over RESYNC updates, mod 2 pi
    std::vector<double> d_re, d_im, d_step_re, d_step_im;

    void sync()
    {
        for (size_t n = 0; n < d_phase.size(); n++) {
            d_re[n] = std::cos(d_phase[n]);
            d_im[n] = std::sin(d_phase[n]);
        }
        d_since_sync = 0;
    }
};

} // namespace jscc
} // namespace gr

#endif
