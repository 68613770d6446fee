// lanes.h and accumulate.h with L lanes: the fixed-point products, the adder tree's width, and
// the chunk rule (exact sum, one rounding to binary16, then the FP16 accumulate), against the
// exact-rational reference of tests/reference/ref_chunk.h.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "model/numerics/accumulate.h"
#include "model/numerics/lanes.h"
#include "tests/reference/ref_binary16.h"
#include "tests/reference/ref_chunk.h"
#include "tests/reference/ref_pairs.h"
#include "tests/reference/ref_quant4.h"

namespace nibble::num {
namespace {

double ref_value(const Operand4& op, Code4 c) { return ref::ref_operand_value(op, c); }

std::string name(const Operand4& a, const Operand4& b) {
  return ref::ref_operand_name(a) + " x " + ref::ref_operand_name(b);
}

// Every 4-bit PE pair, FP4 at every admitted bias and both phases.
std::vector<std::pair<Operand4, Operand4>> all_pairs() {
  return ref::ref_pe_pairs(ref::ref_all_fp4_biases());
}

// The tree's width, derived in the test from the reference values: for every pair, the
// products' least common weight w (the smallest nonzero |product|, which every product must be
// a multiple of), then the most negative and most positive product in units of w. L of them
// must fit the tree's two's complement width, and the pair's own width must be the least that
// holds one.
TEST(Lanes, TreeWidthHoldsEveryChunkOfEveryAdmittedPair) {
  for (const auto& [fa, fb] : all_pairs()) {
    double w = INFINITY, lo = 0, hi = 0;
    for (unsigned a = 0; a < 16; ++a) {
      for (unsigned b = 0; b < 16; ++b) {
        const double p = ref_value(fa, Code4(a)) * ref_value(fb, Code4(b));
        if (p != 0) w = std::min(w, std::fabs(p));
      }
    }
    ASSERT_EQ(std::ldexp(1.0, tree_lsb_exp2(fa, fb)), w) << name(fa, fb);
    for (unsigned a = 0; a < 16; ++a) {
      for (unsigned b = 0; b < 16; ++b) {
        const double units = ref_value(fa, Code4(a)) * ref_value(fb, Code4(b)) / w;
        ASSERT_EQ(units, std::trunc(units)) << name(fa, fb);
        ASSERT_EQ(product_fixed(fa, Code4(a), fb, Code4(b)), units) << name(fa, fb);
        lo = std::min(lo, units);
        hi = std::max(hi, units);
      }
    }
    // The least two's complement width holding [lo, hi].
    int bits = 1;
    while (-std::ldexp(1.0, bits - 1) > lo || std::ldexp(1.0, bits - 1) - 1 < hi) ++bits;
    EXPECT_EQ(product_width_bits(fa, fb), bits) << name(fa, fb);
    EXPECT_LE(bits, kProductBits) << name(fa, fb);
    for (int lanes : {1, 2, 3, 4, 8, 16, 64}) {
      const int width = tree_width_bits(lanes);
      EXPECT_GE(lanes * lo, -std::ldexp(1.0, width - 1)) << name(fa, fb) << " L " << lanes;
      EXPECT_LE(lanes * hi, std::ldexp(1.0, width - 1) - 1) << name(fa, fb) << " L " << lanes;
    }
  }
  // The shared width is tight: FP4 x UINT4 needs all 17 bits (15 * 2^12 = 61440 > 2^15 - 1).
  EXPECT_EQ(tree_width_bits(1), 17);
  EXPECT_EQ(tree_width_bits(2), 18);
  EXPECT_EQ(tree_width_bits(4), 19);
  EXPECT_EQ(tree_width_bits(8), 20);
  EXPECT_EQ(tree_width_bits(16), 21);
  EXPECT_EQ(tree_width_bits(5), 20);
}

TEST(Lanes, ChunkOfOneIsTheProductForEveryCodePair) {
  for (const auto& [fa, fb] : all_pairs()) {
    for (unsigned a = 0; a < 16; ++a) {
      for (unsigned b = 0; b < 16; ++b) {
        const Code4 ca = Code4(a), cb = Code4(b);
        const uint16_t want =
            ref::ref_chunk_binary16({ref_value(fa, ca) * ref_value(fb, cb)});
        ASSERT_EQ(chunk_fp16(fa, &ca, 1, fb, &cb, 1, 1).bits(), want) << name(fa, fb);
        ASSERT_EQ(product_fp16(fa, ca, fb, cb).bits(), want) << name(fa, fb);
      }
    }
  }
}

// L = 2: every pair of products of every operand pair (16^4 code combinations each).
TEST(Lanes, ExhaustiveChunksOfTwo) {
  int64_t checked = 0;
  for (const auto& [fa, fb] : all_pairs()) {
    for (unsigned x = 0; x < (1u << 16); ++x) {
      const Code4 a[2] = {Code4(x & 0xF), Code4((x >> 4) & 0xF)};
      const Code4 b[2] = {Code4((x >> 8) & 0xF), Code4(x >> 12)};
      const uint16_t want = ref::ref_chunk_binary16(
          {ref_value(fa, a[0]) * ref_value(fb, b[0]), ref_value(fa, a[1]) * ref_value(fb, b[1])});
      const uint16_t got = chunk_fp16(fa, a, 1, fb, b, 1, 2).bits();
      if (got != want) {
        FAIL() << name(fa, fb) << std::hex << " codes " << x << ": want 0x" << want << " got 0x"
               << got;
      }
      ++checked;
    }
  }
  EXPECT_EQ(checked, int64_t{100} * 65536);
}

// The reference products of one pair, in units of 2^-kRefChunkFracBits, indexed (a << 4) | b,
// so that the 10^7-chunk loop does not decode codes again and again.
std::vector<int64_t> ref_product_units(const Operand4& fa, const Operand4& fb) {
  std::vector<int64_t> units(256);
  for (unsigned a = 0; a < 16; ++a) {
    for (unsigned b = 0; b < 16; ++b) {
      units[(a << 4) | b] = ref::ref_to_units(ref_value(fa, Code4(a)) * ref_value(fb, Code4(b)));
    }
  }
  return units;
}

// L = 4: every a-vector of four codes against B vectors at the extremes and a few random ones.
TEST(Lanes, ExhaustiveAOfChunksOfFour) {
  std::mt19937_64 gen(0x4C414E45);
  for (const auto& [fa, fb] : all_pairs()) {
    std::vector<std::vector<Code4>> bs = {{0x7, 0x7, 0x7, 0x7}, {0x8, 0x8, 0x8, 0x8},
                                          {0xF, 0xF, 0xF, 0xF}, {0x1, 0xF, 0x7, 0x9}};
    for (int i = 0; i < 4; ++i) {
      bs.push_back({Code4(gen() & 0xF), Code4(gen() & 0xF), Code4(gen() & 0xF), Code4(gen() & 0xF)});
    }
    const std::vector<int64_t> units = ref_product_units(fa, fb);
    for (const auto& b : bs) {
      for (unsigned x = 0; x < (1u << 16); ++x) {
        const Code4 a[4] = {Code4(x & 0xF), Code4((x >> 4) & 0xF), Code4((x >> 8) & 0xF),
                            Code4(x >> 12)};
        int64_t sum = 0;
        for (int i = 0; i < 4; ++i) sum += units[size_t(a[i] << 4 | b[size_t(i)])];
        const uint16_t want = ref::ref_round_units_binary16(sum);
        const uint16_t got = chunk_fp16(fa, a, 1, fb, b.data(), 1, 4).bits();
        if (got != want) {
          FAIL() << name(fa, fb) << std::hex << " a " << x << ": want 0x" << want << " got 0x"
                 << got;
        }
      }
    }
  }
}

// 10^7 seeded chunks per lane count, over every pair, with random lengths up to L (the K tail)
// and a random accumulator to add into, through dot4_fp16's whole rule (chunk, then add).
class LanesSeeded : public ::testing::TestWithParam<int> {};

TEST_P(LanesSeeded, TenMillionChunksAgainstTheExactReference) {
  const int lanes = GetParam();
  const auto pairs = all_pairs();
  std::vector<std::vector<int64_t>> tables;
  for (const auto& [fa, fb] : pairs) tables.push_back(ref_product_units(fa, fb));
  std::mt19937_64 gen(0xC0DE0000u + static_cast<unsigned>(lanes));
  constexpr int64_t kChunks = 10'000'000;
  int64_t infinite = 0, rounded = 0;
  std::vector<Code4> a(static_cast<size_t>(lanes)), b(static_cast<size_t>(lanes));
  for (int64_t n = 0; n < kChunks; ++n) {
    const size_t pair = gen() % pairs.size();
    const auto& [fa, fb] = pairs[pair];
    // Most chunks are full; one in eight is a tail of 1 .. L-1.
    const int len = (n % 8 == 7 && lanes > 1) ? 1 + int(gen() % uint64_t(lanes - 1)) : lanes;
    uint64_t bits = gen();
    int64_t units = 0;
    for (int i = 0; i < len; ++i) {
      if (i % 8 == 0 && i > 0) bits = gen();
      a[size_t(i)] = Code4(bits & 0xF);
      b[size_t(i)] = Code4((bits >> 4) & 0xF);
      bits >>= 8;
      units += tables[pair][size_t(a[size_t(i)] << 4 | b[size_t(i)])];
    }
    // A finite accumulator (any sign, subnormals included) three times in four, else +0.
    uint16_t init = 0;
    if (n % 4 != 0) {
      init = static_cast<uint16_t>(gen() % 0x7C00 | (gen() & 0x8000));
    }
    const uint16_t chunk_want = ref::ref_round_units_binary16(units);
    const uint16_t want = ref::ref_add_binary16(init, chunk_want);
    const uint16_t got = dot4_fp16(fa, a.data(), 1, fb, b.data(), 1, size_t(len), lanes,
                                   Fp16::from_bits(init))
                             .bits();
    if (got != want) {
      FAIL() << name(fa, fb) << " L " << lanes << " len " << len << std::hex << " init 0x" << init
             << ": want 0x" << want << " got 0x" << got;
    }
    if ((chunk_want & 0x7C00) == 0x7C00) ++infinite;
    if (std::ldexp(double(units), -ref::kRefChunkFracBits) != ref::ref_decode_binary16(chunk_want)) {
      ++rounded;
    }
  }
  // The sample reaches the rounding and, where the formats allow it, overflow.
  EXPECT_GT(rounded, 1000);
  if (lanes >= 4) {
    EXPECT_GT(infinite, 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Lanes, LanesSeeded, ::testing::Values(2, 4, 8, 16),
                         [](const auto& param_info) { return "L" + std::to_string(param_info.param); });

// A long dot product: chunks of L from k = 0, each carried into the next, against the reference
// loop; and the same K split into tiles at multiples of L, carried in as init.
TEST(Lanes, ChunkedDotProductsAndTilesAtMultiplesOfL) {
  std::mt19937_64 gen(77);
  const auto pairs = all_pairs();
  for (int lanes : {1, 2, 3, 4, 8, 16}) {
    for (int trial = 0; trial < 40; ++trial) {
      const auto& [fa, fb] = pairs[gen() % pairs.size()];
      const size_t k_len = 1 + gen() % 3000;
      std::vector<Code4> a(k_len), b(k_len);
      std::vector<double> p;
      for (size_t k = 0; k < k_len; ++k) {
        a[k] = Code4(gen() & 0xF);
        b[k] = Code4(gen() & 0xF);
        p.push_back(ref_value(fa, a[k]) * ref_value(fb, b[k]));
      }
      const uint16_t want = ref::ref_chunked_dot(p, lanes, 0);
      const Fp16 whole = dot4_fp16(fa, a.data(), 1, fb, b.data(), 1, k_len, lanes);
      ASSERT_EQ(whole.bits(), want) << name(fa, fb) << " L " << lanes << " K " << k_len;
      const size_t split = size_t(lanes) * (gen() % (k_len / size_t(lanes) + 1));
      const Fp16 first = dot4_fp16(fa, a.data(), 1, fb, b.data(), 1, split, lanes);
      const Fp16 tiled = dot4_fp16(fa, a.data() + split, 1, fb, b.data() + split, 1,
                                   k_len - split, lanes, first);
      ASSERT_EQ(tiled.bits(), want) << name(fa, fb) << " L " << lanes << " split " << split;
    }
  }
}

// Hand-derived cases (the values are worked out in the comments, not computed by the code).
TEST(Lanes, HandDerivedRoundingOverflowAndZeros) {
  const Operand4 u4{Format::kUint4, {}};
  const Operand4 i4{Format::kInt4, {}};
  // Ten products 15 x 15 = 2250 and four 1 x 1. In [2048, 4096) binary16 steps by 2.
  //  - L = 16: one chunk, 2254 exactly: 0x6800 + (2254 - 2048) / 2 = 0x6867.
  //  - L = 1: 2250, then 2251 -> tie, to even 2252 (0x6866); each further +1 ties back to 2252.
  std::vector<Code4> a(14, 0xF), b(14, 0xF);
  for (int i = 10; i < 14; ++i) a[size_t(i)] = b[size_t(i)] = 0x1;
  EXPECT_EQ(dot4_fp16(u4, a.data(), 1, u4, b.data(), 1, 14, 16).bits(), 0x6867);
  EXPECT_EQ(dot4_fp16(u4, a.data(), 1, u4, b.data(), 1, 14, 1).bits(), 0x6866);
  // A tie inside a chunk: 9 x 225 + 8 x 3 = 2049, halfway between 2048 and 2050: to even, 2048.
  std::vector<Code4> c(10, 0xF), d(10, 0xF);
  c[9] = 0x8, d[9] = 0x3;
  EXPECT_EQ(dot4_fp16(u4, c.data(), 1, u4, d.data(), 1, 10, 16).bits(), 0x6800);

  // FP4 bias 2, phase 1: code 0x7 is 2 * 4^5 = 2048; times UINT4 15 = 30720.
  const Operand4 f4{Format::kFp4, {2, 1}};
  const Code4 fp4[4] = {0x7, 0x7, 0x7, 0xF};
  const Code4 fifteen[4] = {0xF, 0xF, 0xF, 0xF};
  // +30720 * 3 - 30720 = 61440 = 0x7B80 in one chunk; sequentially 92160 overflows to +Inf first.
  EXPECT_EQ(dot4_fp16(f4, fp4, 1, u4, fifteen, 1, 4, 4).bits(), 0x7B80);
  EXPECT_EQ(dot4_fp16(f4, fp4, 1, u4, fifteen, 1, 4, 1).bits(), 0x7C00);
  // Three of them: 92160 > 65520 (max + half an ulp) rounds to +Inf within the chunk.
  EXPECT_EQ(chunk_fp16(f4, fp4, 1, u4, fifteen, 1, 3).bits(), 0x7C00);

  // FP4 bias 13, phase 0: code 0x1 is 4^-12 = 2^-24, binary16's smallest subnormal.
  const Operand4 tiny{Format::kFp4, {13, 0}};
  const Code4 ones[3] = {0x1, 0x1, 0x1};
  const Code4 three[3] = {0x1, 0x1, 0x1};
  EXPECT_EQ(chunk_fp16(tiny, ones, 1, u4, three, 1, 3).bits(), 0x0003);  // 3 * 2^-24
  // Cancellation: 2^-24 - 2^-24 = 0 is +0; added to a -0 accumulator, +0.
  const Code4 plus_minus[2] = {0x1, 0xF};
  EXPECT_EQ(chunk_fp16(tiny, ones, 1, i4, plus_minus, 1, 2).bits(), 0x0000);
  EXPECT_EQ(dot4_fp16(tiny, ones, 1, i4, plus_minus, 1, 2, 2, kFp16NegZero).bits(), 0x0000);
  // A -0 accumulator with no chunk to add (K = 0) stays -0.
  EXPECT_EQ(dot4_fp16(tiny, ones, 1, i4, plus_minus, 1, 0, 4, kFp16NegZero).bits(), 0x8000);
}

TEST(Lanes, RejectsLaneCountsOutsideTheAdmittedRange) {
  const Operand4 i4{Format::kInt4, {}};
  const Code4 c = 1;
  EXPECT_THROW(dot4_fp16(i4, &c, 1, i4, &c, 1, 1, 0), std::invalid_argument);
  EXPECT_THROW(dot4_fp16(i4, &c, 1, i4, &c, 1, 1, kMaxLanes + 1), std::invalid_argument);
  EXPECT_THROW(tree_width_bits(0), std::invalid_argument);
  EXPECT_NO_THROW(dot4_fp16(i4, &c, 1, i4, &c, 1, 1, kMaxLanes));
}

}  // namespace
}  // namespace nibble::num
