// accumulate.h: dot products of 4-bit operands accumulated in binary16, in a fixed order.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "model/numerics/accumulate.h"
#include "tests/reference/ref_binary16.h"
#include "tests/reference/ref_pairs.h"
#include "tests/reference/ref_quant4.h"

namespace nibble::num {
namespace {

double ref_value(const Operand4& op, Code4 c) { return ref::ref_operand_value(op, c); }

// The contract's loop, on reference arithmetic: acc = round16(acc + exact product).
uint16_t ref_dot(const Operand4& fa, const std::vector<Code4>& a, size_t sa, const Operand4& fb,
                 const std::vector<Code4>& b, size_t sb, size_t k_len, uint16_t init) {
  uint16_t acc = init;
  for (size_t k = 0; k < k_len; ++k) {
    const double p = ref_value(fa, a[k * sa]) * ref_value(fb, b[k * sb]);  // exact
    acc = ref::ref_add_binary16(acc, p == 0.0 ? uint16_t{0} : ref::ref_round_binary16(p));
  }
  return acc;
}

// The PE's operand pairs, FP4 at both ends of the admitted biases, the default and two between.
std::vector<std::pair<Operand4, Operand4>> all_pairs() {
  return ref::ref_pe_pairs({kFp4MinBias, 5, kFp4DefaultBias, 10, kFp4MaxBias});
}

std::vector<Code4> random_codes(size_t n, std::mt19937_64& gen) {
  std::vector<Code4> v(n);
  for (Code4& c : v) c = static_cast<Code4>(gen() & 0xF);
  return v;
}

TEST(Dot4, RandomLengthsStridesAndInitsAgainstSequentialReference) {
  std::mt19937_64 gen(0xD074);
  int mismatches = 0;
  int finite_results = 0;
  int infinite_results = 0;
  for (const auto& [fa, fb] : all_pairs()) {
    for (int trial = 0; trial < 6; ++trial) {
      const size_t k_len = 1 + gen() % 4096;
      const size_t sa = trial % 2 == 0 ? 1 : 1 + gen() % 4;
      const size_t sb = trial % 3 == 0 ? 1 : 1 + gen() % 4;
      const std::vector<Code4> a = random_codes(k_len * sa, gen);
      const std::vector<Code4> b = random_codes(k_len * sb, gen);
      // A partial sum carried in: +0 or a random finite value.
      uint16_t init = 0;
      if (trial >= 2) init = static_cast<uint16_t>(gen() % 0x7C00 | (gen() & 0x8000));
      const uint16_t want = ref_dot(fa, a, sa, fb, b, sb, k_len, init);
      const uint16_t got =
          dot4_fp16(fa, a.data(), sa, fb, b.data(), sb, k_len, 1, Fp16::from_bits(init)).bits();
      // The same loop through accumulate_fp16 on precomputed (reference) products.
      std::vector<Fp16> products;
      for (size_t k = 0; k < k_len; ++k) {
        const double p = ref_value(fa, a[k * sa]) * ref_value(fb, b[k * sb]);
        products.push_back(Fp16::from_bits(p == 0.0 ? uint16_t{0} : ref::ref_round_binary16(p)));
      }
      const uint16_t got_acc =
          accumulate_fp16(Fp16::from_bits(init), products.data(), products.size()).bits();
      if ((got != want || got_acc != want) && ++mismatches <= 8) {
        ADD_FAILURE() << format_name(fa.format) << " x " << format_name(fb.format) << " K " << k_len
                      << " strides " << sa << "," << sb << std::hex << " init 0x" << init
                      << ": want 0x" << want << " dot4 0x" << got << " accumulate 0x" << got_acc;
      }
      if (std::isinf(ref::ref_decode_binary16(want))) {
        ++infinite_results;
      } else {
        ++finite_results;
      }
    }
  }
  EXPECT_EQ(mismatches, 0);
  EXPECT_GT(finite_results, 100);  // the sample must not be all overflow
  EXPECT_GT(infinite_results, 0);
}

TEST(Dot4, OrderOfAccumulationIsObservable) {
  // FP4 (bias 7, phase 0) x UINT4: 1.0 followed by four 2^-12, or the reverse. Each 2^-12 is a
  // quarter ulp of 1.0 and vanishes; summed first they make 2^-10, one ulp.
  const Operand4 f4{Format::kFp4, {}};
  const Operand4 u4{Format::kUint4, {}};
  const std::vector<Code4> big_first = {0x7, 0x1, 0x1, 0x1, 0x1};
  const std::vector<Code4> big_last = {0x1, 0x1, 0x1, 0x1, 0x7};
  const std::vector<Code4> ones = {0x1, 0x1, 0x1, 0x1, 0x1};
  EXPECT_EQ(dot4_fp16(f4, big_first.data(), 1, u4, ones.data(), 1, 5, 1).bits(), 0x3C00);
  EXPECT_EQ(dot4_fp16(f4, big_last.data(), 1, u4, ones.data(), 1, 5, 1).bits(), 0x3C01);
  EXPECT_EQ(ref_dot(f4, big_first, 1, u4, ones, 1, 5, 0), 0x3C00);
  EXPECT_EQ(ref_dot(f4, big_last, 1, u4, ones, 1, 5, 0), 0x3C01);
  // One buffer read with stride 2 at offsets 0 and 1 holds both orders.
  const std::vector<Code4> interleaved = {0x7, 0x1, 0x1, 0x1, 0x1, 0x1, 0x1, 0x1, 0x1, 0x7};
  EXPECT_EQ(dot4_fp16(f4, interleaved.data(), 2, u4, ones.data(), 1, 5, 1).bits(), 0x3C00);
  EXPECT_EQ(dot4_fp16(f4, interleaved.data() + 1, 2, u4, ones.data(), 1, 5, 1).bits(), 0x3C01);
}

TEST(Dot4, TilesCarriedAsInitEqualTheWholeLoop) {
  std::mt19937_64 gen(21);
  const Operand4 f4{Format::kFp4, {5, 1}};
  const Operand4 i4{Format::kInt4, {}};
  for (int trial = 0; trial < 50; ++trial) {
    const size_t k_len = 2 + gen() % 2000;
    const size_t split = 1 + gen() % (k_len - 1);
    const std::vector<Code4> a = random_codes(k_len, gen);
    const std::vector<Code4> b = random_codes(k_len, gen);
    const Fp16 whole = dot4_fp16(f4, a.data(), 1, i4, b.data(), 1, k_len, 1);
    const Fp16 first = dot4_fp16(f4, a.data(), 1, i4, b.data(), 1, split, 1);
    const Fp16 tiled =
        dot4_fp16(f4, a.data() + split, 1, i4, b.data() + split, 1, k_len - split, 1, first);
    ASSERT_EQ(tiled.bits(), whole.bits()) << "K " << k_len << " split " << split;
  }
}

TEST(Dot4, OverflowToInfinityAndSpecialInits) {
  const Operand4 u4{Format::kUint4, {}};
  const Operand4 i4{Format::kInt4, {}};
  const std::vector<Code4> fifteen(600, 0xF);
  const std::vector<Code4> minus_eight(600, 0x8);
  EXPECT_EQ(dot4_fp16(u4, fifteen.data(), 1, u4, fifteen.data(), 1, 400, 1).bits(), 0x7C00);
  EXPECT_EQ(ref_dot(u4, fifteen, 1, u4, fifteen, 1, 400, 0), 0x7C00);
  EXPECT_EQ(dot4_fp16(i4, minus_eight.data(), 1, u4, fifteen.data(), 1, 600, 1).bits(), 0xFC00);
  // Once at +Inf, adding finite products keeps it there; -Inf + Inf cannot happen.
  EXPECT_EQ(dot4_fp16(i4, minus_eight.data(), 1, u4, fifteen.data(), 1, 3, 1, kFp16Inf).bits(),
            0x7C00);
  EXPECT_EQ(dot4_fp16(u4, fifteen.data(), 1, u4, fifteen.data(), 1, 3, 1, kFp16NaN).bits(), 0x7E00);
  EXPECT_EQ(
      dot4_fp16(u4, fifteen.data(), 1, u4, fifteen.data(), 1, 3, 1, Fp16::from_bits(0xFE01)).bits(),
      0x7E00);
  // Just below the overflow threshold: 65504 - 225 + 225 stays finite.
  const Fp16 near_max = Fp16::from_bits(0x7BF9);  // 65312
  EXPECT_EQ(dot4_fp16(u4, fifteen.data(), 1, u4, fifteen.data(), 1, 1, 1, near_max).bits(),
            ref::ref_add_binary16(0x7BF9, 0x5B08));
}

TEST(Dot4, ZeroLengthReturnsInitUnchanged) {
  const Operand4 i4{Format::kInt4, {}};
  const Code4 unused = 0;
  for (uint16_t init : {uint16_t{0x0000}, uint16_t{0x8000}, uint16_t{0x3C00}, uint16_t{0xFC00}}) {
    EXPECT_EQ(dot4_fp16(i4, &unused, 1, i4, &unused, 1, 0, 1, Fp16::from_bits(init)).bits(), init);
    EXPECT_EQ(accumulate_fp16(Fp16::from_bits(init), nullptr, 0).bits(), init);
  }
}

TEST(Dot4, ZeroSignRules) {
  const Fp16 neg_zero[2] = {kFp16NegZero, kFp16NegZero};
  const Fp16 pos_zero[1] = {kFp16Zero};
  EXPECT_EQ(accumulate_fp16(kFp16NegZero, neg_zero, 2).bits(), 0x8000);
  EXPECT_EQ(accumulate_fp16(kFp16NegZero, pos_zero, 1).bits(), 0x0000);
  // Products are +0 even for FP4 -0, so a -0 partial sum becomes +0.
  const Operand4 f4{Format::kFp4, {}};
  const Operand4 i4{Format::kInt4, {}};
  const Code4 fp4_neg_zero = 0x8, minus_one = 0xF;
  EXPECT_EQ(dot4_fp16(f4, &fp4_neg_zero, 1, i4, &minus_one, 1, 1, 1, kFp16NegZero).bits(), 0x0000);
  // Exact cancellation gives +0.
  const Code4 fp4_ones[2] = {0x7, 0x7};
  const Code4 plus_minus_one[2] = {0x1, 0xF};
  EXPECT_EQ(dot4_fp16(f4, fp4_ones, 1, i4, plus_minus_one, 1, 2, 1).bits(), 0x0000);
}

TEST(Dot4, RejectsPairsThatAreNotPeOperations) {
  const Code4 c = 1;
  const Operand4 f4{Format::kFp4, {}};
  EXPECT_THROW(dot4_fp16(f4, &c, 1, f4, &c, 1, 1, 1), std::invalid_argument);
  EXPECT_THROW(dot4_fp16(Operand4{Format::kFp16, {}}, &c, 1, Operand4{Format::kInt4, {}}, &c, 1, 1, 1),
               std::invalid_argument);
  EXPECT_THROW(
      dot4_fp16(Operand4{Format::kFp4, {14, 0}}, &c, 1, Operand4{Format::kInt4, {}}, &c, 1, 1, 1),
      std::invalid_argument);
}

}  // namespace
}  // namespace nibble::num
