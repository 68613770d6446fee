// tb_scale_unit: rtl/nibble_scale_unit.sv against num::scale_element (round to nearest even):
// every binary16 accumulator bit pattern x a set of scales x every output format.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "Vnibble_scale_unit.h"
#include "model/numerics/fp16.h"
#include "model/numerics/scale_unit.h"
#include "testbenches/rtl_formats.h"
#include "verilated.h"

namespace nibble::tb {
namespace {

using num::Format;
using num::Fp16;
using num::OutputSpec;

OutputSpec output(Format f, int phase = 0) {
  OutputSpec spec;
  spec.format = f;
  spec.fp4.phase = phase;
  spec.rounding = num::Rounding::kNearestEven;
  return spec;
}

class Dut {
 public:
  Dut() : model_(&context_) {}
  ~Dut() { model_.final(); }
  uint16_t scale(const OutputSpec& spec, uint16_t acc, uint16_t scale) {
    model_.out_fmt_i = rtl_output_fmt(spec);
    model_.acc_i = acc;
    model_.scale_i = scale;
    model_.eval();
    return model_.out_o;
  }

 private:
  VerilatedContext context_;
  Vnibble_scale_unit model_;
};

// Compares every accumulator for one scale and output; returns the number of outputs that
// are not the format's saturation or zero code (so a scale that only saturates shows).
int64_t check_all_accumulators(Dut& dut, const OutputSpec& spec, uint16_t scale) {
  int64_t interior = 0;
  for (uint32_t acc = 0; acc <= 0xFFFF; ++acc) {
    const auto a = static_cast<uint16_t>(acc);
    const uint16_t want =
        num::scale_element(Fp16::from_bits(a), Fp16::from_bits(scale), spec, nullptr);
    const uint16_t got = dut.scale(spec, a, scale);
    if (got != want) {
      ADD_FAILURE() << num::format_name(spec.format) << " phase " << spec.fp4.phase << std::hex
                    << ": acc " << a << " x scale " << scale << " gives " << got << ", want "
                    << want;
      return -1;
    }
    interior += (want & 0x7) != 0 && (want & 0x7) != 7 ? 1 : 0;
  }
  return interior;
}

// 1, 0.5, 2^-3, 3, 0.1 (0x2E66), 1/3 (0x3555), 2^-12, 2^15, the smallest and largest
// subnormals, -1, -0.3 (0xB4CD), and the edge cases +0, -0, +Inf and a NaN.
const uint16_t kScales[] = {0x3C00, 0x3800, 0x3000, 0x4200, 0x2E66, 0x3555, 0x0C00, 0x7800,
                            0x0001, 0x03FF, 0xBC00, 0xB4CD, 0x0000, 0x8000, 0x7C00, 0x7E01};

void check_format(const OutputSpec& spec) {
  Dut dut;
  int64_t interior = 0;
  for (uint16_t scale : kScales) {
    const int64_t n = check_all_accumulators(dut, spec, scale);
    ASSERT_GE(n, 0);
    interior += n;
  }
  EXPECT_GT(interior, 10'000);
}

TEST(TbScaleUnit, Int4EveryAccumulator) { check_format(output(Format::kInt4)); }
TEST(TbScaleUnit, Uint4EveryAccumulator) { check_format(output(Format::kUint4)); }
TEST(TbScaleUnit, Fp4Phase0EveryAccumulator) { check_format(output(Format::kFp4, 0)); }
TEST(TbScaleUnit, Fp4Phase1EveryAccumulator) { check_format(output(Format::kFp4, 1)); }
TEST(TbScaleUnit, Fp16EveryAccumulator) { check_format(output(Format::kFp16)); }

// Hand-derived values at the rounding boundaries (docs/numerics.md), scale 1:
// INT4 2.5 -> 2, 3.5 -> 4, 6.5 -> 6, -8.5 -> -8 (0x8), 7.5 -> 7; UINT4 -0.5 -> 0, 14.5 -> 14;
// FP4 phase 0: 2^-13 (the 0 -> 1 threshold, a tie) -> 0x1, 2.5 * 2^-2 = 0.625 -> 0x7,
// 0.62451171875 (0x38FF) -> 0x6, -0.625 -> 0xF; FP4 phase 1: 2^-13 -> 0.
TEST(TbScaleUnit, HandDerivedValues) {
  Dut dut;
  const uint16_t one = 0x3C00;
  EXPECT_EQ(dut.scale(output(Format::kInt4), 0x4100, one), 0x2);        // 2.5
  EXPECT_EQ(dut.scale(output(Format::kInt4), 0x4300, one), 0x4);        // 3.5
  EXPECT_EQ(dut.scale(output(Format::kInt4), 0x4680, one), 0x6);        // 6.5
  EXPECT_EQ(dut.scale(output(Format::kInt4), 0xC840, one), 0x8);        // -8.5
  EXPECT_EQ(dut.scale(output(Format::kInt4), 0x4780, one), 0x7);        // 7.5
  EXPECT_EQ(dut.scale(output(Format::kUint4), 0xB800, one), 0x0);       // -0.5
  EXPECT_EQ(dut.scale(output(Format::kUint4), 0x4B40, one), 0xE);       // 14.5
  EXPECT_EQ(dut.scale(output(Format::kFp4, 0), 0x0800, one), 0x1);      // 2^-13
  EXPECT_EQ(dut.scale(output(Format::kFp4, 0), 0x3900, one), 0x7);      // 0.625
  EXPECT_EQ(dut.scale(output(Format::kFp4, 0), 0x38FF, one), 0x6);      // just below 0.625
  EXPECT_EQ(dut.scale(output(Format::kFp4, 0), 0xB900, one), 0xF);      // -0.625
  EXPECT_EQ(dut.scale(output(Format::kFp4, 1), 0x0800, one), 0x0);      // 2^-13 < 2^-12
  EXPECT_EQ(dut.scale(output(Format::kFp16), 0x8000, one), 0x8000);     // -0 keeps its sign
  EXPECT_EQ(dut.scale(output(Format::kFp16), 0x7BFF, 0x3C01), 0x7C00);  // overflow to Inf
}

}  // namespace
}  // namespace nibble::tb
