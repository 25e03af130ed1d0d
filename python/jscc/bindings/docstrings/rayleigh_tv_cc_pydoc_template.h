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



 static const char *__doc_gr_jscc_rayleigh_tv_cc = R"doc(Time-varying flat Rayleigh fading plus AWGN: y[n] = h[n] x[n] + w[n], h with Clarke's Doppler spectrum (sum of sinusoids) or its Gauss-Markov approximation.)doc";

 static const char *__doc_gr_jscc_rayleigh_tv_cc_rayleigh_tv_cc = R"doc()doc";

 static const char *__doc_gr_jscc_rayleigh_tv_cc_make = R"doc(See the block documentation in grc/jscc_rayleigh_tv_cc.block.yml.)doc";

 static const char *__doc_gr_jscc_rayleigh_tv_cc_set_snr_db = R"doc(Average SNR in dB; the next output sample gets an snr_db tag.)doc";

 static const char *__doc_gr_jscc_rayleigh_tv_cc_snr_db = R"doc()doc";

 static const char *__doc_gr_jscc_rayleigh_tv_cc_doppler_hz = R"doc()doc";

 static const char *__doc_gr_jscc_rayleigh_tv_cc_model = R"doc("clarke" or "gauss-markov".)doc";

 static const char *__doc_gr_jscc_rayleigh_tv_cc_n_sinusoids = R"doc()doc";

 static const char *__doc_gr_jscc_rayleigh_tv_cc_correlation_per_update = R"doc(Correlation of h between consecutive updates: J0(2 pi f_d update_every / samp_rate), for gauss-markov 0 past J0's first zero (2.405).)doc";

 static const char *__doc_gr_jscc_rayleigh_tv_cc_updates = R"doc(h updates so far.)doc";
