// fp16_mac.h: FP16 x FP16 multiply with FP32 accumulation (the baseline array's MAC).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "model/numerics/fp16_mac.h"
#include "tests/reference/ref_binary16.h"
#include "tests/reference/ref_fp32.h"

namespace nibble::num {
namespace {

using ref::ref_mac_fp32;

uint32_t float_bits(float f) {
  uint32_t b = 0;
  std::memcpy(&b, &f, sizeof b);
  return b;
}
float bits_float(uint32_t b) {
  float f = 0.0f;
  std::memcpy(&f, &b, sizeof f);
  return f;
}

uint32_t mac(uint32_t acc, uint16_t a, uint16_t b) {
  return fp16_mac_fp32(Fp32::from_bits(acc), Fp16::from_bits(a), Fp16::from_bits(b)).bits();
}

TEST(Fp32, BitCopyAndNaNTest) {
  EXPECT_EQ(Fp32::from_float(1.0f).bits(), 0x3F800000u);
  EXPECT_EQ(Fp32::from_float(-0.0f).bits(), 0x80000000u);
  EXPECT_EQ(Fp32::from_bits(0x40490FDBu).to_float(), bits_float(0x40490FDBu));
  const float payload_nan = bits_float(0x7FA00001u);
  EXPECT_EQ(Fp32::from_float(payload_nan).bits(), 0x7FA00001u);
  EXPECT_TRUE(Fp32::from_bits(0xFFC00000u).is_nan());
  EXPECT_TRUE(Fp32::from_bits(0x7F800001u).is_nan());
  EXPECT_FALSE(Fp32::from_bits(0x7F800000u).is_nan());
  EXPECT_EQ(kFp32NaN.bits(), 0x7FC00000u);
  EXPECT_EQ(kFp32Zero.bits(), 0u);
}

TEST(Fp16MacReference, TieBreakingByTheLowPart) {
  // The residual path of the reference cannot be reached through real MAC inputs (the product
  // has too few bits), so check it directly: hi = 1 + 2^-24 is a binary32 midpoint.
  const double hi = 1.0 + 0x1p-24;
  EXPECT_EQ(ref::ref_round(ref::kRefBinary32, hi), 0x3F800000u);
  EXPECT_EQ(ref::ref_round(ref::kRefBinary32, hi, ref::RefOverflow::kInfinity, 0x1p-80),
            0x3F800001u);
  EXPECT_EQ(ref::ref_round(ref::kRefBinary32, -hi, ref::RefOverflow::kInfinity, 0x1p-80),
            0xBF800000u);
  EXPECT_EQ(ref::ref_round(ref::kRefBinary32, -hi, ref::RefOverflow::kInfinity, -0x1p-80),
            0xBF800001u);
  const ref::RefTwoSum s = ref::ref_two_sum(1.0, 0x1p-70);
  EXPECT_EQ(s.hi, 1.0);
  EXPECT_EQ(s.lo, 0x1p-70);
}

TEST(Fp16Mac, HandPickedResults) {
  struct Case {
    uint32_t acc;
    uint16_t a, b;
    uint32_t want;
  };
  const Case kCases[] = {
      {0x00000000u, 0x7C00, 0x0000, 0x7FC00000u},  // Inf * 0
      {0x3F800000u, 0x8000, 0xFC00, 0x7FC00000u},  // 0 * -Inf
      {0x7F800000u, 0xBC00, 0x7C00, 0x7FC00000u},  // Inf - Inf
      {0xFF800000u, 0x3C00, 0x7C00, 0x7FC00000u},
      {0x7F800001u, 0x3C00, 0x3C00, 0x7FC00000u},  // signalling NaN accumulator
      {0xFFC00000u, 0x3C00, 0x3C00, 0x7FC00000u},  // negative NaN
      {0x3F800000u, 0x7C01, 0x3C00, 0x7FC00000u},  // NaN operand
      {0x3F800000u, 0x3C00, 0xFE00, 0x7FC00000u},
      {0x7F800000u, 0x3C00, 0x3C00, 0x7F800000u},
      {0x3F800000u, 0x7C00, 0xBC00, 0xFF800000u},  // -Inf product
      {0x7F800000u, 0x7C00, 0x3C00, 0x7F800000u},
      {0x80000000u, 0x0000, 0xBC00, 0x80000000u},  // -0 + -0 = -0
      {0x80000000u, 0x0000, 0x3C00, 0x00000000u},  // -0 + +0 = +0
      {0x00000000u, 0x8000, 0x3C00, 0x00000000u},
      {0x3F800000u, 0x3C00, 0xBC00, 0x00000000u},  // exact cancellation gives +0
      {0xBF800000u, 0x3C00, 0x3C00, 0x00000000u},
      {0x00000000u, 0x0001, 0x0001, 0x27800000u},  // 2^-24 * 2^-24 = 2^-48
      {0x00000001u, 0x0000, 0x3C00, 0x00000001u},  // subnormal accumulator kept (no DAZ)
      {0x80000001u, 0x0000, 0x3C00, 0x80000001u},
      {0x00000001u, 0x0001, 0x0001, 0x27800000u},  // 2^-48 + 2^-149 -> 2^-48
      {0x007FFFFFu, 0x0000, 0x0000, 0x007FFFFFu},
      {0x00000000u, 0x03FF, 0x03FF, 0x317F8010u},  // (1023 * 2^-24)^2, exact
      {0x3F800000u, 0x0C00, 0x0C00, 0x3F800000u},  // 1 + 2^-24: tie, to even
      {0x3F800001u, 0x0C00, 0x0C00, 0x3F800002u},  // (1 + 2^-23) + 2^-24: tie, up
      {0x3F800000u, 0x0C01, 0x0C00, 0x3F800001u},  // just above the tie
      {0x3F800000u, 0x8C00, 0x0C00, 0x3F7FFFFFu},  // 1 - 2^-24 is exact below 1
      {0x7F7FFFFFu, 0x7BFF, 0x7BFF, 0x7F7FFFFFu},  // FLT_MAX + 65504^2 stays finite
      {0xFF7FFFFFu, 0x7BFF, 0xFBFF, 0xFF7FFFFFu},
      {0x00000000u, 0x7BFF, 0x7BFF, 0x4F7FC004u},  // 65504^2 = 4290774016, exact
      {0x4B800000u, 0x3C00, 0x3C00, 0x4B800000u},  // 2^24 + 1: tie, to even
      {0x4B800000u, 0x4200, 0x3C00, 0x4B800002u},  // 2^24 + 3: tie, to even (up)
  };
  for (const Case& c : kCases) {
    EXPECT_EQ(mac(c.acc, c.a, c.b), c.want)
        << std::hex << "acc 0x" << c.acc << " a 0x" << c.a << " b 0x" << c.b;
    EXPECT_EQ(ref_mac_fp32(c.acc, c.a, c.b), c.want)
        << "reference: " << std::hex << c.acc << " " << c.a << " " << c.b;
  }
}

TEST(Fp16Mac, SpecialOperandClassesAllCombinations) {
  const uint32_t kAccs[] = {0x00000000u, 0x80000000u, 0x3F800000u, 0xBF800000u,
                            0x7F7FFFFFu, 0xFF7FFFFFu, 0x00000001u, 0x80000001u,
                            0x00800000u, 0x27800000u, 0x7F800000u, 0xFF800000u,
                            0x7FC00000u, 0x7F800001u, 0xFFC00000u, 0x477FE000u};
  const uint16_t kHalves[] = {0x0000, 0x8000, 0x0001, 0x8001, 0x0155, 0x03FF, 0x0400, 0x3C00,
                              0xBC00, 0x7BFF, 0xFBFF, 0x7C00, 0xFC00, 0x7E00, 0x7C01, 0xFE00};
  int mismatches = 0;
  for (uint32_t acc : kAccs) {
    for (uint16_t a : kHalves) {
      for (uint16_t b : kHalves) {
        const uint32_t want = ref_mac_fp32(acc, a, b);
        const uint32_t got = mac(acc, a, b);
        if (got != want && ++mismatches <= 8) {
          ADD_FAILURE() << std::hex << "acc 0x" << acc << " a 0x" << a << " b 0x" << b
                        << ": want 0x" << want << " got 0x" << got;
        }
      }
    }
  }
  EXPECT_EQ(mismatches, 0);
}

// An accumulator whose exponent is near the product's, so the sum actually rounds.
uint32_t acc_near(double product, std::mt19937_64& gen) {
  const int pe = product == 0.0 || !std::isfinite(product) ? -20 : std::ilogb(product);
  const int e = std::min(std::max(pe + static_cast<int>(gen() % 61) - 30 + 127, 0), 254);
  const uint32_t sign = (gen() & 1u) != 0 ? 0x80000000u : 0u;
  return sign | (static_cast<uint32_t>(e) << 23) | static_cast<uint32_t>(gen() & 0x7FFFFFu);
}

TEST(Fp16Mac, OneMillionRandomTriplesPerDistribution) {
  std::mt19937_64 gen(0xACC0);
  long mismatches = 0;
  long hw_disagreements = 0;
  long cancellations = 0;
  for (int dist = 0; dist < 3; ++dist) {
    for (int i = 0; i < 1000000; ++i) {
      const uint64_t r = gen();
      const uint16_t a = static_cast<uint16_t>(r);
      const uint16_t b = static_cast<uint16_t>(r >> 16);
      const double p = ref::ref_decode_binary16(a) * ref::ref_decode_binary16(b);
      uint32_t acc = static_cast<uint32_t>(r >> 32);  // dist 0: uniform bit patterns
      if (dist == 1) acc = acc_near(p, gen);
      if (dist == 2 && std::isfinite(p)) {
        // -p (exact in binary32) nudged by a few ulps: heavy cancellation.
        const uint32_t neg_p = float_bits(static_cast<float>(-p));
        acc = p == 0.0 ? neg_p : neg_p + static_cast<uint32_t>(gen() % 7) - 3u;
        ++cancellations;
      }
      const uint32_t want = ref_mac_fp32(acc, a, b);
      const uint32_t got = mac(acc, a, b);
      if (got != want && ++mismatches <= 8) {
        ADD_FAILURE() << std::hex << "acc 0x" << acc << " a 0x" << a << " b 0x" << b << ": want 0x"
                      << want << " got 0x" << got;
      }
      // Third opinion on the reference: the host's binary32 arithmetic (the product is exact
      // in float, so the unfused float expression rounds once).
      if (want != ref::kRefFp32NaN) {
        const float hw = bits_float(acc) + static_cast<float>(ref::ref_decode_binary16(a)) *
                                               static_cast<float>(ref::ref_decode_binary16(b));
        hw_disagreements += float_bits(hw) != want ? 1 : 0;
      }
    }
  }
  EXPECT_EQ(mismatches, 0);
  EXPECT_EQ(hw_disagreements, 0);
  EXPECT_GT(cancellations, 900000);
}

TEST(Fp16DotFp32, MatchesSequentialReference) {
  std::mt19937_64 gen(0xD07);
  for (int trial = 0; trial < 300; ++trial) {
    const size_t k_len = 1 + gen() % 2000;
    const size_t sa = 1 + gen() % 3;
    const size_t sb = 1 + gen() % 3;
    std::vector<uint16_t> a(k_len * sa), b(k_len * sb);
    for (uint16_t& x : a) {
      // Mostly moderate finite values (no Inf/NaN), so the sum stays interesting.
      x = static_cast<uint16_t>((gen() & 0x83FFu) | ((8 + gen() % 16) << 10));
    }
    for (uint16_t& x : b) x = static_cast<uint16_t>((gen() & 0x83FFu) | ((8 + gen() % 16) << 10));
    if (trial % 10 == 0) a[gen() % a.size()] = 0x7C00;  // an Inf somewhere
    const uint32_t init = trial % 3 == 0 ? 0u : acc_near(1.0, gen);
    std::vector<Fp16> fa, fb;
    for (uint16_t x : a) fa.push_back(Fp16::from_bits(x));
    for (uint16_t x : b) fb.push_back(Fp16::from_bits(x));
    const uint32_t want = ref::ref_dot_fp32(init, a.data(), sa, b.data(), sb, k_len);
    const uint32_t got =
        fp16_dot_fp32(Fp32::from_bits(init), fa.data(), sa, fb.data(), sb, k_len).bits();
    ASSERT_EQ(got, want) << "trial " << trial << " K " << k_len << " strides " << sa << "," << sb;
  }
}

TEST(Fp16DotFp32, EmptyAndSpecialSequences) {
  const Fp16 ones[3] = {kFp16One, kFp16One, kFp16One};
  const Fp16 mixed[3] = {kFp16Inf, kFp16Zero, kFp16One};
  EXPECT_EQ(fp16_dot_fp32(Fp32::from_bits(0x40400000u), ones, 1, ones, 1, 0).bits(), 0x40400000u);
  EXPECT_EQ(fp16_dot_fp32(kFp32Zero, ones, 1, ones, 1, 3).bits(), 0x40400000u);
  EXPECT_EQ(fp16_dot_fp32(kFp32Zero, mixed, 1, mixed, 1, 3).bits(), 0x7F800000u);
  EXPECT_EQ(fp16_dot_fp32(kFp32Zero, mixed, 1, ones, 1, 2).bits(), 0x7F800000u);
  const Fp16 inf_zero[2] = {kFp16Inf, kFp16One};
  const Fp16 zero_one[2] = {kFp16Zero, kFp16One};
  EXPECT_EQ(fp16_dot_fp32(kFp32Zero, inf_zero, 1, zero_one, 1, 2).bits(), 0x7FC00000u);
}

}  // namespace
}  // namespace nibble::num
