/*
 * Copyright 2020 Free Software Foundation, Inc.
 *
 * This file is part of GNU Radio
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 */

#include <pybind11/pybind11.h>

#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>

namespace py = pybind11;

// Headers for binding functions
/**************************************/
// The following comment block is used for
// gr_modtool to insert function prototypes
// Please do not delete
/**************************************/
// BINDING_FUNCTION_PROTOTYPES(
    void bind_awgn_cc(py::module& m);
    void bind_rayleigh_cc(py::module& m);
    void bind_rayleigh_tv_cc(py::module& m);
    void bind_ofdm_mod_cc(py::module& m);
    void bind_ofdm_sync_cc(py::module& m);
    void bind_ofdm_demod_cc(py::module& m);
    void bind_soft_demapper_cf(py::module& m);
    void bind_frame_header(py::module& m);
    void bind_qam(py::module& m);
    void bind_ldpc_code(py::module& m);
    void bind_ldpc_encoder_pdu(py::module& m);
    void bind_ldpc_decoder_pdu(py::module& m);
    void bind_ldpc_fec(py::module& m);
// ) END BINDING_FUNCTION_PROTOTYPES


// We need this hack because import_array() returns NULL
// for newer Python versions.
// This function is also necessary because it ensures access to the C API
// and removes a warning.
void* init_numpy()
{
    import_array();
    return NULL;
}

PYBIND11_MODULE(jscc_python, m)
{
    // Initialize the numpy C API
    // (otherwise we will see segmentation faults)
    init_numpy();

    // Allow access to base block methods
    py::module::import("gnuradio.gr");

    /**************************************/
    // The following comment block is used for
    // gr_modtool to insert binding function calls
    // Please do not delete
    /**************************************/
    // BINDING_FUNCTION_CALLS(
    bind_awgn_cc(m);
    bind_rayleigh_cc(m);
    bind_rayleigh_tv_cc(m);
    bind_ofdm_mod_cc(m);
    bind_ofdm_sync_cc(m);
    bind_ofdm_demod_cc(m);
    bind_soft_demapper_cf(m);
    bind_frame_header(m);
    bind_qam(m);
    bind_ldpc_code(m);
    bind_ldpc_encoder_pdu(m);
    bind_ldpc_decoder_pdu(m);
    bind_ldpc_fec(m);
    // ) END BINDING_FUNCTION_CALLS
}