// fp4.h: radix-4 FP4 with two-phase rounding (TPR).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "model/numerics/fp4.h"
#include "model/numerics/random.h"
#include "tests/reference/ref_quant4.h"
#include "tests/reference/ref_random.h"
#include "tests/reference/ref_stochastic.h"

namespace nibble::num {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::vector<Fp4Spec> all_specs() {
  std::vector<Fp4Spec> specs;
  for (int bias = kFp4MinBias; bias <= kFp4MaxBias; ++bias) {
    for (int phase = 0; phase <= 1; ++phase) specs.push_back({bias, phase});
  }
  return specs;
}

std::string name(const Fp4Spec& s) {
  return "bias " + std::to_string(s.bias) + " phase " + std::to_string(s.phase);
}

TEST(Fp4, AdmittedBiasRange) {
  EXPECT_EQ(kFp4MinBias, 2);
  EXPECT_EQ(kFp4MaxBias, 13);
  EXPECT_EQ(kFp4DefaultBias, 7);
  const Fp4Spec def;
  EXPECT_EQ(def.bias, 7);
  EXPECT_EQ(def.phase, 0);
  EXPECT_EQ(fp4_max(), 1.0);
  EXPECT_EQ(fp4_min(), 0x1p-12);
}

TEST(Fp4, ValidateRejectsBadSpecs) {
  for (const Fp4Spec& s : all_specs()) EXPECT_NO_THROW(validate(s)) << name(s);
  for (const Fp4Spec& s : {Fp4Spec{1, 0}, Fp4Spec{14, 0}, Fp4Spec{7, 2}, Fp4Spec{7, -1},
                           Fp4Spec{-7, 0}, Fp4Spec{0, 1}}) {
    EXPECT_THROW(validate(s), std::invalid_argument) << name(s);
  }
}

TEST(Fp4, ValueOfEveryCodeForEverySpec) {
  for (const Fp4Spec& s : all_specs()) {
    SCOPED_TRACE(name(s));
    for (int c = 0; c < 16; ++c) {
      const Code4 code = static_cast<Code4>(c);
      const double want = ref::ref_fp4_value(code, s.bias, s.phase);
      const double got = fp4_value(code, s);
      EXPECT_EQ(got, want) << c;
      EXPECT_EQ(std::signbit(got), (c & 8) != 0) << c;  // 0x8 is -0.0
      EXPECT_EQ(fp4_is_zero(code), (c & 7) == 0);
      EXPECT_EQ(fp4_negative(code), (c & 8) != 0);
      if ((c & 7) != 0) {
        EXPECT_EQ(std::fabs(want), std::ldexp(1.0, fp4_exp2(code, s))) << c;
      }
    }
    EXPECT_EQ(fp4_max(s), ref::ref_fp4_max(s.bias, s.phase));
    EXPECT_EQ(fp4_min(s), ref::ref_fp4_min(s.bias, s.phase));
  }
}

TEST(Fp4, ThresholdsAreArithmeticMidpoints) {
  for (const Fp4Spec& s : all_specs()) {
    SCOPED_TRACE(name(s));
    EXPECT_EQ(fp4_threshold(0, s), ref::ref_fp4_min(s.bias, s.phase) / 2);
    for (int e = 1; e <= 6; ++e) {
      const double lo = ref::ref_fp4_magnitude(e, s.bias, s.phase);
      const double hi = ref::ref_fp4_magnitude(e + 1, s.bias, s.phase);
      EXPECT_EQ(fp4_threshold(e, s), (lo + hi) / 2) << e;
      EXPECT_EQ(fp4_threshold(e, s), 2.5 * lo) << e;
    }
  }
}

TEST(Fp4, QuantizeAtEveryThresholdBothSidesEverySpec) {
  for (const Fp4Spec& s : all_specs()) {
    SCOPED_TRACE(name(s));
    for (int e = 0; e <= 6; ++e) {
      const double lo = e == 0 ? 0.0 : ref::ref_fp4_magnitude(e, s.bias, s.phase);
      const double t = (lo + ref::ref_fp4_magnitude(e + 1, s.bias, s.phase)) / 2;
      const Code4 up = static_cast<Code4>(e + 1);
      const Code4 down = static_cast<Code4>(e);
      const Code4 neg_down = e == 0 ? Code4{0} : static_cast<Code4>(0x8 | e);  // never -0
      EXPECT_EQ(quantize_fp4(t, s), up) << "tie at " << t << " goes away from zero";
      EXPECT_EQ(quantize_fp4(-t, s), 0x8 | up) << -t;
      EXPECT_EQ(quantize_fp4(std::nextafter(t, 0.0), s), down) << t;
      EXPECT_EQ(quantize_fp4(-std::nextafter(t, 0.0), s), neg_down) << -t;
      EXPECT_EQ(quantize_fp4(std::nextafter(t, kInf), s), up) << t;
      EXPECT_EQ(quantize_fp4(-std::nextafter(t, kInf), s), 0x8 | up) << -t;
      EXPECT_EQ(quantize_fp4(lo, s), down) << lo;
      EXPECT_EQ(quantize_fp4(-lo, s), neg_down) << -lo;
    }
    const double max = ref::ref_fp4_max(s.bias, s.phase);
    for (double big : {max, std::nextafter(max, kInf), 1.5 * max, 1e300, kInf}) {
      EXPECT_EQ(quantize_fp4(big, s), 0x7) << big;
      EXPECT_EQ(quantize_fp4(-big, s), 0xF) << -big;
    }
    EXPECT_EQ(quantize_fp4(std::nextafter(max, 0.0), s), 0x7);
    EXPECT_EQ(quantize_fp4(kNaN, s), 0x0);
    EXPECT_EQ(quantize_fp4(-kNaN, s), 0x0);
    EXPECT_EQ(quantize_fp4(0.0, s), 0x0);
    EXPECT_EQ(quantize_fp4(-0.0, s), 0x0);
    EXPECT_EQ(quantize_fp4(-std::numeric_limits<double>::denorm_min(), s), 0x0);
  }
}

TEST(Fp4, DefaultGridHandPicked) {
  // bias 7, phase 0: magnitudes 4^-6 .. 4^0; thresholds 2.5 * 4^k.
  EXPECT_EQ(quantize_fp4(1.0), 0x7);
  EXPECT_EQ(quantize_fp4(0.625), 0x7);  // 2.5 / 4: tie, away from zero
  EXPECT_EQ(quantize_fp4(0.6249), 0x6);
  EXPECT_EQ(quantize_fp4(0.3), 0x6);
  EXPECT_EQ(quantize_fp4(-0.16), 0xE);    // above 0.15625 -> 0.25
  EXPECT_EQ(quantize_fp4(0x1p-13), 0x1);  // min / 2: tie, away from zero
  EXPECT_EQ(quantize_fp4(0x1.fffffp-14), 0x0);
  EXPECT_EQ(quantize_fp4(-0x1.fffffp-14), 0x0);  // underflow is +0
  EXPECT_EQ(quantize_fp4(3.0, {7, 1}), 0x7);     // phase 1: max is 2
  EXPECT_EQ(quantize_fp4(1.25, {7, 1}), 0x7);    // 2.5 * 0.5 = 1.25: tie
  EXPECT_EQ(quantize_fp4(1.2, {7, 1}), 0x6);
  EXPECT_EQ(quantize_fp4(20.0, {5, 0}), 0x7);  // bias 5: max 16
  EXPECT_EQ(quantize_fp4(10.0, {5, 0}), 0x7);  // 2.5 * 4 = 10: tie
}

TEST(Fp4, QuantizeMatchesReferenceOnRandomValues) {
  std::mt19937_64 gen(4);
  int mismatches = 0;
  for (const Fp4Spec& s : all_specs()) {
    const double lg = std::log2(ref::ref_fp4_max(s.bias, s.phase));
    std::uniform_real_distribution<double> log_mag(lg - 16.0, lg + 2.0);
    for (int i = 0; i < 20000; ++i) {
      const double x = std::exp2(log_mag(gen)) * ((gen() & 1u) != 0 ? -1.0 : 1.0);
      const Code4 want = ref::ref_fp4_quantize(x, s.bias, s.phase);
      const Code4 got = quantize_fp4(x, s);
      if (got != want && ++mismatches <= 5) {
        ADD_FAILURE() << name(s) << " x " << x << " want " << int{want} << " got " << int{got};
      }
    }
  }
  EXPECT_EQ(mismatches, 0);
}

TEST(Fp4, PhaseOneEqualsPhaseZeroOfHalf) {
  std::mt19937_64 gen(5);
  for (int bias = kFp4MinBias; bias <= kFp4MaxBias; ++bias) {
    const Fp4Spec p0{bias, 0}, p1{bias, 1};
    std::vector<double> xs;
    for (int e = 0; e <= 6; ++e) {
      const double t = fp4_threshold(e, p1);
      xs.insert(xs.end(), {t, std::nextafter(t, 0.0), std::nextafter(t, kInf)});
    }
    const double lg = std::log2(ref::ref_fp4_max(bias, 1));
    std::uniform_real_distribution<double> log_mag(lg - 16.0, lg + 2.0);
    for (int i = 0; i < 5000; ++i) xs.push_back(std::exp2(log_mag(gen)));
    for (double x : xs) {
      ASSERT_EQ(quantize_fp4(x, p1), quantize_fp4(x / 2, p0)) << "bias " << bias << " x " << x;
      ASSERT_EQ(quantize_fp4(-x, p1), quantize_fp4(-x / 2, p0)) << "bias " << bias << " x " << x;
    }
  }
}

TEST(Fp4, QuantizeDividesByTheScale) {
  std::mt19937_64 gen(6);
  for (const Fp4Spec& s : {Fp4Spec{7, 0}, Fp4Spec{7, 1}, Fp4Spec{2, 0}, Fp4Spec{13, 1}}) {
    for (double scale : {0.3, 0x1p-5, 7.0, 1e-3, 0.7}) {
      SCOPED_TRACE(name(s) + " scale " + std::to_string(scale));
      for (int e = 0; e <= 6; ++e) {
        const double t = ref::ref_fp4_magnitude(e + 1, s.bias, s.phase) * (e == 0 ? 0.5 : 0.625);
        for (double v : {t, std::nextafter(t, 0.0), std::nextafter(t, kInf)}) {
          EXPECT_EQ(quantize_fp4(v * scale, s, scale),
                    ref::ref_fp4_quantize(v * scale, s.bias, s.phase, scale));
        }
      }
      const double lg = std::log2(ref::ref_fp4_max(s.bias, s.phase) * scale);
      std::uniform_real_distribution<double> log_mag(lg - 16.0, lg + 2.0);
      for (int i = 0; i < 5000; ++i) {
        const double x = std::exp2(log_mag(gen));
        ASSERT_EQ(quantize_fp4(x, s, scale), ref::ref_fp4_quantize(x, s.bias, s.phase, scale)) << x;
      }
    }
  }
  for (double scale : {0.0, -2.0, kNaN, kInf}) {
    EXPECT_THROW(quantize_fp4(0.5, {}, scale), std::invalid_argument) << scale;
  }
}

// The probability rule of fp4.h: up iff u < (|x| - lo) / (hi - lo), u from the one word r.
Code4 ref_fp4_stochastic(double v, const Fp4Spec& s, uint64_t r) {
  if (std::isnan(v)) return 0;
  const double a = std::fabs(v);
  int e = 7;
  if (a < ref::ref_fp4_max(s.bias, s.phase)) {
    const ref::RefFp4Bracket b = ref::ref_fp4_bracket(a, s.bias, s.phase);
    const double u = std::ldexp(static_cast<double>(r >> 11), -53);
    e = u < (a - b.lo) / (b.hi - b.lo) ? b.e_lo + 1 : b.e_lo;
  }
  if (e == 0) return 0;
  return static_cast<Code4>((v < 0 ? 0x8 : 0x0) | e);
}

TEST(Fp4, StochasticFollowsTheDrawRuleOneDrawPerValue) {
  std::mt19937_64 gen(7);
  int mismatches = 0;
  for (const Fp4Spec& s : all_specs()) {
    Rng rng(s.bias * 2 + s.phase);
    ref::RefSplitMix64 ref(static_cast<uint64_t>(s.bias * 2 + s.phase));
    const double lg = std::log2(ref::ref_fp4_max(s.bias, s.phase));
    std::uniform_real_distribution<double> log_mag(lg - 16.0, lg + 1.0);
    for (int i = 0; i < 5000; ++i) {
      double x = std::exp2(log_mag(gen));
      if (i % 10 == 0) x = ref::ref_fp4_value(static_cast<Code4>(gen() % 8), s.bias, s.phase);
      if (i % 97 == 0) x = kNaN;
      if (i % 89 == 0) x = kInf;
      if ((gen() & 1u) != 0) x = -x;
      const Code4 want = ref_fp4_stochastic(x, s, ref.next());
      const Code4 got = quantize_fp4(x, s, 1.0, Rounding::kStochastic, &rng);
      if (got != want && ++mismatches <= 5) {
        ADD_FAILURE() << name(s) << " x " << x << " want " << int{want} << " got " << int{got};
      }
    }
    EXPECT_EQ(rng.next_u64(), ref.next()) << name(s) << ": draw count drifted";
  }
  EXPECT_EQ(mismatches, 0);
}

TEST(Fp4, StochasticIsUnbiasedAndAlwaysANeighbour) {
  for (const Fp4Spec& s : {Fp4Spec{7, 0}, Fp4Spec{7, 1}, Fp4Spec{13, 0}, Fp4Spec{2, 1}}) {
    const double min = ref::ref_fp4_min(s.bias, s.phase);
    const double m3 = ref::ref_fp4_magnitude(3, s.bias, s.phase);
    // x inside a gap, near the top of a gap, negative, and below the smallest magnitude.
    for (double x : {1.7 * m3, 3.9 * m3, -2.2 * m3, 0.3 * min, -0.8 * min}) {
      const ref::RefFp4Bracket b = ref::ref_fp4_bracket(std::fabs(x), s.bias, s.phase);
      const double lo = x < 0 ? -b.hi : b.lo;
      const double hi = x < 0 ? -b.lo : b.hi;
      Rng rng(2020);
      const ref::StochasticSample smp = ref::sample_stochastic(x, lo, hi, 1000000, [&] {
        return fp4_value(quantize_fp4(x, s, 1.0, Rounding::kStochastic, &rng), s);
      });
      EXPECT_EQ(smp.outside, 0) << name(s) << " x " << x;
      EXPECT_LT(smp.z(), 5.0) << name(s) << " x " << x << " mean " << smp.mean();
    }
  }
}

TEST(Fp4, StochasticExactValuesUnchangedSameSeedSameCodes) {
  Rng rng(8);
  for (int i = 0; i < 200; ++i) {
    for (int c = 0; c < 16; ++c) {
      const Code4 code = static_cast<Code4>(c);
      const Code4 want = c == 8 ? Code4{0} : code;
      ASSERT_EQ(quantize_fp4(fp4_value(code), {}, 1.0, Rounding::kStochastic, &rng), want) << c;
    }
  }
  Rng a(9), b(9);
  for (int i = 0; i < 1000; ++i) {
    const double x = i * 0x1p-10;
    ASSERT_EQ(quantize_fp4(x, {}, 1.0, Rounding::kStochastic, &a),
              quantize_fp4(x, {}, 1.0, Rounding::kStochastic, &b));
  }
}

TEST(Fp4, StochasticWithoutRngThrows) {
  EXPECT_THROW(quantize_fp4(0.3, {}, 1.0, Rounding::kStochastic, nullptr), std::invalid_argument);
}

}  // namespace
}  // namespace nibble::num
