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


 static const char *__doc_gr_jscc_soft_demapper_cf = R"doc(Max-log soft demapper for Gray QAM: LLRs log P(0)/P(1).)doc";

 static const char *__doc_gr_jscc_soft_demapper_cf_soft_demapper_cf = R"doc()doc";

 static const char *__doc_gr_jscc_soft_demapper_cf_make = R"doc(See the block documentation in grc/jscc_soft_demapper_cf.block.yml.)doc";
