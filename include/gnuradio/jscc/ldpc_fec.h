/* -*- c++ -*- */
/*
 * Copyright 2026 gr-jscc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_JSCC_LDPC_FEC_H
#define INCLUDED_JSCC_LDPC_FEC_H

#include <gnuradio/fec/generic_decoder.h>
#include <gnuradio/fec/generic_encoder.h>
#include <gnuradio/jscc/api.h>
#include <gnuradio/jscc/ldpc_code.h>
#include <string>
#include <vector>

namespace gr {
namespace jscc {

/*!
 * \brief The LDPC codes of ldpc_code as gr-fec (FECAPI) encoder objects, for fec.extended_encoder,
 * fec.async_encoder and the tagged encoders: unpacked bits in (k per codeword), unpacked
 * coded bits out (n per codeword).
 * \ingroup jscc
 */
class JSCC_API ldpc_fec_encoder : public gr::fec::generic_encoder
{
    const ldpc_code::sptr d_code;
    int d_frames;
    void generic_work(void* in_buffer, void* out_buffer) override;

public:
    //! \p frames codewords per frame (set_frame_size changes it).
    static gr::fec::generic_encoder::sptr make(const std::string& code, int frames = 1);
    ldpc_fec_encoder(const std::string& code, int frames);
    double rate() override { return d_code->rate(); }
    int get_input_size() override { return d_frames * d_code->k(); }
    int get_output_size() override { return d_frames * d_code->n(); }
    //! \p frame_size information bits, a multiple of k; false (size kept) otherwise.
    bool set_frame_size(unsigned int frame_size) override;
};

/*!
 * \brief The LDPC decoder of ldpc_code as a gr-fec (FECAPI) decoder object, for
 * fec.extended_decoder, fec.async_decoder and the tagged decoders.
 * \ingroup jscc
 *
 * Input: float soft bits in gr-fec's convention, positive for 1 (BPSK 2b - 1 plus noise);
 * LLR = -llr_scale x. Min-sum does not depend on the LLR scale except through the decoder's
 * resolution (1/64) and saturation (187.5), so inputs of order 1 need no scaling.
 * Output: unpacked info bits. get_iterations(): mean iterations of the last frame.
 */
class JSCC_API ldpc_fec_decoder : public gr::fec::generic_decoder
{
    const ldpc_code::sptr d_code;
    const int d_max_iter;
    const float d_scale;
    int d_frames;
    float d_iterations = 0;
    std::vector<float> d_llr;
    std::vector<uint8_t> d_ok;
    std::vector<int32_t> d_iters;
    void generic_work(void* in_buffer, void* out_buffer) override;

public:
    static gr::fec::generic_decoder::sptr
    make(const std::string& code, int max_iter = 50, float llr_scale = 1.0f, int frames = 1);
    ldpc_fec_decoder(const std::string& code, int max_iter, float llr_scale, int frames);
    double rate() override { return d_code->rate(); }
    int get_input_size() override { return d_frames * d_code->n(); }
    int get_output_size() override { return d_frames * d_code->k(); }
    //! \p frame_size information bits, a multiple of k; false (size kept) otherwise.
    bool set_frame_size(unsigned int frame_size) override;
    float get_iterations() override { return d_iterations; }
};

} // namespace jscc
} // namespace gr

#endif
