/* -*- c++ -*- */
/*
 * Copyright 2026 gr-jscc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <gnuradio/jscc/ldpc_code.h>
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>

namespace gr {
namespace jscc {

namespace {
std::vector<uint8_t> random_bits(int n, std::mt19937& rng)
{
    std::vector<uint8_t> b(n);
    for (auto& x : b)
        x = rng() & 1;
    return b;
}
// BPSK (0 -> +1) over AWGN at Eb/N0 on information bits, as LLRs 2 y / sigma^2
std::vector<float> awgn_llr(const std::vector<uint8_t>& coded, double rate, double ebn0_db, std::mt19937& rng)
{
    const double sigma2 = 1.0 / (2.0 * rate * std::pow(10.0, ebn0_db / 10.0));
    std::normal_distribution<float> noise(0.0f, float(std::sqrt(sigma2)));
    std::vector<float> llr(coded.size());
    for (size_t i = 0; i < coded.size(); i++)
        llr[i] = float(2.0 * ((coded[i] ? -1.0f : 1.0f) + noise(rng)) / sigma2);
    return llr;
}
} // namespace

BOOST_AUTO_TEST_CASE(test_ldpc_codewords_satisfy_every_check)
{
    std::mt19937 rng(1);
    for (const auto& name : ldpc_code::names()) {
        auto code = ldpc_code::make(name);
        std::vector<int32_t> rows, cols;
        code->parity_check(rows, cols);
        const auto tx = code->tx_columns();
        BOOST_REQUIRE_EQUAL(int(tx.size()), code->n());
        for (int trial = 0; trial < 3; trial++) {
            const auto info = random_bits(code->k(), rng);
            std::vector<uint8_t> cw(code->columns()), coded(code->n());
            code->encode_codeword(info.data(), cw.data());
            code->encode(info.data(), coded.data());
            std::vector<uint8_t> syn(code->check_rows(), 0);
            for (size_t e = 0; e < rows.size(); e++)
                syn[rows[e]] ^= cw[cols[e]];
            int unsatisfied = 0;
            for (auto s : syn)
                unsatisfied += s;
            BOOST_CHECK_EQUAL(unsatisfied, 0);
            for (int i = 0; i < code->k(); i++)
                BOOST_REQUIRE_EQUAL(cw[i], info[i]);
            for (int t = 0; t < code->n(); t++)
                BOOST_REQUIRE_EQUAL(coded[t], cw[tx[t]]);
            for (int f : code->filler_columns())
                BOOST_REQUIRE_EQUAL(cw[f], 0);
        }
    }
}

BOOST_AUTO_TEST_CASE(test_ldpc_every_kernel_gives_identical_results)
{
    std::mt19937 rng(2);
    auto code = ldpc_code::make("6144-1/3"); // Z = 208: lanes do not divide Z
    const auto kernels = ldpc_code::kernels();
    BOOST_REQUIRE(kernels.size() >= 2 && kernels.back() == "scalar");
    for (double ebn0 : { 0.0, 0.6, 1.2 }) {
        const auto info = random_bits(code->k(), rng);
        std::vector<uint8_t> coded(code->n());
        code->encode(info.data(), coded.data());
        const auto llr = awgn_llr(coded, code->rate(), ebn0, rng);
        std::vector<uint8_t> ref(code->k()), out(code->k());
        code->set_kernel("scalar");
        const auto r0 = code->decode(llr.data(), ref.data(), 20);
        for (const auto& k : kernels) {
            code->set_kernel(k);
            const auto r = code->decode(llr.data(), out.data(), 20);
            BOOST_CHECK_EQUAL(r.ok, r0.ok);
            BOOST_CHECK_EQUAL(r.iterations, r0.iterations);
            BOOST_CHECK(out == ref);
        }
    }
    BOOST_CHECK_THROW(code->set_kernel("avx9000"), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(test_ldpc_decodes_noise_and_erasures)
{
    std::mt19937 rng(3);
    for (const auto& name : ldpc_code::names()) {
        auto code = ldpc_code::make(name);
        const auto info = random_bits(code->k(), rng);
        std::vector<uint8_t> coded(code->n()), out(code->k());
        code->encode(info.data(), coded.data());
        auto llr = awgn_llr(coded, code->rate(), 3.0, rng);
        // a tenth erased, some NaN and inf: erasures all
        for (int t = 0; t < code->n(); t += 10)
            llr[t] = 0.0f;
        llr[5] = std::numeric_limits<float>::quiet_NaN();
        llr[17] = std::numeric_limits<float>::infinity();
        llr[33] = -std::numeric_limits<float>::infinity();
        const auto r = code->decode(llr.data(), out.data(), 50);
        BOOST_CHECK(r.ok);
        BOOST_CHECK(out == info);
        // pure noise: no codeword within 50 iterations
        std::normal_distribution<float> g;
        for (auto& x : llr)
            x = g(rng);
        BOOST_CHECK(!code->decode(llr.data(), out.data(), 50).ok);
    }
}

BOOST_AUTO_TEST_CASE(test_ldpc_rejects_bad_arguments)
{
    BOOST_CHECK_THROW(ldpc_code::make("8192-3/4"), std::invalid_argument);
    auto code = ldpc_code::make("8192-1/2");
    BOOST_CHECK_EQUAL(code->n(), 8192);
    BOOST_CHECK_EQUAL(code->k(), 4096);
    BOOST_CHECK_EQUAL(code->z(), 192);
    BOOST_CHECK_EQUAL(code->fillers(), 128);
    std::vector<float> llr(code->n(), 1.0f);
    std::vector<uint8_t> out(code->k());
    BOOST_CHECK_THROW(code->decode(llr.data(), out.data(), -1), std::invalid_argument);
}

} /* namespace jscc */
} /* namespace gr */
