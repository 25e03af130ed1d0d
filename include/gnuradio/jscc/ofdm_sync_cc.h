/* -*- c++ -*- */
/*
 * Copyright 2026 gr-jscc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_JSCC_OFDM_SYNC_CC_H
#define INCLUDED_JSCC_OFDM_SYNC_CC_H

#include <gnuradio/jscc/api.h>
#include <gnuradio/sync_block.h>

namespace gr {
namespace jscc {

/*!
 * \brief Frame detector for the gr-jscc OFDM preamble (Schmidl & Cox on two identical
 * halves of fft_len samples).
 * \ingroup jscc
 *
 * Passes the samples through unchanged and, for each detected preamble, tags the sample
 * at which it decided with "ofdm_sync", a dict: "start" (absolute offset of the
 * coarse frame start, the correlation peak), "cfo" (carrier frequency offset in subcarrier
 * spacings, unambiguous within +-0.5) and "metric". The metric is the normalised
 * correlation |P|^2 / ((E1 + E2) / 2)^2, 1 for a clean preamble, about (SNR / (1 + SNR))^2 in noise,
 * ~1/fft_len for noise alone. Fine timing is left to ofdm_demod_cc, which correlates
 * against the known preamble around "start".
 *
 * Bad samples do not blind it: non-finite ones and isolated spikes (more than 30 dB above
 * the mean power on either side) count as silence in the metric (bad_samples()); the
 * samples themselves pass unchanged (ofdm_demod_cc erases them per frame).
 */
class JSCC_API ofdm_sync_cc : virtual public gr::sync_block
{
public:
    typedef std::shared_ptr<ofdm_sync_cc> sptr;

    static sptr make(int fft_len = 64, int cp_len = 16, double threshold = 0.2);

    virtual void set_threshold(double threshold) = 0;
    virtual double threshold() const = 0;
    virtual uint64_t detections() const = 0;
    //! Input samples the metric treated as silence (non-finite or isolated spikes).
    virtual uint64_t bad_samples() const = 0;
};

} // namespace jscc
} // namespace gr

#endif
