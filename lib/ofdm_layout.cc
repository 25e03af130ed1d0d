/* -*- c++ -*- */
/*
 * Copyright 2026 gr-jscc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "ofdm_layout.h"
#include <gnuradio/jscc/frame_header.h>
#include <gnuradio/fft/fft.h>
#include <cmath>
#include <stdexcept>
#include <string>

namespace gr {
namespace jscc {

namespace {
// x^7 + x^4 + 1 LFSR (the 802.11 scrambler polynomial): a fixed, documented PN source.
struct pn7 {
    unsigned state = 0x7f;
    int next()
    {
        const int b = ((state >> 6) ^ (state >> 3)) & 1;
        state = ((state << 1) | b) & 0x7f;
        return b;
    }
};
} // namespace

ofdm_layout::ofdm_layout(int fft_len_, int cp_len_, int n_occupied_, int n_pilots_)
    : fft_len(fft_len_), cp_len(cp_len_), n_occupied(n_occupied_), n_pilots(n_pilots_)
{
    if (fft_len < 16 || fft_len > 4096 || (fft_len & (fft_len - 1)))
        throw std::invalid_argument("OFDM: fft_len must be a power of two in 16..4096, got " +
                                    std::to_string(fft_len));
    if (cp_len < 1 || cp_len >= fft_len)
        throw std::invalid_argument("OFDM: cp_len must be in 1..fft_len-1");
    if (n_occupied < 8 || n_occupied % 2 || n_occupied > fft_len - 2)
        throw std::invalid_argument("OFDM: occupied carriers must be even, >= 8 and <= fft_len - 2");
    if (n_pilots < 2 || n_pilots > n_occupied / 4)
        throw std::invalid_argument("OFDM: pilots must be in 2..occupied/4");
    scale = 1.0f / std::sqrt(static_cast<float>(n_occupied));

    for (int k = -n_occupied / 2; k <= n_occupied / 2; k++)
        if (k != 0)
            occupied.push_back((k + fft_len) % fft_len);
    std::vector<bool> is_pilot(n_occupied, false);
    for (int i = 0; i < n_pilots; i++)
        is_pilot[static_cast<int>(std::floor((i + 0.5) * n_occupied / n_pilots))] = true;
    for (int i = 0; i < n_occupied; i++) {
        if (is_pilot[i]) {
            pilots.push_back(occupied[i]);
            pilot_idx.push_back(i);
        } else {
            data.push_back(occupied[i]);
            data_idx.push_back(i);
        }
    }

    pn7 pn;
    const float a = 0.70710678f;
    for (int i = 0; i < n_occupied; i++) {
        const int b0 = pn.next(), b1 = pn.next();
        preamble_freq.emplace_back(b0 ? -a : a, b1 ? -a : a);
    }
    uint32_t state = 0x12345678u;
    const gr_complex powers[4] = { { 1, 0 }, { 0, 1 }, { -1, 0 }, { 0, -1 } };
    for (int i = 0; i < SCRAMBLE_LEN; i++) {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        scramble.push_back(powers[state >> 30]);
    }

    gr::fft::fft_complex_rev ifft(fft_len);
    std::fill(ifft.get_inbuf(), ifft.get_inbuf() + fft_len, gr_complex(0));
    for (int i = 0; i < n_occupied; i++)
        ifft.get_inbuf()[occupied[i]] = preamble_freq[i] * scale;
    ifft.execute();
    preamble_time.assign(ifft.get_outbuf(), ifft.get_outbuf() + fft_len);
}

int ofdm_layout::header_symbols() const
{
    const int n = n_data();
    return (frame_header::CODED_BITS + n - 1) / n;
}

float ofdm_layout::pilot_polarity(int sym) const
{
    // fixed 127-long sequence; cheap enough to regenerate per call is not needed: table
    static const std::vector<float> table = [] {
        std::vector<float> t;
        pn7 pn;
        for (int i = 0; i < 127; i++)
            t.push_back(pn.next() ? -1.0f : 1.0f);
        return t;
    }();
    return table[static_cast<unsigned>(sym) % 127];
}

} // namespace jscc
} // namespace gr
