/* -*- c++ -*- */
/*
 * Copyright 2026 gr-jscc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <gnuradio/jscc/frame_header.h>
#include <algorithm>
#include <array>
#include <limits>
#include <numeric>

namespace gr {
namespace jscc {

namespace {
constexpr unsigned G0 = 0133, G1 = 0171; // K = 7 generators (802.11)

inline int parity(unsigned x) { return __builtin_parity(x); }

int gcd(int a, int b) { return b ? gcd(b, a % b) : a; }
} // namespace

constexpr frame_header::field_def frame_header::FIELDS[];

int frame_header::find(const std::string& name)
{
    for (int f = 0; f < N_FIELDS; f++)
        if (name == FIELDS[f].name)
            return f;
    return -1;
}

std::vector<uint8_t> frame_header::info_bits() const
{
    std::vector<uint8_t> bits;
    bits.reserve(INFO_BITS);
    for (int f = 0; f < N_FIELDS; f++)
        for (int b = FIELDS[f].bits - 1; b >= 0; b--)
            bits.push_back((v[f] >> b) & 1);
    const uint16_t crc = crc16(bits, FIELD_BITS);
    for (int b = 15; b >= 0; b--)
        bits.push_back((crc >> b) & 1);
    return bits;
}

bool frame_header::parse(const std::vector<uint8_t>& bits)
{
    if (static_cast<int>(bits.size()) < INFO_BITS)
        return false;
    uint16_t crc = 0;
    for (int b = 0; b < 16; b++)
        crc = (crc << 1) | bits[FIELD_BITS + b];
    if (crc != crc16(bits, FIELD_BITS))
        return false;
    int pos = 0;
    for (int f = 0; f < N_FIELDS; f++) {
        unsigned x = 0;
        for (int b = 0; b < FIELDS[f].bits; b++)
            x = (x << 1) | bits[pos++];
        v[f] = x;
    }
    return true;
}

bool frame_header::plausible(unsigned max_payload) const
{
    const unsigned bps = v[BITS_PER_SYMBOL];
    const bool bps_ok = v[FRAME_TYPE] == ANALOG ? bps == 0 && v[FEC] == 0
                                                : (bps == 1 || bps == 2 || bps == 4 || bps == 6);
    return v[FRAME_TYPE] <= DIGITAL && bps_ok && v[FRAG_COUNT] >= 1 && v[FRAG_IDX] < v[FRAG_COUNT] &&
           v[CHUNK_COUNT] >= 1 && v[CHUNK] < v[CHUNK_COUNT] && v[PAYLOAD_LEN] >= 1 &&
           v[PAYLOAD_LEN] <= max_payload;
}

uint16_t frame_header::crc16(const std::vector<uint8_t>& bits, int n)
{
    uint16_t crc = 0xffff; // CRC-16/CCITT-FALSE, bitwise
    for (int i = 0; i < n; i++) {
        const bool top = ((crc >> 15) & 1) ^ (bits[i] & 1);
        crc = static_cast<uint16_t>(crc << 1);
        if (top)
            crc ^= 0x1021;
    }
    return crc;
}

std::vector<uint8_t> frame_header::conv_encode(const std::vector<uint8_t>& bits)
{
    std::vector<uint8_t> out;
    out.reserve(2 * (bits.size() + 6));
    unsigned reg = 0;
    auto push = [&](unsigned b) {
        reg = ((reg << 1) | b) & 0x7f;
        out.push_back(parity(reg & G0));
        out.push_back(parity(reg & G1));
    };
    for (auto b : bits)
        push(b & 1);
    for (int i = 0; i < 6; i++)
        push(0);
    return out;
}

std::vector<uint8_t> frame_header::viterbi(const std::vector<float>& llr, int n_info)
{
    const int steps = n_info + 6;
    const float NEG = -std::numeric_limits<float>::infinity();
    std::array<float, 64> metric, next;
    metric.fill(NEG);
    metric[0] = 0.0f;
    std::vector<std::array<uint8_t, 64>> from(steps); // predecessor's dropped bit
    for (int t = 0; t < steps; t++) {
        next.fill(NEG);
        const float l0 = llr[2 * t], l1 = llr[2 * t + 1];
        for (int s = 0; s < 64; s++) {
            if (metric[s] == NEG)
                continue;
            for (unsigned b = 0; b < 2; b++) {
                if (t >= n_info && b)
                    continue; // tail bits are zero
                const unsigned reg = (s << 1) | b;
                // LLR > 0 favours a 0 bit: reward agreement
                const float m = metric[s] + (parity(reg & G0) ? -l0 : l0) +
                                (parity(reg & G1) ? -l1 : l1);
                const int ns = reg & 0x3f;
                if (m > next[ns]) {
                    next[ns] = m;
                    from[t][ns] = (s >> 5) & 1;
                }
            }
        }
        metric = next;
    }
    std::vector<uint8_t> bits(steps);
    int s = 0; // terminated in state 0
    for (int t = steps - 1; t >= 0; t--) {
        bits[t] = s & 1;
        s = (s >> 1) | (from[t][s] << 5);
    }
    bits.resize(n_info);
    return bits;
}

int frame_header::slot_bit(int t, int n_slots)
{
    // A stride coprime with n_slots spreads neighbouring coded bits over distant
    // carriers and symbols, so one faded sub-band does not erase a run of them.
    int stride = 29;
    while (gcd(stride, n_slots) != 1)
        stride += 2;
    return static_cast<int>((static_cast<long>(t) * stride) % n_slots) % CODED_BITS;
}

namespace {
std::vector<uint8_t> spread(const std::vector<uint8_t>& coded, int n_slots)
{
    std::vector<uint8_t> slots(n_slots);
    for (int t = 0; t < n_slots; t++)
        slots[t] = coded[frame_header::slot_bit(t, n_slots)];
    return slots;
}
} // namespace

std::vector<uint8_t> frame_header::encode(int n_slots) const
{
    return spread(conv_encode(info_bits()), n_slots);
}

bool frame_header::decode(const std::vector<float>& slot_llr)
{
    const int n_slots = static_cast<int>(slot_llr.size());
    if (n_slots < CODED_BITS)
        return false;
    std::vector<float> llr(CODED_BITS, 0.0f);
    for (int t = 0; t < n_slots; t++)
        llr[slot_bit(t, n_slots)] += slot_llr[t];
    d_last = viterbi(llr, INFO_BITS);
    return parse(d_last);
}

std::vector<uint8_t> frame_header::encode_last(int n_slots) const
{
    return spread(conv_encode(d_last.empty() ? std::vector<uint8_t>(INFO_BITS, 0) : d_last), n_slots);
}

} // namespace jscc
} // namespace gr
