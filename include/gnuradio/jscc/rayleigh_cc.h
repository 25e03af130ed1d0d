/* -*- c++ -*- */
/*
 * Copyright 2026 gr-jscc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_JSCC_RAYLEIGH_CC_H
#define INCLUDED_JSCC_RAYLEIGH_CC_H

#include <gnuradio/jscc/api.h>
#include <gnuradio/sync_block.h>
#include <cstdint>
#include <string>

namespace gr {
namespace jscc {

/*!
 * \brief Slow Rayleigh block fading plus AWGN: y = h x + n, h ~ CN(0, 1).
 * \ingroup jscc
 *
 * h is drawn afresh at every \p len_tag_key tag (one h per packet, i.e. per
 * image for Deep JSCC) or, with \p block_len > 0, every \p block_len samples,
 * and held constant in between. The noise is set by the average SNR
 * (E|h|^2 = 1). With \p known_phase the output is rotated by conj(h)/|h|, the
 * receiver knowing the channel phase as in the paper's Kodak fading runs.
 *
 * Each fading block starts with tags "chan_h" (complex h), "snr_db" (average
 * SNR) and "chan_snr_db" (instantaneous SNR, snr_db + 10 log10 |h|^2).
 */
class JSCC_API rayleigh_cc : virtual public gr::sync_block
{
public:
    typedef std::shared_ptr<rayleigh_cc> sptr;

    /*!
     * \param snr_db average SNR in dB per complex symbol.
     * \param block_len samples per fading block; 0: one block per len_tag_key packet.
     * \param known_phase remove the channel phase (receiver knows arg h).
     * \param seed RNG seed; 0 draws a random seed.
     * \param len_tag_key tag that starts a packet (used when block_len is 0).
     * \param signal_power nominal input power P per complex sample.
     */
    static sptr make(double snr_db,
                     int block_len = 0,
                     bool known_phase = false,
                     uint64_t seed = 0,
                     const std::string& len_tag_key = "packet_len",
                     double signal_power = 1.0);

    virtual void set_snr_db(double snr_db) = 0;
    virtual double snr_db() const = 0;
    //! Fading blocks started so far.
    virtual uint64_t blocks() const = 0;
};

} // namespace jscc
} // namespace gr

#endif /* INCLUDED_JSCC_RAYLEIGH_CC_H */
