/* -*- c++ -*- */
/*
 * Copyright 2026 gr-jscc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_JSCC_RAYLEIGH_CC_IMPL_H
#define INCLUDED_JSCC_RAYLEIGH_CC_IMPL_H

#include "complex_noise.h"
#include <gnuradio/jscc/rayleigh_cc.h>

namespace gr {
namespace jscc {

class rayleigh_cc_impl : public rayleigh_cc
{
private:
    double d_snr_db;
    const int d_block_len;
    const bool d_known_phase;
    const pmt::pmt_t d_len_key;
    const double d_power;
    float d_sigma;
    complex_noise d_noise;
    gr_complex d_h;     // true channel
    gr_complex d_derot; // conj(h)/|h| applied to the noise with known phase
    uint64_t d_blocks;
    bool d_started;

    void new_block(uint64_t offset);

public:
    rayleigh_cc_impl(double snr_db,
                     int block_len,
                     bool known_phase,
                     uint64_t seed,
                     const std::string& len_tag_key,
                     double signal_power);

    void set_snr_db(double snr_db) override;
    double snr_db() const override { return d_snr_db; }
    uint64_t blocks() const override { return d_blocks; }

    int work(int noutput_items,
             gr_vector_const_void_star& input_items,
             gr_vector_void_star& output_items) override;
};

} // namespace jscc
} // namespace gr

#endif /* INCLUDED_JSCC_RAYLEIGH_CC_IMPL_H */
