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


 static const char *__doc_gr_jscc_ofdm_sync_cc = R"doc(Schmidl & Cox frame detector for the gr-jscc OFDM preamble; tags ofdm_sync with start, cfo, metric.)doc";

 static const char *__doc_gr_jscc_ofdm_sync_cc_ofdm_sync_cc = R"doc()doc";

 static const char *__doc_gr_jscc_ofdm_sync_cc_make = R"doc(See the block documentation in grc/jscc_ofdm_sync_cc.block.yml.)doc";

 static const char *__doc_gr_jscc_ofdm_sync_cc_threshold = R"doc()doc";

 static const char *__doc_gr_jscc_ofdm_sync_cc_detections = R"doc()doc";


 static const char *__doc_gr_jscc_ofdm_sync_cc_bad_samples = R"doc()doc";

 static const char *__doc_gr_jscc_ofdm_sync_cc_set_threshold = R"doc()doc";
