// fp8.h: OCP FP8 E4M3 and E5M2 decoding and quantization.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>

#include "model/numerics/fp8.h"
#include "model/numerics/random.h"
#include "tests/reference/ref_binary16.h"
#include "tests/reference/ref_random.h"
#include "tests/reference/ref_stochastic.h"
#include "tests/reference/ref_sweep.h"

namespace nibble::num {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Kind {
  Fp8Kind kind;
  ref::RefFormat ref;
  const char* name;
};
const Kind kKinds[] = {{Fp8Kind::kE4M3, ref::kRefE4M3, "e4m3"},
                       {Fp8Kind::kE5M2, ref::kRefE5M2, "e5m2"}};

ref::RefOverflow to_ref(Overflow o) {
  return o == Overflow::kSaturate ? ref::RefOverflow::kSaturate : ref::RefOverflow::kInfinity;
}

TEST(Fp8, FormatOfKind) {
  const FloatFormat& e4 = fp8_format(Fp8Kind::kE4M3);
  EXPECT_EQ(e4.exp_bits, 4);
  EXPECT_EQ(e4.man_bits, 3);
  EXPECT_EQ(e4.bias, 7);
  EXPECT_FALSE(e4.has_inf);
  const FloatFormat& e5 = fp8_format(Fp8Kind::kE5M2);
  EXPECT_EQ(e5.exp_bits, 5);
  EXPECT_EQ(e5.man_bits, 2);
  EXPECT_EQ(e5.bias, 15);
  EXPECT_TRUE(e5.has_inf);
}

TEST(Fp8, DecodeEveryCode) {
  for (const Kind& k : kKinds) {
    for (int c = 0; c < 256; ++c) {
      const double want = ref::ref_decode(k.ref, static_cast<uint32_t>(c));
      const double got = fp8_decode(k.kind, static_cast<uint8_t>(c));
      if (std::isnan(want)) {
        EXPECT_TRUE(std::isnan(got)) << k.name << " " << c;
      } else {
        EXPECT_EQ(got, want) << k.name << " " << c;
        EXPECT_EQ(std::signbit(got), std::signbit(want)) << k.name << " " << c;
      }
    }
  }
  EXPECT_EQ(fp8_decode(Fp8Kind::kE4M3, 0x7E), 448.0);
  EXPECT_EQ(fp8_decode(Fp8Kind::kE4M3, 0x01), 0x1p-9);
  EXPECT_EQ(fp8_decode(Fp8Kind::kE4M3, 0x78), 256.0);  // S.1111.000 is finite in E4M3
  EXPECT_TRUE(std::isnan(fp8_decode(Fp8Kind::kE4M3, 0xFF)));
  EXPECT_EQ(fp8_decode(Fp8Kind::kE5M2, 0x7B), 57344.0);
  EXPECT_EQ(fp8_decode(Fp8Kind::kE5M2, 0x01), 0x1p-16);
  EXPECT_EQ(fp8_decode(Fp8Kind::kE5M2, 0xFC), -kInf);
  EXPECT_TRUE(std::isnan(fp8_decode(Fp8Kind::kE5M2, 0x7D)));
}

TEST(Fp8, QuantizeAtEveryMidpointAndNeighbourBothOverflowModes) {
  for (const Kind& k : kKinds) {
    for (Overflow o : {Overflow::kSaturate, Overflow::kInfinity}) {
      SCOPED_TRACE(std::string(k.name) + (o == Overflow::kSaturate ? " sat" : " inf"));
      int mismatches = 0;
      for (const ref::RefCase& c : ref::ref_rounding_cases(k.ref, to_ref(o))) {
        const uint8_t got = fp8_quantize(k.kind, c.x, 1.0, Rounding::kNearestEven, nullptr, o);
        if (got != c.bits && ++mismatches <= 5) {
          ADD_FAILURE() << std::hexfloat << "x " << c.x << std::hex << " want 0x" << c.bits
                        << " got 0x" << int{got};
        }
      }
      EXPECT_EQ(mismatches, 0);
    }
  }
}

TEST(Fp8, SaturationAndSpecialsByHand) {
  const auto e4 = [](double x, Overflow o = Overflow::kSaturate) {
    return fp8_quantize(Fp8Kind::kE4M3, x, 1.0, Rounding::kNearestEven, nullptr, o);
  };
  const auto e5 = [](double x, Overflow o = Overflow::kSaturate) {
    return fp8_quantize(Fp8Kind::kE5M2, x, 1.0, Rounding::kNearestEven, nullptr, o);
  };
  EXPECT_EQ(e4(448.0), 0x7E);
  EXPECT_EQ(e4(464.0), 0x7E);  // tie between 448 and (unrepresentable) 480: even
  EXPECT_EQ(e4(465.0), 0x7E);  // overflow saturates by default
  EXPECT_EQ(e4(-1e6), 0xFE);
  EXPECT_EQ(e4(kInf), 0x7E);
  EXPECT_EQ(e4(-kInf), 0xFE);
  EXPECT_EQ(e4(kNaN), 0x7F);
  EXPECT_EQ(e4(465.0, Overflow::kInfinity), 0x7F);  // no Inf in E4M3: NaN
  EXPECT_EQ(e4(-kInf, Overflow::kInfinity), 0x7F);
  EXPECT_EQ(e4(464.0, Overflow::kInfinity), 0x7E);
  EXPECT_EQ(e4(0x1p-10), 0x00);  // half the smallest subnormal: tie, to even (zero)
  EXPECT_EQ(e4(-0x1p-10), 0x80);
  EXPECT_EQ(e4(0x3p-10), 0x02);
  EXPECT_EQ(e4(0.1), 0x1D);  // 0.1015625 = 1.625 * 2^-4
  EXPECT_EQ(e5(57344.0), 0x7B);
  EXPECT_EQ(e5(61440.0), 0x7B);
  EXPECT_EQ(e5(61440.0, Overflow::kInfinity), 0x7C);  // tie rounds to 65536: overflow
  EXPECT_EQ(e5(61439.0, Overflow::kInfinity), 0x7B);
  EXPECT_EQ(e5(kInf), 0x7B);
  EXPECT_EQ(e5(kInf, Overflow::kInfinity), 0x7C);
  EXPECT_EQ(e5(-kInf, Overflow::kInfinity), 0xFC);
  EXPECT_EQ(e5(-kNaN), 0x7E);
  EXPECT_EQ(e5(0x1p-17), 0x00);
  EXPECT_EQ(e5(0x1.00001p-17), 0x01);
}

TEST(Fp8, QuantizeDividesByTheScale) {
  std::mt19937_64 gen(10);
  for (const Kind& k : kKinds) {
    for (double scale : {0.3, 0x1p-4, 17.0, 1e-3, 0.7}) {
      SCOPED_TRACE(std::string(k.name) + " scale " + std::to_string(scale));
      int mismatches = 0;
      for (const ref::RefCase& c : ref::ref_rounding_cases(k.ref, ref::RefOverflow::kSaturate)) {
        const double x = c.x * scale;
        const uint32_t want = ref::ref_round(k.ref, x / scale, ref::RefOverflow::kSaturate);
        mismatches += fp8_quantize(k.kind, x, scale) != want ? 1 : 0;
        // A power-of-two scale divides exactly: the case's own expectation holds.
        if (scale == 0x1p-4 && fp8_quantize(k.kind, x, scale) != c.bits) ++mismatches;
      }
      EXPECT_EQ(mismatches, 0);
    }
  }
  for (double scale : {0.0, -1.0, kNaN, kInf}) {
    EXPECT_THROW(fp8_quantize(Fp8Kind::kE4M3, 1.0, scale), std::invalid_argument) << scale;
    EXPECT_THROW(fp8_quantize(Fp8Kind::kE5M2, 1.0, scale), std::invalid_argument) << scale;
  }
}

TEST(Fp8, StochasticFollowsTheDrawRuleOneDrawPerValue) {
  std::mt19937_64 gen(11);
  for (const Kind& k : kKinds) {
    SCOPED_TRACE(k.name);
    Rng rng(12);
    ref::RefSplitMix64 ref(12);
    const double max = ref::ref_max_finite(k.ref);
    std::uniform_real_distribution<double> log_mag(std::log2(ref::ref_min_subnormal(k.ref)) - 2,
                                                   std::log2(max) + 1);
    int mismatches = 0;
    for (int i = 0; i < 50000; ++i) {
      double x = std::exp2(log_mag(gen));
      if (i % 7 == 0) x = ref::ref_decode(k.ref, static_cast<uint32_t>(gen() % 0x70));
      if (i % 97 == 0) x = kNaN;
      if ((gen() & 1u) != 0) x = -x;
      const double scale = i % 2 == 0 ? 1.0 : 0.25;
      const uint64_t r = ref.next();
      const uint32_t want =
          std::isnan(x) || ref::ref_is_exact(k.ref, x)
              ? ref::ref_round(k.ref, x, ref::RefOverflow::kSaturate)
              : ref::ref_round_stochastic(k.ref, x, r, ref::RefOverflow::kSaturate);
      const uint8_t got = fp8_quantize(k.kind, x * scale, scale, Rounding::kStochastic, &rng);
      if (got != want && ++mismatches <= 5) {
        ADD_FAILURE() << std::hexfloat << "x " << x << std::hex << " want 0x" << want << " got 0x"
                      << int{got};
      }
    }
    EXPECT_EQ(mismatches, 0);
    EXPECT_EQ(rng.next_u64(), ref.next()) << "draw count drifted";
  }
}

TEST(Fp8, StochasticIsUnbiasedAndAlwaysANeighbour) {
  for (const Kind& k : kKinds) {
    for (double x : {0.3, -3.3e-3, 100.7, 1.5e-5}) {
      const ref::RefBracket b = ref::ref_bracket(k.ref, std::fabs(x));
      const double lo = x < 0 ? -b.hi() : b.lo();
      const double hi = x < 0 ? -b.lo() : b.hi();
      Rng rng(13);
      const ref::StochasticSample s = ref::sample_stochastic(x, lo, hi, 1000000, [&] {
        return fp8_decode(k.kind, fp8_quantize(k.kind, x, 1.0, Rounding::kStochastic, &rng));
      });
      EXPECT_EQ(s.outside, 0) << k.name << " " << x;
      EXPECT_LT(s.z(), 5.0) << k.name << " x " << x << " mean " << s.mean();
    }
  }
}

TEST(Fp8, StochasticWithoutRngThrows) {
  EXPECT_THROW(fp8_quantize(Fp8Kind::kE4M3, 0.3, 1.0, Rounding::kStochastic, nullptr),
               std::invalid_argument);
}

}  // namespace
}  // namespace nibble::num
