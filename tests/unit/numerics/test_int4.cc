// int4.h: INT4 and UINT4 codes and quantizers.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>

#include "model/numerics/int4.h"
#include "model/numerics/random.h"
#include "tests/reference/ref_quant4.h"
#include "tests/reference/ref_random.h"
#include "tests/reference/ref_stochastic.h"

namespace nibble::num {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

int clamp_int(int v, int lo, int hi) { return std::min(std::max(v, lo), hi); }

TEST(Int4, ValueAndCodeOfEveryPattern) {
  for (int c = 0; c < 16; ++c) {
    const Code4 code = static_cast<Code4>(c);
    EXPECT_EQ(int4_value(code), ref::ref_int4_value(code)) << c;
    EXPECT_EQ(uint4_value(code), c);
    EXPECT_EQ(int4_code(int4_value(code)), code);
    EXPECT_EQ(uint4_code(c), code);
  }
  EXPECT_EQ(int4_value(0x8), -8);
  EXPECT_EQ(int4_value(0xF), -1);
  EXPECT_EQ(int4_value(0x7), 7);
  EXPECT_EQ(kInt4Min, -8);
  EXPECT_EQ(kInt4Max, 7);
  EXPECT_EQ(kUint4Max, 15);
}

TEST(Int4, CodeOfOutOfRangeValueThrows) {
  for (int v : {-9, 8, 16, -100, 1000}) EXPECT_THROW(int4_code(v), std::out_of_range) << v;
  for (int v : {-1, 16, -8, 100}) EXPECT_THROW(uint4_code(v), std::out_of_range) << v;
}

// Checks quantize at every threshold k + 0.5 and on both sides of it, with golden values taken
// straight from the rule (round half to even, then clamp), for a power-of-two scale (exact).
void check_thresholds(bool is_signed, double scale) {
  const int lo = is_signed ? -8 : 0;
  const int hi = is_signed ? 7 : 15;
  auto q = [&](double x) { return is_signed ? quantize_int4(x, scale) : quantize_uint4(x, scale); };
  for (int k = lo - 3; k <= hi + 2; ++k) {
    const double t = k + 0.5;
    const int even = (k % 2 == 0) ? k : k + 1;
    EXPECT_EQ(q(t * scale), ref::ref_code4(clamp_int(even, lo, hi))) << "tie " << t;
    EXPECT_EQ(q(std::nextafter(t, -kInf) * scale), ref::ref_code4(clamp_int(k, lo, hi))) << t;
    EXPECT_EQ(q(std::nextafter(t, kInf) * scale), ref::ref_code4(clamp_int(k + 1, lo, hi))) << t;
    EXPECT_EQ(q(k * scale), ref::ref_code4(clamp_int(k, lo, hi))) << k;
  }
  for (double far : {1e300, kInf, 3e9, 65504.0}) {
    EXPECT_EQ(q(far * scale), ref::ref_code4(hi)) << far;
    EXPECT_EQ(q(-far * scale), ref::ref_code4(lo)) << -far;
  }
  EXPECT_EQ(q(kNaN), 0);
  EXPECT_EQ(q(-0.0), 0);
  EXPECT_EQ(q(-0.5 * scale), 0);
  EXPECT_EQ(q(std::numeric_limits<double>::denorm_min()), 0);
}

TEST(Int4, QuantizeAtEveryThresholdAndBeyond) {
  for (double scale : {1.0, 0.25, 8.0, 0x1p-20}) {
    SCOPED_TRACE(scale);
    check_thresholds(true, scale);
  }
}

TEST(Uint4, QuantizeAtEveryThresholdAndBeyond) {
  for (double scale : {1.0, 0.25, 8.0, 0x1p-20}) {
    SCOPED_TRACE(scale);
    check_thresholds(false, scale);
  }
}

TEST(Int4, QuantizeDividesByANonPowerOfTwoScale) {
  std::mt19937_64 gen(1);
  std::uniform_real_distribution<double> dist(-20.0, 20.0);
  for (double scale : {0.3, 3.7, 1e-3, 0.1, 1.0 / 3.0}) {
    for (int k = -10; k <= 17; ++k) {
      for (double v : {k + 0.5, std::nextafter(k + 0.5, -kInf), std::nextafter(k + 0.5, kInf)}) {
        const double x = v * scale;
        EXPECT_EQ(quantize_int4(x, scale), ref::ref_quantize_int4(x, scale)) << x << "/" << scale;
        EXPECT_EQ(quantize_uint4(x, scale), ref::ref_quantize_uint4(x, scale)) << x << "/" << scale;
      }
    }
    for (int i = 0; i < 10000; ++i) {
      const double x = dist(gen) * scale;
      ASSERT_EQ(quantize_int4(x, scale), ref::ref_quantize_int4(x, scale)) << x << "/" << scale;
      ASSERT_EQ(quantize_uint4(x, scale), ref::ref_quantize_uint4(x, scale)) << x << "/" << scale;
    }
  }
  // (1.5 * 0.7) / 0.7 is 1.4999999999999998 in binary64: the quantizer must divide, not
  // compare with a threshold times the scale (which would see a tie and give 2).
  EXPECT_EQ(quantize_int4(1.5 * 0.7, 0.7), 1);
  EXPECT_EQ(quantize_int4(-1.5 * 0.7, 0.7), 0xF);
}

TEST(Int4, InvalidScaleThrows) {
  for (double scale : {0.0, -1.0, -0.0, kNaN, kInf, -kInf}) {
    EXPECT_THROW(quantize_int4(1.0, scale), std::invalid_argument) << scale;
    EXPECT_THROW(quantize_uint4(1.0, scale), std::invalid_argument) << scale;
  }
}

TEST(Int4, StochasticFollowsTheDrawRuleOneDrawPerValue) {
  // One word per value whatever it is (rounding.h), u = (r >> 11) * 2^-53, up iff u < frac.
  std::mt19937_64 gen(2);
  std::uniform_real_distribution<double> dist(-12.0, 20.0);
  Rng rng(3);
  ref::RefSplitMix64 ref(3);
  int mismatches = 0;
  for (int i = 0; i < 100000; ++i) {
    double v = dist(gen);
    if (i % 10 == 0) v = std::floor(v);
    if (i % 97 == 0) v = kNaN;
    if (i % 89 == 0) v = -kInf;
    const double scale = i % 2 == 0 ? 1.0 : 0.5;
    const double u = ref.next_unit();
    auto want = [&](int lo, int hi) -> Code4 {
      if (std::isnan(v)) return 0;
      const double fl = std::floor(v);
      const double r = std::isinf(v) ? v : (u < v - fl ? fl + 1.0 : fl);
      return ref::ref_code4(static_cast<int>(
          std::min(std::max(r, static_cast<double>(lo)), static_cast<double>(hi))));
    };
    const bool is_signed = (i & 2) != 0;
    const Code4 got = is_signed ? quantize_int4(v * scale, scale, Rounding::kStochastic, &rng)
                                : quantize_uint4(v * scale, scale, Rounding::kStochastic, &rng);
    const Code4 expected = is_signed ? want(-8, 7) : want(0, 15);
    if (got != expected && ++mismatches <= 5) {
      ADD_FAILURE() << "v " << v << " signed " << is_signed << " want " << int{expected} << " got "
                    << int{got};
    }
  }
  EXPECT_EQ(mismatches, 0);
  EXPECT_EQ(rng.next_u64(), ref.next()) << "draw count drifted";
}

TEST(Int4, StochasticIsUnbiasedAndAlwaysANeighbour) {
  for (double x : {2.3, -5.75, 0.1, -7.9, 6.5}) {
    Rng rng(1000);
    const double lo = std::floor(x);
    const ref::StochasticSample s = ref::sample_stochastic(x, lo, lo + 1.0, 1000000, [&] {
      return static_cast<double>(int4_value(quantize_int4(x, 1.0, Rounding::kStochastic, &rng)));
    });
    EXPECT_EQ(s.outside, 0) << x;
    EXPECT_LT(s.z(), 5.0) << "x " << x << " mean " << s.mean();
  }
  // UINT4 with a scale: x / scale = 13.4.
  Rng rng(1001);
  const ref::StochasticSample s = ref::sample_stochastic(13.4, 13.0, 14.0, 1000000, [&] {
    return static_cast<double>(
        uint4_value(quantize_uint4(13.4 * 0.125, 0.125, Rounding::kStochastic, &rng)));
  });
  EXPECT_EQ(s.outside, 0);
  EXPECT_LT(s.z(), 5.0) << s.mean();
}

TEST(Int4, StochasticSameSeedSameCodesAndExactValuesUnchanged) {
  Rng a(77), b(77);
  for (int i = 0; i < 1000; ++i) {
    const double x = -8.0 + i * 0.015;
    ASSERT_EQ(quantize_int4(x, 1.0, Rounding::kStochastic, &a),
              quantize_int4(x, 1.0, Rounding::kStochastic, &b));
  }
  for (int k = -8; k <= 7; ++k) {
    for (int i = 0; i < 100; ++i) {
      ASSERT_EQ(quantize_int4(k, 1.0, Rounding::kStochastic, &a), ref::ref_code4(k));
    }
  }
}

TEST(Int4, StochasticWithoutRngThrows) {
  EXPECT_THROW(quantize_int4(2.3, 1.0, Rounding::kStochastic, nullptr), std::invalid_argument);
  EXPECT_THROW(quantize_uint4(2.3, 1.0, Rounding::kStochastic, nullptr), std::invalid_argument);
}

}  // namespace
}  // namespace nibble::num
