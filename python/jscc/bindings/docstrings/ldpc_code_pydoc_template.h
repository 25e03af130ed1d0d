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


 static const char *__doc_gr_jscc_ldpc_code = R"doc(5G NR LDPC code (TS 38.212): encoder and layered min-sum decoder. Bits are uint8 0/1, LLRs float32 log P(0)/P(1). See docs/ldpc.md.)doc";

 static const char *__doc_gr_jscc_ldpc_code_make = R"doc(ldpc_code(name): one of ldpc_codes(); ValueError otherwise.)doc";

 static const char *__doc_gr_jscc_ldpc_code_encode = R"doc(encode(bits uint8[k]) -> uint8[n] transmitted bits (the LSB of each byte is the bit).)doc";

 static const char *__doc_gr_jscc_ldpc_code_encode_batch = R"doc(encode_batch(bits uint8[m, k]) -> uint8[m, n].)doc";

 static const char *__doc_gr_jscc_ldpc_code_encode_codeword = R"doc(encode_codeword(bits uint8[k]) -> uint8[columns]: the whole mother codeword (info, fillers, punctured and untransmitted bits).)doc";

 static const char *__doc_gr_jscc_ldpc_code_decode = R"doc(decode(llr float32[n], max_iter=50) -> (bits uint8[k], ok, iterations). NaN/inf LLRs count as erasures.)doc";

 static const char *__doc_gr_jscc_ldpc_code_decode_batch = R"doc(decode_batch(llr float32[m, n], max_iter=50, threads=0) -> (bits uint8[m, k], ok bool[m], iterations int32[m]); threads 0 uses every core.)doc";

 static const char *__doc_gr_jscc_ldpc_code_parity_check = R"doc(parity_check() -> dict: shape (rows, columns) of the mother code's parity-check matrix, rows/cols int32 arrays of its ones, tx_columns int32[n] (column of each transmitted bit), filler_columns; info bit i is column i, columns absent from tx_columns and filler_columns are punctured or not sent.)doc";
