/* -*- c++ -*- */
/*
 * Copyright 2026 gr-jscc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_JSCC_OFDM_DEMOD_CC_H
#define INCLUDED_JSCC_OFDM_DEMOD_CC_H

#include <gnuradio/block.h>
#include <gnuradio/jscc/api.h>
#include <string>

namespace gr {
namespace jscc {

/*!
 * \brief OFDM frame demodulator: synchronised baseband -> equalised payload symbols.
 * \ingroup jscc
 *
 * Input: samples tagged by ofdm_sync_cc. For each "ofdm_sync" tag the block times the
 * frame by correlating with the known preamble, refines the CFO, estimates the channel
 * (average of the two preamble halves, smoothed across \p smoothing carriers after
 * removing the timing phase ramp) and the noise (their difference), decodes the coded
 * header (soft Viterbi, CRC-16) and, if it is valid and its frame type is accepted,
 * equalises the payload symbols (\p equalizer "zf" or "mmse"; pilots track common phase,
 * phase slope and amplitude per OFDM symbol; nothing is ever sliced).
 *
 * Output 0: payload symbols as a tagged stream: \p len_tag_key (payload length) and the
 * header fields ("frame_type", "bits_per_symbol", "model_id", "image_id", "frag_idx",
 * "frag_count", "seq", "height", "width"), "snr_db" (estimated channel SNR per time
 * sample, the definition awgn_cc uses), "noise_var" (per-carrier noise variance, unit
 * signal power), "cfo" (subcarrier spacings), "rx_sample" (the frame's input offset) and,
 * with \p chan_est_tags, "chan_est" (complex estimate per occupied carrier).
 * Optional output 1 (float): each symbol's post-equalisation SNR |h|^2/noise_var, the
 * weight a soft demapper needs. Non-finite samples are output as 0 and counted.
 *
 * Bad input samples (NaN, inf, or more than 40 dB above the median power of the frame's
 * preamble) are erasures: zeroed and counted (bad_samples()). In the preamble a bad sample is
 * repaired from the other half; a header or payload symbol with erasures is left out of the
 * channel, noise and phase estimates, the pilot loop only predicts across it, and its soft
 * weights (csi, MMSE) carry the distortion the erasure adds. One bad sample never moves the
 * estimator state of the rest of the frame.
 *
 * Message port "stats": a dict of counters after every decoded or failed header.
 */
class JSCC_API ofdm_demod_cc : virtual public gr::block
{
public:
    typedef std::shared_ptr<ofdm_demod_cc> sptr;

    static sptr make(int fft_len = 64,
                     int cp_len = 16,
                     int occupied = 52,
                     int pilots = 4,
                     int frame_symbols = 64,
                     const std::string& equalizer = "zf",
                     const std::string& accept = "all",
                     int smoothing = 5,
                     int timing_backoff = 2,
                     bool track_amplitude = true,
                     bool chan_est_tags = false,
                     const std::string& len_tag_key = "packet_len");

    virtual int n_data() const = 0;
    virtual int max_payload() const = 0;
    //! Input samples the block may need at once (size the upstream buffer for it).
    virtual int max_input_needed() const = 0;
    //! Sync tags seen, headers decoded / failing the CRC / implausible, frames of a
    //! type not accepted, tags that came too late to use, frames delivered.
    virtual uint64_t detected() const = 0;
    virtual uint64_t headers_ok() const = 0;
    virtual uint64_t header_crc_failures() const = 0;
    virtual uint64_t header_invalid() const = 0;
    virtual uint64_t filtered() const = 0;
    virtual uint64_t missed() const = 0;
    virtual uint64_t frames() const = 0;
    virtual uint64_t nonfinite() const = 0;
    //! Input samples erased as bad (non-finite or huge).
    virtual uint64_t bad_samples() const = 0;
    //! Absolute input offset before which every sample has been fully processed (frames
    //! delivered or given up): receivers decide completion on it, not on idle time.
    virtual uint64_t processed_to() const = 0;
};

} // namespace jscc
} // namespace gr

#endif
