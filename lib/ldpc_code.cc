/* -*- c++ -*- */
/*
 * Copyright 2026 gr-jscc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "ldpc_base_graph.h"
#include "ldpc_kernel.h"
#include <gnuradio/jscc/ldpc_code.h>
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <stdexcept>
#include <thread>

namespace gr {
namespace jscc {

using namespace ldpc_detail;

namespace {

struct code_spec {
    const char* name;
    int n;
    int k;
};
// The Deep JSCC paper's block lengths and rates.
const code_spec SPECS[] = {
    { "8192-1/2", 8192, 4096 },
    { "6144-2/3", 6144, 4096 },
    { "6144-1/3", 6144, 2048 },
};

// TS 38.212 Table 5.3.2-1: the lifting sizes are a * 2^j <= 384 for a in {2,3,5,...,15},
// set index iLS = 0..7 in that order of a (a = 2 covers the powers of two).
int lifting_set(int z)
{
    if (z < 2 || z > 384)
        return -1;
    int a = z;
    while (a % 2 == 0 && a > 2)
        a /= 2;
    if (a == 2)
        return 0;
    return (a % 2 == 1 && a <= 15) ? (a - 1) / 2 : -1;
}

// 64-byte aligned int16 buffer that only grows (one per thread, reused across calls).
struct aligned_buf {
    int16_t* p = nullptr;
    size_t cap = 0;
    int16_t* get(size_t n)
    {
        if (n > cap) {
            std::free(p);
            cap = (n + 31) / 32 * 32;
            p = static_cast<int16_t*>(std::aligned_alloc(64, cap * sizeof(int16_t)));
            if (!p)
                throw std::bad_alloc();
        }
        return p;
    }
    ~aligned_buf() { std::free(p); }
};

// XOR into dst the vector src cyclically shifted by s: dst[i] ^= src[(i + s) mod z].
void xor_shifted(uint8_t* dst, const uint8_t* src, int s, int z)
{
    for (int i = 0; i < z - s; i++)
        dst[i] ^= src[i + s];
    for (int i = z - s; i < z; i++)
        dst[i] ^= src[i + s - z];
}

class ldpc_code_impl : public ldpc_code
{
    static constexpr int FILLER = -1;

    std::string d_name;
    int d_n, d_k, d_bg, d_z, d_sys_cols, d_K;
    qc_graph d_g;
    struct segment {
        int start, len, src; // mother bits start.. take LLRs src.. (FILLER: known zeros)
    };
    std::vector<segment> d_segments; // bits in none are punctured or not sent: erasures
    std::vector<int32_t> d_tx;       // per transmitted bit: mother bit
    // core parity solution (rows 0..3): p_col = shift^-1 (lambda_row + known parities)
    struct core_step {
        int row, col, shift;
    };
    std::vector<core_step> d_core;
    int d_p0_shift = 0;
    const kernel_entry* d_kernel;

public:
    ldpc_code_impl(const code_spec& spec);

    const std::string& name() const override { return d_name; }
    int n() const override { return d_n; }
    int k() const override { return d_k; }
    int base_graph() const override { return d_bg; }
    int z() const override { return d_z; }
    int fillers() const override { return d_K - d_k; }

    void encode(const uint8_t* info, uint8_t* coded) const override
    {
        thread_local std::vector<uint8_t> c;
        c.resize(size_t(d_g.ncols) * d_z);
        encode_codeword(info, c.data());
        for (int t = 0; t < d_n; t++)
            coded[t] = c[d_tx[t]];
    }
    void encode_codeword(const uint8_t* info, uint8_t* c) const override;
    void encode_batch(const uint8_t* info, uint8_t* coded, int count) const override
    {
        for (int i = 0; i < count; i++)
            encode(info + size_t(i) * d_k, coded + size_t(i) * d_n);
    }
    decode_result decode(const float* llr, uint8_t* info, int max_iter) const override;
    int decode_batch(const float* llr,
                     uint8_t* info,
                     uint8_t* ok,
                     int32_t* iterations,
                     int count,
                     int max_iter,
                     int threads) const override;

    std::string kernel() const override { return d_kernel->name; }
    void set_kernel(const std::string& name) override
    {
        for (const auto& k : supported_kernels())
            if (name == k.name) {
                d_kernel = &k;
                return;
            }
        throw std::invalid_argument("ldpc_code: kernel '" + name + "' is not available here");
    }

    int check_rows() const override { return d_g.nrows * d_z; }
    int columns() const override { return d_g.ncols * d_z; }
    void parity_check(std::vector<int32_t>& rows, std::vector<int32_t>& cols) const override;
    std::vector<int32_t> tx_columns() const override { return d_tx; }
    std::vector<int32_t> filler_columns() const override
    {
        std::vector<int32_t> f;
        for (int j = d_k; j < d_K; j++)
            f.push_back(j);
        return f;
    }
};

ldpc_code_impl::ldpc_code_impl(const code_spec& spec)
    : d_name(spec.name), d_n(spec.n), d_k(spec.k), d_kernel(&supported_kernels().front())
{
    // base graph: TS 38.212 7.2.2 with the payload taken as k
    const double R = double(d_k) / d_n;
    d_bg = (d_k <= 292 || (d_k <= 3824 && R <= 0.67) || R <= 0.25) ? 2 : 1;
    d_sys_cols = d_bg == 1 ? nr::BG1_SYS_COLS : nr::BG2_SYS_COLS;
    // 5.3.2: Kb and the smallest Z of Table 5.3.2-1 with Kb Z >= k
    const int kb = d_bg == 1 ? 22 : d_k > 640 ? 10 : d_k > 560 ? 9 : d_k > 192 ? 8 : 6;
    d_z = 0;
    for (int z = 2; z <= 384 && !d_z; z++)
        if (lifting_set(z) >= 0 && kb * z >= d_k)
            d_z = z;
    if (!d_z || d_z < PAD)
        throw std::invalid_argument("ldpc_code: no supported lifting size for k = " + std::to_string(d_k));
    const int Z = d_z, ils = lifting_set(Z);
    d_K = d_sys_cols * Z;
    const int total_cols = d_bg == 1 ? nr::BG1_COLS : nr::BG2_COLS;

    // 5.4.2.1 rv 0: after the 2Z punctured bits, the first n bits that are not fillers
    const int sys_tx = d_k - 2 * Z, parity_tx = d_n - sys_tx;
    if (sys_tx <= 0 || parity_tx <= 0 || parity_tx > (total_cols - d_sys_cols) * Z)
        throw std::invalid_argument("ldpc_code: n out of range for " + d_name);
    d_g.nrows = std::max(4, (parity_tx + Z - 1) / Z); // rows whose parity is (partly) sent
    d_g.ncols = d_sys_cols + d_g.nrows;
    d_g.z = Z;
    d_g.stride = 2 * Z + 2 * PAD;
    d_segments = { { 2 * Z, sys_tx, 0 }, { d_k, d_K - d_k, FILLER }, { d_K, parity_tx, sys_tx } };
    for (int t = 0; t < d_n; t++)
        d_tx.push_back(t < sys_tx ? t + 2 * Z : d_K + t - sys_tx);

    const nr::base_graph_entry* tab = d_bg == 1 ? nr::bg1_table : nr::bg2_table;
    const int entries = d_bg == 1 ? nr::BG1_ENTRIES : nr::BG2_ENTRIES;
    d_g.row_ptr.assign(1, 0);
    for (int r = 0; r < d_g.nrows; r++) {
        for (int e = 0; e < entries; e++)
            if (tab[e].row == r) {
                if (tab[e].col >= d_g.ncols)
                    throw std::logic_error("ldpc_code: base graph row reaches an unused column");
                d_g.col.push_back(tab[e].col);
                d_g.shift.push_back(tab[e].v[ils] % Z);
                d_g.l_off.push_back(tab[e].col * d_g.stride + PAD + d_g.shift.back());
            }
        d_g.row_ptr.push_back(int(d_g.col.size()));
        if (d_g.row_ptr[r + 1] - d_g.row_ptr[r] > MAX_DEG)
            throw std::logic_error("ldpc_code: row degree above MAX_DEG");
    }

    // Encoder plan. The core (rows 0..3, parity columns p0..p0+3) is dual-diagonal: summing
    // the four rows leaves one circulant on p0; each row then adds one unknown parity
    // column. Extension row r >= 4 alone holds parity column p0 + r.
    const int p0 = d_sys_cols;
    int odd = 0;
    std::vector<int> p0_shifts;
    for (int r = 0; r < 4; r++)
        for (int e = d_g.row_ptr[r]; e < d_g.row_ptr[r + 1]; e++)
            if (d_g.col[e] == p0)
                p0_shifts.push_back(d_g.shift[e]);
    for (int s : p0_shifts)
        if (std::count(p0_shifts.begin(), p0_shifts.end(), s) % 2 == 1) {
            d_p0_shift = s;
            odd++;
        }
    if (odd != 1)
        throw std::logic_error("ldpc_code: base graph core is not dual-diagonal");
    std::vector<bool> known(d_g.ncols, false);
    known[p0] = true;
    for (int r = 0; r < 4; r++) {
        int unknown = 0;
        for (int e = d_g.row_ptr[r]; e < d_g.row_ptr[r + 1]; e++)
            if (d_g.col[e] > p0 && !known[d_g.col[e]]) {
                d_core.push_back({ r, d_g.col[e], d_g.shift[e] });
                unknown++;
            }
        if (unknown > 1)
            throw std::logic_error("ldpc_code: base graph core is not dual-diagonal");
        if (unknown)
            known[d_core.back().col] = true;
    }
    for (int r = 4; r < d_g.nrows; r++)
        for (int e = d_g.row_ptr[r]; e < d_g.row_ptr[r + 1]; e++)
            if (d_g.col[e] >= p0 + 4 && d_g.col[e] != p0 + r)
                throw std::logic_error("ldpc_code: extension row holds another parity column");
}

void ldpc_code_impl::encode_codeword(const uint8_t* info, uint8_t* c) const
{
    const int Z = d_z, p0 = d_sys_cols;
    thread_local std::vector<uint8_t> lam, tmp;
    std::fill(c, c + size_t(d_g.ncols) * Z, uint8_t(0));
    lam.assign(4 * size_t(Z), 0);
    for (int i = 0; i < d_k; i++)
        c[i] = info[i] & 1;
    // lambda_r: row r's sum over the systematic columns
    for (int r = 0; r < 4; r++)
        for (int e = d_g.row_ptr[r]; e < d_g.row_ptr[r + 1]; e++)
            if (d_g.col[e] < p0)
                xor_shifted(&lam[r * Z], &c[d_g.col[e] * Z], d_g.shift[e], Z);
    // P(s) x = v  <=>  x[(i + s) mod Z] = v[i]
    auto solve = [Z](uint8_t* x, const uint8_t* v, int s) {
        for (int i = 0; i < Z; i++)
            x[(i + s) % Z] = v[i];
    };
    tmp.assign(Z, 0);
    for (int r = 0; r < 4; r++)
        for (int i = 0; i < Z; i++)
            tmp[i] ^= lam[r * Z + i];
    solve(&c[p0 * Z], tmp.data(), d_p0_shift);
    for (const auto& step : d_core) {
        std::copy(&lam[step.row * Z], &lam[step.row * Z] + Z, tmp.begin());
        for (int e = d_g.row_ptr[step.row]; e < d_g.row_ptr[step.row + 1]; e++)
            if (d_g.col[e] >= p0 && d_g.col[e] != step.col)
                xor_shifted(tmp.data(), &c[d_g.col[e] * Z], d_g.shift[e], Z);
        solve(&c[step.col * Z], tmp.data(), step.shift);
    }
    for (int r = 4; r < d_g.nrows; r++) {
        std::fill(tmp.begin(), tmp.end(), 0);
        int own = 0;
        for (int e = d_g.row_ptr[r]; e < d_g.row_ptr[r + 1]; e++) {
            if (d_g.col[e] == p0 + r)
                own = d_g.shift[e];
            else
                xor_shifted(tmp.data(), &c[d_g.col[e] * Z], d_g.shift[e], Z);
        }
        solve(&c[(p0 + r) * Z], tmp.data(), own);
    }
}

ldpc_code::decode_result ldpc_code_impl::decode(const float* llr, uint8_t* info, int max_iter) const
{
    if (max_iter < 0)
        throw std::invalid_argument("ldpc_code: max_iter must be >= 0");
    const int Z = d_z;
    thread_local aligned_buf lbuf, rbuf, mbuf;
    const size_t bits = size_t(d_g.ncols) * Z;
    int16_t* L = lbuf.get(d_g.ncols * size_t(d_g.stride));
    int16_t* R = rbuf.get(d_g.col.size() * Z);
    int16_t* M = mbuf.get(bits);
    std::fill(R, R + d_g.col.size() * Z, int16_t(0));
    std::fill(M, M + bits, int16_t(0));
    for (const auto& seg : d_segments) {
        int16_t* m = M + seg.start;
        if (seg.src == FILLER) {
            std::fill(m, m + seg.len, int16_t(TSAT));
            continue;
        }
        d_kernel->quantize(llr + seg.src, m, seg.len);
    }
    for (int c = 0; c < d_g.ncols; c++) {
        int16_t* lc = L + c * d_g.stride + PAD;
        std::copy(M + c * Z, M + (c + 1) * Z, lc);
        std::copy(M + c * Z, M + (c + 1) * Z, lc + Z);
    }
    decode_result res;
    res.iterations = d_kernel->run(d_g, L, R, max_iter, &res.ok);
    for (int c = 0; c * Z < d_k; c++) {
        const int16_t* lc = L + c * d_g.stride + PAD;
        for (int i = 0, end = std::min(Z, d_k - c * Z); i < end; i++)
            info[c * Z + i] = lc[i] < 0;
    }
    return res;
}

int ldpc_code_impl::decode_batch(const float* llr,
                                 uint8_t* info,
                                 uint8_t* ok,
                                 int32_t* iterations,
                                 int count,
                                 int max_iter,
                                 int threads) const
{
    if (max_iter < 0)
        throw std::invalid_argument("ldpc_code: max_iter must be >= 0");
    if (count <= 0)
        return 0;
    if (threads <= 0)
        threads = std::max(1u, std::thread::hardware_concurrency());
    threads = std::min(threads, count);
    std::atomic<int> next(0), failed(0);
    auto worker = [&]() {
        for (int i; (i = next.fetch_add(1)) < count;) {
            const auto r = decode(llr + size_t(i) * d_n, info + size_t(i) * d_k, max_iter);
            ok[i] = r.ok;
            iterations[i] = r.iterations;
            if (!r.ok)
                failed++;
        }
    };
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; t++)
        pool.emplace_back(worker);
    worker();
    for (auto& t : pool)
        t.join();
    return failed;
}

void ldpc_code_impl::parity_check(std::vector<int32_t>& rows, std::vector<int32_t>& cols) const
{
    const int Z = d_z;
    rows.clear();
    cols.clear();
    rows.reserve(d_g.col.size() * Z);
    cols.reserve(d_g.col.size() * Z);
    for (int r = 0; r < d_g.nrows; r++)
        for (int i = 0; i < Z; i++)
            for (int e = d_g.row_ptr[r]; e < d_g.row_ptr[r + 1]; e++) {
                rows.push_back(r * Z + i);
                cols.push_back(d_g.col[e] * Z + (i + d_g.shift[e]) % Z);
            }
}

} // namespace

ldpc_code::~ldpc_code() {}

ldpc_code::sptr ldpc_code::make(const std::string& name)
{
    for (const auto& s : SPECS)
        if (name == s.name)
            return std::make_shared<ldpc_code_impl>(s);
    std::string known;
    for (const auto& s : names())
        known += (known.empty() ? "" : ", ") + s;
    throw std::invalid_argument("ldpc_code: unknown code '" + name + "' (known: " + known + ")");
}

std::vector<std::string> ldpc_code::names()
{
    std::vector<std::string> v;
    for (const auto& s : SPECS)
        v.push_back(s.name);
    return v;
}

std::vector<std::string> ldpc_code::kernels()
{
    std::vector<std::string> v;
    for (const auto& k : supported_kernels())
        v.push_back(k.name);
    return v;
}

} // namespace jscc
} // namespace gr
