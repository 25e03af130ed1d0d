/* -*- c++ -*- */
/*
 * Copyright 2026 gr-jscc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_JSCC_FRAME_HEADER_H
#define INCLUDED_JSCC_FRAME_HEADER_H

#include <gnuradio/jscc/api.h>
#include <cstdint>
#include <vector>

namespace gr {
namespace jscc {

/*!
 * The frame header (docs/ofdm_frame.md): 104 field bits + CRC-16/CCITT, convolutionally
 * coded (K = 7, rate 1/2, generators 133/171 octal, 6 tail bits) into 252 coded bits,
 * which are repeated cyclically to fill the header's OFDM symbols and interleaved.
 */
struct JSCC_API frame_header {
    static constexpr int FIELD_BITS = 104;
    static constexpr int INFO_BITS = FIELD_BITS + 16;
    static constexpr int CODED_BITS = 2 * (INFO_BITS + 6);

    enum type_t { ANALOG = 0, DIGITAL = 1 };

    unsigned frame_type = ANALOG; //!< 2 bits
    unsigned bits_per_symbol = 0; //!< 3 bits: 0 analog, 1/2/4/6 BPSK/QPSK/16/64-QAM
    unsigned model_id = 0;        //!< 8 bits: codec / model identifier
    unsigned image_id = 0;        //!< 16 bits
    unsigned frag_idx = 0;        //!< 12 bits
    unsigned frag_count = 1;      //!< 12 bits
    unsigned payload_len = 0;     //!< 16 bits: payload symbols in this frame
    unsigned seq = 0;             //!< 11 bits: frame sequence number
    unsigned height = 0;          //!< 12 bits: image height in pixels (0: unknown)
    unsigned width = 0;           //!< 12 bits

private:
    std::vector<uint8_t> d_last; // info bits of the last decode()

public:

    //! Field bits + CRC (INFO_BITS values of 0/1).
    std::vector<uint8_t> info_bits() const;
    //! Parse INFO_BITS bits; false when the CRC fails.
    bool parse(const std::vector<uint8_t>& bits);
    //! Field ranges a valid header must respect.
    bool plausible(unsigned max_payload) const;

    //! Coded bits for \p n_slots BPSK slots (repetition + interleaving).
    std::vector<uint8_t> encode(int n_slots) const;
    //! From per-slot LLRs (log P(0)/P(1)); false when the CRC fails.
    bool decode(const std::vector<float>& slot_llr);

    //! Coded slots of the bits the last decode() produced, CRC or not (for a second pass).
    std::vector<uint8_t> encode_last(int n_slots) const;

    static uint16_t crc16(const std::vector<uint8_t>& bits, int n);
    static std::vector<uint8_t> conv_encode(const std::vector<uint8_t>& bits);
    //! Soft Viterbi for the terminated code; llr.size() == 2 * (n_info + 6).
    static std::vector<uint8_t> viterbi(const std::vector<float>& llr, int n_info);
    //! Slot t carries coded bit slot_bit(t, n_slots).
    static int slot_bit(int t, int n_slots);
};

} // namespace jscc
} // namespace gr

#endif
