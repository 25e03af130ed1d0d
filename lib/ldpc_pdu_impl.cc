/* -*- c++ -*- */
/*
 * Copyright 2026 gr-jscc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "ldpc_pdu_impl.h"
#include <gnuradio/io_signature.h>
#include <stdexcept>
#include <vector>

namespace gr {
namespace jscc {

namespace {
const pmt::pmt_t IN = pmt::mp("in"), OUT = pmt::mp("out");

// A PDU's metadata (a dict, else a new one) and its payload of `unit` items; anything else
// is logged, counted and refused.
bool accept(const pmt::pmt_t& msg,
            bool (*is_type)(pmt::pmt_t),
            const char* type,
            int unit,
            const gr::logger_ptr& log,
            std::atomic<uint64_t>& dropped,
            pmt::pmt_t& meta,
            pmt::pmt_t& data)
{
    std::string why;
    if (!pmt::is_pair(msg) || !pmt::is_uniform_vector(pmt::cdr(msg))) {
        why = "not a PDU (pair of metadata and uniform vector)";
    } else {
        meta = pmt::is_dict(pmt::car(msg)) ? pmt::car(msg) : pmt::make_dict();
        data = pmt::cdr(msg);
        const size_t len = pmt::length(data);
        if (!is_type(data))
            why = std::string("payload is not ") + type;
        else if (len == 0 || len % unit)
            why = "payload of " + std::to_string(len) + " items, not a multiple of " + std::to_string(unit);
    }
    if (!why.empty())
        log->error("dropping message ({} dropped): {}", ++dropped, why);
    return why.empty();
}

// A u8vector of size bytes for the output PDU, and where to write them.
pmt::pmt_t u8_payload(size_t size, uint8_t*& p)
{
    pmt::pmt_t v = pmt::make_u8vector(size, 0);
    size_t len;
    p = pmt::u8vector_writable_elements(v, len);
    return v;
}

template <class B>
void register_ports(B* b)
{
    b->message_port_register_in(IN);
    b->message_port_register_out(OUT);
    b->set_msg_handler(IN, [b](const pmt::pmt_t& msg) { b->handle(msg); });
}
} // namespace

ldpc_encoder_pdu::sptr ldpc_encoder_pdu::make(const std::string& code)
{
    return gnuradio::make_block_sptr<ldpc_encoder_pdu_impl>(code);
}

ldpc_encoder_pdu_impl::ldpc_encoder_pdu_impl(const std::string& code)
    : gr::block("ldpc_encoder_pdu", gr::io_signature::make(0, 0, 0), gr::io_signature::make(0, 0, 0)),
      d_code(ldpc_code::make(code))
{
    register_ports(this);
}

void ldpc_encoder_pdu_impl::handle(const pmt::pmt_t& msg)
{
    pmt::pmt_t meta, data;
    if (!accept(msg, pmt::is_u8vector, "u8 (one bit per byte)", d_code->k(), d_logger, d_dropped, meta, data))
        return;
    size_t len;
    const uint8_t* info = pmt::u8vector_elements(data, len);
    const int count = int(len / d_code->k());
    uint8_t* coded;
    pmt::pmt_t out = u8_payload(size_t(count) * d_code->n(), coded);
    d_code->encode_batch(info, coded, count);
    d_codewords += count;
    message_port_pub(OUT, pmt::cons(meta, out));
}

ldpc_decoder_pdu::sptr ldpc_decoder_pdu::make(const std::string& code, int max_iter, int threads)
{
    return gnuradio::make_block_sptr<ldpc_decoder_pdu_impl>(code, max_iter, threads);
}

ldpc_decoder_pdu_impl::ldpc_decoder_pdu_impl(const std::string& code, int max_iter, int threads)
    : gr::block("ldpc_decoder_pdu", gr::io_signature::make(0, 0, 0), gr::io_signature::make(0, 0, 0)),
      d_code(ldpc_code::make(code)),
      d_max_iter(max_iter),
      d_threads(threads)
{
    if (max_iter < 0 || threads < 0)
        throw std::invalid_argument("ldpc_decoder_pdu: max_iter and threads must be >= 0");
    register_ports(this);
}

void ldpc_decoder_pdu_impl::handle(const pmt::pmt_t& msg)
{
    pmt::pmt_t meta, data;
    if (!accept(msg, pmt::is_f32vector, "f32 (LLRs)", d_code->n(), d_logger, d_dropped, meta, data))
        return;
    size_t len;
    const float* llr = pmt::f32vector_elements(data, len);
    const int count = int(len / d_code->n());
    uint8_t* info;
    pmt::pmt_t out = u8_payload(size_t(count) * d_code->k(), info);
    std::vector<uint8_t> ok(count);
    std::vector<int32_t> iters(count);
    const int failed = d_code->decode_batch(llr,
                                            info,
                                            ok.data(),
                                            iters.data(),
                                            count,
                                            d_max_iter,
                                            d_threads);
    double mean = 0;
    for (int it : iters)
        mean += it;
    d_codewords += count;
    d_failed += failed;
    meta = pmt::dict_add(meta, pmt::mp("ldpc_ok"), pmt::from_bool(failed == 0));
    meta = pmt::dict_add(meta, pmt::mp("ldpc_failed"), pmt::from_long(failed));
    meta = pmt::dict_add(meta, pmt::mp("ldpc_iterations"), pmt::from_double(mean / count));
    message_port_pub(OUT, pmt::cons(meta, out));
}

} // namespace jscc
} // namespace gr
