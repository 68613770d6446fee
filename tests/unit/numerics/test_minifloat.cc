// minifloat.h: the generic binary float encoder/decoder behind FP16 and FP8.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "model/numerics/minifloat.h"
#include "model/numerics/random.h"
#include "tests/reference/ref_binary16.h"
#include "tests/reference/ref_random.h"
#include "tests/reference/ref_sweep.h"

namespace nibble::num {
namespace {

struct FormatPair {
  const FloatFormat* fmt;
  ref::RefFormat ref;
};

const FormatPair kFormats[] = {
    {&kBinary16, ref::kRefBinary16}, {&kOfp8E4M3, ref::kRefE4M3}, {&kOfp8E5M2, ref::kRefE5M2}};

ref::RefOverflow to_ref(Overflow o) {
  return o == Overflow::kSaturate ? ref::RefOverflow::kSaturate : ref::RefOverflow::kInfinity;
}

TEST(Minifloat, FormatConstants) {
  EXPECT_EQ(kBinary16.total_bits(), 16);
  EXPECT_EQ(kBinary16.max_finite_bits(), 0x7BFFu);
  EXPECT_EQ(kBinary16.canonical_nan(), 0x7E00u);
  EXPECT_EQ(kBinary16.inf_bits(), 0x7C00u);
  EXPECT_EQ(kBinary16.min_normal_exp(), -14);
  EXPECT_EQ(kOfp8E4M3.total_bits(), 8);
  EXPECT_EQ(kOfp8E4M3.max_finite_bits(), 0x7Eu);
  EXPECT_EQ(kOfp8E4M3.canonical_nan(), 0x7Fu);
  EXPECT_FALSE(kOfp8E4M3.has_inf);
  EXPECT_EQ(kOfp8E4M3.bias, 7);
  EXPECT_EQ(kOfp8E5M2.total_bits(), 8);
  EXPECT_EQ(kOfp8E5M2.max_finite_bits(), 0x7Bu);
  EXPECT_EQ(kOfp8E5M2.canonical_nan(), 0x7Eu);
  EXPECT_EQ(kOfp8E5M2.inf_bits(), 0x7Cu);
  EXPECT_EQ(kOfp8E5M2.bias, 15);
}

TEST(Minifloat, DecodeAndClassifyEveryCode) {
  for (const FormatPair& p : kFormats) {
    SCOPED_TRACE(p.fmt->name);
    const uint32_t n_codes = uint32_t{1} << p.fmt->total_bits();
    int mismatches = 0;
    for (uint32_t c = 0; c < n_codes; ++c) {
      const double want = ref::ref_decode(p.ref, c);
      const double got = decode_to_double(*p.fmt, c);
      const bool same = std::isnan(want) ? std::isnan(got)
                                         : (got == want && std::signbit(got) == std::signbit(want));
      const bool classes_ok = is_nan(*p.fmt, c) == ref::ref_is_nan(p.ref, c) &&
                              is_inf(*p.fmt, c) == ref::ref_is_inf(p.ref, c);
      if (!same || !classes_ok) {
        if (++mismatches <= 5)
          ADD_FAILURE() << "code 0x" << std::hex << c << " want " << want << " got " << got;
      }
    }
    EXPECT_EQ(mismatches, 0);
  }
}

TEST(Minifloat, ReferenceAgreesWithParitySweep) {
  // Self-check of the reference rounding against the independent parity rule.
  for (const FormatPair& p : kFormats) {
    for (ref::RefOverflow o : {ref::RefOverflow::kInfinity, ref::RefOverflow::kSaturate}) {
      int mismatches = 0;
      for (const ref::RefCase& c : ref::ref_rounding_cases(p.ref, o)) {
        mismatches += ref::ref_round(p.ref, c.x, o) != c.bits ? 1 : 0;
      }
      EXPECT_EQ(mismatches, 0) << p.fmt->name;
    }
  }
}

TEST(Minifloat, EncodeDoubleAtEveryCodeMidpointAndNeighbour) {
  for (const FormatPair& p : kFormats) {
    for (Overflow o : {Overflow::kInfinity, Overflow::kSaturate}) {
      SCOPED_TRACE(std::string(p.fmt->name) + (o == Overflow::kSaturate ? " sat" : " inf"));
      int mismatches = 0;
      for (const ref::RefCase& c : ref::ref_rounding_cases(p.ref, to_ref(o))) {
        const uint32_t got = encode_double(*p.fmt, c.x, Rounding::kNearestEven, o, nullptr);
        if (got != c.bits && ++mismatches <= 5) {
          ADD_FAILURE() << std::hexfloat << "x " << c.x << std::hex << " want 0x" << c.bits
                        << " got 0x" << got;
        }
      }
      EXPECT_EQ(mismatches, 0);
    }
  }
}

TEST(Minifloat, RoundPackMatchesReferenceOnRandomValues) {
  std::mt19937_64 gen(31337);
  for (const FormatPair& p : kFormats) {
    SCOPED_TRACE(p.fmt->name);
    int mismatches = 0;
    for (int i = 0; i < 200000; ++i) {
      const int width = static_cast<int>(gen() % 54);  // significands of 0 .. 53 bits
      const uint64_t sig = width == 0 ? 0 : gen() >> (64 - width);
      const int exp2 = static_cast<int>(gen() % 100) - 70;
      const bool negative = (gen() & 1u) != 0;
      const Overflow o = (gen() & 1u) != 0 ? Overflow::kSaturate : Overflow::kInfinity;
      const double mag = std::ldexp(static_cast<double>(sig), exp2);  // exact
      const uint32_t want = ref::ref_round(p.ref, negative ? -mag : mag, to_ref(o));
      const uint32_t got =
          round_pack(*p.fmt, negative, sig, exp2, Rounding::kNearestEven, o, nullptr);
      if (got != want && ++mismatches <= 5) {
        ADD_FAILURE() << "sig " << sig << " exp2 " << exp2 << " neg " << negative << std::hex
                      << " want 0x" << want << " got 0x" << got;
      }
    }
    EXPECT_EQ(mismatches, 0);
  }
}

TEST(Minifloat, RoundPackSeesBitsBeyondDoublePrecision) {
  const uint64_t one = uint64_t{1} << 63;  // 1.0 at exp2 = -63
  const auto rp = [](uint64_t sig, bool neg) {
    return round_pack(kBinary16, neg, sig, -63, Rounding::kNearestEven, Overflow::kInfinity,
                      nullptr);
  };
  EXPECT_EQ(rp(one + 1, false), 0x3C00u);                        // 1 + 2^-63
  EXPECT_EQ(rp(one + (uint64_t{1} << 52), false), 0x3C00u);      // 1 + 2^-11: tie, to even
  EXPECT_EQ(rp(one + (uint64_t{1} << 52) + 1, false), 0x3C01u);  // just above the tie
  EXPECT_EQ(rp(one + (uint64_t{3} << 52), false), 0x3C02u);      // 1 + 3 * 2^-11: tie, up
  EXPECT_EQ(rp(one + (uint64_t{3} << 52) - 1, false), 0x3C01u);  // just below that tie
  EXPECT_EQ(rp(one + (uint64_t{1} << 52) + 1, true), 0xBC01u);
  EXPECT_EQ(rp(~uint64_t{0}, false), 0x4000u);  // 2 - 2^-63 -> 2
  EXPECT_EQ(
      round_pack(kBinary16, false, 0, 5, Rounding::kNearestEven, Overflow::kInfinity, nullptr),
      0x0000u);
  EXPECT_EQ(round_pack(kBinary16, true, 0, 5, Rounding::kNearestEven, Overflow::kInfinity, nullptr),
            0x8000u);
  // Subnormal: 2^-25 + 2^-88 is just above half the smallest subnormal.
  EXPECT_EQ(round_pack(kBinary16, false, one + 1, -88, Rounding::kNearestEven, Overflow::kInfinity,
                       nullptr),
            0x0001u);
  EXPECT_EQ(
      round_pack(kBinary16, false, one, -88, Rounding::kNearestEven, Overflow::kInfinity, nullptr),
      0x0000u);
  // Huge exponents: overflow and total underflow.
  EXPECT_EQ(
      round_pack(kBinary16, false, 1, 400, Rounding::kNearestEven, Overflow::kInfinity, nullptr),
      0x7C00u);
  EXPECT_EQ(
      round_pack(kOfp8E4M3, true, 1, 400, Rounding::kNearestEven, Overflow::kSaturate, nullptr),
      0xFEu);
  EXPECT_EQ(
      round_pack(kOfp8E4M3, true, 1, 400, Rounding::kNearestEven, Overflow::kInfinity, nullptr),
      0x7Fu);
  EXPECT_EQ(round_pack(kBinary16, false, ~uint64_t{0}, -400, Rounding::kNearestEven,
                       Overflow::kInfinity, nullptr),
            0x0000u);
}

TEST(Minifloat, StochasticEncodeFollowsTheDrawRule) {
  // minifloat.h: one 64-bit draw r per value (exact, NaN or overflowing too) rounds up iff
  // r < floor(rem * 2^(64 - d)). Exact values come back unchanged.
  std::mt19937_64 gen(8);
  for (const FormatPair& p : kFormats) {
    SCOPED_TRACE(p.fmt->name);
    Rng rng(77);
    ref::RefSplitMix64 ref(77);
    const double max = ref::ref_max_finite(p.ref);
    std::uniform_real_distribution<double> log_mag(std::log2(ref::ref_min_subnormal(p.ref)) - 2,
                                                   std::log2(max) + 0.5);
    int mismatches = 0;
    for (int i = 0; i < 100000; ++i) {
      double x = std::exp2(log_mag(gen));
      if (i % 3 == 0) x = ref::ref_decode(p.ref, static_cast<uint32_t>(gen() % 0x70));  // exact
      if (i % 101 == 0) x = std::numeric_limits<double>::quiet_NaN();
      if (i % 103 == 0) x = std::numeric_limits<double>::infinity();
      if ((gen() & 1u) != 0) x = -x;
      const Overflow o = (gen() & 1u) != 0 ? Overflow::kSaturate : Overflow::kInfinity;
      const uint64_t r = ref.next();
      const uint32_t want = !std::isfinite(x) || ref::ref_is_exact(p.ref, x)
                                ? ref::ref_round(p.ref, x, to_ref(o))
                                : ref::ref_round_stochastic(p.ref, x, r, to_ref(o));
      const uint32_t got = encode_double(*p.fmt, x, Rounding::kStochastic, o, &rng);
      if (got != want && ++mismatches <= 5) {
        ADD_FAILURE() << std::hexfloat << "x " << x << std::hex << " want 0x" << want << " got 0x"
                      << got;
      }
    }
    EXPECT_EQ(mismatches, 0);
    EXPECT_EQ(rng.next_u64(), ref.next()) << "draw count drifted";
  }
}

TEST(Minifloat, RoundPackWithPreDrawnWord) {
  std::mt19937_64 gen(9);
  for (const FormatPair& p : kFormats) {
    SCOPED_TRACE(p.fmt->name);
    int mismatches = 0;
    for (int i = 0; i < 100000; ++i) {
      const int width = 1 + static_cast<int>(gen() % 53);
      const uint64_t sig = gen() >> (64 - width);
      const int exp2 = static_cast<int>(gen() % 80) - 60;
      const bool negative = (gen() & 1u) != 0;
      const uint64_t r = gen();
      const double x = std::ldexp(static_cast<double>(sig), exp2) * (negative ? -1.0 : 1.0);
      const uint32_t want = ref::ref_is_exact(p.ref, x) ? ref::ref_round(p.ref, x)
                                                        : ref::ref_round_stochastic(p.ref, x, r);
      const uint32_t got = round_pack_with(*p.fmt, negative, sig, exp2, Rounding::kStochastic,
                                           Overflow::kInfinity, r);
      const uint32_t got_rne = round_pack_with(*p.fmt, negative, sig, exp2, Rounding::kNearestEven,
                                               Overflow::kInfinity, r);
      if ((got != want || got_rne != ref::ref_round(p.ref, x)) && ++mismatches <= 5) {
        ADD_FAILURE() << "sig " << sig << " exp2 " << exp2 << " r " << r << std::hex << " want 0x"
                      << want << " got 0x" << got;
      }
    }
    EXPECT_EQ(mismatches, 0);
  }
  // P(up) = rem / 2^d exactly: 1 + 2^-12 in binary16 has rem / 2^d = 1/4.
  const uint64_t one = uint64_t{1} << 62;
  const uint64_t sig = one + (one >> 12);
  const uint64_t quarter = uint64_t{1} << 62;  // 2^64 / 4
  EXPECT_EQ(round_pack_with(kBinary16, false, sig, -62, Rounding::kStochastic, Overflow::kInfinity,
                            quarter - 1),
            0x3C01u);
  EXPECT_EQ(round_pack_with(kBinary16, false, sig, -62, Rounding::kStochastic, Overflow::kInfinity,
                            quarter),
            0x3C00u);
}

TEST(Minifloat, StochasticWithoutRngThrows) {
  EXPECT_THROW(
      encode_double(kBinary16, 1.0 + 0x1p-20, Rounding::kStochastic, Overflow::kInfinity, nullptr),
      std::invalid_argument);
}

}  // namespace
}  // namespace nibble::num
