/* -*- c++ -*- */
/*
 * Copyright 2026 gr-jscc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_JSCC_OFDM_EQUALIZER_H
#define INCLUDED_JSCC_OFDM_EQUALIZER_H

#include <gnuradio/gr_complex.h>
#include <gnuradio/jscc/api.h>
#include <complex>
#include <memory>
#include <string>

namespace gr {
namespace jscc {

/*!
 * Per-subcarrier equalisation strategy. It never slices to a constellation, so analog
 * payloads (Deep JSCC symbols) pass through undistorted. csi receives each carrier's
 * post-equalisation SNR |h|^2 / noise_var (linear), the weight a soft demapper needs.
 */
class JSCC_API ofdm_equalizer
{
public:
    virtual ~ofdm_equalizer() = default;
    virtual void equalize(const gr_complex* y,
                          const gr_complex* h,
                          float noise_var,
                          int n,
                          gr_complex* out,
                          float* csi) const = 0;
    virtual const char* name() const = 0;
    //! "zf" (unbiased: y / h) or "mmse" (y h* / (|h|^2 + noise_var)).
    static std::unique_ptr<ofdm_equalizer> make(const std::string& name);
};

/*!
 * Tracks what the preamble estimate cannot see during a frame: the common phase
 * (residual CFO, phase noise), a phase slope across carriers (sampling-clock drift) and
 * the common amplitude, from the pilots of each OFDM symbol. The phase runs through an
 * alpha-beta loop, so a residual frequency error is followed without lag; slope and
 * amplitude are smoothed, as pilots on a few carriers are noisy at low SNR.
 */
class JSCC_API pilot_tracker
{
public:
    explicit pilot_tracker(bool track_amplitude = true) : d_track_amp(track_amplitude) {}
    void reset();
    /*!
     * y, h: received and estimated values on the pilots; ref: the sent pilot values;
     * k: the pilots' signed carrier numbers. Afterwards correction(k) maps the preamble
     * estimate h to the current channel: h_now = h * correction(k).
     */
    void update(const gr_complex* y, const gr_complex* h, const float* ref, const int* k, int n);
    gr_complex correction(int k) const;
    //! Advance the phase by its frequency without a measurement (a symbol with erasures).
    void coast();

    struct state_t {
        double theta, slope, amp;
    };
    state_t state() const { return { d_theta, d_slope, d_amp }; }
    //! Restart the phase loop at phase theta with frequency omega (rad per symbol).
    void set_phase(double theta, double omega)
    {
        d_theta = theta;
        d_omega = omega;
    }
    static gr_complex correction_of(const state_t& s, int k)
    {
        return gr_complex(std::polar(s.amp, s.theta + s.slope * k));
    }

private:
    bool d_track_amp;
    double d_theta = 0, d_omega = 0, d_slope = 0, d_amp = 1;
};

} // namespace jscc
} // namespace gr

#endif
