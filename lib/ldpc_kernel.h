/* -*- c++ -*- */
/*
 * Copyright 2026 gr-jscc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

// Layered normalised min-sum over a quasi-cyclic parity-check matrix, vectorised across the
// Z rows of a block row. Written once over a lane type V (a GCC vector of int16 or plain
// int16); ldpc_kernel.cc compiles it per instruction set. Integer arithmetic without
// overflow (bounds below), so every lane width gives bit-identical results.

#ifndef INCLUDED_JSCC_LDPC_KERNEL_H
#define INCLUDED_JSCC_LDPC_KERNEL_H

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace gr {
namespace jscc {
namespace ldpc_detail {

constexpr int PAD = 32;         // lanes of the widest kernel: guard on both sides of a column
constexpr int MAX_DEG = 32;     // row degree bound (BG1: 19)
constexpr int TSAT = 12000;     // |variable-to-check message| bound
constexpr float LLR_SCALE = 32; // int16 units per LLR unit (saturation at 375)

// |L| <= TSAT + 0.75 TSAT and |L - R| <= 2.5 TSAT = 30000 < 32767: no int16 overflow.

/*!
 * Block rows of the parity-check matrix and the variable (APP) layout: column c holds its Z
 * values twice, at L[c * stride + PAD + i] and [.. + Z + i], so the cyclically shifted slice
 * a block row reads is contiguous: row i of a circulant with shift s meets variable (i + s) mod Z.
 */
struct qc_graph {
    int z = 0;
    int ncols = 0;
    int nrows = 0;
    int stride = 0;           // 2 z + 2 PAD
    std::vector<int> row_ptr; // nrows + 1 edge offsets
    std::vector<int> col;     // per edge, ascending within a row
    std::vector<int> shift;   // per edge, 0..z-1
    std::vector<int> l_off;   // per edge: col * stride + PAD + shift
};

//! Runs up to max_iter iterations on L (APP, int16) and R (check messages, z per edge, zeroed).
using kernel_fn = int (*)(const qc_graph& g, int16_t* L, int16_t* R, int max_iter, bool* ok);

//! LLRs -> int16 units of 1/LLR_SCALE, clamped to +-TSAT, rounded; NaN and inf -> 0.
using quantize_fn = void (*)(const float* llr, int16_t* q, int len);

struct kernel_entry {
    const char* name;
    kernel_fn run;
    quantize_fn quantize;
};
//! Kernels this CPU supports, fastest first; the last is the scalar reference.
const std::vector<kernel_entry>& supported_kernels();

#define JSCC_INLINE inline __attribute__((always_inline))

