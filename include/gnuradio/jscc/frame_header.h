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
#include <string>
#include <vector>

namespace gr {
namespace jscc {

/*!
 * The OFDM frame header (docs/ofdm_frame.md). FIELDS is the one definition of its fields:
 * the modulator reads them from stream tags of the same names, the demodulator writes them
 * as tags, and Python reads the table through the bindings (frame_header_fields()).
 * The field bits + CRC-16/CCITT are convolutionally coded (K = 7, rate 1/2, generators
 * 133/171 octal, 6 tail bits), repeated cyclically to fill the header's OFDM symbols and
 * interleaved.
 */
struct JSCC_API frame_header {
    enum field {
        FRAME_TYPE,      //!< 0 analog, 1 digital
        BITS_PER_SYMBOL, //!< 0 analog, 1/2/4/6 BPSK/QPSK/16/64-QAM
        FEC,             //!< channel code of a digital chunk: 0 none, else an LDPC code id
        MODEL_ID,        //!< codec / model identifier (the card's model_id)
        IMAGE_ID,        //!< image number
        CHUNK,           //!< chunk of the image (codec send order)
        CHUNK_COUNT,     //!< chunks the transmitter sends for this image
        FRAG_IDX,        //!< fragment of the chunk
        FRAG_COUNT,      //!< fragments of the chunk
        PAYLOAD_LEN,     //!< payload symbols in this frame
        SEQ,             //!< frame sequence number (wraps)
        HEIGHT,          //!< image height in pixels (0: unknown)
        WIDTH,           //!< image width in pixels
        N_FIELDS
    };
    struct field_def {
        const char* name; //!< also the stream tag / PDU metadata key
        int bits;
    };
    static constexpr field_def FIELDS[N_FIELDS] = {
        { "frame_type", 2 }, { "bits_per_symbol", 3 }, { "fec", 2 },      { "model_id", 8 },
        { "image_id", 16 },  { "chunk", 8 },           { "chunk_count", 8 }, { "frag_idx", 16 },
        { "frag_count", 16 }, { "payload_len", 16 },   { "seq", 12 },     { "height", 16 },
        { "width", 16 },
    };
    static constexpr int FIELD_BITS = 139; //!< the sum of FIELDS' bits (checked below)
    static constexpr int INFO_BITS = FIELD_BITS + 16;
    static constexpr int CODED_BITS = 2 * (INFO_BITS + 6);

    enum type_t { ANALOG = 0, DIGITAL = 1 };

    unsigned v[N_FIELDS] = {}; //!< value of each field
    frame_header() { v[FRAG_COUNT] = v[CHUNK_COUNT] = 1; }

    unsigned& operator[](field f) { return v[f]; }
    unsigned operator[](field f) const { return v[f]; }
    //! Largest value field f can carry.
    static unsigned max_value(field f) { return (1u << FIELDS[f].bits) - 1; }
    //! Set a field; false (field unchanged) when the value does not fit: nothing wraps.
    bool set(field f, long value)
    {
        if (value < 0 || static_cast<unsigned long>(value) > max_value(f))
            return false;
        v[f] = static_cast<unsigned>(value);
        return true;
    }
    //! Field index of a tag name, or -1.
    static int find(const std::string& name);

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

constexpr int sum_field_bits()
{
    int n = 0;
    for (const auto& f : frame_header::FIELDS)
        n += f.bits;
    return n;
}
static_assert(frame_header::FIELD_BITS == sum_field_bits(), "FIELD_BITS must match FIELDS");

} // namespace jscc
} // namespace gr

#endif
