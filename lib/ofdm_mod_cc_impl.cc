/* -*- c++ -*- */
/*
 * Copyright 2026 gr-jscc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "ofdm_mod_cc_impl.h"
#include <gnuradio/io_signature.h>
#include <cmath>
#include <stdexcept>

namespace gr {
namespace jscc {

ofdm_mod_cc::sptr ofdm_mod_cc::make(int fft_len, int cp_len, int occupied, int pilots,
                                    int frame_symbols, int gap, double amplitude,
                                    double clip_db, const std::string& len_tag_key,
                                    bool burst)
{
    return gnuradio::make_block_sptr<ofdm_mod_cc_impl>(fft_len, cp_len, occupied, pilots,
                                                       frame_symbols, gap, amplitude, clip_db,
                                                       len_tag_key, burst);
}

ofdm_mod_cc_impl::ofdm_mod_cc_impl(int fft_len, int cp_len, int occupied, int pilots,
                                   int frame_symbols, int gap, double amplitude,
                                   double clip_db, const std::string& len_tag_key,
                                   bool burst)
    : gr::block("ofdm_mod_cc",
                gr::io_signature::make(1, 1, sizeof(gr_complex)),
                gr::io_signature::make(1, 1, sizeof(gr_complex))),
      d_L(fft_len, cp_len, occupied, pilots),
      d_frame_symbols(frame_symbols),
      d_gap(gap),
      d_amp(static_cast<float>(amplitude)),
      d_clip(clip_db > 0 ? static_cast<float>(std::pow(10.0, clip_db / 20.0)) : 0.0f),
      d_len_key(pmt::intern(len_tag_key)),
      d_burst(burst),
      d_ifft(fft_len)
{
    if (frame_symbols < 1 || static_cast<long>(frame_symbols) * d_L.n_data() > 65535)
        throw std::invalid_argument("ofdm_mod: frame_symbols must be >= 1 and carry at most "
                                    "65535 payload symbols per frame");
    if (gap < 0)
        throw std::invalid_argument("ofdm_mod: gap must be >= 0");
    if (!(amplitude > 0) || !std::isfinite(amplitude))
        throw std::invalid_argument("ofdm_mod: amplitude must be finite and > 0");
    if (clip_db < 0 || !std::isfinite(clip_db))
        throw std::invalid_argument("ofdm_mod: clip_db must be >= 0 (0: no clipping)");
    // input tags describe packets, not samples: never let them reach the channel and RX
    set_tag_propagation_policy(TPP_DONT);
}

int ofdm_mod_cc_impl::frame_len(int n) const
{
    const int syms = d_L.header_symbols() + (n + d_L.n_data() - 1) / d_L.n_data();
    return d_L.preamble_len() + syms * d_L.symbol_len() + d_gap;
}

void ofdm_mod_cc_impl::forecast(int, gr_vector_int& req)
{
    if (d_buf_pos < d_buf.size())
        req[0] = 0;
    else if (d_state == IDLE)
        req[0] = 1;
    else
        req[0] = d_zero_fill ? 0 : static_cast<int>(std::min<long>(d_L.n_data(), d_frag_left));
}

void ofdm_mod_cc_impl::emit(const gr_complex* x, int n, bool clip)
{
    for (int i = 0; i < n; i++) {
        gr_complex v = x[i];
        const float p = std::norm(v);
        d_frame_power += p;
        d_frame_peak = std::max<double>(d_frame_peak, p);
        if (clip && d_clip > 0 && p > d_clip * d_clip) {
            v *= d_clip / std::sqrt(p);
            d_clipped++;
        }
        d_buf.push_back(v * d_amp);
    }
    d_frame_samples += n;
}

bool ofdm_mod_cc_impl::start_packet(long len, const std::vector<tag_t>& tags)
{
    frame_header h;
    bool have_id = false;
    for (const auto& t : tags) {
        const int f = frame_header::find(pmt::symbol_to_string(t.key));
        // the transmitter sets these per frame itself
        if (f < 0 || f == frame_header::FRAG_IDX || f == frame_header::FRAG_COUNT ||
            f == frame_header::PAYLOAD_LEN || f == frame_header::SEQ)
            continue;
        const auto fld = static_cast<frame_header::field>(f);
        if (!pmt::is_integer(t.value) || !h.set(fld, pmt::to_long(t.value))) {
            d_logger->error("packet dropped: tag {} = {} does not fit the header field ({} bits)",
                            frame_header::FIELDS[f].name, pmt::write_string(t.value),
                            frame_header::FIELDS[f].bits);
            return false;
        }
        have_id |= fld == frame_header::IMAGE_ID;
    }
    if (!have_id)
        h[frame_header::IMAGE_ID] = d_next_image_id & frame_header::max_value(frame_header::IMAGE_ID);
    d_next_image_id = h[frame_header::IMAGE_ID] + 1;
    h[frame_header::FRAG_COUNT] = static_cast<unsigned>((len + max_payload() - 1) / max_payload());
    h[frame_header::FRAG_IDX] = 0;
    d_hdr = h;
    d_pkt_left = len;
    return true;
}

void ofdm_mod_cc_impl::start_frame(uint64_t buf_offset, int lead)
{
    // d_buf starts at output offset buf_offset; the frame begins where the buffer ends now
    const uint64_t at = buf_offset + d_buf.size();
    add_item_tag(0, at, pmt::intern("frame_start"),
                 pmt::from_long(d_seq & frame_header::max_value(frame_header::SEQ)));
    d_frag_left = std::min<long>(max_payload(), d_pkt_left);
    if (d_burst) {
        // one burst per frame (its lead-in silence and its gap included), tagged as gr-uhd's
        // usrp_sink expects (tx_sob on the first sample, tx_eob on the last) and with its
        // length for length-tagged sinks (gr-soapy's sink: set_length_tag_name("burst_len"))
        const uint64_t first = at - lead;
        const long len = lead + frame_len(static_cast<int>(d_frag_left));
        add_item_tag(0, first, pmt::intern("tx_sob"), pmt::PMT_T);
        add_item_tag(0, first, pmt::intern("burst_len"), pmt::from_long(len));
        add_item_tag(0, first + len - 1, pmt::intern("tx_eob"), pmt::PMT_T);
    }
    d_pkt_left -= d_frag_left;
    d_hdr[frame_header::PAYLOAD_LEN] = static_cast<unsigned>(d_frag_left);
    d_hdr[frame_header::SEQ] = d_seq++ & frame_header::max_value(frame_header::SEQ);
    d_frame_power = d_frame_peak = 0;
    d_frame_samples = 0;
    d_sym = 0;

    const int N = d_L.fft_len, cp = d_L.cp_len;
    const auto& A = d_L.preamble_time;
    emit(A.data() + N - cp, cp);
    emit(A.data(), N);
    emit(A.data(), N);

    const int H = d_L.header_symbols(), nd = d_L.n_data();
    const auto slots = d_hdr.encode(H * nd);
    std::vector<gr_complex> bpsk(nd);
    for (int s = 0; s < H; s++) {
        for (int i = 0; i < nd; i++)
            bpsk[i] = slots[s * nd + i] ? gr_complex(-1) : gr_complex(1);
        add_symbol(bpsk.data(), nd);
    }
}

void ofdm_mod_cc_impl::add_symbol(const gr_complex* data, int n)
{
    const int N = d_L.fft_len, cp = d_L.cp_len;
    gr_complex* f = d_ifft.get_inbuf();
    std::fill(f, f + N, gr_complex(0));
    const float s = d_L.scale;
    for (int i = 0; i < n; i++)
        f[d_L.data[i]] = data[i] * d_L.scr(d_sym, i) * s;
    const float p = d_L.pilot_polarity(d_sym) * s;
    for (int bin : d_L.pilots)
        f[bin] = p;
    d_ifft.execute();
    const gr_complex* t = d_ifft.get_outbuf();
    // only payload is clipped: a distorted preamble or header would bias the channel
    // estimate of the whole frame
    const bool payload = d_sym >= d_L.header_symbols();
    emit(t + N - cp, cp, payload);
    emit(t, N, payload);
    if (payload)
        d_payload_samples += N + cp;
    d_sym++;
}

void ofdm_mod_cc_impl::end_frame()
{
    d_buf.insert(d_buf.end(), d_gap, gr_complex(0));
    if (d_frame_samples > 0 && d_frame_power > 0) {
        const double papr = 10 * std::log10(d_frame_peak * d_frame_samples / d_frame_power);
        d_papr_sum += papr;
        d_papr_max = std::max(d_papr_max, papr);
    }
    d_frames++;
    d_hdr[frame_header::FRAG_IDX]++;
}

int ofdm_mod_cc_impl::general_work(int noutput_items,
                                   gr_vector_int& ninput_items,
                                   gr_vector_const_void_star& input_items,
                                   gr_vector_void_star& output_items)
{
    const auto in = static_cast<const gr_complex*>(input_items[0]);
    auto out = static_cast<gr_complex*>(output_items[0]);
    const int n_in = ninput_items[0];
    const uint64_t base = nitems_read(0);
    int consumed = 0, produced = 0;
    std::vector<tag_t> tags;

    while (produced < noutput_items) {
        if (d_buf_pos < d_buf.size()) {
            const int n = std::min<long>(noutput_items - produced, d_buf.size() - d_buf_pos);
            std::copy(d_buf.begin() + d_buf_pos, d_buf.begin() + d_buf_pos + n, out + produced);
            produced += n;
            d_buf_pos += n;
            continue;
        }
        d_buf.clear();
        d_buf_pos = 0;

        if (d_state == IDLE) {
            if (consumed >= n_in)
                break;
            get_tags_in_range(tags, 0, base + consumed, base + n_in, d_len_key);
            if (tags.empty()) {
                d_stray += n_in - consumed;
                consumed = n_in;
                break;
            }
            const tag_t t = tags.front();
            d_stray += t.offset - base - consumed;
            consumed = static_cast<int>(t.offset - base);
            const long len = pmt::is_integer(t.value) ? pmt::to_long(t.value) : -1;
            const long max_len =
                long(frame_header::max_value(frame_header::FRAG_COUNT)) * max_payload();
            if (len <= 0 || len > max_len) {
                d_logger->error("packet length {} is not in 1..{}: dropped", len, max_len);
                d_rejected++;
                d_stray++;
                consumed++;
                continue;
            }
            get_tags_in_range(tags, 0, t.offset, t.offset + 1);
            if (!start_packet(len, tags)) {
                d_rejected++; // its samples follow as stray ones
                d_stray++;
                consumed++;
                continue;
            }
            d_pkt_offset = t.offset;
            int lead = 0;
            if (d_frames == 0) { // silence before the very first frame, so a receiver sees it begin
                lead = lead_in();
                d_buf.insert(d_buf.end(), lead, gr_complex(0));
            }
            start_frame(nitems_written(0) + produced, lead);
            d_state = PAYLOAD;
            continue;
        }

        // PAYLOAD: one OFDM symbol of the current fragment
        const int m = static_cast<int>(std::min<long>(d_L.n_data(), d_frag_left));
        int take = 0;
        if (!d_zero_fill) {
            const int avail = n_in - consumed;
            get_tags_in_range(
                tags, 0, base + consumed, base + consumed + std::min(m, avail), d_len_key);
            while (!tags.empty() && tags.front().offset == d_pkt_offset)
                tags.erase(tags.begin()); // this packet's own tag
            if (!tags.empty()) {
                // the next packet starts early: finish this frame with zeros
                take = static_cast<int>(tags.front().offset - base - consumed);
                d_zero_fill = true;
                d_truncated++;
                d_logger->warn("packet cut short by the next one; frame completed with zeros");
            } else if (avail < m) {
                break;
            } else {
                take = m;
            }
        }
        std::vector<gr_complex> sym(m, gr_complex(0));
        std::copy(in + consumed, in + consumed + take, sym.begin());
        consumed += take;
        add_symbol(sym.data(), m);
        d_frag_left -= m;
        if (d_frag_left == 0) {
            end_frame();
            if (d_zero_fill)
                d_pkt_left = 0;
            d_zero_fill = false;
            if (d_pkt_left > 0) {
                start_frame(nitems_written(0) + produced); // follows the gap in the buffer
            } else {
                d_state = IDLE;
            }
        }
    }
    consume_each(consumed);
    return produced;
}

double ofdm_mod_cc_impl::papr_db() const { return d_frames ? d_papr_sum / d_frames : 0.0; }
double ofdm_mod_cc_impl::peak_papr_db() const { return d_papr_max; }
double ofdm_mod_cc_impl::clipped_fraction() const
{
    return d_payload_samples ? double(d_clipped) / d_payload_samples : 0.0;
}

} // namespace jscc
} // namespace gr
