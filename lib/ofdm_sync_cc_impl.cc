/* -*- c++ -*- */
/*
 * Copyright 2026 gr-jscc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "ofdm_sync_cc_impl.h"
#include "sample_guard.h"
#include <gnuradio/io_signature.h>
#include <cmath>
#include <stdexcept>

namespace gr {
namespace jscc {

ofdm_sync_cc::sptr ofdm_sync_cc::make(int fft_len, int cp_len, double threshold)
{
    return gnuradio::make_block_sptr<ofdm_sync_cc_impl>(fft_len, cp_len, threshold);
}

ofdm_sync_cc_impl::ofdm_sync_cc_impl(int fft_len, int cp_len, double threshold)
    : gr::sync_block("ofdm_sync_cc",
                     gr::io_signature::make(1, 1, sizeof(gr_complex)),
                     gr::io_signature::make(1, 1, sizeof(gr_complex))),
      d_N(fft_len),
      d_cp(cp_len),
      d_key(pmt::intern("ofdm_sync")),
      d_start(pmt::intern("start")),
      d_cfo(pmt::intern("cfo")),
      d_metric(pmt::intern("metric"))
{
    if (fft_len < 16 || (fft_len & (fft_len - 1)) || cp_len < 1 || cp_len >= fft_len)
        throw std::invalid_argument("ofdm_sync: fft_len must be a power of two >= 16 and "
                                    "cp_len in 1..fft_len-1");
    set_threshold(threshold);
    set_history(2 * d_N + 1); // window of two halves plus the sample leaving it
}

const gr_complex* ofdm_sync_cc_impl::clean(const gr_complex* x, int n, int first_new)
{
    // NaN/inf and isolated spikes would dominate the running sums (one 1e30 sample hides a
    // whole preamble): the metric sees them as silence. A spike has SPIKE_LIMIT times the
    // mean power of the W samples on either side; at a burst's onset one side is loud.
    using namespace sample_guard;
    d_clean.resize(n);
    d_pow.resize(n);
    for (int j = 0; j < n; j++) {
        const gr_complex v = x[j];
        const bool fin = std::isfinite(v.real()) && std::isfinite(v.imag());
        d_pow[j] = fin ? std::norm(v) : 0.0f;
        d_clean[j] = fin ? v : gr_complex(0);
        if (!fin && j >= first_new)
            d_bad++;
    }
    // direct sums over the W neighbours each side: a sliding sum would lose every small
    // value to rounding once a 1e30 sample had passed through it
    for (int j = 0; j < n; j++) {
        const float p = d_pow[j];
        if (!(p > 0))
            continue;
        double left = 0, right = 0;
        const int a = std::max(0, j - SPIKE_W), b = std::min(n - 1, j + SPIKE_W);
        for (int k = a; k < j; k++)
            left += d_pow[k];
        for (int k = j + 1; k <= b; k++)
            right += d_pow[k];
        const int nl = j - a, nr = b - j;
        if (!(nl || nr))
            continue;
        const double side = std::max(nl ? left / nl : 0.0, nr ? right / nr : 0.0);
        if (!(p <= SPIKE_LIMIT * side)) {
            d_clean[j] = 0;
            if (j >= first_new)
                d_bad++;
        }
    }
    return d_clean.data();
}

void ofdm_sync_cc_impl::set_threshold(double threshold)
{
    if (!(threshold > 0 && threshold < 1))
        throw std::invalid_argument("ofdm_sync: threshold must be in (0, 1)");
    d_thr = threshold;
}

int ofdm_sync_cc_impl::work(int noutput_items,
                            gr_vector_const_void_star& input_items,
                            gr_vector_void_star& output_items)
{
    // in[i + 2N] is the sample of output i; the window for it covers
    // d = i + 1 .. i + 2N (first half d .. d+N-1, second half d+N .. d+2N-1).
    const auto raw = static_cast<const gr_complex*>(input_items[0]);
    auto out = static_cast<gr_complex*>(output_items[0]);
    const int N = d_N, H = 2 * N;
    std::copy(raw + H, raw + H + noutput_items, out);
    const gr_complex* in = clean(raw, noutput_items + H, H);

    // sums start afresh each call: no drift from sliding updates
    std::complex<double> P = 0;
    double E1 = 0, E2 = 0;
    for (int m = 0; m < N; m++) {
        const std::complex<double> a(in[m]), b(in[m + N]);
        P += std::conj(a) * b;
        E1 += std::norm(a);
        E2 += std::norm(b);
    }
    const uint64_t base = nitems_written(0);
    // The metric ramps up over up to N samples before the cp+1 long plateau: after the
    // first crossing look N + cp further for the peak.
    const int look = N + d_cp;
    for (int i = 0; i < noutput_items; i++) {
        // slide: window start moves from i to i+1
        const std::complex<double> a_old(in[i]), b_old(in[i + N]), a_new(in[i + N]), b_new(in[i + H]);
        P += std::conj(a_new) * b_new - std::conj(a_old) * b_old;
        E1 += std::norm(a_new) - std::norm(a_old);
        E2 += std::norm(b_new) - std::norm(b_old);
        // mean energy of the halves: a window half-filled by silence (a frame's end before a
        // gap) cannot reach the threshold through one strong cyclic prefix
        const double den = 0.25 * (E1 + E2) * (E1 + E2);
        // nothing to detect in (near-)silence: absolute floor far below any real signal
        const double metric = den > 1e-24 * N * N ? std::norm(P) / den : 0.0;
        if (d_rearm) {
            // after a detection, wait for the metric to fall before arming again
            d_rearm = !(metric < d_thr);
            continue;
        }
        if (base + i + 1 < static_cast<uint64_t>(H))
            continue; // window still reaches into the zero history
        const uint64_t start = base + i + 1 - H; // in[i+1] is absolute sample base+i+1-2N
        if (!d_in_peak) {
            if (metric > d_thr && std::isfinite(metric)) {
                d_in_peak = true;
                d_peak_count = 0;
                d_best = metric;
                d_best_d = start;
                d_sum_p = P;
            }
            continue;
        }
        if (metric > d_best) {
            d_best = metric;
            d_best_d = start;
        }
        if (metric > d_thr)
            d_sum_p += P;
        if (++d_peak_count >= look) {
            pmt::pmt_t v = pmt::make_dict();
            v = pmt::dict_add(v, d_start, pmt::from_uint64(d_best_d));
            v = pmt::dict_add(v, d_cfo, pmt::from_double(std::arg(d_sum_p) / (2 * M_PI)));
            v = pmt::dict_add(v, d_metric, pmt::from_double(d_best));
            add_item_tag(0, base + i, d_key, v);
            d_detections++;
            d_in_peak = false;
            d_rearm = true;
        }
    }
    return noutput_items;
}

} // namespace jscc
} // namespace gr
