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


 static const char *__doc_gr_jscc_ofdm_demod_cc = R"doc(OFDM frame demodulator: fine timing, CFO, channel and SNR estimation, coded header, equalised payload.)doc";

 static const char *__doc_gr_jscc_ofdm_demod_cc_ofdm_demod_cc = R"doc()doc";

 static const char *__doc_gr_jscc_ofdm_demod_cc_make = R"doc(See the block documentation in grc/jscc_ofdm_demod_cc.block.yml.)doc";

 static const char *__doc_gr_jscc_ofdm_demod_cc_n_data = R"doc()doc";

 static const char *__doc_gr_jscc_ofdm_demod_cc_max_payload = R"doc()doc";

 static const char *__doc_gr_jscc_ofdm_demod_cc_max_input_needed = R"doc()doc";

 static const char *__doc_gr_jscc_ofdm_demod_cc_detected = R"doc()doc";

 static const char *__doc_gr_jscc_ofdm_demod_cc_headers_ok = R"doc()doc";

 static const char *__doc_gr_jscc_ofdm_demod_cc_header_crc_failures = R"doc()doc";

 static const char *__doc_gr_jscc_ofdm_demod_cc_header_invalid = R"doc()doc";

 static const char *__doc_gr_jscc_ofdm_demod_cc_filtered = R"doc()doc";

 static const char *__doc_gr_jscc_ofdm_demod_cc_missed = R"doc()doc";

 static const char *__doc_gr_jscc_ofdm_demod_cc_frames = R"doc()doc";

 static const char *__doc_gr_jscc_ofdm_demod_cc_nonfinite = R"doc()doc";


 static const char *__doc_gr_jscc_ofdm_demod_cc_bad_samples = R"doc()doc";


 static const char *__doc_gr_jscc_ofdm_demod_cc_processed_to = R"doc()doc";
