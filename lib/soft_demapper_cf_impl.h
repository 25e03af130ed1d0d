/* -*- c++ -*- */
/*
 * Copyright 2026 gr-jscc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_JSCC_SOFT_DEMAPPER_CF_IMPL_H
#define INCLUDED_JSCC_SOFT_DEMAPPER_CF_IMPL_H

#include <gnuradio/jscc/soft_demapper_cf.h>

namespace gr {
namespace jscc {

class soft_demapper_cf_impl : public soft_demapper_cf
{
private:
    const int d_default_bps;
    int d_bps;
    float d_rel = 1.0f; // 1/noise_var from tags, when no CSI input
    const pmt::pmt_t d_len_key;

public:
    soft_demapper_cf_impl(int bits_per_symbol, const std::string& len_tag_key);
    void forecast(int noutput_items, gr_vector_int& ninput_items_required) override;
    int general_work(int noutput_items,
                     gr_vector_int& ninput_items,
                     gr_vector_const_void_star& input_items,
                     gr_vector_void_star& output_items) override;
};

} // namespace jscc
} // namespace gr

#endif
