/* -*- c++ -*- */
/*
 * Copyright 2026 gr-jscc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_JSCC_QAM_H
#define INCLUDED_JSCC_QAM_H

#include <gnuradio/gr_complex.h>
#include <gnuradio/jscc/api.h>

namespace gr {
namespace jscc {

//! True for the orders the module maps: 1, 2, 4, 6 bits per symbol.
JSCC_API bool valid_bits_per_symbol(long bps);

/*!
 * Max-log LLRs log P(b=0)/P(b=1) of Gray square QAM (docs/ofdm_frame.md; coding/qam.py maps
 * the same way), unit average power: llr = csi * (d1^2 - d0^2) per bit, bps per symbol, MSB
 * first, the first half of a symbol's bits on I. csi: per-symbol reliability |h|^2/noise_var
 * (nullptr: \p rel for every symbol). A non-finite symbol or reliability gives LLRs of 0: an
 * erasure, never a poisoned decoder. The one definition both soft_demapper_cf and the Python
 * chunk chain use.
 */
JSCC_API void soft_demap(const gr_complex* y, const float* csi, float rel, int n, int bps, float* llr);

} // namespace jscc
} // namespace gr

#endif
