/* -*- c++ -*- */
/*
 * Copyright 2026 gr-jscc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_JSCC_OFDM_MOD_CC_H
#define INCLUDED_JSCC_OFDM_MOD_CC_H

#include <gnuradio/block.h>
#include <gnuradio/jscc/api.h>
#include <string>

namespace gr {
namespace jscc {

/*!
 * \brief OFDM framer and modulator: packets of payload symbols -> baseband frames.
 * \ingroup jscc
 *
 * Input: a complex stream of packets, each starting with a \p len_tag_key tag. A packet
 * (an image's Deep JSCC symbols, or QAM symbols of a digital payload) is split into
 * fragments of at most frame_symbols * n_data symbols; each fragment becomes one frame:
 * preamble (CP + two identical halves), the coded BPSK header, the payload OFDM symbols
 * with pilots, then \p gap zero samples (docs/ofdm_frame.md). The very first frame is
 * preceded by max(gap, fft_len) zeros.
 *
 * Header fields come from tags of the same names on the packet's first item (the field
 * table frame_header::FIELDS: "frame_type", "bits_per_symbol", "fec", "model_id",
 * "image_id", "chunk", "chunk_count", "height", "width"; integers); missing ones are 0
 * (chunk_count 1, image_id a running count). A packet whose tag value does not fit its
 * field is dropped whole and counted (rejected()): nothing is sent wrapped.
 *
 * Output power: unit-power payload symbols give unit average power over the frame
 * (gaps excluded), times \p amplitude. With \p clip_db > 0 payload samples whose
 * magnitude exceeds clip_db above that RMS are limited (phase kept), which bounds the PAPR;
 * preamble and header (PAPR ~10 dB) are never clipped, so the channel estimate stays clean.
 * Each frame starts with a "frame_start" tag (value: sequence number).
 *
 * \p burst: for radios that transmit in bursts. Each frame (with the lead-in silence before
 * the first one, and its gap) is one burst: "tx_sob" on its first sample, "tx_eob" on its
 * last (what gr-uhd's usrp_sink expects: the radio stops cleanly between bursts instead of
 * underflowing while the next image is encoded) and "burst_len" (its length in samples) on
 * the first, for length-tagged sinks such as gr-soapy's (set_length_tag_name). The samples
 * are the same in both modes; continuous mode (the default) adds no burst tags.
 */
class JSCC_API ofdm_mod_cc : virtual public gr::block
{
public:
    typedef std::shared_ptr<ofdm_mod_cc> sptr;

    static sptr make(int fft_len = 64,
                     int cp_len = 16,
                     int occupied = 52,
                     int pilots = 4,
                     int frame_symbols = 64,
                     int gap = 64,
                     double amplitude = 1.0,
                     double clip_db = 0.0,
                     const std::string& len_tag_key = "packet_len",
                     bool burst = false);

    //! Data carriers per OFDM symbol.
    virtual int n_data() const = 0;
    //! Most payload symbols one frame carries.
    virtual int max_payload() const = 0;
    virtual int header_symbols() const = 0;
    //! Zero samples before the very first frame: max(gap, fft_len).
    virtual int lead_in() const = 0;
    //! Samples of a frame carrying n payload symbols, gap included.
    virtual int frame_len(int n_payload) const = 0;
    virtual uint64_t frames() const = 0;
    //! Mean and highest per-frame PAPR (dB, before clipping).
    virtual double papr_db() const = 0;
    virtual double peak_papr_db() const = 0;
    //! Fraction of payload samples the clipper limited.
    virtual double clipped_fraction() const = 0;
    //! Input samples outside any packet (dropped) and packets cut short by the next one.
    virtual uint64_t stray_samples() const = 0;
    virtual uint64_t truncated() const = 0;
    //! Packets dropped whole: a length beyond what the header's fragment count can carry,
    //! or a tag value that does not fit its header field (nothing is sent wrapped).
    virtual uint64_t rejected() const = 0;
    //! Burst mode (tx_sob / tx_eob / burst_len tags per frame) or continuous.
    virtual bool burst() const = 0;
};

} // namespace jscc
} // namespace gr

#endif
