/* -*- c++ -*- */
/*
 * Copyright 2026 gr-jscc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "complex_noise.h"
#include <boost/test/unit_test.hpp>
#include <vector>

namespace gr {
namespace jscc {

BOOST_AUTO_TEST_CASE(test_complex_noise_is_circular_unit_variance)
{
    complex_noise noise(7);
    const int n = 1000000;
    double p = 0, re2 = 0, im2 = 0, reim = 0;
    for (int i = 0; i < n; i++) {
        auto z = noise.draw();
        p += std::norm(z);
        re2 += z.real() * z.real();
        im2 += z.imag() * z.imag();
        reim += z.real() * z.imag();
    }
    BOOST_CHECK_CLOSE(p / n, 1.0, 0.5);    // percent
    BOOST_CHECK_CLOSE(re2 / n, 0.5, 0.5);
    BOOST_CHECK_CLOSE(im2 / n, 0.5, 0.5);
    BOOST_CHECK_SMALL(reim / n, 3e-3);
}

BOOST_AUTO_TEST_CASE(test_complex_noise_add_matches_snr)
{
    complex_noise noise(11);
    const int n = 1000000;
    std::vector<std::complex<float>> x(n, { 1.0f, 0.0f }), y(n);
    const double sigma = complex_noise::sigma_for(10.0, 1.0); // noise power 0.1
    noise.add(x.data(), y.data(), n, { 0.0f, 1.0f }, float(sigma));
    double p = 0;
    for (int i = 0; i < n; i++)
        p += std::norm(y[i] - std::complex<float>(0.0f, 1.0f)); // gain j rotates x
    BOOST_CHECK_CLOSE(p / n, 0.1, 0.5);
}

BOOST_AUTO_TEST_CASE(test_complex_noise_seed_reproducible)
{
    complex_noise a(3), b(3), c(4);
    auto za = a.draw(), zb = b.draw(), zc = c.draw();
    BOOST_CHECK(za == zb);
    BOOST_CHECK(za != zc);
}

} /* namespace jscc */
} /* namespace gr */
