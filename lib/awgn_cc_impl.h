/* -*- c++ -*- */
/*
 * Copyright 2026 gr-jscc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_JSCC_AWGN_CC_IMPL_H
#define INCLUDED_JSCC_AWGN_CC_IMPL_H

#include "complex_noise.h"
#include <gnuradio/jscc/awgn_cc.h>

namespace gr {
namespace jscc {

class awgn_cc_impl : public awgn_cc
{
private:
    double d_snr_db;
    const double d_power;
    float d_sigma;
    bool d_snr_changed;
    const pmt::pmt_t d_len_key;
    complex_noise d_noise;

public:
    awgn_cc_impl(double snr_db, double signal_power, uint64_t seed, const std::string& len_tag_key);

    void set_snr_db(double snr_db) override;
    double snr_db() const override { return d_snr_db; }
    double noise_variance() const override { return double(d_sigma) * d_sigma; }

    int work(int noutput_items,
             gr_vector_const_void_star& input_items,
             gr_vector_void_star& output_items) override;
};

} // namespace jscc
} // namespace gr

#endif /* INCLUDED_JSCC_AWGN_CC_IMPL_H */