template <class V>
struct lanes {
    static constexpr int value = sizeof(V) / sizeof(int16_t);
};
template <class V>
JSCC_INLINE V vload(const int16_t* p)
{
    V v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
template <class V>
JSCC_INLINE void vstore(int16_t* p, V v)
{
    std::memcpy(p, &v, sizeof v);
}
template <class V>
JSCC_INLINE V vsplat(int x)
{
    if constexpr (lanes<V>::value == 1) {
        return V(x);
    } else {
        V v;
        for (int i = 0; i < lanes<V>::value; i++)
            v[i] = int16_t(x); // a broadcast (V{} + x inserts lane by lane)
        return v;
    }
}
template <class V>
JSCC_INLINE V vmin(V a, V b)
{
    return a < b ? a : b;
}
template <class V>
JSCC_INLINE V vmax(V a, V b)
{
    return a < b ? b : a;
}
template <class V>
JSCC_INLINE bool any_negative(V v)
{
    if constexpr (lanes<V>::value == 1) {
        return v < 0;
    } else {
        uint64_t w[sizeof(V) / 8], acc = 0;
        std::memcpy(w, &v, sizeof v);
        for (auto x : w)
            acc |= x;
        return acc & 0x8000800080008000ull;
    }
}

//! First row of each chunk of W rows; the last starts at z - W when W does not divide z.
JSCC_INLINE int chunk_start(int c, int nfull, int z, int W) { return c < nfull ? c * W : z - W; }

//! True when every check is satisfied by the signs of L.
template <class V>
JSCC_INLINE bool syndrome_ok(const qc_graph& g, const int16_t* L)
{
    constexpr int W = lanes<V>::value;
    const int nfull = g.z / W, nchunks = nfull + (g.z % W != 0);
    const int* row_ptr = g.row_ptr.data();
    const int* l_off = g.l_off.data();
    for (int r = 0; r < g.nrows; r++) {
        for (int c = 0; c < nchunks; c++) {
            const int i0 = chunk_start(c, nfull, g.z, W);
            V par = V{};
            for (int e = row_ptr[r]; e < row_ptr[r + 1]; e++)
                par ^= vload<V>(L + l_off[e] + i0);
            if (any_negative(par))
                return false;
        }
    }
    return true;
}

template <class V>
JSCC_INLINE int layered_min_sum(const qc_graph& g, int16_t* L, int16_t* R, int max_iter, bool* ok)
{
    constexpr int W = lanes<V>::value;
    const int Z = g.z;
    const int nfull = Z / W, nchunks = nfull + (Z % W != 0);
    // the overlapping last chunk recomputes rows of the one before: idempotent, as T is
    // clamped before R is added back
    const V tsat = vsplat<V>(TSAT), ntsat = vsplat<V>(-TSAT), big = vsplat<V>(0x7fff);
    const V one = vsplat<V>(1);
    // locals: the int16 stores below could otherwise alias the graph's arrays
    const int* row_ptr = g.row_ptr.data();
    const int* l_off = g.l_off.data();
    const int* shift = g.shift.data();
    V tb[MAX_DEG];

    for (int it = 1; it <= max_iter; it++) {
        for (int r = 0; r < g.nrows; r++) {
            const int e0 = row_ptr[r], deg = row_ptr[r + 1] - e0;
            int16_t* Rr = R + e0 * Z;
            for (int c = 0; c < nchunks; c++) {
                const int i0 = chunk_start(c, nfull, Z, W);
                V m1 = big, m2 = big, idx = V{}, sgn = V{}, jv = V{};
                for (int j = 0; j < deg; j++, jv += one) {
                    const V l = vload<V>(L + l_off[e0 + j] + i0);
                    const V t = vmax<V>(vmin<V>(l - vload<V>(Rr + j * Z + i0), tsat), ntsat);
                    tb[j] = t;
                    sgn ^= t;
                    const V a = vmax<V>(t, -t);
                    m2 = vmin<V>(m2, vmax<V>(m1, a));
                    idx = a < m1 ? jv : idx;
                    m1 = vmin<V>(m1, a);
                }
                // normalisation 0.75 = 1 - 1/4
                const V s1 = m1 - (m1 >> 2), s2 = m2 - (m2 >> 2);
                jv = V{};
                for (int j = 0; j < deg; j++, jv += one) {
                    const V t = tb[j];
                    const V mag = idx == jv ? s2 : s1;
                    const V msg = (sgn ^ t) < 0 ? V(-mag) : mag;
                    vstore(Rr + j * Z + i0, msg);
                    const V l = t + msg;
                    const int s = shift[e0 + j], pos = s + i0; // pos in [0, 2Z - W]
                    int16_t* lc = L + l_off[e0 + j] - s;
                    vstore(lc + pos, l);
                    if (pos < Z)
                        vstore(lc + pos + Z, l); // tail may run into the guard
                    if (pos + W > Z)
                        vstore(lc + pos - Z, l); // head may run into the guard
                }
            }
        }
        // early termination; the check stops at the first unsatisfied row, so it is cheap
        // while the decoder has not converged
        if (syndrome_ok<V>(g, L)) {
            *ok = true;
            return it;
        }
    }
    *ok = max_iter == 0 && syndrome_ok<V>(g, L);
    return max_iter;
}

} // namespace ldpc_detail
} // namespace jscc
} // namespace gr

#endif
