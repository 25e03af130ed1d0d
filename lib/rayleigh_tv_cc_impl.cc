/* -*- c++ -*- */
/*
 * Copyright 2026 gr-jscc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "rayleigh_tv_cc_impl.h"
#include <gnuradio/io_signature.h>
#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace gr {
namespace jscc {

namespace {

void require(bool ok, const char* what)
{
    if (!ok)
        throw std::invalid_argument(std::string("rayleigh_tv_cc: ") + what);
}

// Checks every argument before the process draws its parameters (member initialisation order).
fading_process make_process(const std::string& model,
                            double doppler_hz,
                            double samp_rate,
                            int update_every,
                            int tag_every,
                            int n_sinusoids,
                            double signal_power,
                            complex_noise& rng)
{
    require(std::isfinite(doppler_hz) && doppler_hz >= 0.0,
            "doppler_hz must be finite and >= 0");
    require(std::isfinite(samp_rate) && samp_rate > 0.0, "samp_rate must be finite and > 0");
    require(update_every >= 1, "update_every must be >= 1");
    require(tag_every >= 0, "tag_every must be >= 0");
    require(n_sinusoids >= 1, "n_sinusoids must be >= 1");
    require(std::isfinite(signal_power) && signal_power > 0.0,
            "signal_power must be finite and > 0");
    return fading_process(
        fading_process::parse(model), doppler_hz, update_every / samp_rate, n_sinusoids, rng);
}

} // namespace

rayleigh_tv_cc::sptr rayleigh_tv_cc::make(double snr_db,
                                          double doppler_hz,
                                          double samp_rate,
                                          bool known_phase,
                                          uint64_t seed,
                                          int update_every,
                                          int tag_every,
                                          const std::string& model,
                                          int n_sinusoids,
                                          double signal_power)
{
    return gnuradio::make_block_sptr<rayleigh_tv_cc_impl>(snr_db,
                                                          doppler_hz,
                                                          samp_rate,
                                                          known_phase,
                                                          seed,
                                                          update_every,
                                                          tag_every,
                                                          model,
                                                          n_sinusoids,
                                                          signal_power);
}

rayleigh_tv_cc_impl::rayleigh_tv_cc_impl(double snr_db,
                                         double doppler_hz,
                                         double samp_rate,
                                         bool known_phase,
                                         uint64_t seed,
                                         int update_every,
                                         int tag_every,
                                         const std::string& model,
                                         int n_sinusoids,
                                         double signal_power)
    : gr::sync_block("rayleigh_tv_cc",
                     gr::io_signature::make(1, 1, sizeof(gr_complex)),
                     gr::io_signature::make(1, 1, sizeof(gr_complex))),
      d_doppler_hz(doppler_hz),
      d_known_phase(known_phase),
      d_update_every(update_every),
      d_tag_every(tag_every),
      d_model(model),
      d_n_sinusoids(n_sinusoids),
      d_power(signal_power),
      d_noise(seed),
      d_proc(make_process(model,
                          doppler_hz,
                          samp_rate,
                          update_every,
                          tag_every,
                          n_sinusoids,
                          signal_power,
                          d_noise)),
      d_h(1.0f, 0.0f),
      d_derot(1.0f, 0.0f),
      d_left(0),
      d_updates(0),
      d_tag_left(0)
{
    set_snr_db(snr_db);
}

void rayleigh_tv_cc_impl::set_snr_db(double snr_db)
{
    require(!std::isnan(snr_db), "snr_db is NaN");
    gr::thread::scoped_lock guard(d_setlock);
    d_snr_db = snr_db;
    d_sigma = complex_noise::sigma_for(snr_db, d_power);
    d_snr_changed = true;
}

int rayleigh_tv_cc_impl::work(int noutput_items,
                              gr_vector_const_void_star& input_items,
                              gr_vector_void_star& output_items)
{
    auto in = static_cast<const gr_complex*>(input_items[0]);
    auto out = static_cast<gr_complex*>(output_items[0]);
    gr::thread::scoped_lock guard(d_setlock);
    const uint64_t base = nitems_read(0);
    static const pmt::pmt_t k_snr = pmt::intern("snr_db");
    static const pmt::pmt_t k_h = pmt::intern("chan_h");
    static const pmt::pmt_t k_inst = pmt::intern("chan_snr_db");

    if (d_snr_changed) {
        add_item_tag(0, base, k_snr, pmt::from_double(d_snr_db), alias_pmt());
        d_snr_changed = false;
    }
    // Segments end at an h update or a tag; every draw happens in stream order, so the
    // output does not depend on how the scheduler cuts the stream.
    int pos = 0;
    while (pos < noutput_items) {
        const uint64_t at = base + pos;
        if (d_left == 0) {
            d_h = d_proc.next(d_noise);
            const float mag = std::max(std::abs(d_h), 1e-30f);
            d_derot = d_known_phase ? std::conj(d_h) / mag : gr_complex(1.0f, 0.0f);
            d_left = d_update_every;
            d_updates++;
        }
        int run = std::min(d_left, noutput_items - pos);
        if (d_tag_every > 0) {
            if (d_tag_left == 0) {
                const double g = std::max(double(std::norm(d_h)), 1e-60);
                add_item_tag(0, at, k_h, pmt::from_complex(d_h), alias_pmt());
                add_item_tag(
                    0, at, k_inst, pmt::from_double(d_snr_db + 10.0 * std::log10(g)), alias_pmt());
                d_tag_left = d_tag_every;
            }
            run = std::min(run, d_tag_left);
            d_tag_left -= run;
        }
        // noise is drawn unrotated then rotated with the signal: still CN(0, sigma^2)
        d_noise.add(in + pos, out + pos, run, d_h, d_sigma);
        if (d_known_phase)
            for (int i = pos; i < pos + run; i++)
                out[i] *= d_derot;
        pos += run;
        d_left -= run;
    }
    return noutput_items;
}

} /* namespace jscc */
} /* namespace gr */
