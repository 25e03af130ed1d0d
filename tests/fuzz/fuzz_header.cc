/* -*- c++ -*- */
/*
 * Copyright 2026 gr-jscc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

// Fuzzing harness for the OFDM frame header (lib/frame_header.cc), built with
// -fsanitize=address,undefined: any memory error, undefined behaviour or broken property
// aborts. LLVMFuzzerTestOneInput is the libFuzzer entry point (clang -fsanitize=fuzzer links
// it as is); with -DSTANDALONE (g++, no libFuzzer here) main() below drives it with a
// mutation loop over a corpus of valid headers, for --seconds or --runs.
//
// Properties: decode() of any slot LLRs (any count, NaN, inf, huge) never reads out of bounds
// and either fails or yields a header that parses to its own bits; a header decoded from its
// own clean encoding is the header encoded; set() never wraps a field; parse() of any bits and
// plausible() of any header are safe.

#include <gnuradio/jscc/frame_header.h>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

using gr::jscc::frame_header;

namespace {

#define REQUIRE(c)                                                                      \
    do {                                                                                \
        if (!(c)) {                                                                     \
            std::fprintf(stderr, "property failed: %s (%s:%d)\n", #c, __FILE__, __LINE__); \
            std::abort();                                                               \
        }                                                                               \
    } while (0)

struct reader {
    const uint8_t* p;
    size_t n, i = 0;
    uint8_t u8() { return i < n ? p[i++] : 0; }
    uint32_t u32()
    {
        uint32_t v = 0;
        for (int k = 0; k < 4; k++)
            v = (v << 8) | u8();
        return v;
    }
    size_t left() const { return n - i; }
};

float as_float(uint32_t bits)
{
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
}

void check_decode(reader& r)
{
    // any number of slots, each LLR any float (NaN, inf, denormal, huge): 4 bytes each, or a
    // scaled byte for dense coverage of ordinary values
    const bool raw = r.u8() & 1;
    const int n_slots = static_cast<int>(r.u8()) * 4 + (r.u8() & 3);
    std::vector<float> llr(n_slots);
    for (auto& x : llr)
        x = raw ? as_float(r.u32()) : (static_cast<int8_t>(r.u8())) / 8.0f;
    frame_header h;
    if (h.decode(llr)) {
        REQUIRE(n_slots >= frame_header::CODED_BITS);
        const auto bits = h.info_bits();
        frame_header again;
        REQUIRE(again.parse(bits));
        for (int f = 0; f < frame_header::N_FIELDS; f++)
            REQUIRE(again.v[f] == h.v[f]);
        h.plausible(r.u32());
    }
    h.encode_last(n_slots > 0 ? n_slots : 1);
}

void check_roundtrip(reader& r)
{
    frame_header h;
    for (int f = 0; f < frame_header::N_FIELDS; f++) {
        const auto fld = static_cast<frame_header::field>(f);
        const long v = static_cast<long>(r.u32()) - (r.u8() & 1 ? 0x7fffffffL : 0);
        const unsigned before = h.v[f];
        const bool ok = h.set(fld, v);
        REQUIRE(ok == (v >= 0 && static_cast<unsigned long>(v) <= frame_header::max_value(fld)));
        REQUIRE(ok ? h.v[f] == static_cast<unsigned>(v) : h.v[f] == before); // nothing wraps
    }
    const int n_slots = frame_header::CODED_BITS + static_cast<int>(r.u8()) * 3;
    const auto slots = h.encode(n_slots);
    REQUIRE(static_cast<int>(slots.size()) == n_slots);
    std::vector<float> llr(n_slots);
    for (int t = 0; t < n_slots; t++)
        llr[t] = slots[t] ? -4.0f : 4.0f;
    // a few erased or flipped slots from the input: the code must still recover the header
    const int damage = r.u8() % 8;
    for (int k = 0; k < damage; k++) {
        const int t = static_cast<int>(r.u32() % n_slots);
        llr[t] = (r.u8() & 1) ? 0.0f : -llr[t] * 0.25f;
    }
    frame_header d;
    REQUIRE(d.decode(llr));
    for (int f = 0; f < frame_header::N_FIELDS; f++)
        REQUIRE(d.v[f] == h.v[f]);
    d.plausible(r.u32() & 0xffff);
}

void check_parse(reader& r)
{
    std::vector<uint8_t> bits(r.u8() + (r.u8() & 1 ? 0 : frame_header::INFO_BITS));
    for (auto& b : bits)
        b = r.u8() & 1;
    frame_header h;
    if (h.parse(bits)) {
        REQUIRE(static_cast<int>(bits.size()) >= frame_header::INFO_BITS);
        for (int f = 0; f < frame_header::N_FIELDS; f++)
            REQUIRE(h.v[f] <= frame_header::max_value(static_cast<frame_header::field>(f)));
        h.plausible(r.u32());
    }
    std::string name;
    while (r.left() && name.size() < 40)
        name.push_back(static_cast<char>(r.u8()));
    const int f = frame_header::find(name);
    REQUIRE(f >= -1 && f < frame_header::N_FIELDS);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    reader r{ data, size };
    switch (r.u8() % 3) {
    case 0:
        check_decode(r);
        break;
    case 1:
        check_roundtrip(r);
        break;
    default:
        check_parse(r);
    }
    return 0;
}

#ifdef STANDALONE
// A small mutation-based driver (libFuzzer's strategies, without coverage feedback): inputs
// start from valid encodings and are mutated byte- and bit-wise, resized, spliced and filled
// with special floats.
int main(int argc, char** argv)
{
    double seconds = 10;
    long runs = -1;
    unsigned seed = 1;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--seconds"))
            seconds = std::atof(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--runs"))
            runs = std::atol(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--seed"))
            seed = static_cast<unsigned>(std::atol(argv[i + 1]));
    }
    std::mt19937 rng(seed);
    std::vector<std::vector<uint8_t>> corpus;
    for (int k = 0; k < 64; k++) { // valid headers as clean and noisy LLR inputs
        frame_header h;
        for (int f = 0; f < frame_header::N_FIELDS; f++)
            h.set(static_cast<frame_header::field>(f),
                  rng() % (frame_header::max_value(static_cast<frame_header::field>(f)) + 1ul));
        const int n = 336;
        const auto slots = h.encode(n);
        std::vector<uint8_t> in = { 0, static_cast<uint8_t>(k & 1), uint8_t(n / 4), uint8_t(n % 4) };
        for (int t = 0; t < n; t++) {
            const float v = (slots[t] ? -1.0f : 1.0f) * (k & 1 ? 3.0f : 1.0f);
            if (k & 1) {
                uint32_t b;
                std::memcpy(&b, &v, 4);
                for (int s = 3; s >= 0; s--)
                    in.push_back(static_cast<uint8_t>(b >> (8 * s)));
            } else {
                in.push_back(static_cast<uint8_t>(static_cast<int8_t>(v * 8)));
            }
        }
        corpus.push_back(in);
    }
    for (int k = 0; k < 16; k++) {
        std::vector<uint8_t> in(64 + rng() % 64);
        for (auto& b : in)
            b = static_cast<uint8_t>(rng());
        in[0] = 1 + k % 2;
        corpus.push_back(in);
    }
    const uint32_t specials[] = { 0x7fc00000u, 0x7f800000u, 0xff800000u, 0x7f7fffffu, 0x00000001u, 0x80000000u };
    const auto t0 = std::chrono::steady_clock::now();
    long n = 0;
    std::vector<uint8_t> x;
    while (true) {
        if (runs >= 0 ? n >= runs
                      : std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > seconds)
            break;
        x = corpus[rng() % corpus.size()];
        const int m = 1 + rng() % 8;
        for (int k = 0; k < m; k++) {
            switch (rng() % 7) {
            case 0:
                if (!x.empty())
                    x[rng() % x.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
                break;
            case 1:
                if (!x.empty())
                    x[rng() % x.size()] = static_cast<uint8_t>(rng());
                break;
            case 2:
                x.insert(x.begin() + (x.empty() ? 0 : rng() % x.size()), static_cast<uint8_t>(rng()));
                break;
            case 3:
                if (!x.empty())
                    x.erase(x.begin() + rng() % x.size());
                break;
            case 4:
                x.resize(rng() % (x.size() + 64));
                break;
            case 5: { // splice
                const auto& y = corpus[rng() % corpus.size()];
                if (!y.empty() && !x.empty()) {
                    const size_t a = rng() % x.size(), b = rng() % y.size();
                    const size_t len = std::min(x.size() - a, y.size() - b);
                    std::copy(y.begin() + b, y.begin() + b + rng() % (len + 1), x.begin() + a);
                }
                break;
            }
            default: // a special float somewhere
                if (x.size() >= 8) {
                    const uint32_t v = specials[rng() % 6];
                    const size_t a = 4 + rng() % (x.size() - 7);
                    for (int s = 0; s < 4; s++)
                        x[a + s] = static_cast<uint8_t>(v >> (8 * (3 - s)));
                }
            }
        }
        LLVMFuzzerTestOneInput(x.data(), x.size());
        n++;
        if (n % 4096 == 0 && corpus.size() < 4096)
            corpus.push_back(x);
    }
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("fuzz_header: %ld inputs in %.1f s, 0 crashes\n", n, dt);
    return 0;
}
#endif
