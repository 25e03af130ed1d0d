/* -*- c++ -*- */
/*
 * Copyright 2026 gr-jscc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_JSCC_OFDM_MOD_CC_IMPL_H
#define INCLUDED_JSCC_OFDM_MOD_CC_IMPL_H

#include <gnuradio/jscc/frame_header.h>
#include "ofdm_layout.h"
#include <gnuradio/fft/fft.h>
#include <gnuradio/jscc/ofdm_mod_cc.h>

namespace gr {
namespace jscc {

class ofdm_mod_cc_impl : public ofdm_mod_cc
{
private:
    ofdm_layout d_L;
    const int d_frame_symbols, d_gap;
    const float d_amp, d_clip; // clip level relative to the nominal RMS (0: off)
    const pmt::pmt_t d_len_key;
    const bool d_burst;
    gr::fft::fft_complex_rev d_ifft;

    enum { IDLE, PAYLOAD } d_state = IDLE;
    std::vector<gr_complex> d_buf; // generated samples waiting for output space
    size_t d_buf_pos = 0;
    frame_header d_hdr;
    long d_pkt_left = 0, d_frag_left = 0;
    int d_sym = 0; // OFDM symbol number in frame (header first)
    bool d_zero_fill = false;
    uint64_t d_pkt_offset = 0; // input offset of the current packet's length tag
    unsigned d_seq = 0, d_next_image_id = 0;
    double d_frame_power = 0, d_frame_peak = 0;
    long d_frame_samples = 0;

    uint64_t d_frames = 0, d_stray = 0, d_truncated = 0, d_rejected = 0, d_clipped = 0, d_payload_samples = 0;
    double d_papr_sum = 0, d_papr_max = 0;

    bool start_packet(long len, const std::vector<tag_t>& tags);
    void start_frame(uint64_t buf_offset, int lead = 0);
    void add_symbol(const gr_complex* data, int n);
    void end_frame();
    void emit(const gr_complex* x, int n, bool clip = false);

public:
    ofdm_mod_cc_impl(int fft_len, int cp_len, int occupied, int pilots, int frame_symbols,
                     int gap, double amplitude, double clip_db, const std::string& len_tag_key,
                     bool burst);

    void forecast(int noutput_items, gr_vector_int& ninput_items_required) override;
    int general_work(int noutput_items,
                     gr_vector_int& ninput_items,
                     gr_vector_const_void_star& input_items,
                     gr_vector_void_star& output_items) override;

    int n_data() const override { return d_L.n_data(); }
    int max_payload() const override { return d_frame_symbols * d_L.n_data(); }
    int header_symbols() const override { return d_L.header_symbols(); }
    int lead_in() const override { return std::max(d_gap, d_L.fft_len); }
    int frame_len(int n_payload) const override;
    uint64_t frames() const override { return d_frames; }
    double papr_db() const override;
    double peak_papr_db() const override;
    double clipped_fraction() const override;
    uint64_t stray_samples() const override { return d_stray; }
    uint64_t truncated() const override { return d_truncated; }
    uint64_t rejected() const override { return d_rejected; }
    bool burst() const override { return d_burst; }
};

} // namespace jscc
} // namespace gr

#endif
