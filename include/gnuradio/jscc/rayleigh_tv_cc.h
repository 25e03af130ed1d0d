/* -*- c++ -*- */
/*
 * Copyright 2026 gr-jscc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_JSCC_RAYLEIGH_TV_CC_H
#define INCLUDED_JSCC_RAYLEIGH_TV_CC_H

#include <gnuradio/jscc/api.h>
#include <gnuradio/sync_block.h>
#include <cstdint>
#include <string>

namespace gr {
namespace jscc {

/*!
 * \brief Time-varying flat Rayleigh fading plus AWGN: y[n] = h[n] x[n] + w[n].
 * \ingroup jscc
 *
 * h is a unit-power complex Gaussian process with Clarke's Doppler spectrum at
 * maximum Doppler \p doppler_hz, autocorrelation J0(2 pi f_d tau) ("clarke":
 * the sum-of-sinusoids model of Xiao, Zheng & Beaulieu 2006, \p n_sinusoids
 * sinusoids), or its AR(1) approximation ("gauss-markov", correlation
 * J0(2 pi f_d T) per update of T seconds, 0 past J0's first zero). h is updated every
 * \p update_every samples and held in between. The noise follows the average
 * SNR (E|h|^2 = 1), as awgn_cc defines it. With \p known_phase the output is
 * rotated by conj(h[n])/|h[n]|. python/jscc/channels/fading.py is the numpy
 * twin; docs/channels.md has the formulas and measured statistics.
 *
 * Tags: "snr_db" at the first sample and after each SNR change; "chan_h"
 * (complex h[n]) and "chan_snr_db" (snr_db + 10 log10 |h[n]|^2) every
 * \p tag_every samples (0: never).
 */
class JSCC_API rayleigh_tv_cc : virtual public gr::sync_block
{
public:
    typedef std::shared_ptr<rayleigh_tv_cc> sptr;

    /*!
     * \param snr_db average SNR in dB per complex sample.
     * \param doppler_hz maximum Doppler frequency f_d (>= 0; 0: h constant).
     * \param samp_rate sample rate in Hz (> 0).
     * \param known_phase remove the channel phase (receiver knows arg h).
     * \param seed RNG seed; 0 draws a random seed.
     * \param update_every samples per h update (>= 1), e.g. one OFDM symbol.
     * \param tag_every samples between chan_h / chan_snr_db tags (0: none).
     * \param model "clarke" or "gauss-markov".
     * \param n_sinusoids sinusoids of the clarke model (>= 1).
     * \param signal_power nominal input power P per complex sample.
     */
    static sptr make(double snr_db,
                     double doppler_hz,
                     double samp_rate,
                     bool known_phase = false,
                     uint64_t seed = 0,
                     int update_every = 1,
                     int tag_every = 0,
                     const std::string& model = "clarke",
                     int n_sinusoids = 64,
                     double signal_power = 1.0);

    virtual void set_snr_db(double snr_db) = 0;
    virtual double snr_db() const = 0;
    virtual double doppler_hz() const = 0;
    virtual std::string model() const = 0;
    virtual int n_sinusoids() const = 0;
    //! Correlation of h between consecutive updates: J0(2 pi f_d update_every / samp_rate)
    //! (gauss-markov: 0 past J0's first zero).
    virtual double correlation_per_update() const = 0;
    //! h updates so far.
    virtual uint64_t updates() const = 0;
};

} // namespace jscc
} // namespace gr

#endif /* INCLUDED_JSCC_RAYLEIGH_TV_CC_H */
