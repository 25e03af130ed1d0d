/* -*- c++ -*- */
/*
 * Copyright 2026 gr-jscc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "fading_process.h"
#include <boost/test/unit_test.hpp>
#include <vector>

namespace gr {
namespace jscc {

// The phasor recursion with its periodic resync must stay on the exact sum of sinusoids,
// across resync boundaries and far into the stream.
BOOST_AUTO_TEST_CASE(test_clarke_recursion_matches_exact_sum)
{
    const int m = 16;
    const double fd = 37.0, step = 1.0 / 2000.0;
    complex_noise rng(5), ref(5);
    fading_process p(fading_process::kind::clarke, fd, step, m, rng);
    std::vector<double> theta(m), phi(m);
    for (auto& t : theta)
        t = ref.angle();
    for (auto& f : phi)
        f = ref.angle();
    double worst = 0;
    for (int k = 0; k < 200000; k++) {
        const std::complex<float> h = p.next(rng);
        if (k % 997 && k % 1024 > 2 && k % 1024 < 1022)
            continue; // check near every resync and at a spread of other updates
        std::complex<double> s = 0;
        for (int n = 0; n < m; n++) {
            const double a = (2 * M_PI * (n + 1) + theta[n]) / m;
            s += std::polar(1.0, phi[n] + 2 * M_PI * fd * step * std::cos(a) * k);
        }
        s /= std::sqrt(double(m));
        worst = std::max(worst, std::abs(std::complex<double>(h) - s));
    }
    BOOST_CHECK_SMALL(worst, 1e-5);
}

BOOST_AUTO_TEST_CASE(test_gauss_markov_rho_and_power)
{
    complex_noise rng(9);
    fading_process p(fading_process::kind::gauss_markov, 10.0, 1e-3, 1, rng);
    BOOST_CHECK_CLOSE(p.rho(), std::cyl_bessel_j(0.0, 2 * M_PI * 10.0 * 1e-3), 1e-9);
    double pw = 0;
    const int n = 400000;
    for (int k = 0; k < n; k++)
        pw += std::norm(p.next(rng));
    BOOST_CHECK_CLOSE(pw / n, 1.0, 5.0); // correlation time ~ 50 updates: ~8000 independent draws
    complex_noise r2(1);
    fading_process fast(fading_process::kind::gauss_markov, 10.0, 0.1, 1, r2);
    BOOST_CHECK_EQUAL(fast.rho(), 0.0); // past J0's first zero: independent updates
}

BOOST_AUTO_TEST_CASE(test_fading_model_names)
{
    BOOST_CHECK(fading_process::parse("clarke") == fading_process::kind::clarke);
    BOOST_CHECK(fading_process::parse("gauss-markov") == fading_process::kind::gauss_markov);
    BOOST_CHECK_THROW(fading_process::parse("jakes"), std::invalid_argument);
}

} /* namespace jscc */
} /* namespace gr */
