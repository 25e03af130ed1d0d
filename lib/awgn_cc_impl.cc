/* -*- c++ -*- */
/*
 * Copyright 2026 gr-jscc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "awgn_cc_impl.h"
#include <gnuradio/io_signature.h>
#include <cmath>
#include <stdexcept>

namespace gr {
namespace jscc {

awgn_cc::sptr awgn_cc::make(double snr_db,
                            double signal_power,
                            uint64_t seed,
                            const std::string& len_tag_key)
{
    return gnuradio::make_block_sptr<awgn_cc_impl>(snr_db, signal_power, seed, len_tag_key);
}

awgn_cc_impl::awgn_cc_impl(double snr_db,
                           double signal_power,
                           uint64_t seed,
                           const std::string& len_tag_key)
    : gr::sync_block("awgn_cc",
                     gr::io_signature::make(1, 1, sizeof(gr_complex)),
                     gr::io_signature::make(1, 1, sizeof(gr_complex))),
      d_power(signal_power),
      d_len_key(len_tag_key.empty() ? pmt::PMT_NIL : pmt::intern(len_tag_key)),
      d_noise(seed)
{
    if (!(signal_power > 0.0) || !std::isfinite(signal_power))
        throw std::invalid_argument("awgn_cc: signal_power must be finite and > 0");
    set_snr_db(snr_db);
}

void awgn_cc_impl::set_snr_db(double snr_db)
{
    if (std::isnan(snr_db))
        throw std::invalid_argument("awgn_cc: snr_db is NaN");
    gr::thread::scoped_lock guard(d_setlock);
    d_snr_db = snr_db;
    d_sigma = complex_noise::sigma_for(snr_db, d_power);
    d_snr_changed = true;
}

int awgn_cc_impl::work(int noutput_items,
                       gr_vector_const_void_star& input_items,
                       gr_vector_void_star& output_items)
{
    auto in = static_cast<const gr_complex*>(input_items[0]);
    auto out = static_cast<gr_complex*>(output_items[0]);
    gr::thread::scoped_lock guard(d_setlock);

    const pmt::pmt_t snr = pmt::from_double(d_snr_db);
    if (d_snr_changed) {
        add_item_tag(0, nitems_written(0), pmt::intern("snr_db"), snr, alias_pmt());
        d_snr_changed = false;
    }
    if (!pmt::is_null(d_len_key)) {
        std::vector<tag_t> tags;
        get_tags_in_window(tags, 0, 0, noutput_items, d_len_key);
        for (const auto& t : tags)
            add_item_tag(0, t.offset, pmt::intern("snr_db"), snr, alias_pmt());
    }
    d_noise.add(in, out, noutput_items, gr_complex(1.0f, 0.0f), d_sigma);
    return noutput_items;
}

} /* namespace jscc */
} /* namespace gr */
