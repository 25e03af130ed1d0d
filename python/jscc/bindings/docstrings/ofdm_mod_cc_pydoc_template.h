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


 static const char *__doc_gr_jscc_ofdm_mod_cc = R"doc(OFDM framer and modulator: packets of payload symbols -> baseband frames (docs/ofdm_frame.md).)doc";

 static const char *__doc_gr_jscc_ofdm_mod_cc_ofdm_mod_cc = R"doc()doc";

 static const char *__doc_gr_jscc_ofdm_mod_cc_make = R"doc(See the block documentation in grc/jscc_ofdm_mod_cc.block.yml.)doc";

 static const char *__doc_gr_jscc_ofdm_mod_cc_n_data = R"doc()doc";

 static const char *__doc_gr_jscc_ofdm_mod_cc_max_payload = R"doc()doc";

 static const char *__doc_gr_jscc_ofdm_mod_cc_header_symbols = R"doc()doc";

 static const char *__doc_gr_jscc_ofdm_mod_cc_frames = R"doc()doc";

 static const char *__doc_gr_jscc_ofdm_mod_cc_papr_db = R"doc()doc";

 static const char *__doc_gr_jscc_ofdm_mod_cc_peak_papr_db = R"doc()doc";

 static const char *__doc_gr_jscc_ofdm_mod_cc_clipped_fraction = R"doc()doc";

 static const char *__doc_gr_jscc_ofdm_mod_cc_stray_samples = R"doc()doc";

 static const char *__doc_gr_jscc_ofdm_mod_cc_truncated = R"doc()doc";

 static const char *__doc_gr_jscc_ofdm_mod_cc_rejected = R"doc(Packets dropped whole: too long for the fragment count, or a tag that does not fit its header field.)doc";


 static const char *__doc_gr_jscc_ofdm_mod_cc_burst = R"doc()doc";

 static const char *__doc_gr_jscc_ofdm_mod_cc_frame_len = R"doc()doc";

 static const char *__doc_gr_jscc_ofdm_mod_cc_lead_in = R"doc()doc";
