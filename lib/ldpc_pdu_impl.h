/* -*- c++ -*- */
/*
 * Copyright 2026 gr-jscc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_JSCC_LDPC_PDU_IMPL_H
#define INCLUDED_JSCC_LDPC_PDU_IMPL_H

#include <gnuradio/jscc/ldpc_code.h>
#include <gnuradio/jscc/ldpc_decoder_pdu.h>
#include <gnuradio/jscc/ldpc_encoder_pdu.h>
#include <atomic>

namespace gr {
namespace jscc {

class ldpc_encoder_pdu_impl : public ldpc_encoder_pdu
{
    const ldpc_code::sptr d_code;
    std::atomic<uint64_t> d_dropped{ 0 }, d_codewords{ 0 };

public:
    explicit ldpc_encoder_pdu_impl(const std::string& code);
    void handle(const pmt::pmt_t& msg);
    uint64_t dropped() const override { return d_dropped; }
    uint64_t codewords() const override { return d_codewords; }
};

class ldpc_decoder_pdu_impl : public ldpc_decoder_pdu
{
    const ldpc_code::sptr d_code;
    const int d_max_iter, d_threads;
    std::atomic<uint64_t> d_dropped{ 0 }, d_codewords{ 0 }, d_failed{ 0 };

public:
    ldpc_decoder_pdu_impl(const std::string& code, int max_iter, int threads);
    void handle(const pmt::pmt_t& msg);
    uint64_t dropped() const override { return d_dropped; }
    uint64_t codewords() const override { return d_codewords; }
    uint64_t failed() const override { return d_failed; }
};

} // namespace jscc
} // namespace gr

#endif
