// random.h (SplitMix64) and rounding.h (rounding to an integer, saturation).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>

#include "model/numerics/random.h"
#include "model/numerics/rounding.h"
#include "tests/reference/ref_quant4.h"
#include "tests/reference/ref_random.h"
#include "tests/reference/ref_stochastic.h"

namespace nibble::num {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

TEST(Rng, MatchesPublishedSplitMix64Vector) {
  // First outputs of the reference splitmix64.c for seed 1234567.
  Rng rng(1234567);
  EXPECT_EQ(rng.next_u64(), 6457827717110365317ull);
  EXPECT_EQ(rng.next_u64(), 3203168211198807973ull);
  EXPECT_EQ(rng.next_u64(), 9817491932198370423ull);
  EXPECT_EQ(rng.next_u64(), 4593380528125082431ull);
  EXPECT_EQ(rng.next_u64(), 16408922859458223821ull);
}

TEST(Rng, MatchesReferenceForManySeeds) {
  for (uint64_t seed : {uint64_t{0}, uint64_t{1}, uint64_t{42}, ~uint64_t{0},
                        uint64_t{0x9E3779B97F4A7C15ull}, uint64_t{0x8000000000000000ull}}) {
    Rng rng(seed);
    ref::RefSplitMix64 ref(seed);
    int mismatches = 0;
    for (int i = 0; i < 10000; ++i) mismatches += rng.next_u64() != ref.next() ? 1 : 0;
    EXPECT_EQ(mismatches, 0) << "seed " << seed;
  }
}

TEST(Rng, NextUnitIsTop53BitsOfOneDraw) {
  Rng rng(7);
  ref::RefSplitMix64 ref(7);
  for (int i = 0; i < 10000; ++i) {
    const double u = rng.next_unit();
    const uint64_t r = ref.next();
    ASSERT_EQ(u, std::ldexp(static_cast<double>(r >> 11), -53)) << "draw " << i;
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
  }
}

TEST(Rng, SameSeedSameSequenceDifferentSeedDifferent) {
  Rng a(123), b(123), c(124);
  int same = 0;
  for (int i = 0; i < 1000; ++i) {
    const uint64_t x = a.next_u64();
    ASSERT_EQ(x, b.next_u64());
    same += x == c.next_u64() ? 1 : 0;
  }
  EXPECT_EQ(same, 0);
}

TEST(Rounding, Names) {
  EXPECT_STREQ(rounding_name(Rounding::kNearestEven), "rne");
  EXPECT_STREQ(rounding_name(Rounding::kStochastic), "stochastic");
}

TEST(RoundToInteger, NearestEvenTies) {
  struct Case {
    double v, want;
  };
  for (const Case& c : {Case{0.5, 0}, Case{1.5, 2}, Case{2.5, 2}, Case{3.5, 4}, Case{-0.5, 0},
                        Case{-1.5, -2}, Case{-2.5, -2}, Case{-7.5, -8}, Case{7.5, 8}, Case{8.5, 8},
                        Case{4503599627370495.5, 4503599627370496.0}}) {
    EXPECT_EQ(round_to_integer(c.v, Rounding::kNearestEven, nullptr), c.want) << c.v;
  }
}

TEST(RoundToInteger, NearestEvenAroundEveryHalfInteger) {
  for (int k = -40; k <= 40; ++k) {
    const double t = k + 0.5;
    const double below = std::nextafter(t, -kInf);
    const double above = std::nextafter(t, kInf);
    EXPECT_EQ(round_to_integer(below, Rounding::kNearestEven, nullptr), k) << below;
    EXPECT_EQ(round_to_integer(above, Rounding::kNearestEven, nullptr), k + 1) << above;
    EXPECT_EQ(round_to_integer(t, Rounding::kNearestEven, nullptr), ref::ref_round_half_even(t));
    EXPECT_EQ(round_to_integer(k, Rounding::kNearestEven, nullptr), k);
  }
}

// Zeros and specials, by hand: a value that rounds to zero gives +0 (from either side), an
// exact -0 stays -0, infinities and NaN come back as they went in, and just below 2^52 the
// tie 2^52 - 0.5 goes to the even neighbour 2^52 (the odd 2^52 - 1 is the other).
TEST(RoundToInteger, NearestEvenSignOfZeroAndSpecials) {
  const auto rne = [](double v) { return round_to_integer(v, Rounding::kNearestEven, nullptr); };
  for (const double v : {-0.3, -0.5, 0.3, 0.5, -1e-300, -4.9e-324}) {
    EXPECT_EQ(rne(v), 0.0) << v;
    EXPECT_FALSE(std::signbit(rne(v))) << v;
  }
  EXPECT_TRUE(std::signbit(rne(-0.0)));
  EXPECT_EQ(rne(kInf), kInf);
  EXPECT_EQ(rne(-kInf), -kInf);
  EXPECT_TRUE(std::isnan(rne(std::nan(""))));
  EXPECT_EQ(rne(4503599627370495.5), 4503599627370496.0);
  EXPECT_EQ(rne(-4503599627370494.5), -4503599627370494.0);
  EXPECT_EQ(rne(-1.7), -2.0);
  EXPECT_EQ(rne(-1.2), -1.0);
}

TEST(RoundToInteger, LargeAndTinyValues) {
  EXPECT_EQ(round_to_integer(4503599627370497.0, Rounding::kNearestEven, nullptr),
            4503599627370497.0);  // 2^52 + 1 is an integer already
  EXPECT_EQ(round_to_integer(-9007199254740992.0, Rounding::kNearestEven, nullptr),
            -9007199254740992.0);
  EXPECT_EQ(round_to_integer(1e300, Rounding::kNearestEven, nullptr), 1e300);
  EXPECT_EQ(round_to_integer(1e-300, Rounding::kNearestEven, nullptr), 0.0);
  EXPECT_EQ(round_to_integer(-0.49999999999999994, Rounding::kNearestEven, nullptr), 0.0);
  EXPECT_EQ(round_to_integer(0.49999999999999994, Rounding::kNearestEven, nullptr), 0.0);
}

TEST(RoundToInteger, StochasticFollowsTheDrawRule) {
  // rounding.h: one word r per value, exact or not; u = (r >> 11) * 2^-53; up iff
  // u < v - floor(v). Exact integers come back unchanged.
  Rng rng(2024);
  ref::RefSplitMix64 ref(2024);
  std::mt19937_64 gen(99);
  std::uniform_real_distribution<double> dist(-20.0, 20.0);
  int mismatches = 0;
  for (int i = 0; i < 100000; ++i) {
    double v = dist(gen);
    if (i % 5 == 0) v = std::floor(v);        // exact
    if (i % 7 == 0) v = std::floor(v) + 0.5;  // a tie is not special for stochastic rounding
    const double fl = std::floor(v);
    const double u = ref.next_unit();
    const double want = u < v - fl ? fl + 1.0 : fl;
    mismatches += round_to_integer(v, Rounding::kStochastic, &rng) != want ? 1 : 0;
  }
  EXPECT_EQ(mismatches, 0);
  EXPECT_EQ(rng.next_u64(), ref.next()) << "draw count drifted";
}

TEST(RoundToInteger, WithPreDrawnWord) {
  std::mt19937_64 gen(100);
  std::uniform_real_distribution<double> dist(-20.0, 20.0);
  for (int i = 0; i < 10000; ++i) {
    const double v = dist(gen);
    const uint64_t r = gen();
    const double fl = std::floor(v);
    const double u = std::ldexp(static_cast<double>(r >> 11), -53);
    ASSERT_EQ(round_to_integer_with(v, Rounding::kStochastic, r), u < v - fl ? fl + 1.0 : fl)
        << v << " " << r;
    ASSERT_EQ(round_to_integer_with(v, Rounding::kNearestEven, r), ref::ref_round_half_even(v));
  }
  // The extreme words: 0 always rounds an inexact value up, all-ones never does.
  EXPECT_EQ(round_to_integer_with(2.0 + 0x1p-40, Rounding::kStochastic, 0), 3.0);
  EXPECT_EQ(round_to_integer_with(3.0 - 0x1p-40, Rounding::kStochastic, ~uint64_t{0}), 2.0);
  EXPECT_EQ(round_to_integer_with(5.0, Rounding::kStochastic, 0), 5.0);
}

TEST(DrawFor, OneWordInStochasticModeNoneOtherwise) {
  Rng rng(31);
  ref::RefSplitMix64 ref(31);
  EXPECT_EQ(draw_for(Rounding::kNearestEven, &rng), 0u);
  EXPECT_EQ(draw_for(Rounding::kNearestEven, nullptr), 0u);
  EXPECT_EQ(draw_for(Rounding::kStochastic, &rng), ref.next());
  EXPECT_EQ(draw_for(Rounding::kStochastic, &rng), ref.next());
  EXPECT_THROW(draw_for(Rounding::kStochastic, nullptr), std::invalid_argument);
}

TEST(RoundToInteger, StochasticIsUnbiased) {
  for (double x : {2.3, -1.7, 0.001, 5.999, -0.5}) {
    Rng rng(11);
    const double lo = std::floor(x);
    const ref::StochasticSample s = ref::sample_stochastic(
        x, lo, lo + 1.0, 1000000, [&] { return round_to_integer(x, Rounding::kStochastic, &rng); });
    EXPECT_EQ(s.outside, 0) << x;
    EXPECT_LT(s.z(), 5.0) << "x " << x << " mean " << s.mean();
  }
}

TEST(RoundToInteger, StochasticWithoutRngThrows) {
  EXPECT_THROW(round_to_integer(2.3, Rounding::kStochastic, nullptr), std::invalid_argument);
  EXPECT_THROW(round_saturate(2.3, -8, 7, Rounding::kStochastic, nullptr), std::invalid_argument);
  EXPECT_NO_THROW(round_to_integer(2.3, Rounding::kNearestEven, nullptr));
}

TEST(RoundSaturate, NearestEvenRangesAndSpecials) {
  EXPECT_EQ(round_saturate(kNaN, -8, 7, Rounding::kNearestEven, nullptr), 0);
  EXPECT_EQ(round_saturate(kInf, -8, 7, Rounding::kNearestEven, nullptr), 7);
  EXPECT_EQ(round_saturate(-kInf, -8, 7, Rounding::kNearestEven, nullptr), -8);
  EXPECT_EQ(round_saturate(kNaN, 0, 15, Rounding::kNearestEven, nullptr), 0);
  EXPECT_EQ(round_saturate(-kInf, 0, 15, Rounding::kNearestEven, nullptr), 0);
  EXPECT_EQ(round_saturate(1e300, -8, 7, Rounding::kNearestEven, nullptr), 7);
  EXPECT_EQ(round_saturate(-1e300, -8, 7, Rounding::kNearestEven, nullptr), -8);
  EXPECT_EQ(round_saturate(3e9, -8, 7, Rounding::kNearestEven, nullptr), 7);  // beyond int
  EXPECT_EQ(round_saturate(7.5, -8, 7, Rounding::kNearestEven, nullptr), 7);
  EXPECT_EQ(round_saturate(-8.5, -8, 7, Rounding::kNearestEven, nullptr), -8);
  EXPECT_EQ(round_saturate(6.5, -8, 7, Rounding::kNearestEven, nullptr), 6);
  EXPECT_EQ(round_saturate(-0.6, 0, 15, Rounding::kNearestEven, nullptr), 0);
  for (double v = -20.0; v <= 20.0; v += 0.125) {
    EXPECT_EQ(round_saturate(v, -8, 7, Rounding::kNearestEven, nullptr),
              ref::ref_round_clamp(v, -8, 7))
        << v;
  }
}

TEST(RoundSaturate, StochasticDrawsOncePerValueWhateverItIs) {
  // rounding.h: one word per value even when it is exact, saturates or is NaN.
  Rng rng(5);
  ref::RefSplitMix64 ref(5);
  for (double v : {0.25, -3.75, 6.9, -7.1, 2.0, 14.5, -100.0, 7.9, kNaN, kInf, -kInf, 0.5}) {
    const uint64_t r = ref.next();
    double want = 0.0;
    if (!std::isnan(v)) {
      const double fl = std::floor(v);
      want =
          std::isinf(v) || std::ldexp(static_cast<double>(r >> 11), -53) >= v - fl ? fl : fl + 1.0;
      want = std::min(std::max(want, -8.0), 7.0);
    }
    EXPECT_EQ(round_saturate(v, -8, 7, Rounding::kStochastic, &rng), want) << v;
  }
  EXPECT_EQ(rng.next_u64(), ref.next()) << "draw count drifted";
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(round_saturate(7.9, -8, 7, Rounding::kStochastic, &rng), 7);
    ASSERT_EQ(round_saturate(-8.1, -8, 7, Rounding::kStochastic, &rng), -8);
  }
}

}  // namespace
}  // namespace nibble::num
