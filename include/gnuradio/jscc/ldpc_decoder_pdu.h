/* -*- c++ -*- */
/*
 * Copyright 2026 gr-jscc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_JSCC_LDPC_DECODER_PDU_H
#define INCLUDED_JSCC_LDPC_DECODER_PDU_H

#include <gnuradio/block.h>
#include <gnuradio/jscc/api.h>
#include <cstdint>
#include <string>

namespace gr {
namespace jscc {

/*!
 * \brief LDPC decoder on PDUs: f32 LLRs log P(0)/P(1) (a multiple of n) -> u8 info bits,
 * k per n. Adds ldpc_ok (every codeword's syndrome satisfied), ldpc_failed (codewords whose
 * was not) and ldpc_iterations (mean) to the metadata, which otherwise passes on.
 * \ingroup jscc
 *
 * Ports "in" and "out". Anything else (not a PDU, not f32, wrong length) is logged, counted
 * (dropped()) and discarded; the block keeps serving. grc/jscc_ldpc_decoder_pdu.block.yml documents it.
 */
class JSCC_API ldpc_decoder_pdu : virtual public gr::block
{
public:
    typedef std::shared_ptr<ldpc_decoder_pdu> sptr;
    /*!
     * \p code one of ldpc_code::names(); \p max_iter >= 0; \p threads decoding threads for
     * a PDU of several codewords (0: all cores).
     */
    static sptr make(const std::string& code = "8192-1/2", int max_iter = 50, int threads = 1);
    //! Messages dropped.
    virtual uint64_t dropped() const = 0;
    //! Codewords decoded, and of those the ones that failed.
    virtual uint64_t codewords() const = 0;
    virtual uint64_t failed() const = 0;
};

} // namespace jscc
} // namespace gr

#endif
