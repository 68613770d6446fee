// grad_scale.h: the GradScale exponent update and the FP16 scale factor.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>

#include "model/numerics/grad_scale.h"
#include "tests/reference/ref_binary16.h"

namespace nibble::num {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The unique s with g * 2^s in (top / 2, top], top = 2^t, found by stepping (no logarithms).
int ref_target_exp(double g, int t) {
  int s = 0;
  while (std::ldexp(g, s) > std::ldexp(1.0, t)) --s;
  while (std::ldexp(g, s) <= std::ldexp(1.0, t - 1)) ++s;
  return s;
}

TEST(GradScale, HandPickedDefaultBias) {
  // bias 7: top = 4^0 = 1, window (0.5, 1].
  EXPECT_EQ(grad_scale_update(0, 1.0), 0);         // m = top: hold
  EXPECT_EQ(grad_scale_update(0, 0.75), 0);        // inside the window: hold
  EXPECT_EQ(grad_scale_update(0, 0.5000001), 0);   // just above top / 2: hold
  EXPECT_EQ(grad_scale_update(0, 0.5), 1);         // m = top / 2: raise, 0.5 * 2 = 1
  EXPECT_EQ(grad_scale_update(0, 1.0000001), -1);  // just above top: lower
  EXPECT_EQ(grad_scale_update(0, 3.0), -2);        // 3 / 4 = 0.75
  EXPECT_EQ(grad_scale_update(0, 4.0), -2);        // 4 / 4 = 1 (top is inside)
  EXPECT_EQ(grad_scale_update(0, 0.1), 3);         // 0.8
  EXPECT_EQ(grad_scale_update(3, 0.1), 3);         // m = 0.8 already
  EXPECT_EQ(grad_scale_update(5, 0.1), 3);         // m = 3.2: lower by 2
  EXPECT_EQ(grad_scale_update(-4, 0.1), 3);        // m = 0.00625: raise by 7
  EXPECT_EQ(grad_scale_update(2, 0.25), 2);        // m = 1: hold
  EXPECT_EQ(grad_scale_update(1, 0.25), 2);        // m = 0.5: raise
}

TEST(GradScale, OtherBiasesMoveTheWindow) {
  // bias 5: top = 16, window (8, 16].
  const GradScaleParams p5{5, -14, 15};
  EXPECT_EQ(grad_scale_update(0, 16.0, p5), 0);
  EXPECT_EQ(grad_scale_update(0, 8.0, p5), 1);
  EXPECT_EQ(grad_scale_update(0, 17.0, p5), -1);
  EXPECT_EQ(grad_scale_update(0, 1.0, p5), 4);
  // bias 10: top = 4^-3 = 2^-6, window (2^-7, 2^-6].
  const GradScaleParams p10{10, -14, 15};
  EXPECT_EQ(grad_scale_update(0, 1.0, p10), -6);
  EXPECT_EQ(grad_scale_update(0, 0x1p-7, p10), 1);
}

TEST(GradScale, ClampedToTheExponentRange) {
  EXPECT_EQ(grad_scale_update(0, 1e-9), 15);       // would need 30
  EXPECT_EQ(grad_scale_update(0, 1e9), -14);       // would need -30
  EXPECT_EQ(grad_scale_update(0, 0x1p-15), 15);    // needs exactly 15
  EXPECT_EQ(grad_scale_update(0, 0x1p-16), 15);    // needs 16
  EXPECT_EQ(grad_scale_update(0, 0x1p14), -14);    // needs -14
  EXPECT_EQ(grad_scale_update(0, 0x1.8p14), -14);  // needs -15
  const GradScaleParams narrow{7, -2, 3};
  EXPECT_EQ(grad_scale_update(0, 0.01, narrow), 3);
  EXPECT_EQ(grad_scale_update(0, 100.0, narrow), -2);
  EXPECT_EQ(grad_scale_update(0, 3.0, narrow), -2);
  EXPECT_EQ(grad_scale_update(1, 0.2, narrow), 2);
}

TEST(GradScale, NoInformationHoldsTheExponent) {
  for (int s : {-14, -3, 0, 7, 15}) {
    for (double g : {0.0, -0.0, kNaN, kInf}) {
      EXPECT_EQ(grad_scale_update(s, g), s) << "s " << s << " g " << g;
    }
  }
}

TEST(GradScale, RandomObservationsLandInTheWindowUnlessClamped) {
  std::mt19937_64 gen(40);
  std::uniform_real_distribution<double> log_g(-40.0, 40.0);
  int mismatches = 0;
  for (int bias = 2; bias <= 13; ++bias) {
    const GradScaleParams params{bias, -14, 15};
    const int t = 2 * (7 - bias);  // log2(top)
    for (int i = 0; i < 20000; ++i) {
      const double g = std::exp2(log_g(gen));
      const int current = static_cast<int>(gen() % 30) - 14;
      const int next = grad_scale_update(current, g, params);
      const int target = ref_target_exp(g, t);
      const int want = std::min(std::max(target, params.min_exp), params.max_exp);
      const double m = std::ldexp(g, next);
      const bool in_window = m > std::ldexp(1.0, t - 1) && m <= std::ldexp(1.0, t);
      const bool ok = next == want && (in_window || next != target) && next >= params.min_exp &&
                      next <= params.max_exp;
      if (!ok && ++mismatches <= 5) {
        ADD_FAILURE() << "bias " << bias << " g " << g << " current " << current << ": want "
                      << want << " got " << next;
      }
    }
  }
  EXPECT_EQ(mismatches, 0);
}

TEST(GradScaleFactor, ExactPowersOfTwoAndRange) {
  for (int e = -24; e <= 15; ++e) {
    const Fp16 f = grad_scale_factor(e);
    EXPECT_EQ(f.to_double(), std::ldexp(1.0, e)) << e;
    EXPECT_EQ(f.bits(), ref::ref_round_binary16(std::ldexp(1.0, e))) << e;
  }
  EXPECT_EQ(grad_scale_factor(0).bits(), 0x3C00);
  EXPECT_EQ(grad_scale_factor(-24).bits(), 0x0001);
  EXPECT_EQ(grad_scale_factor(-14).bits(), 0x0400);
  EXPECT_EQ(grad_scale_factor(15).bits(), 0x7800);
  for (int e : {-25, 16, -100, 100}) EXPECT_THROW(grad_scale_factor(e), std::out_of_range) << e;
}

TEST(GradScaleObservation, LargestMagnitudeOrNaN) {
  GradScaleObservation none;
  EXPECT_EQ(none.max_abs(), 0.0);

  GradScaleObservation g;
  g.observe(Fp16::from_bits(0x4200));  // 3
  g.observe(Fp16::from_bits(0xC400));  // -4: the magnitude counts
  g.observe(Fp16::from_bits(0x0001));  // 2^-24
  g.observe(kFp16NegZero);
  EXPECT_EQ(g.max_abs(), 4.0);
  g.observe(kFp16NegInf);
  EXPECT_EQ(g.max_abs(), kInf);

  GradScaleObservation nan;
  nan.observe(Fp16::from_bits(0x7D01));  // a NaN with a payload, then finite values
  nan.observe(Fp16::from_bits(0x3C00));
  EXPECT_TRUE(std::isnan(nan.max_abs()));
}

TEST(GradScaleState, OneExponentPerLayerFromZero) {
  GradScaleState state;
  EXPECT_EQ(state.exp("fc1.dgrad"), 0);
  EXPECT_EQ(state.factor("fc1.dgrad").bits(), 0x3C00);

  GradScaleObservation small;
  small.observe(Fp16::from_double(0.125));  // bias 7: 0.125 * 2^3 = 1 = top
  GradScaleObservation big;
  big.observe(Fp16::from_double(48.0));  // 48 * 2^-6 = 0.75
  const GradScaleParams params;
  state.update("fc1.dgrad", small, params);
  state.update("fc2.dgrad", big, params);
  EXPECT_EQ(state.exp("fc1.dgrad"), ref_target_exp(0.125, 0));
  EXPECT_EQ(state.exp("fc1.dgrad"), 3);
  EXPECT_EQ(state.exp("fc2.dgrad"), -6);
  EXPECT_EQ(state.factor("fc1.dgrad").to_double(), 8.0);
  EXPECT_EQ(state.factor("fc2.dgrad").to_double(), 1.0 / 64);

  GradScaleObservation nan;
  nan.observe(kFp16NaN);
  state.update("fc1.dgrad", nan, params);  // held
  EXPECT_EQ(state.exp("fc1.dgrad"), 3);
  GradScaleParams bias4;
  bias4.fp4_bias = 4;  // top = 4^3 = 64: 0.125 * 2^9 = 64
  state.update("fc1.dgrad", small, bias4);
  EXPECT_EQ(state.exp("fc1.dgrad"), 9);
  EXPECT_EQ(state.exp("fc3.dgrad"), 0);
}

}  // namespace
}  // namespace nibble::num
