/*
 * Copyright 2026 Free Software Foundation, Inc.
 *
 * This file is part of GNU Radio
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 */
#include "pydoc_macros.h"
#define D(...) DOC(gr, jscc, __VA_ARGS__)
/*
  This file contains placeholders for docstrings for the Python bindings.
  Do not edit! These were automatically extracted during the binding process
  and will be overwritten during the build process
 */


 static const char *__doc_gr_jscc_ldpc_fec_encoder_make = R"doc(ldpc_encoder_make(code, frames=1) -> gr-fec generic_encoder: unpacked info bits (k per codeword) -> unpacked coded bits (n), frames codewords per frame, for fec.extended_encoder / fec.async_encoder.)doc";

 static const char *__doc_gr_jscc_ldpc_fec_decoder_make = R"doc(ldpc_decoder_make(code, max_iter=50, llr_scale=1.0, frames=1) -> gr-fec generic_decoder: float soft bits, positive for 1 (gr-fec's convention; LLR = -llr_scale x) -> unpacked info bits, for fec.extended_decoder / fec.async_decoder.)doc";
