// scale_unit.h: out = quantize(acc * scale) on the array's output path.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "model/numerics/random.h"
#include "model/numerics/scale_unit.h"
#include "tests/reference/ref_binary16.h"
#include "tests/reference/ref_quant4.h"
#include "tests/reference/ref_random.h"

namespace nibble::num {
namespace {

std::string describe(const OutputSpec& s) {
  std::string d = format_name(s.format);
  if (s.format == Format::kFp4) {
    d += "(bias " + std::to_string(s.fp4.bias) + ", phase " + std::to_string(s.fp4.phase) + ")";
  }
  return d + (s.rounding == Rounding::kStochastic ? " stochastic" : " rne");
}

// Reference of one element: the exact product acc * scale (exact in binary64: 11 x 11 bits),
// rounded once. `r` is the stochastic word (ignored for round-to-nearest).
uint16_t ref_scale(uint16_t acc, uint16_t scale, const OutputSpec& spec, uint64_t r = 0) {
  const double x = ref::ref_decode_binary16(acc) * ref::ref_decode_binary16(scale);
  const bool stochastic = spec.rounding == Rounding::kStochastic;
  const double u = std::ldexp(static_cast<double>(r >> 11), -53);
  switch (spec.format) {
    case Format::kInt4:
    case Format::kUint4: {
      const int lo = spec.format == Format::kInt4 ? -8 : 0;
      const int hi = spec.format == Format::kInt4 ? 7 : 15;
      if (!stochastic || !std::isfinite(x)) return ref::ref_code4(ref::ref_round_clamp(x, lo, hi));
      const double fl = std::floor(x);
      return ref::ref_code4(ref::ref_round_clamp(u < x - fl ? fl + 1.0 : fl, lo, hi));
    }
    case Format::kFp4: {
      const int bias = spec.fp4.bias, phase = spec.fp4.phase;
      const double a = std::fabs(x);
      if (!stochastic || std::isnan(x) || a >= ref::ref_fp4_max(bias, phase)) {
        return ref::ref_fp4_quantize(x, bias, phase);
      }
      const ref::RefFp4Bracket b = ref::ref_fp4_bracket(a, bias, phase);
      const int e = u < (a - b.lo) / (b.hi - b.lo) ? b.e_lo + 1 : b.e_lo;
      return e == 0 ? uint16_t{0} : static_cast<uint16_t>((x < 0 ? 0x8 : 0x0) | e);
    }
    default: {
      if (!stochastic || !std::isfinite(x) || ref::ref_is_exact(ref::kRefBinary16, x)) {
        return ref::ref_round_binary16(x);
      }
      return static_cast<uint16_t>(ref::ref_round_stochastic(ref::kRefBinary16, x, r));
    }
  }
}

std::vector<OutputSpec> all_specs(Rounding rounding) {
  return {{Format::kInt4, {}, rounding},    {Format::kUint4, {}, rounding},
          {Format::kFp4, {7, 0}, rounding}, {Format::kFp4, {7, 1}, rounding},
          {Format::kFp4, {2, 0}, rounding}, {Format::kFp4, {13, 1}, rounding},
          {Format::kFp16, {}, rounding}};
}

TEST(ScaleUnit, ReferenceHandPicked) {
  // Golden values by hand, to pin the reference itself.
  const OutputSpec i4{Format::kInt4, {}, Rounding::kNearestEven};
  const OutputSpec u4{Format::kUint4, {}, Rounding::kNearestEven};
  const OutputSpec f4{Format::kFp4, {}, Rounding::kNearestEven};
  const OutputSpec f16{Format::kFp16, {}, Rounding::kNearestEven};
  EXPECT_EQ(ref_scale(0x4100, 0x3C00, i4), 2);    // 2.5 -> 2
  EXPECT_EQ(ref_scale(0x4300, 0x3C00, i4), 4);    // 3.5 -> 4
  EXPECT_EQ(ref_scale(0xCB00, 0x3800, i4), 0x9);  // -14 * 0.5 = -7
  EXPECT_EQ(ref_scale(0x7E00, 0x3C00, u4), 0);    // NaN -> 0
  EXPECT_EQ(ref_scale(0xFC00, 0x3C00, i4), 0x8);  // -Inf saturates
  EXPECT_EQ(ref_scale(0x3900, 0x3C00, f4), 0x7);  // 0.625: tie, away from zero
  EXPECT_EQ(ref_scale(0x7BFF, 0x7BFF, f16), 0x7C00);
  EXPECT_EQ(ref_scale(0x0001, 0x3800, f16), 0x0000);  // 2^-25: tie, to even
}

TEST(ScaleUnit, EveryAccumulatorValueEveryTargetSeveralScales) {
  const uint16_t point_three = ref::ref_round_binary16(0.3);
  const uint16_t one_point_seven = ref::ref_round_binary16(1.7);
  const uint16_t kScales[] = {0x3C00,      0x3000,          0x4C00, 0x0001,
                              point_three, one_point_seven, 0x7BFF, 0xB800};
  for (const OutputSpec& spec : all_specs(Rounding::kNearestEven)) {
    for (uint16_t scale : kScales) {
      SCOPED_TRACE(describe(spec) + " scale 0x" + std::to_string(scale));
      int mismatches = 0;
      for (uint32_t acc = 0; acc <= 0xFFFF; ++acc) {
        const uint16_t a = static_cast<uint16_t>(acc);
        const uint16_t want = ref_scale(a, scale, spec);
        const uint16_t got =
            scale_element(Fp16::from_bits(a), Fp16::from_bits(scale), spec, nullptr);
        if (got != want && ++mismatches <= 5) {
          ADD_FAILURE() << std::hex << "acc 0x" << acc << " scale 0x" << scale << ": want 0x"
                        << want << " got 0x" << got;
        }
      }
      EXPECT_EQ(mismatches, 0);
    }
  }
}

TEST(ScaleUnit, PerTensorAndPerChannelIndexing) {
  std::mt19937_64 gen(30);
  const size_t rows = 5, cols = 7;
  std::vector<Fp16> acc(rows * cols);
  for (Fp16& a : acc) a = Fp16::from_bits(static_cast<uint16_t>(gen() % 0x5000 | (gen() & 0x8000)));
  std::vector<Fp16> scales(cols);
  for (size_t n = 0; n < cols; ++n) {
    scales[n] = Fp16::from_bits(
        ref::ref_round_binary16(std::ldexp(1.0 + 0.1 * static_cast<double>(n), -3)));
  }
  for (const OutputSpec& spec : all_specs(Rounding::kNearestEven)) {
    SCOPED_TRACE(describe(spec));
    std::vector<uint16_t> out(rows * cols, 0xDEAD);
    scale_tensor(acc.data(), rows, cols, scales.data(), cols, spec, nullptr, out.data());
    for (size_t m = 0; m < rows; ++m) {
      for (size_t n = 0; n < cols; ++n) {
        const size_t i = m * cols + n;
        EXPECT_EQ(out[i], ref_scale(acc[i].bits(), scales[n].bits(), spec)) << m << "," << n;
      }
    }
    scale_tensor(acc.data(), rows, cols, scales.data() + 3, 1, spec, nullptr, out.data());
    for (size_t i = 0; i < rows * cols; ++i) {
      EXPECT_EQ(out[i], ref_scale(acc[i].bits(), scales[3].bits(), spec)) << i;
    }
  }
}

TEST(ScaleUnit, StochasticDrawsOneWordPerElementInRowMajorOrder) {
  std::mt19937_64 gen(31);
  const size_t rows = 9, cols = 13;
  std::vector<Fp16> acc(rows * cols);
  for (Fp16& a : acc) a = Fp16::from_bits(static_cast<uint16_t>(gen() % 0x5400 | (gen() & 0x8000)));
  acc[5] = kFp16NaN;  // NaN and Inf still draw their word
  acc[17] = kFp16NegInf;
  acc[20] = kFp16Zero;  // exact
  std::vector<Fp16> scales(cols);
  for (size_t n = 0; n < cols; ++n) {
    scales[n] = Fp16::from_bits(ref::ref_round_binary16(0.013 * static_cast<double>(n + 1)));
  }
  for (const OutputSpec& spec : all_specs(Rounding::kStochastic)) {
    SCOPED_TRACE(describe(spec));
    Rng rng(32);
    ref::RefSplitMix64 ref(32);
    std::vector<uint16_t> out(rows * cols);
    scale_tensor(acc.data(), rows, cols, scales.data(), cols, spec, &rng, out.data());
    int mismatches = 0;
    for (size_t i = 0; i < rows * cols; ++i) {
      const uint16_t want = ref_scale(acc[i].bits(), scales[i % cols].bits(), spec, ref.next());
      if (out[i] != want && ++mismatches <= 5) {
        ADD_FAILURE() << "element " << i << std::hex << " acc 0x" << acc[i].bits() << ": want 0x"
                      << want << " got 0x" << out[i];
      }
    }
    EXPECT_EQ(mismatches, 0);
    EXPECT_EQ(rng.next_u64(), ref.next()) << "draw count drifted";
    // Element by element with the same seed gives the same codes.
    Rng rng2(32);
    for (size_t i = 0; i < rows * cols; ++i) {
      ASSERT_EQ(scale_element(acc[i], scales[i % cols], spec, &rng2), out[i]) << i;
    }
  }
}

TEST(ScaleUnit, StochasticWithoutRngThrows) {
  for (const OutputSpec& spec : all_specs(Rounding::kStochastic)) {
    EXPECT_THROW(scale_element(Fp16::from_bits(0x3E66), kFp16One, spec, nullptr),
                 std::invalid_argument)
        << describe(spec);
  }
}

TEST(ScaleUnit, ValidateAcceptsOnlyProducibleFormats) {
  for (const OutputSpec& spec : all_specs(Rounding::kNearestEven)) {
    EXPECT_NO_THROW(validate(spec)) << describe(spec);
  }
  for (Format f : {Format::kFp8E4M3, Format::kFp8E5M2, Format::kFp32}) {
    EXPECT_THROW(validate(OutputSpec{f, {}, Rounding::kNearestEven}), std::invalid_argument)
        << format_name(f);
    EXPECT_THROW(validate(OutputSpec{f, {}, Rounding::kStochastic}), std::invalid_argument)
        << format_name(f);
  }
}

}  // namespace
}  // namespace nibble::num
