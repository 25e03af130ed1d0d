/* -*- c++ -*- */
/*
 * Copyright 2026 gr-jscc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_JSCC_LDPC_BASE_GRAPH_H
#define INCLUDED_JSCC_LDPC_BASE_GRAPH_H

#include <cstdint>

namespace gr {
namespace jscc {
namespace nr {

//! One nonzero of a 5G NR base graph: row i, column j, V_ij for lifting set iLS 0..7.
struct base_graph_entry {
    uint8_t row;
    uint8_t col;
    uint16_t v[8];
};

constexpr int BG1_ENTRIES = 316, BG1_ROWS = 46, BG1_COLS = 68, BG1_SYS_COLS = 22;
constexpr int BG2_ENTRIES = 197, BG2_ROWS = 42, BG2_COLS = 52, BG2_SYS_COLS = 10;
extern const base_graph_entry bg1_table[BG1_ENTRIES];
extern const base_graph_entry bg2_table[BG2_ENTRIES];

} // namespace nr
} // namespace jscc
} // namespace gr

#endif
