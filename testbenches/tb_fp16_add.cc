// tb_fp16_add: rtl/nibble_fp16_add.sv against num::fp16_add: every pair of special-class
// values, then 10^6 seeded random pairs (random bit patterns, near-cancellations and pairs
// whose exact sum lies on or next to a rounding tie, or next to the overflow threshold).
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "Vnibble_fp16_add.h"
#include "model/numerics/fp16.h"
#include "verilated.h"

namespace nibble::tb {
namespace {

using num::Fp16;

uint16_t reference(uint16_t a, uint16_t b) {
  return num::fp16_add(Fp16::from_bits(a), Fp16::from_bits(b)).bits();
}

// What kind of results a run produced, so a generator that stopped reaching a class shows.
struct Classes {
  int64_t subnormal = 0;
  int64_t inf = 0;
  int64_t nan = 0;
  int64_t zero = 0;
  int64_t inexact = 0;  // the sum was rounded (checked in binary64: exact there)
  void count(uint16_t r) {
    const uint16_t mag = r & 0x7FFF;
    if (mag == 0) {
      ++zero;
    } else if (mag < 0x0400) {
      ++subnormal;
    } else if (mag == 0x7C00) {
      ++inf;
    } else if (mag > 0x7C00) {
      ++nan;
    }
  }
};

class Dut {
 public:
  Dut() : model_(&context_) {}
  ~Dut() { model_.final(); }
  uint16_t add(uint16_t a, uint16_t b) {
    model_.a_i = a;
    model_.b_i = b;
    model_.eval();
    return model_.sum_o;
  }

