/*
 * Copyright 2026 gr-jscc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/***********************************************************************************/
/* BINDTOOL_GEN_AUTOMATIC(0)                                                       */
/* BINDTOOL_USE_PYGCCXML(0)                                                        */
/* BINDTOOL_HEADER_FILE(frame_header.h)                                            */
/* BINDTOOL_HEADER_FILE_HASH(cdeaf365b28ebd701a71d88770098019)                                                    */
/***********************************************************************************/

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

namespace py = pybind11;

#include <gnuradio/jscc/frame_header.h>

void bind_frame_header(py::module& m)
{
    using gr::jscc::frame_header;
    m.def(
        "frame_header_fields",
        []() {
            std::vector<std::pair<std::string, int>> out;
            for (const auto& f : frame_header::FIELDS)
                out.emplace_back(f.name, f.bits);
            return out;
        },
        "The OFDM frame header's fields, in order: [(name, bits)]. The names are also the "
        "stream tag and PDU metadata keys (docs/ofdm_frame.md).");
    m.attr("FRAME_HEADER_INFO_BITS") = int(frame_header::INFO_BITS);
    m.attr("FRAME_HEADER_CODED_BITS") = int(frame_header::CODED_BITS);
}
