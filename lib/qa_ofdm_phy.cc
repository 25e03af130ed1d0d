/* -*- c++ -*- */
/*
 * Copyright 2026 gr-jscc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "complex_noise.h"
#include <gnuradio/jscc/frame_header.h>
#include "ofdm_equalizer.h"
#include "ofdm_layout.h"
#include <boost/test/unit_test.hpp>
#include <algorithm>
#include <cmath>
#include <set>

namespace gr {
namespace jscc {

static frame_header sample_header()
{
    frame_header h;
    // every field at a value that exercises its top bit where it can
    for (int f = 0; f < frame_header::N_FIELDS; f++)
        h.v[f] = frame_header::max_value(static_cast<frame_header::field>(f)) - f;
    h[frame_header::FRAME_TYPE] = frame_header::DIGITAL;
    h[frame_header::BITS_PER_SYMBOL] = 4;
    return h;
}

static bool same(const frame_header& a, const frame_header& b)
{
    return std::equal(a.v, a.v + frame_header::N_FIELDS, b.v);
}

BOOST_AUTO_TEST_CASE(test_header_fields_do_not_wrap)
{
    frame_header h;
    BOOST_CHECK(h.set(frame_header::WIDTH, 65535));
    BOOST_CHECK(!h.set(frame_header::WIDTH, 65536)); // refused, not wrapped to 0
    BOOST_CHECK(!h.set(frame_header::HEIGHT, -1));
    BOOST_CHECK_EQUAL(h[frame_header::WIDTH], 65535u);
    BOOST_CHECK_EQUAL(frame_header::find("chunk_count"), int(frame_header::CHUNK_COUNT));
    BOOST_CHECK_EQUAL(frame_header::find("nonsense"), -1);
    int bits = 0;
    for (const auto& f : frame_header::FIELDS)
        bits += f.bits;
    BOOST_CHECK_EQUAL(bits, frame_header::FIELD_BITS);
}

BOOST_AUTO_TEST_CASE(test_header_roundtrip_and_crc)
{
    const frame_header h = sample_header();
    frame_header g;
    BOOST_CHECK(g.parse(h.info_bits()));
    BOOST_CHECK(same(h, g));
    for (int b = 0; b < frame_header::INFO_BITS; b++) {
        auto bits = h.info_bits();
        bits[b] ^= 1;
        frame_header x;
        BOOST_CHECK(!x.parse(bits)); // every single-bit error is caught
    }
}

BOOST_AUTO_TEST_CASE(test_header_slots_cover_every_coded_bit)
{
    for (int n_slots : { frame_header::CODED_BITS, 336, 768, 1000 }) {
        std::set<int> seen;
        for (int t = 0; t < n_slots; t++)
            seen.insert(frame_header::slot_bit(t, n_slots));
        BOOST_CHECK_EQUAL(seen.size(), size_t(frame_header::CODED_BITS));
    }
}

BOOST_AUTO_TEST_CASE(test_viterbi_corrects_noise)
{
    // BPSK over AWGN at Es/N0 = 1 dB per coded bit: uncoded this is ~6 % bit errors
    const frame_header h = sample_header();
    complex_noise noise(3);
    const float sigma = std::sqrt(std::pow(10.0f, -0.1f) / 2); // real noise std
    int ok = 0, raw_errors = 0;
    const int trials = 200, slots = 336;
    for (int tr = 0; tr < trials; tr++) {
        const auto coded = h.encode(slots);
        std::vector<float> llr(slots);
        for (int t = 0; t < slots; t++) {
            const float y = (coded[t] ? -1.0f : 1.0f) + sigma * 1.41421356f * noise.draw().real();
            raw_errors += (y < 0) != bool(coded[t]);
            llr[t] = 2 * y / (sigma * sigma);
        }
        frame_header g;
        if (g.decode(llr) && same(h, g))
            ok++;
    }
    BOOST_CHECK_GT(raw_errors, trials * slots / 50); // the channel really is noisy
    BOOST_CHECK_GE(ok, trials - 2);
}

BOOST_AUTO_TEST_CASE(test_layout_geometry)
{
    ofdm_layout L(64, 16, 52, 4);
    BOOST_CHECK_EQUAL(L.n_data(), 48);
    BOOST_CHECK_EQUAL(L.pilots.size(), 4u);
    BOOST_CHECK_EQUAL(L.header_symbols(), 7); // 322 coded bits on 48 carriers
    double p = 0;
    for (auto v : L.preamble_time)
        p += std::norm(v);
    BOOST_CHECK_CLOSE(p / 64, 1.0, 1e-3); // unit power in time
    for (int bin : L.occupied)
        BOOST_CHECK(bin != 0);
}

BOOST_AUTO_TEST_CASE(test_equalizers_and_tracker)
{
    auto zf = ofdm_equalizer::make("zf");
    auto mmse = ofdm_equalizer::make("mmse");
    BOOST_CHECK_THROW(ofdm_equalizer::make("dfe"), std::invalid_argument);
    const gr_complex x(0.3f, -0.7f), h(0.5f, 0.5f);
    const gr_complex y = x * h;
    gr_complex out;
    float csi;
    zf->equalize(&y, &h, 0.1f, 1, &out, &csi);
    BOOST_CHECK_SMALL(std::abs(out - x), 1e-6f);
    BOOST_CHECK_CLOSE(csi, 5.0f, 1e-3);
    mmse->equalize(&y, &h, 0.5f, 1, &out, &csi);
    BOOST_CHECK_SMALL(std::abs(out - x * 0.5f), 1e-6f); // |h|^2 / (|h|^2 + nv) = 0.5

    // a constant phase rotation of 0.4 rad and gain 0.8 on all carriers is learnt
    pilot_tracker tr(true);
    const int k[4] = { -21, -7, 7, 21 };
    gr_complex hp[4], yp[4];
    float ref[4] = { 1, 1, 1, 1 };
    for (int i = 0; i < 4; i++) {
        hp[i] = 1;
        yp[i] = std::polar(0.8f, 0.4f);
    }
    for (int s = 0; s < 200; s++)
        tr.update(yp, hp, ref, k, 4);
    BOOST_CHECK_SMALL(std::abs(tr.correction(0) - std::polar(0.8f, 0.4f)), 1e-3f);
}

} // namespace jscc
} // namespace gr