 private:
  VerilatedContext context_;
  Vnibble_fp16_add model_;
};

const std::vector<uint16_t>& special_values() {
  static const std::vector<uint16_t> values = [] {
    const uint16_t magnitudes[] = {
        0x0000,                  // zero
        0x0001, 0x0002, 0x03FF,  // subnormal: min, next, max
        0x0400, 0x0401,          // normal: min, next
        0x3BFF, 0x3C00, 0x3C01,  // around 1
        0x7BFE, 0x7BFF,          // normal max and its neighbour
        0x7C00,                  // Inf
        0x7C01, 0x7DFF,          // signalling NaN payloads
        0x7E00, 0x7E01, 0x7FFF,  // quiet NaNs: canonical, payloads
    };
    std::vector<uint16_t> v;
    for (uint16_t m : magnitudes) {
      v.push_back(m);
      v.push_back(static_cast<uint16_t>(m | 0x8000));
    }
    return v;
  }();
  return values;
}

TEST(TbFp16Add, AllSpecialPairs) {
  Dut dut;
  int compared = 0;
  for (uint16_t a : special_values()) {
    for (uint16_t b : special_values()) {
      ASSERT_EQ(dut.add(a, b), reference(a, b)) << std::hex << a << " + " << b;
      ++compared;
    }
  }
  EXPECT_EQ(compared, 34 * 34);
}

// Hand-derived values for the rules the random pairs hit rarely.
TEST(TbFp16Add, HandDerivedValues) {
  Dut dut;
  EXPECT_EQ(dut.add(0x8000, 0x8000), 0x8000);  // (-0) + (-0) = -0
  EXPECT_EQ(dut.add(0x8000, 0x0000), 0x0000);  // (-0) + (+0) = +0
  EXPECT_EQ(dut.add(0x3C00, 0xBC00), 0x0000);  // 1 + (-1) = +0
  EXPECT_EQ(dut.add(0x7C00, 0xFC00), 0x7E00);  // Inf - Inf = NaN
  EXPECT_EQ(dut.add(0xFE01, 0x3C00), 0x7E00);  // NaN payload and sign dropped
  EXPECT_EQ(dut.add(0x7BFF, 0x4BFF), 0x7BFF);  // 65504 + 15.99: below the tie, stays max
  EXPECT_EQ(dut.add(0x7BFF, 0x4C00), 0x7C00);  // 65504 + 16 = 65520: the tie, to Inf (odd max)
  EXPECT_EQ(dut.add(0x3C00, 0x1000), 0x3C00);  // 1 + 2^-11: a tie, to even (1)
  EXPECT_EQ(dut.add(0x3C01, 0x1000), 0x3C02);  // (1 + 2^-10) + 2^-11: a tie, to even (up)
  EXPECT_EQ(dut.add(0x0001, 0x03FF), 0x0400);  // subnormal max + min = normal min
  EXPECT_EQ(dut.add(0x0400, 0x8001), 0x03FF);  // normal min - subnormal min
}

// A random binary16 bit pattern.
uint16_t random_bits(std::mt19937_64& gen) { return static_cast<uint16_t>(gen() & 0xFFFF); }

// b close to -a: a difference of a few ulps, often with a smaller exponent field.
uint16_t near_cancel(std::mt19937_64& gen, uint16_t a) {
  const int delta = static_cast<int>(gen() % 9) - 4;
  const int mag = static_cast<int>(a & 0x7FFF) + delta;
  const int clamped = mag < 0 ? 0 : (mag > 0x7BFF ? 0x7BFF : mag);
  return static_cast<uint16_t>((a & 0x8000) ^ 0x8000 ^ clamped);
}

// b whose value lies 11 to 13 binades below a, with few mantissa bits: the sum sits on or
// next to a rounding tie of a (guard set, sticky clear or set).
uint16_t tie_partner(std::mt19937_64& gen, uint16_t a) {
  const int field_a = (a >> 10) & 0x1F;
  const int field_b = field_a - 11 - static_cast<int>(gen() % 3);
  const uint16_t mantissas[] = {0x000, 0x001, 0x200, 0x3FF, 0x100};
  const uint16_t mantissa = mantissas[gen() % 5];
  const uint16_t sign = (gen() & 1) != 0 ? 0x8000 : 0x0000;
  if (field_b <= 0) {
    return static_cast<uint16_t>(sign | (gen() & 0x3FF));  // a subnormal partner
  }
  return static_cast<uint16_t>(sign | field_b << 10 | mantissa);
}

// a and b of one sign near the top of the range: sums around the overflow tie 65520.
void near_overflow(std::mt19937_64& gen, uint16_t* a, uint16_t* b) {
  const uint16_t sign = (gen() & 1) != 0 ? 0x8000 : 0x0000;
  *a = static_cast<uint16_t>(sign | 0x7800 | (gen() & 0x3FF));    // [32768, 65504]
  const uint16_t field = static_cast<uint16_t>(20 + gen() % 11);  // [32, 65504]
  *b = static_cast<uint16_t>(sign | field << 10 | (gen() & 0x3FF));
}

TEST(TbFp16Add, MillionSeededRandomPairs) {
  Dut dut;
  std::mt19937_64 gen(0x6e6962626c65ULL);  // fixed seed: "nibble"
  constexpr int kPairs = 1'000'000;
  Classes classes;
  for (int i = 0; i < kPairs; ++i) {
    uint16_t a = random_bits(gen);
    uint16_t b = 0;
    switch (i % 4) {
      case 0:
        b = random_bits(gen);
        break;
      case 1:
        b = near_cancel(gen, a);
        break;
      case 2:
        b = tie_partner(gen, a);
        break;
      default:
        near_overflow(gen, &a, &b);
        break;
    }
    const uint16_t want = reference(a, b);
    ASSERT_EQ(dut.add(a, b), want)
        << std::hex << "pair " << std::dec << i << ": " << std::hex << a << " + " << b;
    classes.count(want);
    const Fp16 fa = Fp16::from_bits(a);
    const Fp16 fb = Fp16::from_bits(b);
    const Fp16 r = Fp16::from_bits(want);
    if (!fa.is_nan() && !fb.is_nan() && !fa.is_inf() && !fb.is_inf() && !r.is_inf() &&
        r.to_double() != fa.to_double() + fb.to_double()) {
      ++classes.inexact;
    }
  }
  // The generators reach every result class and many rounded sums.
  EXPECT_GT(classes.subnormal, 1000);
  EXPECT_GT(classes.inf, 1000);
  EXPECT_GT(classes.nan, 1000);
  EXPECT_GT(classes.zero, 1000);
  EXPECT_GT(classes.inexact, 100'000);
}

}  // namespace
}  // namespace nibble::tb
