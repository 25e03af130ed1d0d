/* -*- c++ -*- */
/*
 * Copyright 2026 gr-jscc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_JSCC_OFDM_LAYOUT_H
#define INCLUDED_JSCC_OFDM_LAYOUT_H

#include <gnuradio/gr_complex.h>
#include <gnuradio/jscc/api.h>
#include <vector>

namespace gr {
namespace jscc {

/*!
 * The gr-jscc OFDM frame geometry (docs/ofdm_frame.md), shared by the modulator and the
 * demodulator so both derive identical carriers, pilots and preamble from four numbers.
 *
 * Occupied carriers are -K/2..-1, 1..K/2 (DC empty); n_pilots of them, evenly spread,
 * carry pilots; the rest carry data in increasing frequency order. Frequency-domain
 * values of unit average power map to unit average power in time:
 * x = IFFT(X) / sqrt(K) with an unnormalised inverse FFT.
 */
struct JSCC_API ofdm_layout {
    int fft_len, cp_len, n_occupied, n_pilots;
    std::vector<int> occupied; //!< FFT bins (0..N-1) of occupied carriers, by frequency
    std::vector<int> data;     //!< FFT bins of data carriers
    std::vector<int> pilots;   //!< FFT bins of pilot carriers
    std::vector<int> data_idx;  //!< index into occupied of each data carrier
    std::vector<int> pilot_idx; //!< index into occupied of each pilot carrier
    std::vector<gr_complex> preamble_freq; //!< unit-power QPSK value per occupied carrier
    std::vector<gr_complex> preamble_time; //!< one preamble half (N samples), unit power
    float scale;                           //!< 1/sqrt(K)
    /*!
     * Scrambling: data carrier j of OFDM symbol s (header symbols first) is sent times
     * scr(s, j), a power of j from a fixed xorshift32 sequence. Deep JSCC symbols are
     * spatially correlated and header bits come in runs; unscrambled, neighbouring carriers
     * carry similar values and the time signal gets tall peaks (PAPR ~16 dB instead of ~12).
     */
    static constexpr int SCRAMBLE_LEN = 4096;
    std::vector<gr_complex> scramble;
    //! Scrambling factor of data carrier j in OFDM symbol sym (0: first header symbol).
    gr_complex scr(int sym, int j) const
    {
        return scramble[(static_cast<long>(sym) * n_data() + j) % SCRAMBLE_LEN];
    }

    ofdm_layout(int fft_len, int cp_len, int n_occupied, int n_pilots);

    int n_data() const { return static_cast<int>(data.size()); }
    int symbol_len() const { return fft_len + cp_len; }
    //! CP + two identical halves: detection, timing, CFO, channel and SNR estimation.
    int preamble_len() const { return cp_len + 2 * fft_len; }
    //! OFDM symbols the coded header occupies.
    int header_symbols() const;
    //! Pilot sign of OFDM symbol number sym (header and payload count on): a PN sequence.
    float pilot_polarity(int sym) const;
};

} // namespace jscc
} // namespace gr

#endif
