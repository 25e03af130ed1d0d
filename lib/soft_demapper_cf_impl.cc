/* -*- c++ -*- */
/*
 * Copyright 2026 gr-jscc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "soft_demapper_cf_impl.h"
#include <gnuradio/jscc/qam.h>
#include <gnuradio/io_signature.h>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace gr {
namespace jscc {

namespace {
// PAM level spacing that gives unit average power for the complex constellation
float pam_norm(int bps)
{
    if (bps == 1)
        return 1.0f;
    const int M = 1 << (bps / 2);
    return std::sqrt(3.0f / (2.0f * (M * M - 1)));
}

//! LLRs of one PAM coordinate y carrying m Gray bits (1 for BPSK).
void pam_llr(float y, int m, float norm, float rel, float* llr)
{
    const int M = 1 << m;
    for (int j = 0; j < m; j++) {
        float d0 = std::numeric_limits<float>::max(), d1 = d0;
        for (int i = 0; i < M; i++) {
            // level i (from the top) carries the Gray code of i, MSB first
            const float a = (M - 1 - 2 * i) * norm;
            const float d = (y - a) * (y - a);
            const int bit = ((i ^ (i >> 1)) >> (m - 1 - j)) & 1;
            if (bit)
                d1 = std::min(d1, d);
            else
                d0 = std::min(d0, d);
        }
        llr[j] = rel * (d1 - d0);
    }
}
} // namespace

bool valid_bits_per_symbol(long b) { return b == 1 || b == 2 || b == 4 || b == 6; }

void soft_demap(const gr_complex* y, const float* csi, float rel, int n, int bps, float* llr)
{
    if (!valid_bits_per_symbol(bps))
        throw std::invalid_argument("soft_demap: bits_per_symbol must be 1, 2, 4 or 6");
    const float norm = pam_norm(bps);
    for (int i = 0; i < n; i++) {
        const float r = csi ? csi[i] : rel;
        float* o = llr + static_cast<long>(i) * bps;
        if (bps == 1) {
            pam_llr(y[i].real(), 1, 1.0f, r, o);
        } else {
            pam_llr(y[i].real(), bps / 2, norm, r, o);
            pam_llr(y[i].imag(), bps / 2, norm, r, o + bps / 2);
        }
        for (int j = 0; j < bps; j++)
            if (!std::isfinite(o[j]))
                o[j] = 0.0f; // no information rather than a poisoned decoder
    }
}

soft_demapper_cf::sptr soft_demapper_cf::make(int bits_per_symbol, const std::string& len_tag_key)
{
    return gnuradio::make_block_sptr<soft_demapper_cf_impl>(bits_per_symbol, len_tag_key);
}

soft_demapper_cf_impl::soft_demapper_cf_impl(int bits_per_symbol, const std::string& len_tag_key)
    : gr::block("soft_demapper_cf",
                gr::io_signature::makev(1, 2, { sizeof(gr_complex), sizeof(float) }),
                gr::io_signature::make(1, 1, sizeof(float))),
      d_default_bps(bits_per_symbol),
      d_bps(bits_per_symbol),
      d_len_key(pmt::intern(len_tag_key))
{
    if (!valid_bits_per_symbol(bits_per_symbol))
        throw std::invalid_argument("soft_demapper: bits_per_symbol must be 1, 2, 4 or 6");
    set_tag_propagation_policy(TPP_DONT);
}

void soft_demapper_cf_impl::forecast(int noutput_items, gr_vector_int& req)
{
    const int n = std::max(1, noutput_items / 6);
    for (auto& r : req)
        r = n;
}

int soft_demapper_cf_impl::general_work(int noutput_items,
                                        gr_vector_int& ninput_items,
                                        gr_vector_const_void_star& input_items,
                                        gr_vector_void_star& output_items)
{
    const auto in = static_cast<const gr_complex*>(input_items[0]);
    const float* csi = input_items.size() > 1 ? static_cast<const float*>(input_items[1]) : nullptr;
    auto out = static_cast<float*>(output_items[0]);
    int n_in = ninput_items[0];
    if (csi)
        n_in = std::min(n_in, ninput_items[1]);
    const uint64_t base = nitems_read(0);
    std::vector<tag_t> tags;
    get_tags_in_range(tags, 0, base, base + n_in);
    size_t ti = 0;
    int i = 0, produced = 0;
    for (; i < n_in; i++) {
        // tags on this symbol: a new packet may change the order and the noise level
        std::vector<tag_t> here;
        while (ti < tags.size() && tags[ti].offset == base + i)
            here.push_back(tags[ti++]);
        int bps = d_bps;
        float rel = d_rel;
        for (const auto& t : here) {
            const std::string k = pmt::symbol_to_string(t.key);
            if (k == "bits_per_symbol" && pmt::is_integer(t.value))
                bps = valid_bits_per_symbol(pmt::to_long(t.value)) ? pmt::to_long(t.value) : d_default_bps;
            else if (k == "noise_var" && pmt::is_real(t.value) && pmt::to_double(t.value) > 0)
                rel = 1.0f / pmt::to_double(t.value);
        }
        if (produced + bps > noutput_items) {
            ti -= here.size();
            break;
        }
        d_bps = bps;
        d_rel = rel;
        for (const auto& t : here) {
            pmt::pmt_t v = t.value;
            if (pmt::eq(t.key, d_len_key) && pmt::is_integer(v))
                v = pmt::from_long(pmt::to_long(v) * bps);
            add_item_tag(0, nitems_written(0) + produced, t.key, v);
        }
        soft_demap(in + i, csi ? csi + i : nullptr, d_rel, 1, bps, out + produced);
        produced += bps;
    }
    consume_each(i);
    return produced;
}

} // namespace jscc
} // namespace gr
