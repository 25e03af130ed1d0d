/* -*- c++ -*- */
/*
 * Copyright 2026 gr-jscc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_JSCC_AWGN_CC_H
#define INCLUDED_JSCC_AWGN_CC_H

#include <gnuradio/jscc/api.h>
#include <gnuradio/sync_block.h>
#include <cstdint>
#include <string>

namespace gr {
namespace jscc {

/*!
 * \brief Complex AWGN channel at a given SNR: y = x + n, n ~ CN(0, P / 10^(SNR/10)).
 * \ingroup jscc
 *
 * SNR is defined per complex symbol against the nominal signal power P (1.0 for
 * power-normalised Deep JSCC symbols), as in Bourtsoulatze et al. 2019.
 * The SNR can be changed while the flowgraph runs. Every item carrying a
 * \p len_tag_key tag (and the first item after an SNR change) gets an
 * "snr_db" tag. Non-finite input samples pass through unchanged (the
 * receiver counts them).
 */
class JSCC_API awgn_cc : virtual public gr::sync_block
{
public:
    typedef std::shared_ptr<awgn_cc> sptr;

    /*!
     * \param snr_db SNR in dB per complex symbol.
     * \param signal_power nominal input power P per complex sample.
     * \param seed RNG seed; 0 draws a random seed.
     * \param len_tag_key tag marking packet starts ("" disables the snr_db tags).
     */
    static sptr make(double snr_db,
                     double signal_power = 1.0,
                     uint64_t seed = 0,
                     const std::string& len_tag_key = "packet_len");

    virtual void set_snr_db(double snr_db) = 0;
    virtual double snr_db() const = 0;
    //! Noise variance per complex sample (sum of I and Q variances).
    virtual double noise_variance() const = 0;
};

} // namespace jscc
} // namespace gr

#endif /* INCLUDED_JSCC_AWGN_CC_H */
