/* -*- c++ -*- */
/*
 * Copyright 2026 gr-jscc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "ofdm_demod_cc_impl.h"
#include "sample_guard.h"
#include <gnuradio/io_signature.h>
#include <cmath>
#include <stdexcept>

namespace gr {
namespace jscc {

ofdm_demod_cc::sptr ofdm_demod_cc::make(int fft_len, int cp_len, int occupied, int pilots,
                                        int frame_symbols, const std::string& equalizer,
                                        const std::string& accept, int smoothing,
                                        int timing_backoff, bool track_amplitude,
                                        bool chan_est_tags, const std::string& len_tag_key)
{
    return gnuradio::make_block_sptr<ofdm_demod_cc_impl>(
        fft_len, cp_len, occupied, pilots, frame_symbols, equalizer, accept, smoothing,
        timing_backoff, track_amplitude, chan_est_tags, len_tag_key);
}

ofdm_demod_cc_impl::ofdm_demod_cc_impl(int fft_len, int cp_len, int occupied, int pilots,
                                       int frame_symbols, const std::string& equalizer,
                                       const std::string& accept, int smoothing,
                                       int timing_backoff, bool track_amplitude,
                                       bool chan_est_tags, const std::string& len_tag_key)
    : gr::block("ofdm_demod_cc",
                gr::io_signature::make(1, 1, sizeof(gr_complex)),
                gr::io_signature::makev(1, 2, { sizeof(gr_complex), sizeof(float) })),
      d_L(fft_len, cp_len, occupied, pilots),
      d_frame_symbols(frame_symbols),
      d_smoothing(smoothing),
      d_backoff(timing_backoff),
      d_chan_tags(chan_est_tags),
      d_len_key(pmt::intern(len_tag_key)),
      d_sync_key(pmt::intern("ofdm_sync")),
      d_eq(ofdm_equalizer::make(equalizer)),
      d_tracker(track_amplitude),
      d_fft(fft_len)
{
    if (frame_symbols < 1 || static_cast<long>(frame_symbols) * d_L.n_data() > 65535)
        throw std::invalid_argument("ofdm_demod: frame_symbols must be >= 1 and carry at most "
                                    "65535 payload symbols per frame");
    if (accept == "all")
        d_accept = -1;
    else if (accept == "analog")
        d_accept = frame_header::ANALOG;
    else if (accept == "digital")
        d_accept = frame_header::DIGITAL;
    else
        throw std::invalid_argument("ofdm_demod: accept must be all, analog or digital");
    if (smoothing < 1 || smoothing > occupied / 2)
        throw std::invalid_argument("ofdm_demod: smoothing must be in 1..occupied/2");
    if (timing_backoff < 0 || timing_backoff >= cp_len)
        throw std::invalid_argument("ofdm_demod: timing_backoff must be in 0..cp_len-1");

    for (int bin : d_L.occupied)
        d_ksigned.push_back(bin < fft_len / 2 ? bin : bin - fft_len);
    d_p2 = d_L.preamble_time;
    d_p2.insert(d_p2.end(), d_L.preamble_time.begin(), d_L.preamble_time.end());
    const int K = d_L.n_occupied;
    d_y.resize(K);
    d_h.resize(K);
    d_yd.resize(d_L.n_data());
    d_hd.resize(d_L.n_data());
    d_out.resize(d_L.n_data());
    d_csi.resize(d_L.n_data());
    d_pilot_y.resize(d_L.n_pilots);
    d_pilot_h.resize(d_L.n_pilots);
    d_pilot_ref.resize(d_L.n_pilots);
    d_pilot_k.resize(d_L.n_pilots);
    d_need = keep() + 1;
    set_output_multiple(d_L.n_data());
    set_tag_propagation_policy(TPP_DONT);
    message_port_register_out(pmt::intern("stats"));
}

// A sync tag sits at most 2N + cp + N/4 samples after the start it reports, and the fine
// timing search looks cp/2 + 8 before that: samples this close to the end must stay.
int ofdm_demod_cc_impl::keep() const
{
    return 3 * d_L.fft_len + 2 * d_L.cp_len + 32;
}

int ofdm_demod_cc_impl::max_input_needed() const
{
    return keep() + 2 * d_L.cp_len + 32 + d_L.preamble_len() +
           (d_L.header_symbols() + 1) * d_L.symbol_len();
}

void ofdm_demod_cc_impl::forecast(int, gr_vector_int& req) { req[0] = d_need; }

int ofdm_demod_cc_impl::fft_at(const gr_complex* x, uint64_t pos, gr_complex* y)
{
    const int N = d_L.fft_len;
    gr_complex* buf = d_fft.get_inbuf();
    // remove the CFO with the phase referred to the frame start, so symbols stay coherent
    const double w = -2 * M_PI * d_cfo / N;
    gr_complex rot(std::polar(1.0, w * (double(pos) - double(d_d))));
    const gr_complex step(std::polar(1.0, w));
    int bad = 0;
    for (int n = 0; n < N; n++) {
        if (sample_guard::ok(x[n], d_limit)) {
            buf[n] = x[n] * rot;
        } else {
            buf[n] = 0; // an erasure: costs this symbol 1/N of its energy, nothing else
            bad++;
        }
        rot *= step;
    }
    d_fft.execute();
    const float g = 1.0f / (N * d_L.scale);
    const gr_complex* f = d_fft.get_outbuf();
    for (int i = 0; i < d_L.n_occupied; i++)
        y[i] = f[d_L.occupied[i]] * g;
    return bad;
}

gr_complex ofdm_demod_cc_impl::clean(gr_complex v) const
{
    return sample_guard::ok(v, d_limit) ? v : gr_complex(0);
}

bool ofdm_demod_cc_impl::try_header(const gr_complex* in, uint64_t base, uint64_t start)
{
    const int N = d_L.fft_len, cp = d_L.cp_len, K = d_L.n_occupied;
    // the frame's level from the median sample power of its preamble: samples 40 dB above it
    // (or not finite) are erasures everywhere in the frame
    d_limit = sample_guard::frame_limit(in + (start - base), 2 * N);
    // fine timing: correlate (CFO removed) with both preamble halves around the coarse start
    const uint64_t lo = start - cp / 2 - 8, hi = start + cp + 16;
    const double w = -2 * M_PI * d_cfo / N;
    std::vector<gr_complex> r(hi - lo + 2 * N);
    for (size_t n = 0; n < r.size(); n++)
        r[n] = clean(in[lo - base + n]) * gr_complex(std::polar(1.0, w * n));
    double best = -1;
    uint64_t best_d = start;
    for (uint64_t d = lo; d <= hi; d++) {
        gr_complex c = 0;
        const gr_complex* x = r.data() + (d - lo);
        for (int m = 0; m < 2 * N; m++)
            c += std::conj(d_p2[m]) * x[m];
        if (std::norm(c) > best) {
            best = std::norm(c);
            best_d = d;
        }
    }
    // back off into the cyclic prefix: an early window is harmless, a late one is ISI
    d_d = best_d - d_backoff;
    // fine CFO over the aligned halves (pairs with a bad sample left out)
    std::complex<double> P = 0;
    const gr_complex* x = in + (d_d - base);
    for (int m = 0; m < N; m++)
        P += std::complex<double>(std::conj(clean(x[m])) * clean(x[m + N]));
    if (std::abs(P) > 0)
        d_cfo = std::arg(P) / (2 * M_PI);

    // The halves are the same symbol, the second rotated by the CFO: a bad sample in one is
    // repaired from the other, so the channel and noise estimates never see it.
    std::vector<gr_complex> pre(x, x + 2 * N);
    const gr_complex turn(std::polar(1.0, 2 * M_PI * d_cfo));
    for (int m = 0; m < N; m++) {
        const bool ok1 = sample_guard::ok(pre[m], d_limit), ok2 = sample_guard::ok(pre[m + N], d_limit);
        if (ok1 && ok2)
            continue;
        d_bad += !ok1 + !ok2;
        if (ok2)
            pre[m] = pre[m + N] * std::conj(turn);
        else if (ok1)
            pre[m + N] = pre[m] * turn;
    }
    std::vector<gr_complex> y1(K), y2(K);
    fft_at(pre.data(), d_d, y1.data());  // both bad: left to fft_at to erase (not counted twice)
    fft_at(pre.data() + N, d_d + N, y2.data());
    double noise = 0, power = 0;
    for (int i = 0; i < K; i++) {
        d_h[i] = 0.5f * (y1[i] + y2[i]) * std::conj(d_L.preamble_freq[i]);
        noise += std::norm(y1[i] - y2[i]) / 2;
        power += std::norm(d_h[i]);
    }
    noise /= K;
    power /= K;
    if (!(noise > 0) || !std::isfinite(noise) || !std::isfinite(power))
        noise = std::isfinite(power) && power > 0 ? power * 1e-6 : 1.0;
    d_nv = static_cast<float>(noise);
    // SNR per time sample: signal power on K of N carriers, noise on all N
    const double sig = std::max(power - noise / 2, noise * 1e-3);
    d_snr_db = 10 * std::log10(sig / noise * K / N);

    d_h_raw = d_h;
    smooth_estimate();

    d_tracker.reset();
    d_hpow = power;
    const int Hs = d_L.header_symbols(), nd = d_L.n_data();
    std::vector<float> llr(Hs * nd);
    d_hdr_y.resize(Hs);
    d_hdr_corr.resize(Hs);
    d_hdr_bad.assign(Hs, 0);
    for (int s = 0; s < Hs; s++) {
        d_hdr_y[s].resize(K);
        d_hdr_bad[s] = fft_at(in + (symbol_pos(s) - base), symbol_pos(s), d_hdr_y[s].data());
        d_sym = s;
        track_and_equalize(d_hdr_y[s].data(), nd, d_hdr_bad[s]);
        d_hdr_corr[s] = d_tracker.state();
        for (int i = 0; i < nd; i++)
            llr[s * nd + i] = 4.0f * (d_out[i] * std::conj(d_L.scr(s, i))).real() * d_csi[i];
    }
    d_sym = Hs;
    for (int b : d_hdr_bad)
        d_bad += b;
    if (!d_hdr.decode(llr) && !retry_header()) {
        d_crc++;
        return false;
    }
    if (!d_hdr.plausible(max_payload())) {
        d_invalid++;
        return false;
    }
    refine_with_header();
    return true;
}

std::vector<gr_complex> ofdm_demod_cc_impl::header_reference(const std::vector<uint8_t>& slots,
                                                             int s) const
{
    // what header symbol s carried on every occupied carrier, as the modulator sent it
    const int nd = d_L.n_data();
    std::vector<gr_complex> x(d_L.n_occupied);
    const float pol = d_L.pilot_polarity(s);
    for (int p = 0; p < d_L.n_pilots; p++)
        x[d_L.pilot_idx[p]] = pol;
    for (int j = 0; j < nd; j++)
        x[d_L.data_idx[j]] = (slots[s * nd + j] ? -1.0f : 1.0f) * d_L.scr(s, j);
    return x;
}

bool ofdm_demod_cc_impl::retry_header()
{
    // At low SNR the pilots alone track the phase of the header symbols poorly (a residual
    // CFO error turns into a ramp). The failed decode is mostly right: re-encoded, it gives
    // every header carrier as a reference, so each symbol's phase and gain come from all
    // carriers; decode again with those.
    const int K = d_L.n_occupied, Hs = d_L.header_symbols(), nd = d_L.n_data();
    const auto slots = d_hdr.encode_last(Hs * nd);
    std::vector<float> llr(Hs * nd);
    for (int s = 0; s < Hs; s++) {
        const auto x = header_reference(slots, s);
        std::complex<double> c = 0;
        double g = 0;
        for (int i = 0; i < K; i++) {
            c += std::complex<double>(d_hdr_y[s][i] * std::conj(d_h[i] * x[i]));
            g += std::norm(d_h[i]);
        }
        if (!(g > 0))
            return false;
        const gr_complex corr(c / g);
        for (int j = 0; j < nd; j++) {
            const int i = d_L.data_idx[j];
            d_hd[j] = d_h[i] * corr;
            d_yd[j] = d_hdr_y[s][i];
        }
        d_eq->equalize(d_yd.data(), d_hd.data(), erasure_noise(d_hdr_bad[s]), nd, d_out.data(), d_csi.data());
        for (int j = 0; j < nd; j++)
            llr[s * nd + j] = 4.0f * (d_out[j] * std::conj(d_L.scr(s, j))).real() * d_csi[j];
        d_hdr_corr[s] = { std::arg(corr), 0.0, std::abs(corr) };
    }
    if (!d_hdr.decode(llr))
        return false;
    d_retried++;
    return true;
}

void ofdm_demod_cc_impl::refine_with_header()
{
    // The decoded header is known data: every header carrier becomes a pilot, so the
    // estimate averages 2 + Hs symbols instead of 2 (about 5 dB less estimation noise).
    const int K = d_L.n_occupied, Hs = d_L.header_symbols(), nd = d_L.n_data();
    const auto slots = d_hdr.encode(Hs * nd);
    std::vector<gr_complex> sum(K);
    for (int i = 0; i < K; i++)
        sum[i] = 2.0f * d_h_raw[i];
    std::vector<std::vector<gr_complex>> xs(Hs);
    int used = 0; // header symbols without erasures: a damaged one does not move the estimate
    for (int s = 0; s < Hs; s++) {
        xs[s] = header_reference(slots, s);
        if (d_hdr_bad[s])
            continue;
        used++;
        const auto& x = xs[s];
        for (int i = 0; i < K; i++) {
            const gr_complex c = pilot_tracker::correction_of(d_hdr_corr[s], d_ksigned[i]);
            const gr_complex hs = d_hdr_y[s][i] / (x[i] * c);
            sum[i] += hs;
        }
    }
    double power = 0;
    for (int i = 0; i < K; i++) {
        d_h[i] = sum[i] / float(2 + used);
        power += std::norm(d_h[i]);
    }
    // Noise: the preamble's (its halves differ by noise only: K degrees of freedom) pooled
    // with the header's residuals about the new estimate, which holds 1/(2 + Hs) of each
    // symbol's own noise: scaled by 1 / (1 - 1/(2 + Hs)) they are unbiased too. Pooling
    // makes a single frame's SNR estimate several times steadier than the preamble alone.
    double resid = 0;
    for (int s = 0; s < Hs; s++) {
        if (d_hdr_bad[s])
            continue;
        for (int i = 0; i < K; i++) {
            const gr_complex c = pilot_tracker::correction_of(d_hdr_corr[s], d_ksigned[i]);
            resid += std::norm(d_hdr_y[s][i] - d_h[i] * xs[s][i] * c);
        }
    }
    const double dof_hdr = double(K) * used * (1.0 - 1.0 / (2 + used));
    const double nv = (d_nv * K + resid) / (K + dof_hdr);
    if (std::isfinite(power) && nv > 0 && std::isfinite(nv)) {
        d_nv = static_cast<float>(nv);
        const double sig = std::max(power / K - d_nv / (2 + used), d_nv * 1e-3);
        d_snr_db = 10 * std::log10(sig / d_nv * K / d_L.fft_len);
    }
    d_hpow = std::isfinite(power) ? power / K : d_hpow;
    // The header's phases, measured on all carriers against the new estimate, give the
    // residual frequency error far better than pilots: restart the phase loop from them
    // (a least-squares line through the undamaged symbols' phases).
    std::vector<double> phi(Hs);
    double prev = 0;
    bool have_prev = false;
    for (int s = 0; s < Hs; s++) {
        if (d_hdr_bad[s])
            continue;
        std::complex<double> c = 0;
        for (int i = 0; i < K; i++)
            c += std::complex<double>(d_hdr_y[s][i] * std::conj(d_h[i] * xs[s][i]));
        phi[s] = std::arg(c) + (have_prev ? std::round((prev - std::arg(c)) / (2 * M_PI)) * 2 * M_PI : 0);
        prev = phi[s];
        have_prev = true;
    }
    double sm = 0, sp = 0, sxx = 0, sxy = 0;
    for (int s = 0; s < Hs; s++) {
        if (d_hdr_bad[s])
            continue;
        sm += s;
        sp += phi[s];
    }
    if (used > 0) {
        sm /= used;
        sp /= used;
        for (int s = 0; s < Hs; s++) {
            if (d_hdr_bad[s])
                continue;
            sxx += (s - sm) * (s - sm);
            sxy += (s - sm) * (phi[s] - sp);
        }
        const double omega = sxx > 0 ? sxy / sxx : 0.0;
        d_tracker.set_phase(sp + omega * (Hs - 1 - sm), omega);
    }

    // Smooth only where the channel is flat enough: on a frequency-selective channel the
    // smoothed estimate departs from the raw one by more than the estimation noise explains,
    // and the raw estimate (already 2 + Hs symbols) is the better one.
    const std::vector<gr_complex> raw = d_h;
    smooth_estimate();
    double dev = 0;
    for (int i = 0; i < K; i++)
        dev += std::norm(d_h[i] - raw[i]);
    dev /= K;
    const double expected = d_nv / (2.0 + used) * (1.0 - 1.0 / d_smoothing);
    if (dev > 2.0 * expected)
        d_h = raw;
}

void ofdm_demod_cc_impl::smooth_estimate()
{
    const int K = d_L.n_occupied;
    if (d_smoothing > 1) {
        // take out the ramp of the timing offset, average neighbours, put it back
        std::complex<double> acc = 0;
        for (int i = 1; i < K; i++)
            if (d_ksigned[i] - d_ksigned[i - 1] == 1) // not across the empty DC carrier
                acc += std::complex<double>(d_h[i] * std::conj(d_h[i - 1]));
        const double slope = std::arg(acc);
        std::vector<gr_complex> flat(K), sm(K);
        for (int i = 0; i < K; i++)
            flat[i] = d_h[i] * gr_complex(std::polar(1.0, -slope * d_ksigned[i]));
        const int half = d_smoothing / 2;
        for (int i = 0; i < K; i++) {
            const int a = std::max(0, i - half), b = std::min(K - 1, i + half);
            gr_complex s = 0;
            for (int j = a; j <= b; j++)
                s += flat[j];
            sm[i] = s / float(b - a + 1);
        }
        for (int i = 0; i < K; i++)
            d_h[i] = sm[i] * gr_complex(std::polar(1.0, slope * d_ksigned[i]));
    }
}

float ofdm_demod_cc_impl::erasure_noise(int bad) const
{
    // e zeroed time samples leave every carrier a distortion of e/N of the mean power per
    // frequency bin (Parseval): it is noise for the soft bits and the MMSE weights
    if (bad <= 0)
        return d_nv;
    const double N = d_L.fft_len, K = d_L.n_occupied;
    const double bin_power = (K * (d_hpow + d_nv) + (N - K) * d_nv) / N;
    return static_cast<float>(d_nv + bad / N * bin_power);
}

void ofdm_demod_cc_impl::track_and_equalize(const gr_complex* y, int n_out, int bad)
{
    const int P = d_L.n_pilots;
    gr_complex* yp = d_pilot_y.data();
    gr_complex* hp = d_pilot_h.data();
    float* ref = d_pilot_ref.data();
    int* kp = d_pilot_k.data();
    const float pol = d_L.pilot_polarity(d_sym);
    for (int p = 0; p < P; p++) {
        const int i = d_L.pilot_idx[p];
        yp[p] = y[i];
        hp[p] = d_h[i];
        ref[p] = pol;
        kp[p] = d_ksigned[i];
    }
    if (bad)
        d_tracker.coast(); // a damaged symbol's pilots must not move the loop: predict only
    else
        d_tracker.update(yp, hp, ref, kp, P);
    for (int j = 0; j < n_out; j++) {
        const int i = d_L.data_idx[j];
        d_yd[j] = y[i];
        d_hd[j] = d_h[i] * d_tracker.correction(d_ksigned[i]);
    }
    d_eq->equalize(d_yd.data(), d_hd.data(), erasure_noise(bad), n_out, d_out.data(), d_csi.data());
}

void ofdm_demod_cc_impl::add_frame_tags(uint64_t off)
{
    auto tag = [&](const char* k, pmt::pmt_t v) { add_item_tag(0, off, pmt::intern(k), v); };
    add_item_tag(0, off, d_len_key, pmt::from_long(d_hdr[frame_header::PAYLOAD_LEN]));
    for (int f = 0; f < frame_header::N_FIELDS; f++)
        if (f != frame_header::PAYLOAD_LEN)
            tag(frame_header::FIELDS[f].name, pmt::from_long(d_hdr.v[f]));
    tag("snr_db", pmt::from_double(d_snr_db));
    tag("noise_var", pmt::from_double(d_nv));
    tag("cfo", pmt::from_double(d_cfo));
    tag("rx_sample", pmt::from_uint64(d_d));
    if (d_chan_tags)
        tag("chan_est", pmt::init_c32vector(d_h.size(), d_h));
}

void ofdm_demod_cc_impl::publish_stats()
{
    pmt::pmt_t d = pmt::make_dict();
    auto put = [&](const char* k, uint64_t v) {
        d = pmt::dict_add(d, pmt::intern(k), pmt::from_uint64(v));
    };
    put("detected", d_detected);
    put("header_ok", d_ok);
    put("header_crc_fail", d_crc);
    put("header_second_pass", d_retried);
    put("header_invalid", d_invalid);
    put("filtered", d_filtered);
    put("missed", d_missed);
    put("frames", d_frames);
    put("bad_samples", d_bad);
    message_port_pub(pmt::intern("stats"), d);
}

int ofdm_demod_cc_impl::general_work(int noutput_items,
                                     gr_vector_int& ninput_items,
                                     gr_vector_const_void_star& input_items,
                                     gr_vector_void_star& output_items)
{
    const auto in = static_cast<const gr_complex*>(input_items[0]);
    auto out = static_cast<gr_complex*>(output_items[0]);
    float* csi_out = output_items.size() > 1 ? static_cast<float*>(output_items[1]) : nullptr;
    const int n_in = ninput_items[0];
    const uint64_t base = nitems_read(0), end = base + n_in;
    const int N = d_L.fft_len, cp = d_L.cp_len, nd = d_L.n_data();
    if (d_consumed_to < base)
        d_consumed_to = base;
    int produced = 0;
    d_need = keep() + 1;
    d_waiting_from = 0;

    while (true) {
        if (d_state == SEARCH) {
            std::vector<tag_t> tags;
            get_tags_in_range(tags, 0, base, end, d_sync_key);
            bool waiting = false;
            for (const auto& t : tags) {
                if (t.offset < d_next_tag)
                    continue; // handled already
                const pmt::pmt_t v = t.value;
                const uint64_t start = pmt::to_uint64(
                    pmt::dict_ref(v, pmt::intern("start"), pmt::from_uint64(t.offset)));
                if (start < d_frame_end) {
                    d_next_tag = t.offset + 1; // a correlation peak inside the last frame
                    continue;
                }
                d_detected++;
                const uint64_t lo = start - cp / 2 - 8;
                if (start < uint64_t(cp / 2 + 8) || lo < base) {
                    d_missed++; // its samples are gone (buffer too small or a start overlap)
                    d_next_tag = t.offset + 1;
                    publish_stats();
                    continue;
                }
                const uint64_t need_end = start + cp + 16 + 2 * N +
                                          d_L.header_symbols() * (N + cp) + N + cp;
                if (need_end > end) {
                    // wait for the header, keeping everything from lo on
                    d_waiting_from = lo;
                    d_detected--;
                    d_consumed_to = std::max(d_consumed_to, lo);
                    d_need = static_cast<int>(need_end - d_consumed_to);
                    waiting = true;
                    break;
                }
                d_cfo = pmt::to_double(
                    pmt::dict_ref(v, pmt::intern("cfo"), pmt::from_double(0.0)));
                d_next_tag = t.offset + 1;
                if (!try_header(in, base, start)) {
                    publish_stats();
                    continue;
                }
                d_ok++;
                // end of the last payload symbol's window
                const uint64_t frame_end =
                    symbol_pos(d_L.header_symbols() + (d_hdr[frame_header::PAYLOAD_LEN] + nd - 1) / nd) - cp;
                if (d_accept >= 0 && int(d_hdr[frame_header::FRAME_TYPE]) != d_accept) {
                    d_filtered++;
                    d_frame_end = frame_end;
                    publish_stats();
                    continue;
                }
                d_left = d_hdr[frame_header::PAYLOAD_LEN];
                d_first = true;
                d_frame_end = frame_end;
                d_state = PAYLOAD;
                publish_stats();
                break;
            }
            if (d_state == SEARCH) {
                if (!waiting && end > uint64_t(keep()))
                    d_consumed_to = std::max(d_consumed_to, end - keep());
                break;
            }
        }

        // PAYLOAD: one OFDM symbol per pass
        const uint64_t pos = symbol_pos(d_sym);
        if (pos + N > end) {
            d_consumed_to = std::max(d_consumed_to, std::min(pos - cp, end));
            d_need = static_cast<int>(pos + N - d_consumed_to);
            break;
        }
        if (produced + nd > noutput_items)
            break;
        const int m = static_cast<int>(std::min<long>(nd, d_left));
        const int bad = fft_at(in + (pos - base), pos, d_y.data());
        d_bad += bad;
        track_and_equalize(d_y.data(), m, bad);
        if (d_first) {
            add_frame_tags(nitems_written(0) + produced);
            d_first = false;
        }
        for (int j = 0; j < m; j++) {
            gr_complex v = d_out[j] * std::conj(d_L.scr(d_sym, j));
            if (!std::isfinite(v.real()) || !std::isfinite(v.imag())) {
                v = 0;
                d_nonfinite++;
            }
            out[produced + j] = v;
            if (csi_out)
                csi_out[produced + j] = std::isfinite(d_csi[j]) ? d_csi[j] : 0.0f;
        }
        produced += m;
        d_sym++;
        d_left -= m;
        d_consumed_to = std::max(d_consumed_to, pos + N);
        if (d_left == 0) {
            d_frames++;
            d_state = SEARCH;
        }
    }
    if (d_state == PAYLOAD) {
        // the next symbol is all we need: asking for more could end the block early when
        // the stream finishes with this frame
        const uint64_t next = symbol_pos(d_sym) + N;
        d_need = static_cast<int>(next > d_consumed_to ? next - d_consumed_to : 1);
        d_processed = std::min<uint64_t>(d_d, end);
    } else {
        // searching: every sample seen is done with, unless a frame waits for its header
        d_processed = d_waiting_from ? std::min<uint64_t>(d_waiting_from, end) : end;
    }
    consume_each(static_cast<int>(std::min<uint64_t>(d_consumed_to - base, n_in)));
    return produced;
}

} // namespace jscc
} // namespace gr
