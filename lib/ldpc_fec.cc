/* -*- c++ -*- */
/*
 * Copyright 2026 gr-jscc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <gnuradio/jscc/ldpc_fec.h>
#include <stdexcept>

namespace gr {
namespace jscc {

namespace {
// frames = codewords in frame_size info bits; false (logged, frames kept) unless a multiple of k
bool set_frames(int& frames, unsigned int frame_size, int k, const gr::logger_ptr& log)
{
    if (frame_size == 0 || frame_size % k) {
        log->error("frame size {} is not a multiple of k = {}; keeping {} codewords", frame_size, k, frames);
        return false;
    }
    frames = int(frame_size / k);
    return true;
}
} // namespace

gr::fec::generic_encoder::sptr ldpc_fec_encoder::make(const std::string& code, int frames)
{
    return std::make_shared<ldpc_fec_encoder>(code, frames);
}

ldpc_fec_encoder::ldpc_fec_encoder(const std::string& code, int frames)
    : gr::fec::generic_encoder("ldpc_fec_encoder"), d_code(ldpc_code::make(code)), d_frames(frames)
{
    if (frames < 1)
        throw std::invalid_argument("ldpc_fec_encoder: frames must be >= 1");
}

bool ldpc_fec_encoder::set_frame_size(unsigned int frame_size)
{
    return set_frames(d_frames, frame_size, d_code->k(), d_logger);
}

void ldpc_fec_encoder::generic_work(void* in_buffer, void* out_buffer)
{
    d_code->encode_batch(
        static_cast<const uint8_t*>(in_buffer), static_cast<uint8_t*>(out_buffer), d_frames);
}

gr::fec::generic_decoder::sptr
ldpc_fec_decoder::make(const std::string& code, int max_iter, float llr_scale, int frames)
{
    return std::make_shared<ldpc_fec_decoder>(code, max_iter, llr_scale, frames);
}

ldpc_fec_decoder::ldpc_fec_decoder(const std::string& code, int max_iter, float llr_scale, int frames)
    : gr::fec::generic_decoder("ldpc_fec_decoder"),
      d_code(ldpc_code::make(code)),
      d_max_iter(max_iter),
      d_scale(llr_scale),
      d_frames(frames)
{
    if (max_iter < 0 || frames < 1 || !(llr_scale > 0))
        throw std::invalid_argument(
            "ldpc_fec_decoder: max_iter must be >= 0, frames >= 1, llr_scale > 0");
}

bool ldpc_fec_decoder::set_frame_size(unsigned int frame_size)
{
    return set_frames(d_frames, frame_size, d_code->k(), d_logger);
}

void ldpc_fec_decoder::generic_work(void* in_buffer, void* out_buffer)
{
    const float* x = static_cast<const float*>(in_buffer);
    const size_t len = size_t(d_frames) * d_code->n();
    d_llr.resize(len);
    d_ok.resize(d_frames);
    d_iters.resize(d_frames);
    for (size_t i = 0; i < len; i++)
        d_llr[i] = -d_scale * x[i]; // gr-fec: positive soft value is bit 1
    d_code->decode_batch(d_llr.data(),
                         static_cast<uint8_t*>(out_buffer),
                         d_ok.data(),
                         d_iters.data(),
                         d_frames,
                         d_max_iter,
                         1);
    double sum = 0;
    for (int it : d_iters)
        sum += it;
    d_iterations = float(sum / d_frames);
}

} // namespace jscc
} // namespace gr
