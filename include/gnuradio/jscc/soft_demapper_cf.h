/* -*- c++ -*- */
/*
 * Copyright 2026 gr-jscc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_JSCC_SOFT_DEMAPPER_CF_H
#define INCLUDED_JSCC_SOFT_DEMAPPER_CF_H

#include <gnuradio/block.h>
#include <gnuradio/jscc/api.h>
#include <string>

namespace gr {
namespace jscc {

/*!
 * \brief Max-log soft demapper: equalised QAM symbols -> LLRs, log P(b=0)/P(b=1).
 * \ingroup jscc
 *
 * Gray-coded square QAM as docs/ofdm_frame.md defines it (gr-jscc's qam_map does the
 * same mapping): BPSK (1 bit), QPSK (2), 16-QAM (4), 64-QAM (6), unit average power.
 * The order is taken per packet from the "bits_per_symbol" tag on the packet's first
 * symbol (else \p bits_per_symbol). Reliability: input 1 (float, per symbol
 * |h|^2/noise_var from ofdm_demod_cc) when connected, else 1/"noise_var" from the tags.
 * Each packet's \p len_tag_key is multiplied by the bits per symbol; other tags pass on.
 */
class JSCC_API soft_demapper_cf : virtual public gr::block
{
public:
    typedef std::shared_ptr<soft_demapper_cf> sptr;
    static sptr make(int bits_per_symbol = 2, const std::string& len_tag_key = "packet_len");
};

} // namespace jscc
} // namespace gr

#endif
