/* -*- c++ -*- */
/*
 * Copyright 2026 gr-jscc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

// The one kernel template, instantiated per instruction set and picked at run time, so a
// portable build still runs AVX-512 / AVX2 where the CPU has them.

#include "ldpc_kernel.h"

namespace gr {
namespace jscc {
namespace ldpc_detail {

namespace {

// branch-free so that it vectorises (the file is built with -fno-trapping-math)
JSCC_INLINE void quantize(const float* llr, int16_t* q, int len)
{
    for (int i = 0; i < len; i++) {
        float v = llr[i] * LLR_SCALE;
        const int finite = (v - v) == 0.0f; // 0 for NaN and inf
        v = v < -TSAT ? -TSAT : v;
        v = v > TSAT ? TSAT : v;
        q[i] = int16_t(int(v + (v < 0.0f ? -0.5f : 0.5f)) * finite);
    }
}

typedef int16_t v8 __attribute__((vector_size(16)));
typedef int16_t v16 __attribute__((vector_size(32)));
typedef int16_t v32 __attribute__((vector_size(64)));

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("avx512f,avx512bw"))) int
run_avx512(const qc_graph& g, int16_t* L, int16_t* R, int max_iter, bool* ok)
{
    return layered_min_sum<v32>(g, L, R, max_iter, ok);
}
__attribute__((target("avx512f,avx512bw"))) void quantize_avx512(const float* x, int16_t* q, int n)
{
    quantize(x, q, n);
}
__attribute__((target("avx2"))) int
run_avx2(const qc_graph& g, int16_t* L, int16_t* R, int max_iter, bool* ok)
{
    return layered_min_sum<v16>(g, L, R, max_iter, ok);
}
__attribute__((target("avx2"))) void quantize_avx2(const float* x, int16_t* q, int n)
{
    quantize(x, q, n);
}
#endif
void quantize_generic(const float* x, int16_t* q, int n) { quantize(x, q, n); }
int run_vec128(const qc_graph& g, int16_t* L, int16_t* R, int max_iter, bool* ok)
{
    return layered_min_sum<v8>(g, L, R, max_iter, ok);
}
int run_scalar(const qc_graph& g, int16_t* L, int16_t* R, int max_iter, bool* ok)
{
    return layered_min_sum<int16_t>(g, L, R, max_iter, ok);
}

std::vector<kernel_entry> detect()
{
    std::vector<kernel_entry> k;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw"))
        k.push_back({ "avx512", run_avx512, quantize_avx512 });
    if (__builtin_cpu_supports("avx2"))
        k.push_back({ "avx2", run_avx2, quantize_avx2 });
#endif
    k.push_back({ "vec128", run_vec128, quantize_generic }); // SSE2 / NEON / generic 128-bit code
    k.push_back({ "scalar", run_scalar, quantize_generic });
    return k;
}

} // namespace

const std::vector<kernel_entry>& supported_kernels()
{
    static const std::vector<kernel_entry> k = detect();
    return k;
}

} // namespace ldpc_detail
} // namespace jscc
} // namespace gr
