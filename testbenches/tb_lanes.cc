// tb_lanes: rtl/nibble_lanes.sv against num::dot4_fp16 (one chunk: fp16_add(psum,
// chunk_fp16(...))): 10^6 seeded random chunks at each of Lanes = 1, 4, 8 and 16 (every PE
// operand pair, lengths 1..L, random partial sums with the specials, mac_en 0/1), 10^5 at
// Lanes = 4 with the FP4 bias at either end of its range, arbitrary lane masks, hand-derived
// overflow and cancellation cases; and Lanes = 1 exhaustively against product_fp16 + fp16_add
// and against rtl/nibble_mac.sv itself.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <random>
#include <type_traits>
#include <utility>
#include <vector>

#include "Vnibble_lanes_1.h"
#include "Vnibble_lanes_16.h"
#include "Vnibble_lanes_4.h"
#include "Vnibble_lanes_4_bias13.h"
#include "Vnibble_lanes_4_bias2.h"
#include "Vnibble_lanes_8.h"
#include "Vnibble_lanes_ref_mac.h"
#include "model/numerics/accumulate.h"
#include "model/numerics/fp16.h"
#include "model/numerics/lanes.h"
#include "model/numerics/product.h"
#include "testbenches/rtl_formats.h"
#include "verilated.h"

