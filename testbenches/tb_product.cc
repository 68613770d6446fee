// tb_product: rtl/nibble_product.sv against num::product_fp16, every code pair of every
// operand-format pair, for the default FP4 bias and the two ends of the admitted range.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "Vnibble_product.h"
#include "Vnibble_product_bias13.h"
#include "Vnibble_product_bias2.h"
#include "model/numerics/fp16.h"
#include "model/numerics/product.h"
#include "testbenches/rtl_formats.h"
#include "verilated.h"

namespace nibble::tb {
namespace {

using num::Format;
using num::Operand4;

// The operand kinds of a PE for one FP4 bias.
std::vector<Operand4> operand_kinds(int bias) {
  return {operand(Format::kInt4), operand(Format::kUint4), operand(Format::kFp4, 0, bias),
          operand(Format::kFp4, 1, bias)};
}

// Drives a Verilated product model through all 16 x 16 codes of every PE format pair; counts
// the pairs compared in *compared.
template <typename Model>
void check_all_pairs(Model& dut, int bias, int* compared) {
  for (const Operand4& fa : operand_kinds(bias)) {
    for (const Operand4& fb : operand_kinds(bias)) {
      if (fa.format == Format::kFp4 && fb.format == Format::kFp4) {
        continue;  // not a PE operation
      }
      num::validate_pair(fa, fb);
      for (num::Code4 a = 0; a < 16; ++a) {
        for (num::Code4 b = 0; b < 16; ++b) {
          dut.fmt_a_i = rtl_operand_fmt(fa);
          dut.fmt_b_i = rtl_operand_fmt(fb);
          dut.a_i = a;
          dut.b_i = b;
          dut.eval();
          const uint16_t want = num::product_fp16(fa, a, fb, b).bits();
          ASSERT_EQ(dut.prod_o, want)
              << num::format_name(fa.format) << " (phase " << fa.fp4.phase << ") code " << int(a)
              << " x " << num::format_name(fb.format) << " (phase " << fb.fp4.phase << ") code "
              << int(b) << ", bias " << bias;
          ++*compared;
        }
      }
    }
  }
}

// 12 format pairs (4 x 4 minus the 4 FP4 x FP4) x 256 code pairs.
constexpr int kPairsPerBias = 12 * 256;

TEST(TbProduct, AllPairsDefaultBias) {
  VerilatedContext context;
  Vnibble_product dut{&context};
  int compared = 0;
  check_all_pairs(dut, num::kFp4DefaultBias, &compared);
  EXPECT_EQ(compared, kPairsPerBias);
  dut.final();
}

TEST(TbProduct, AllPairsSmallestBias) {
  VerilatedContext context;
  Vnibble_product_bias2 dut{&context};
  int compared = 0;
  check_all_pairs(dut, num::kFp4MinBias, &compared);
  EXPECT_EQ(compared, kPairsPerBias);
  dut.final();
}

// Bias 13 makes the smallest products subnormal (2^-24): the subnormal path of the packing.
TEST(TbProduct, AllPairsLargestBias) {
  VerilatedContext context;
  Vnibble_product_bias13 dut{&context};
  int compared = 0;
  check_all_pairs(dut, num::kFp4MaxBias, &compared);
  EXPECT_EQ(compared, kPairsPerBias);
  dut.final();
}

// Hand-derived values, so the bench does not only agree with the model: 7 x -8 = -56
// (0xD300: -1.75 * 2^5), UINT4 15 x 15 = 225 (0x5B08: 1.7578125 * 2^7), FP4 0x9 phase 1 at
// bias 7 (-2^-11) x UINT4 15 = -15 * 2^-11 (0x9F80: -1.875 * 2^-8), FP4 -0 (0x8) x INT4 -1
// = +0.
TEST(TbProduct, HandDerivedValues) {
  VerilatedContext context;
  Vnibble_product dut{&context};
  struct Case {
    Operand4 fa;
    num::Code4 a;
    Operand4 fb;
    num::Code4 b;
    uint16_t want;
  };
  const Case cases[] = {
      {operand(Format::kInt4), 0x7, operand(Format::kInt4), 0x8, 0xD300},
      {operand(Format::kUint4), 0xF, operand(Format::kUint4), 0xF, 0x5B08},
      {operand(Format::kFp4, 1), 0x9, operand(Format::kUint4), 0xF, 0x9F80},
      {operand(Format::kFp4, 0), 0x8, operand(Format::kInt4), 0xF, 0x0000},
  };
  for (const Case& c : cases) {
    dut.fmt_a_i = rtl_operand_fmt(c.fa);
    dut.fmt_b_i = rtl_operand_fmt(c.fb);
    dut.a_i = c.a;
    dut.b_i = c.b;
    dut.eval();
    EXPECT_EQ(dut.prod_o, c.want);
  }
  dut.final();
}

// FP4 x FP4 and FP16 operands are not PE operations: the RTL gives the canonical NaN.
TEST(TbProduct, NonPeOperationsGiveCanonicalNan) {
  VerilatedContext context;
  Vnibble_product dut{&context};
  const uint8_t fp4 = rtl_operand_fmt(operand(Format::kFp4));
  const uint8_t fp16 = static_cast<uint8_t>(rtl_fmt(Format::kFp16) << 1);
  const uint8_t int4 = rtl_operand_fmt(operand(Format::kInt4));
  const uint8_t pairs[][2] = {{fp4, fp4}, {fp16, int4}, {int4, fp16}};
  for (const auto& pair : pairs) {
    dut.fmt_a_i = pair[0];
    dut.fmt_b_i = pair[1];
    dut.a_i = 0x3;
    dut.b_i = 0x5;
    dut.eval();
    EXPECT_EQ(dut.prod_o, num::kFp16NaN.bits());
  }
  dut.final();
}

}  // namespace
}  // namespace nibble::tb
