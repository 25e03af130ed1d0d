/* -*- c++ -*- */
/*
 * Copyright 2026 gr-jscc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_JSCC_LDPC_CODE_H
#define INCLUDED_JSCC_LDPC_CODE_H

#include <gnuradio/jscc/api.h>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace gr {
namespace jscc {

/*!
 * \brief 5G NR LDPC code (3GPP TS 38.212 5.3.2, rate matching 5.4.2.1, rv 0): encoder and
 * layered normalised min-sum decoder. No GNU Radio runtime dependency.
 * \ingroup jscc
 *
 * Codes by name: "8192-1/2" (n 8192, k 4096), "6144-2/3" (6144, 4096), "6144-1/3" (6144, 2048).
 * Mother code: base graph and lifting size Z by the standard's rules, k info bits followed by
 * K - k filler zeros, the parity of the first rows of the base graph that the transmitted bits
 * reach. Transmitted bits: the first n non-filler bits after the 2Z punctured columns.
 * Bits are bytes 0/1 (encode reads the LSB). LLRs are log P(0)/P(1); NaN/inf count as 0.
 * docs/ldpc.md has the construction, the decoder and measured figures.
 */
class JSCC_API ldpc_code
{
public:
    typedef std::shared_ptr<ldpc_code> sptr;

    struct decode_result {
        bool ok;        //!< syndrome of the hard decision is zero
        int iterations; //!< iterations run (max_iter when not ok)
    };

    //! \p name one of names(); throws std::invalid_argument otherwise.
    static sptr make(const std::string& name);
    static std::vector<std::string> names();
    //! Decoder kernels this CPU can run, fastest first (e.g. "avx512", "avx2", "vec128", "scalar").
    static std::vector<std::string> kernels();

    virtual ~ldpc_code();

    virtual const std::string& name() const = 0;
    virtual int n() const = 0;
    virtual int k() const = 0;
    double rate() const { return double(k()) / n(); }
    virtual int base_graph() const = 0; //!< 1 or 2
    virtual int z() const = 0;          //!< lifting size
    virtual int fillers() const = 0;    //!< K - k known zeros after the info bits

    //! k info bits -> n transmitted bits.
    virtual void encode(const uint8_t* info, uint8_t* coded) const = 0;
    //! \p count codewords, contiguous.
    virtual void encode_batch(const uint8_t* info, uint8_t* coded, int count) const = 0;
    //! k info bits -> the whole mother codeword (columns() bits) that encode() selects from.
    virtual void encode_codeword(const uint8_t* info, uint8_t* codeword) const = 0;

    //! n LLRs -> k info bits. \p max_iter >= 0.
    virtual decode_result decode(const float* llr, uint8_t* info, int max_iter = 50) const = 0;
    /*!
     * \p count codewords (LLRs contiguous) on up to \p threads threads (0: all cores);
     * ok and iterations per codeword. Returns the number that failed.
     */
    virtual int decode_batch(const float* llr,
                             uint8_t* info,
                             uint8_t* ok,
                             int32_t* iterations,
                             int count,
                             int max_iter = 50,
                             int threads = 0) const = 0;

    //! Decoder kernel in use (default: kernels()[0]); every kernel gives identical results.
    virtual std::string kernel() const = 0;
    virtual void set_kernel(const std::string& name) = 0;

    //! Parity-check matrix of the mother code that is decoded: check_rows() x columns().
    virtual int check_rows() const = 0;
    virtual int columns() const = 0;
    //! Its ones as (row, column) pairs, row-major.
    virtual void parity_check(std::vector<int32_t>& rows, std::vector<int32_t>& cols) const = 0;
    //! Mother-code column of each transmitted bit (n entries); info bit i is column i.
    virtual std::vector<int32_t> tx_columns() const = 0;
    //! Columns of the filler bits (known zeros).
    virtual std::vector<int32_t> filler_columns() const = 0;
};

} // namespace jscc
} // namespace gr

#endif
