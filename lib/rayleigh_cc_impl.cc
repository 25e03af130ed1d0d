/* -*- c++ -*- */
/*
 * Copyright 2026 gr-jscc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "rayleigh_cc_impl.h"
#include <gnuradio/io_signature.h>
#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace gr {
namespace jscc {

rayleigh_cc::sptr rayleigh_cc::make(double snr_db,
                                    int block_len,
                                    bool known_phase,
                                    uint64_t seed,
                                    const std::string& len_tag_key,
                                    double signal_power)
{
    return gnuradio::make_block_sptr<rayleigh_cc_impl>(
        snr_db, block_len, known_phase, seed, len_tag_key, signal_power);
}

rayleigh_cc_impl::rayleigh_cc_impl(double snr_db,
                                   int block_len,
                                   bool known_phase,
                                   uint64_t seed,
                                   const std::string& len_tag_key,
                                   double signal_power)
    : gr::sync_block("rayleigh_cc",
                     gr::io_signature::make(1, 1, sizeof(gr_complex)),
                     gr::io_signature::make(1, 1, sizeof(gr_complex))),
      d_block_len(block_len),
      d_known_phase(known_phase),
      d_len_key(pmt::intern(len_tag_key)),
      d_power(signal_power),
      d_noise(seed),
      d_h(1.0f, 0.0f),
      d_derot(1.0f, 0.0f),
      d_blocks(0),
      d_started(false)
{
    if (block_len < 0)
        throw std::invalid_argument("rayleigh_cc: block_len must be >= 0");
    if (block_len == 0 && len_tag_key.empty())
        throw std::invalid_argument(
            "rayleigh_cc: block_len 0 needs a len_tag_key to find packets");
    if (!(signal_power > 0.0) || !std::isfinite(signal_power))
        throw std::invalid_argument("rayleigh_cc: signal_power must be finite and > 0");
    set_snr_db(snr_db);
}

void rayleigh_cc_impl::set_snr_db(double snr_db)
{
    if (std::isnan(snr_db))
        throw std::invalid_argument("rayleigh_cc: snr_db is NaN");
    gr::thread::scoped_lock guard(d_setlock);
    d_snr_db = snr_db;
    d_sigma = complex_noise::sigma_for(snr_db, d_power);
}

void rayleigh_cc_impl::new_block(uint64_t offset)
{
    d_h = d_noise.draw();
    const float mag = std::max(std::abs(d_h), 1e-30f);
    d_derot = d_known_phase ? std::conj(d_h) / mag : gr_complex(1.0f, 0.0f);
    d_blocks++;
    const double inst = d_snr_db + 10.0 * std::log10(double(mag) * mag);
    add_item_tag(0, offset, pmt::intern("chan_h"), pmt::from_complex(d_h), alias_pmt());
    add_item_tag(0, offset, pmt::intern("snr_db"), pmt::from_double(d_snr_db), alias_pmt());
    add_item_tag(0, offset, pmt::intern("chan_snr_db"), pmt::from_double(inst), alias_pmt());
}

int rayleigh_cc_impl::work(int noutput_items,
                           gr_vector_const_void_star& input_items,
                           gr_vector_void_star& output_items)
{
    auto in = static_cast<const gr_complex*>(input_items[0]);
    auto out = static_cast<gr_complex*>(output_items[0]);
    gr::thread::scoped_lock guard(d_setlock);
    const uint64_t base = nitems_read(0);

    // Offsets (relative) where a new fading block starts in this call.
    std::vector<int> starts;
    if (d_block_len > 0) {
        uint64_t next = (base + d_block_len - 1) / d_block_len * d_block_len;
        for (; next < base + noutput_items; next += d_block_len)
            starts.push_back(int(next - base));
    } else {
        std::vector<tag_t> tags;
        get_tags_in_window(tags, 0, 0, noutput_items, d_len_key);
        for (const auto& t : tags)
            starts.push_back(int(t.offset - base));
        std::sort(starts.begin(), starts.end());
        starts.erase(std::unique(starts.begin(), starts.end()), starts.end());
    }
    if (!d_started && (starts.empty() || starts.front() != 0))
        starts.insert(starts.begin(), 0); // untagged lead-in gets its own h
    d_started = true;

    int pos = 0;
    for (size_t k = 0; k <= starts.size(); k++) {
        const int end = k < starts.size() ? starts[k] : noutput_items;
        if (end > pos) {
            // noise is drawn unrotated then rotated by derot: still CN(0, sigma^2)
            d_noise.add(in + pos, out + pos, end - pos, d_h, d_sigma);
            if (d_known_phase)
                for (int i = pos; i < end; i++)
                    out[i] *= d_derot;
            pos = end;
        }
        if (k < starts.size())
            new_block(base + starts[k]);
    }
    return noutput_items;
}

} /* namespace jscc */
} /* namespace gr */
