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



 static const char *__doc_gr_jscc_awgn_cc = R"doc(Complex AWGN channel y = x + n at a given SNR per complex symbol (runtime settable).)doc";

 static const char *__doc_gr_jscc_awgn_cc_awgn_cc = R"doc()doc";

 static const char *__doc_gr_jscc_awgn_cc_make = R"doc(See the block documentation in grc/jscc_awgn_cc.block.yml.)doc";

 static const char *__doc_gr_jscc_awgn_cc_set_snr_db = R"doc()doc";

 static const char *__doc_gr_jscc_awgn_cc_snr_db = R"doc()doc";

 static const char *__doc_gr_jscc_awgn_cc_noise_variance = R"doc()doc";
