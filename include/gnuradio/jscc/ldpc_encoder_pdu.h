/* -*- c++ -*- */
/*
 * Copyright 2026 gr-jscc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_JSCC_LDPC_ENCODER_PDU_H
#define INCLUDED_JSCC_LDPC_ENCODER_PDU_H

#include <gnuradio/block.h>
#include <gnuradio/jscc/api.h>
#include <cstdint>
#include <string>

namespace gr {
namespace jscc {

/*!
 * \brief LDPC encoder on PDUs: u8 info bits (one 0/1 per byte, a multiple of k) -> u8 coded
 * bits, n per k, codeword after codeword. Metadata passes on.
 * \ingroup jscc
 *
 * Ports "in" and "out". Anything else (not a PDU, not u8, wrong length) is logged, counted
 * (dropped()) and discarded; the block keeps serving. grc/jscc_ldpc_encoder_pdu.block.yml documents it.
 */
class JSCC_API ldpc_encoder_pdu : virtual public gr::block
{
public:
    typedef std::shared_ptr<ldpc_encoder_pdu> sptr;
    //! \p code one of ldpc_code::names().
    static sptr make(const std::string& code = "8192-1/2");
    //! Messages dropped.
    virtual uint64_t dropped() const = 0;
    //! Codewords encoded.
    virtual uint64_t codewords() const = 0;
};

} // namespace jscc
} // namespace gr

#endif