namespace nibble::tb {
namespace {

using num::Code4;
using num::Format;
using num::Fp16;
using num::Operand4;

// The 12 PE operand pairs for one FP4 bias: INT4/UINT4 x INT4/UINT4 and FP4 phase 0/1 x
// INT4/UINT4 in both orders.
std::vector<std::pair<Operand4, Operand4>> pe_pairs(int bias) {
  const Operand4 kinds[] = {operand(Format::kInt4), operand(Format::kUint4),
                            operand(Format::kFp4, 0, bias), operand(Format::kFp4, 1, bias)};
  std::vector<std::pair<Operand4, Operand4>> pairs;
  for (const Operand4& fa : kinds) {
    for (const Operand4& fb : kinds) {
      if (fa.format == Format::kFp4 && fb.format == Format::kFp4) {
        continue;  // not a PE operation
      }
      num::validate_pair(fa, fb);
      pairs.emplace_back(fa, fb);
    }
  }
  return pairs;
}

// binary16 specials a partial sum may be: signed zeros, subnormal ends, smallest normal, one,
// the largest finite, the infinities and NaNs (canonical, smallest payload, negative).
constexpr std::array<uint16_t, 18> kSpecials = {
    0x0000, 0x8000, 0x0001, 0x8001, 0x03FF, 0x83FF, 0x0400, 0x8400, 0x3C00,
    0xBC00, 0x7BFF, 0xFBFF, 0x7C00, 0xFC00, 0x7E00, 0x7C01, 0xFFFF, 0x7A00};

// A random partial sum: random bits (NaN and Inf included), a special, a finite value near the
// size of a chunk (so that the add rounds), or one near the overflow threshold.
Fp16 random_psum(std::mt19937_64& gen) {
  const auto sign = static_cast<uint16_t>(gen() & 0x8000);
  switch (gen() % 8) {
    case 0:
    case 1:
      return Fp16::from_bits(static_cast<uint16_t>(gen()));
    case 2:
      return Fp16::from_bits(kSpecials[gen() % kSpecials.size()]);
    case 3:
      return Fp16::from_bits(static_cast<uint16_t>((0x7400 + gen() % 0x800) | sign));
    default:  // exponent field 1 .. 24: 2^-14 .. 2^9, the magnitudes of most chunks
      return Fp16::from_bits(static_cast<uint16_t>(((1 + gen() % 24) << 10 | (gen() & 0x3FF)) |
                                                   sign));
  }
}

// Drives a Verilated nibble_lanes model; `lanes` is its Lanes parameter. Codes are lane i at bits
// [4i +: 4] of a and b, the mask lane i at bit i.
template <typename Model>
uint16_t drive(Model& dut, int lanes, const Operand4& fa, const Code4* a, const Operand4& fb,
               const Code4* b, uint64_t lane_en, bool mac_en, Fp16 psum) {
  uint64_t a_bits = 0;
  uint64_t b_bits = 0;
  for (int i = 0; i < lanes; ++i) {
    a_bits |= uint64_t{a[i]} << (4 * i);
    b_bits |= uint64_t{b[i]} << (4 * i);
  }
  dut.fmt_a_i = rtl_operand_fmt(fa);
  dut.fmt_b_i = rtl_operand_fmt(fb);
  dut.a_i = static_cast<std::remove_reference_t<decltype(dut.a_i)>>(a_bits);
  dut.b_i = static_cast<std::remove_reference_t<decltype(dut.b_i)>>(b_bits);
  dut.lane_en_i = static_cast<std::remove_reference_t<decltype(dut.lane_en_i)>>(lane_en);
  dut.mac_en_i = mac_en;
  dut.psum_i = psum.bits();
  dut.eval();
  return dut.psum_o;
}

uint64_t prefix_mask(int len) { return len >= 64 ? ~uint64_t{0} : (uint64_t{1} << len) - 1; }

// Counts of what the random chunks reached, so that a test sees it covered its cases.
struct Coverage {
  int64_t chunks = 0;
  int64_t bypassed = 0;
  int64_t rounded = 0;   // the chunk's exact sum was not representable in binary16
  int64_t inf = 0;       // Inf results
  int64_t nan = 0;       // NaN results
  int64_t zero = 0;      // zero results
  int64_t short_len = 0; // chunks shorter than Lanes
};

// `count` random chunks through `dut` (Lanes = lanes, FP4 bias = bias), each compared with
// dot4_fp16 (one chunk of length 1..lanes, init = psum) or psum when mac_en is 0. Lanes beyond
// the chunk hold random codes, which must not count.
template <typename Model>
Coverage random_chunks(Model& dut, int lanes, int bias, uint64_t seed, int64_t count) {
  const auto pairs = pe_pairs(bias);
  std::mt19937_64 gen(seed);
  Coverage cov;
  std::vector<Code4> a(static_cast<size_t>(lanes));
  std::vector<Code4> b(static_cast<size_t>(lanes));
  for (int64_t n = 0; n < count; ++n) {
    const auto& [fa, fb] = pairs[gen() % pairs.size()];
    // Codes: uniform, or (1 in 4 chunks) only the extreme codes (INT4 7 and -8, UINT4 15, FP4
    // +-e 7), so that all-max chunks occur.
    constexpr Code4 kExtremes[] = {0x7, 0x8, 0xF};
    const bool extremes = gen() % 4 == 0;
    for (int i = 0; i < lanes; ++i) {
      a[size_t(i)] = static_cast<Code4>(extremes ? kExtremes[gen() % 3] : gen() & 0xF);
      b[size_t(i)] = static_cast<Code4>(extremes ? kExtremes[gen() % 3] : gen() & 0xF);
    }
    const int len = 1 + static_cast<int>(gen() % static_cast<uint64_t>(lanes));
    const bool mac_en = gen() % 8 != 0;
    const Fp16 psum = random_psum(gen);
    const uint16_t got =
        drive(dut, lanes, fa, a.data(), fb, b.data(), prefix_mask(len), mac_en, psum);
    const Fp16 chunk = num::chunk_fp16(fa, a.data(), 1, fb, b.data(), 1, static_cast<size_t>(len));
    const Fp16 want = mac_en ? num::dot4_fp16(fa, a.data(), 1, fb, b.data(), 1,
                                              static_cast<size_t>(len), lanes, psum)
                             : psum;
    if (got != want.bits()) {
      ADD_FAILURE() << "Lanes " << lanes << " bias " << bias << " chunk " << n << ": "
                    << num::format_name(fa.format) << " (phase " << fa.fp4.phase << ") x "
                    << num::format_name(fb.format) << " (phase " << fb.fp4.phase << "), len "
                    << len << ", mac_en " << mac_en << ", psum " << std::hex << psum.bits()
                    << ", chunk " << chunk.bits() << ": got " << got << ", want " << want.bits();
      return cov;
    }
    // The chunk's exact sum, to see whether round16 rounded.
    int64_t exact = 0;
    for (int i = 0; i < len; ++i) {
      exact += num::product_fixed(fa, a[size_t(i)], fb, b[size_t(i)]);
    }
    ++cov.chunks;
    cov.bypassed += mac_en ? 0 : 1;
    cov.rounded += std::ldexp(static_cast<double>(exact), num::tree_lsb_exp2(fa, fb)) !=
                           chunk.to_double()
                       ? 1
                       : 0;
    cov.inf += want.is_inf() ? 1 : 0;
    cov.nan += want.is_nan() ? 1 : 0;
    cov.zero += (want.bits() & 0x7FFF) == 0 ? 1 : 0;
    cov.short_len += len < lanes ? 1 : 0;
  }
  return cov;
}

constexpr int64_t kChunks = 1'000'000;

void expect_covered(const Coverage& cov, int64_t count, int lanes) {
  if (::testing::Test::HasFailure()) {
    return;  // a mismatch ended the run early; its message says all
  }
  EXPECT_EQ(cov.chunks, count);
  EXPECT_GT(cov.bypassed, count / 16);
  EXPECT_GT(cov.inf, 0);
  EXPECT_GT(cov.nan, 0);
  EXPECT_GT(cov.zero, 0);
  if (lanes > 1) {
    EXPECT_GT(cov.rounded, 0);  // FP4 chunks of several products round in round16
    EXPECT_GT(cov.short_len, count / 4);
  } else {
    EXPECT_EQ(cov.rounded, 0);  // one product is exact
  }
}

TEST(TbLanes, MillionRandomChunksLanes1) {
  VerilatedContext context;
  Vnibble_lanes_1 dut{&context};
  expect_covered(random_chunks(dut, 1, num::kFp4DefaultBias, 0x6c616e6531ULL, kChunks), kChunks,
                 1);
  dut.final();
}

TEST(TbLanes, MillionRandomChunksLanes4) {
  VerilatedContext context;
  Vnibble_lanes_4 dut{&context};
  expect_covered(random_chunks(dut, 4, num::kFp4DefaultBias, 0x6c616e6534ULL, kChunks), kChunks,
                 4);
  dut.final();
}

TEST(TbLanes, MillionRandomChunksLanes8) {
  VerilatedContext context;
  Vnibble_lanes_8 dut{&context};
  expect_covered(random_chunks(dut, 8, num::kFp4DefaultBias, 0x6c616e6538ULL, kChunks), kChunks,
                 8);
  dut.final();
}

TEST(TbLanes, MillionRandomChunksLanes16) {
  VerilatedContext context;
  Vnibble_lanes_16 dut{&context};
  expect_covered(random_chunks(dut, 16, num::kFp4DefaultBias, 0x6c616e653136ULL, kChunks),
                 kChunks, 16);
  dut.final();
}

// The ends of the FP4 bias range move lsb to -2 + phase (bias 2: chunks overflow to Inf) and
// -24 + phase (bias 13: chunks are subnormal; the rounder's shift is 0).
TEST(TbLanes, RandomChunksBiasEnds) {
  VerilatedContext context;
  Vnibble_lanes_4_bias2 dut2{&context};
  Vnibble_lanes_4_bias13 dut13{&context};
  constexpr int64_t kCount = 100'000;
  const Coverage cov2 = random_chunks(dut2, 4, 2, 0x6269617332ULL, kCount);
  EXPECT_EQ(cov2.chunks, kCount);
  const Coverage cov13 = random_chunks(dut13, 4, 13, 0x6269617331ULL, kCount);
  EXPECT_EQ(cov13.chunks, kCount);
  EXPECT_GT(cov13.rounded, 0);  // sums above 2^-14 with more than 11 significant bits
  dut2.final();
  dut13.final();
}

// Any lane mask, not only a prefix: the chunk is the exact sum of the enabled lanes' products
// (dot4_fp16 of those lanes, compacted); an empty mask with mac_en_i = 1 adds a +0 chunk.
template <typename Model>
void random_masks(Model& dut, int lanes, uint64_t seed, int64_t count) {
  const auto pairs = pe_pairs(num::kFp4DefaultBias);
  std::mt19937_64 gen(seed);
  std::vector<Code4> a(static_cast<size_t>(lanes));
  std::vector<Code4> b(static_cast<size_t>(lanes));
  for (int64_t n = 0; n < count; ++n) {
    const auto& [fa, fb] = pairs[gen() % pairs.size()];
    for (int i = 0; i < lanes; ++i) {
      a[size_t(i)] = static_cast<Code4>(gen() & 0xF);
      b[size_t(i)] = static_cast<Code4>(gen() & 0xF);
    }
    const uint64_t mask = gen() % 16 == 0 ? 0 : gen() & prefix_mask(lanes);
    const Fp16 psum = random_psum(gen);
    std::vector<Code4> ea;
    std::vector<Code4> eb;
    for (int i = 0; i < lanes; ++i) {
      if (mask >> i & 1) {
        ea.push_back(a[size_t(i)]);
        eb.push_back(b[size_t(i)]);
      }
    }
    const Fp16 want = ea.empty() ? num::fp16_add(psum, num::kFp16Zero)
                                 : num::dot4_fp16(fa, ea.data(), 1, fb, eb.data(), 1, ea.size(),
                                                  lanes, psum);
    ASSERT_EQ(drive(dut, lanes, fa, a.data(), fb, b.data(), mask, true, psum), want.bits())
        << "Lanes " << lanes << " case " << n << " mask " << std::hex << mask << " psum "
        << psum.bits();
  }
}

TEST(TbLanes, AnyLaneMask) {
  VerilatedContext context;
  Vnibble_lanes_4 dut4{&context};
  Vnibble_lanes_8 dut8{&context};
  Vnibble_lanes_16 dut16{&context};
  random_masks(dut4, 4, 0x6d61736b34ULL, 100'000);
  random_masks(dut8, 8, 0x6d61736b38ULL, 100'000);
  random_masks(dut16, 16, 0x6d61736b3136ULL, 100'000);
  dut4.final();
  dut8.final();
  dut16.final();
}

// Hand-derived chunks.
TEST(TbLanes, HandDerivedOverflowAndCancellation) {
  VerilatedContext context;
  Vnibble_lanes_16 dut{&context};
  Vnibble_lanes_4_bias2 dut2{&context};
  const Operand4 u4 = operand(Format::kUint4);
  const Operand4 i4 = operand(Format::kInt4);
  const Operand4 fp4p1 = operand(Format::kFp4, 1);
  std::array<Code4, 16> a{};
  std::array<Code4, 16> b{};

  // All-max UINT4 x UINT4: 16 x 225 = 3600, exact; on top of 65504 the add overflows to Inf.
  a.fill(0xF);
  b.fill(0xF);
  EXPECT_EQ(drive(dut, 16, u4, a.data(), u4, b.data(), 0xFFFF, true, num::kFp16Zero), 0x6B08);
  EXPECT_EQ(drive(dut, 16, u4, a.data(), u4, b.data(), 0xFFFF, true, Fp16::from_bits(0x7BFF)),
            0x7C00);
  // All-max FP4 (phase 1, e = 7: 2^1) x UINT4 15: 16 x 30 = 480.
  a.fill(0x7);
  EXPECT_EQ(drive(dut, 16, fp4p1, a.data(), u4, b.data(), 0xFFFF, true, num::kFp16Zero), 0x5F80);
  // The same with a negative FP4 sign: -480; and UINT4 x FP4 (B is the FP4 operand).
  a.fill(0xF);
  EXPECT_EQ(drive(dut, 16, u4, a.data(), fp4p1, a.data(), 0xFFFF, true, num::kFp16Zero), 0xDF80);

  // Bias 2, phase 1: e = 7 is 2^11, so 15 x 2^11 = 30720 per lane; two lanes give 61440
  // (finite), three overflow to +Inf inside the chunk, before any add; -Inf with the sign set;
  // and +Inf + -Inf psum is NaN.
  const Operand4 fp4b2 = operand(Format::kFp4, 1, 2);
  std::array<Code4, 4> fa{0x7, 0x7, 0x7, 0x7};
  std::array<Code4, 4> fb{0xF, 0xF, 0xF, 0xF};
  EXPECT_EQ(drive(dut2, 4, fp4b2, fa.data(), u4, fb.data(), 0x3, true, num::kFp16Zero), 0x7B80);
  EXPECT_EQ(drive(dut2, 4, fp4b2, fa.data(), u4, fb.data(), 0x7, true, num::kFp16Zero), 0x7C00);
  EXPECT_EQ(drive(dut2, 4, fp4b2, fa.data(), u4, fb.data(), 0xF, true, num::kFp16NegZero), 0x7C00);
  // An overflowed chunk plus a large negative partial sum stays Inf: the chunk rounds first.
  EXPECT_EQ(drive(dut2, 4, fp4b2, fa.data(), u4, fb.data(), 0x7, true, Fp16::from_bits(0xFBFF)),
            0x7C00);
  const std::array<Code4, 4> fneg{0xF, 0xF, 0xF, 0xF};
  EXPECT_EQ(drive(dut2, 4, fp4b2, fneg.data(), u4, fb.data(), 0xF, true, num::kFp16Zero), 0xFC00);
  EXPECT_EQ(drive(dut2, 4, fp4b2, fneg.data(), u4, fb.data(), 0xF, true, num::kFp16Inf), 0x7E00);

  // Exact cancellation: 3 x 5 + (-3) x 5 = 0 gives the chunk +0, and -0 + +0 = +0.
  a.fill(0);
  b.fill(0);
  a[0] = 0x3;
  a[1] = 0xD;  // -3
  b[0] = 0x5;
  b[1] = 0x5;
  EXPECT_EQ(drive(dut, 16, i4, a.data(), i4, b.data(), 0x3, true, num::kFp16NegZero), 0x0000);
  // FP4: +2^-11 x 7 + (-2^-11) x 7 (phase 1, e = 1), the other lanes masked off with garbage.
  a.fill(0xF);
  b.fill(0x7);
  a[0] = 0x1;
  a[1] = 0x9;
  EXPECT_EQ(drive(dut, 16, fp4p1, a.data(), u4, b.data(), 0x3, true, num::kFp16NegZero), 0x0000);
  // Without lane 1 the chunk is 7 x 2^-11 and keeps -0 out of the result.
  EXPECT_EQ(drive(dut, 16, fp4p1, a.data(), u4, b.data(), 0x1, true, num::kFp16NegZero),
            num::product_fp16(fp4p1, 0x1, u4, 0x7).bits());
  // Bypass: -0 stays -0, whatever the lanes hold.
  EXPECT_EQ(drive(dut, 16, fp4p1, a.data(), u4, b.data(), 0xFFFF, false, num::kFp16NegZero),
            0x8000);
  dut.final();
  dut2.final();
}

// Lanes = 1: every PE pair, every code pair and every partial sum against product_fp16 +
// fp16_add (12 x 256 x 65536 steps), and the bypass.
TEST(TbLanes, Lanes1ExhaustiveAgainstProductAndAdd) {
  VerilatedContext context;
  Vnibble_lanes_1 dut{&context};
  int64_t compared = 0;
  for (const auto& [fa, fb] : pe_pairs(num::kFp4DefaultBias)) {
    dut.fmt_a_i = rtl_operand_fmt(fa);
    dut.fmt_b_i = rtl_operand_fmt(fb);
    dut.lane_en_i = 1;
    dut.mac_en_i = 1;
    for (Code4 a = 0; a < 16; ++a) {
      for (Code4 b = 0; b < 16; ++b) {
        dut.a_i = a;
        dut.b_i = b;
        const Fp16 prod = num::product_fp16(fa, a, fb, b);
        for (uint32_t bits = 0; bits <= 0xFFFF; ++bits) {
          dut.psum_i = static_cast<uint16_t>(bits);
          dut.eval();
          const Fp16 want = num::fp16_add(Fp16::from_bits(static_cast<uint16_t>(bits)), prod);
          ASSERT_EQ(dut.psum_o, want.bits())
              << num::format_name(fa.format) << " (phase " << fa.fp4.phase << ") " << int(a)
              << " x " << num::format_name(fb.format) << " (phase " << fb.fp4.phase << ") "
              << int(b) << ", psum " << std::hex << bits;
          ++compared;
        }
      }
    }
  }
  EXPECT_EQ(compared, 12 * 256 * 65536LL);
  // The bypass passes every partial sum, NaN payloads and -0 included.
  dut.mac_en_i = 0;
  for (uint32_t bits = 0; bits <= 0xFFFF; ++bits) {
    dut.psum_i = static_cast<uint16_t>(bits);
    dut.eval();
    ASSERT_EQ(dut.psum_o, bits);
  }
  dut.final();
}

// Lanes = 1 equals nibble_mac for every format port value (all 8 x 8, including FP16 and
// FP4 x FP4, where both give the canonical NaN), every code pair, mac_en 0/1 and the special
// partial sums plus a seeded sample of the others.
TEST(TbLanes, Lanes1EqualsNibbleMac) {
  VerilatedContext context;
  Vnibble_lanes_1 dut{&context};
  Vnibble_lanes_ref_mac mac{&context};
  std::vector<uint16_t> psums(kSpecials.begin(), kSpecials.end());
  std::mt19937_64 gen(0x72656663ULL);
  for (int i = 0; i < 64; ++i) {
    psums.push_back(static_cast<uint16_t>(gen()));
  }
  int64_t compared = 0;
  for (uint8_t fmt_a = 0; fmt_a < 8; ++fmt_a) {
    for (uint8_t fmt_b = 0; fmt_b < 8; ++fmt_b) {
      for (uint8_t a = 0; a < 16; ++a) {
        for (uint8_t b = 0; b < 16; ++b) {
          for (int mac_en = 0; mac_en < 2; ++mac_en) {
            for (const uint16_t psum : psums) {
              dut.fmt_a_i = mac.fmt_a_i = fmt_a;
              dut.fmt_b_i = mac.fmt_b_i = fmt_b;
              dut.a_i = mac.a_i = a;
              dut.b_i = mac.b_i = b;
              dut.lane_en_i = 1;
              dut.mac_en_i = mac.mac_en_i = static_cast<uint8_t>(mac_en);
              dut.psum_i = mac.psum_i = psum;
              dut.eval();
              mac.eval();
              ASSERT_EQ(dut.psum_o, mac.psum_o)
                  << "fmt_a " << int(fmt_a) << " fmt_b " << int(fmt_b) << " a " << int(a)
                  << " b " << int(b) << " mac_en " << mac_en << " psum " << std::hex << psum;
              ++compared;
            }
          }
        }
      }
    }
  }
  EXPECT_EQ(compared, 64 * 256 * 2 * static_cast<int64_t>(psums.size()));
  dut.final();
  mac.final();
}

}  // namespace
}  // namespace nibble::tb
