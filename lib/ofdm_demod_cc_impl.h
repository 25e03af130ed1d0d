/* -*- c++ -*- */
/*
 * Copyright 2026 gr-jscc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_JSCC_OFDM_DEMOD_CC_IMPL_H
#define INCLUDED_JSCC_OFDM_DEMOD_CC_IMPL_H

#include <gnuradio/jscc/frame_header.h>
#include "ofdm_equalizer.h"
#include "ofdm_layout.h"
#include <gnuradio/fft/fft.h>
#include <gnuradio/jscc/ofdm_demod_cc.h>
#include <atomic>
#include <limits>

namespace gr {
namespace jscc {

class ofdm_demod_cc_impl : public ofdm_demod_cc
{
private:
    ofdm_layout d_L;
    const int d_frame_symbols, d_smoothing, d_backoff;
    int d_accept; // -1: all, else the frame type
    const bool d_chan_tags;
    const pmt::pmt_t d_len_key, d_sync_key;
    std::unique_ptr<ofdm_equalizer> d_eq;
    pilot_tracker d_tracker;
    gr::fft::fft_complex_fwd d_fft;
    std::vector<int> d_ksigned;   // signed carrier number per occupied index
    std::vector<gr_complex> d_p2; // the two preamble halves, for fine timing

    enum { SEARCH, PAYLOAD } d_state = SEARCH;
    int d_need;                 // input items wanted from the read position
    uint64_t d_next_tag = 0;  // sync tags before this offset are handled
    uint64_t d_frame_end = 0; // end of the last decoded frame: peaks starting before it are in it
    uint64_t d_consumed_to = 0; // absolute offset consumed so far

    // current frame
    uint64_t d_d = 0; // absolute offset of the first preamble half
    double d_cfo = 0;
    std::vector<gr_complex> d_h;     // channel estimate per occupied carrier
    std::vector<gr_complex> d_h_raw; // preamble-only estimate before smoothing
    std::vector<std::vector<gr_complex>> d_hdr_y;   // header symbols as received
    std::vector<pilot_tracker::state_t> d_hdr_corr; // tracker state at each of them
    float d_nv = 1;
    float d_hpow = 1;   // mean |h|^2 over the occupied carriers
    float d_limit = std::numeric_limits<float>::max(); // power above which a sample is bad
    std::vector<int> d_hdr_bad; // erased samples in each header symbol
    double d_snr_db = 0;
    frame_header d_hdr;
    int d_sym = 0;   // OFDM symbol number after the preamble (header first)
    long d_left = 0; // payload symbols still to output
    bool d_first = false;

    std::vector<gr_complex> d_y, d_yd, d_hd, d_out;
    std::vector<float> d_csi;
    std::vector<gr_complex> d_pilot_y, d_pilot_h;
    std::vector<float> d_pilot_ref;
    std::vector<int> d_pilot_k;
    uint64_t d_detected = 0, d_ok = 0, d_crc = 0, d_invalid = 0, d_filtered = 0, d_missed = 0,
             d_frames = 0, d_nonfinite = 0,
             d_retried = 0, d_bad = 0;
    uint64_t d_waiting_from = 0;           // start of a frame waiting for its header (0: none)
    std::atomic<uint64_t> d_processed{ 0 }; // input before this offset is fully processed

    int keep() const;
    //! Absolute offset of the FFT window of OFDM symbol sym (0: first header symbol).
    uint64_t symbol_pos(int sym) const
    {
        const int N = d_L.fft_len, cp = d_L.cp_len;
        return d_d + 2 * N + uint64_t(sym) * (N + cp) + cp;
    }
    std::vector<gr_complex> header_reference(const std::vector<uint8_t>& slots, int s) const;
    //! FFT of the N samples at x (absolute offset pos), CFO removed; bad samples erased.
    //! Returns how many were erased.
    int fft_at(const gr_complex* x, uint64_t pos, gr_complex* y);
    gr_complex clean(gr_complex v) const;
    float erasure_noise(int bad) const;
    bool try_header(const gr_complex* in, uint64_t base, uint64_t start);
    void track_and_equalize(const gr_complex* y, int n_out, int bad = 0);
    void smooth_estimate();
    void refine_with_header();
    bool retry_header();
    void add_frame_tags(uint64_t offset);
    void publish_stats();

public:
    ofdm_demod_cc_impl(int fft_len, int cp_len, int occupied, int pilots, int frame_symbols,
                       const std::string& equalizer, const std::string& accept, int smoothing,
                       int timing_backoff, bool track_amplitude, bool chan_est_tags,
                       const std::string& len_tag_key);

    void forecast(int noutput_items, gr_vector_int& ninput_items_required) override;
    int general_work(int noutput_items,
                     gr_vector_int& ninput_items,
                     gr_vector_const_void_star& input_items,
                     gr_vector_void_star& output_items) override;

    int n_data() const override { return d_L.n_data(); }
    int max_payload() const override { return d_frame_symbols * d_L.n_data(); }
    int max_input_needed() const override;
    uint64_t detected() const override { return d_detected; }
    uint64_t headers_ok() const override { return d_ok; }
    uint64_t header_crc_failures() const override { return d_crc; }
    uint64_t header_invalid() const override { return d_invalid; }
    uint64_t filtered() const override { return d_filtered; }
    uint64_t missed() const override { return d_missed; }
    uint64_t frames() const override { return d_frames; }
    uint64_t nonfinite() const override { return d_nonfinite; }
    uint64_t bad_samples() const override { return d_bad; }
    uint64_t processed_to() const override { return d_processed; }
};

} // namespace jscc
} // namespace gr

#endif
