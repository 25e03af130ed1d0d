/* -*- c++ -*- */
/*
 * Copyright 2026 gr-jscc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_JSCC_RAYLEIGH_TV_CC_IMPL_H
#define INCLUDED_JSCC_RAYLEIGH_TV_CC_IMPL_H

#include "complex_noise.h"
#include "fading_process.h"
#include <gnuradio/jscc/rayleigh_tv_cc.h>

namespace gr {
namespace jscc {

class rayleigh_tv_cc_impl : public rayleigh_tv_cc
{
private:
    double d_snr_db;
    const double d_doppler_hz;
    const bool d_known_phase;
    const int d_update_every;
    const int d_tag_every;
    const std::string d_model;
    const int d_n_sinusoids;
    const double d_power;
    float d_sigma;
    bool d_snr_changed;
    complex_noise d_noise; // draws the process parameters first, then noise in stream order
    fading_process d_proc;
    gr_complex d_h;     // true channel of the current update
    gr_complex d_derot; // conj(h)/|h| with known phase, else 1
    int d_left;         // samples the current h still holds for
    uint64_t d_updates;
    int d_tag_left;     // samples to the next chan_h tag

public:
    rayleigh_tv_cc_impl(double snr_db,
                        double doppler_hz,
                        double samp_rate,
                        bool known_phase,
                        uint64_t seed,
                        int update_every,
                        int tag_every,
                        const std::string& model,
                        int n_sinusoids,
                        double signal_power);

    void set_snr_db(double snr_db) override;
    double snr_db() const override { return d_snr_db; }
    double doppler_hz() const override { return d_doppler_hz; }
    std::string model() const override { return d_model; }
    int n_sinusoids() const override { return d_n_sinusoids; }
    double correlation_per_update() const override { return d_proc.rho(); }
    uint64_t updates() const override { return d_updates; }

    int work(int noutput_items,
             gr_vector_const_void_star& input_items,
             gr_vector_void_star& output_items) override;
};

} // namespace jscc
} // namespace gr

#endif /* INCLUDED_JSCC_RAYLEIGH_TV_CC_IMPL_H */
