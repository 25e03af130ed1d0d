/* -*- c++ -*- */
/*
 * Copyright 2026 gr-jscc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_JSCC_OFDM_SYNC_CC_IMPL_H
#define INCLUDED_JSCC_OFDM_SYNC_CC_IMPL_H

#include <gnuradio/jscc/ofdm_sync_cc.h>
#include <complex>
#include <vector>

namespace gr {
namespace jscc {

class ofdm_sync_cc_impl : public ofdm_sync_cc
{
private:
    const int d_N, d_cp;
    double d_thr;
    const pmt::pmt_t d_key, d_start, d_cfo, d_metric;
    bool d_in_peak = false;
    int d_peak_count = 0;
    bool d_rearm = false;
    double d_best = 0;
    uint64_t d_best_d = 0;
    std::complex<double> d_sum_p = 0;
    uint64_t d_detections = 0;
    uint64_t d_bad = 0;
    std::vector<gr_complex> d_clean;
    std::vector<float> d_pow;
    //! Input with bad samples (non-finite, isolated spikes) set to 0; counts the new ones.
    const gr_complex* clean(const gr_complex* x, int n, int first_new);

public:
    ofdm_sync_cc_impl(int fft_len, int cp_len, double threshold);
    int work(int noutput_items,
             gr_vector_const_void_star& input_items,
             gr_vector_void_star& output_items) override;
    void set_threshold(double threshold) override;
    double threshold() const override { return d_thr; }
    uint64_t detections() const override { return d_detections; }
    uint64_t bad_samples() const override { return d_bad; }
};

} // namespace jscc
} // namespace gr

#endif
