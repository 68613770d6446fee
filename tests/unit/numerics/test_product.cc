// product.h: every product a 4-bit PE can form, exhaustively, against exact double arithmetic.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "model/numerics/product.h"
#include "tests/reference/ref_binary16.h"
#include "tests/reference/ref_pairs.h"
#include "tests/reference/ref_quant4.h"

namespace nibble::num {
namespace {

// Value of a code in an operand format, from the reference decoders.
double ref_value(const Operand4& op, Code4 c) { return ref::ref_operand_value(op, c); }

std::string describe(const Operand4& op) { return ref::ref_operand_name(op); }

// Every operand-format pair a PE multiplies, both operand orders, with FP4 on every admitted
// bias and both TPR phases.
std::vector<std::pair<Operand4, Operand4>> all_pairs() {
  return ref::ref_pe_pairs(ref::ref_all_fp4_biases());
}

TEST(Product, EveryProductOfEveryPairIsExact) {
  const auto pairs = all_pairs();
  ASSERT_EQ(pairs.size(), 4u + 12u * 2u * 4u);
  int mismatches = 0;
  long checked = 0;
  for (const auto& [fa, fb] : pairs) {
    ASSERT_NO_THROW(validate_pair(fa, fb)) << describe(fa) << " x " << describe(fb);
    for (int a = 0; a < 16; ++a) {
      for (int b = 0; b < 16; ++b) {
        const Code4 ca = static_cast<Code4>(a);
        const Code4 cb = static_cast<Code4>(b);
        const double exact = ref_value(fa, ca) * ref_value(fb, cb);  // exact: <= 4+4 bits
        // Zero products are +0 whatever the operand signs (FP4 -0 included).
        const uint16_t want = exact == 0.0 ? uint16_t{0} : ref::ref_round_binary16(exact);
        const Fp16 got = product_fp16(fa, ca, fb, cb);
        const ScaledInt si = product_exact(fa, ca, fb, cb);
        const bool ok = got.bits() == want && got.to_double() == exact &&
                        ref::ref_decode_binary16(want) == exact &&
                        std::ldexp(static_cast<double>(si.mantissa), si.exp2) == exact;
        if (!ok && ++mismatches <= 10) {
          ADD_FAILURE() << describe(fa) << " 0x" << std::hex << a << " x " << describe(fb) << " 0x"
                        << b << std::dec << ": exact " << exact << " want bits 0x" << std::hex
                        << want << " got 0x" << got.bits() << std::dec << " product_exact "
                        << si.mantissa << "*2^" << si.exp2;
        }
        ++checked;
      }
    }
  }
  EXPECT_EQ(mismatches, 0);
  EXPECT_EQ(checked, static_cast<long>(pairs.size()) * 256L);
}

TEST(Product, RangeClaimsOfTheContract) {
  // The contract's bounds: integer products in [-120, 225]; FP4 products in [2^-24, 30720] in
  // magnitude with at most 4 significant bits. Checked on the reference values, then on the
  // model's results at the extremes.
  double lo = 0, hi = 0, min_mag = 1e9, max_mag = 0;
  for (const auto& [fa, fb] : all_pairs()) {
    for (int a = 0; a < 16; ++a) {
      for (int b = 0; b < 16; ++b) {
        const double p =
            ref_value(fa, static_cast<Code4>(a)) * ref_value(fb, static_cast<Code4>(b));
        if (fa.format != Format::kFp4 && fb.format != Format::kFp4) {
          lo = std::min(lo, p);
          hi = std::max(hi, p);
        } else if (p != 0.0) {
          min_mag = std::min(min_mag, std::fabs(p));
          max_mag = std::max(max_mag, std::fabs(p));
        }
      }
    }
  }
  EXPECT_EQ(lo, -120.0);
  EXPECT_EQ(hi, 225.0);
  EXPECT_EQ(min_mag, 0x1p-24);
  EXPECT_EQ(max_mag, 30720.0);
  const Operand4 i4{Format::kInt4, {}}, u4{Format::kUint4, {}};
  EXPECT_EQ(product_fp16(i4, 0x8, u4, 0xF).bits(), 0xD780);  // -8 * 15 = -120
  EXPECT_EQ(product_fp16(i4, 0x8, i4, 0x8).bits(), 0x5400);  // 64
  EXPECT_EQ(product_fp16(u4, 0xF, u4, 0xF).bits(), 0x5B08);  // 225
  EXPECT_EQ(product_fp16(Operand4{Format::kFp4, {2, 1}}, 0x7, u4, 0xF).bits(), 0x7780);   // 30720
  EXPECT_EQ(product_fp16(Operand4{Format::kFp4, {13, 0}}, 0x1, u4, 0x1).bits(), 0x0001);  // 2^-24
  EXPECT_EQ(product_fp16(Operand4{Format::kFp4, {13, 0}}, 0x9, i4, 0x1).bits(), 0x8001);
  EXPECT_EQ(product_fp16(i4, 0x7, Operand4{Format::kFp4, {2, 1}}, 0xF).bits(), 0xF300);  // -14336
}

TEST(Product, ZeroProductsArePositiveZero) {
  const Operand4 i4{Format::kInt4, {}}, u4{Format::kUint4, {}};
  for (int phase = 0; phase <= 1; ++phase) {
    const Operand4 f4{Format::kFp4, {7, phase}};
    for (int c = 0; c < 16; ++c) {
      const Code4 code = static_cast<Code4>(c);
      EXPECT_EQ(product_fp16(f4, 0x8, i4, code).bits(), 0x0000) << c;  // FP4 -0
      EXPECT_EQ(product_fp16(f4, 0x0, i4, code).bits(), 0x0000) << c;
      EXPECT_EQ(product_fp16(i4, code, f4, 0x8).bits(), 0x0000) << c;
      EXPECT_EQ(product_fp16(f4, code, u4, 0x0).bits(), 0x0000) << c;
      EXPECT_EQ(product_fp16(f4, static_cast<Code4>(code | 0x8), i4, 0x0).bits(), 0x0000)
          << c;  // -x * 0
    }
  }
  for (int c = 0; c < 16; ++c) {
    EXPECT_EQ(product_fp16(i4, static_cast<Code4>(c), i4, 0x0).bits(), 0x0000) << c;
    EXPECT_EQ(product_fp16(i4, 0x0, u4, static_cast<Code4>(c)).bits(), 0x0000) << c;
  }
}

TEST(Product, ValidatePairRejectsWhatAPeCannotMultiply) {
  const Operand4 f4{Format::kFp4, {}};
  EXPECT_THROW(validate_pair(f4, f4), std::invalid_argument);
  EXPECT_THROW(validate_pair(Operand4{Format::kFp4, {3, 1}}, Operand4{Format::kFp4, {7, 0}}),
               std::invalid_argument);
  for (Format other : {Format::kFp8E4M3, Format::kFp8E5M2, Format::kFp16, Format::kFp32}) {
    for (Format four : {Format::kInt4, Format::kUint4, Format::kFp4}) {
      EXPECT_THROW(validate_pair(Operand4{other, {}}, Operand4{four, {}}), std::invalid_argument)
          << format_name(other) << " x " << format_name(four);
      EXPECT_THROW(validate_pair(Operand4{four, {}}, Operand4{other, {}}), std::invalid_argument)
          << format_name(four) << " x " << format_name(other);
    }
    EXPECT_THROW(validate_pair(Operand4{other, {}}, Operand4{other, {}}), std::invalid_argument);
  }
  const Operand4 i4{Format::kInt4, {}};
  for (const Fp4Spec& bad : {Fp4Spec{1, 0}, Fp4Spec{14, 0}, Fp4Spec{7, 2}, Fp4Spec{7, -1}}) {
    EXPECT_THROW(validate_pair(Operand4{Format::kFp4, bad}, i4), std::invalid_argument);
    EXPECT_THROW(validate_pair(i4, Operand4{Format::kFp4, bad}), std::invalid_argument);
  }
}

}  // namespace
}  // namespace nibble::num
