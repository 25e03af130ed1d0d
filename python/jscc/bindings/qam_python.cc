/*
 * Copyright 2026 gr-jscc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/***********************************************************************************/
/* BINDTOOL_GEN_AUTOMATIC(0)                                                       */
/* BINDTOOL_USE_PYGCCXML(0)                                                        */
/* BINDTOOL_HEADER_FILE(qam.h)                                                     */
/* BINDTOOL_HEADER_FILE_HASH(7fa0c13a2114726e6bb446e05e90d748)                                                    */
/***********************************************************************************/

#include <pybind11/complex.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

namespace py = pybind11;

#include <gnuradio/jscc/qam.h>
#include <stdexcept>

void bind_qam(py::module& m)
{
    using cvec = py::array_t<gr_complex, py::array::c_style | py::array::forcecast>;
    using fvec = py::array_t<float, py::array::c_style | py::array::forcecast>;
    m.def(
        "soft_demap",
        [](cvec y, py::object csi, int bps, float rel) {
            if (!gr::jscc::valid_bits_per_symbol(bps))
                throw std::invalid_argument("bits_per_symbol must be 1, 2, 4 or 6");
            const auto n = y.size();
            fvec c;
            const float* cp = nullptr;
            if (!csi.is_none()) {
                c = csi.cast<fvec>();
                if (c.size() != n)
                    throw std::invalid_argument("csi must have one value per symbol");
                cp = c.data();
            }
            fvec llr(n * bps);
            {
                py::gil_scoped_release release;
                gr::jscc::soft_demap(
                    y.data(), cp, rel, static_cast<int>(n), bps, llr.mutable_data());
            }
            return llr;
        },
        py::arg("symbols"),
        py::arg("csi") = py::none(),
        py::arg("bits_per_symbol") = 2,
        py::arg("rel") = 1.0f,
        "Max-log LLRs (log P(0)/P(1)) of Gray QAM symbols, bits_per_symbol per symbol; csi: "
        "per-symbol |h|^2/noise_var (None: rel for all). Non-finite input gives 0 (erasure).");
}
