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


 static const char *__doc_gr_jscc_ldpc_decoder_pdu = R"doc(LDPC decoder on PDUs: f32 LLRs -> u8 info bits, with ldpc_ok / ldpc_failed / ldpc_iterations metadata.)doc";

 static const char *__doc_gr_jscc_ldpc_decoder_pdu_ldpc_decoder_pdu = R"doc()doc";

 static const char *__doc_gr_jscc_ldpc_decoder_pdu_make = R"doc(See the block documentation in grc/jscc_ldpc_decoder_pdu.block.yml.)doc";
