// The functional GEMM kernels (model/datapath/gemm_kernel.h) against the rule they compute,
// num::dot4_fp16 and its chunk rule, and against the independent reference of
// tests/reference/ref_chunk.h:
//  - exhaustively: the AVX2 kernel's accumulate on every pair of binary16 values (2^32, in 16
//    shards) against num::fp16_add; its chunk rounding on every tree sum 64 lanes can reach,
//    for every product weight an admitted pair has, against num::round_chunk; and both kernels
//    on every accumulator value (2^16, -0, NaNs and infinities included) with every product of
//    every operand pair;
//  - on 10^8 seeded MACs: random GEMM blocks of random shapes, lanes, pairs, k offsets and
//    initial values, both kernels against num::dot4_fp16 (and a sample of outputs against the
//    reference);
//  - compute_gemm gives the same values on 1, 2 and 3 threads.
// Under the sanitizers the exhaustive cases are skipped and the random one runs 10^7 MACs.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "model/datapath/gemm_kernel.h"
#include "model/numerics/accumulate.h"
#include "model/numerics/fp16.h"
#include "model/numerics/lanes.h"
#include "model/numerics/product.h"
#include "tests/reference/ref_chunk.h"
#include "tests/reference/ref_quant4.h"

namespace nibble::datapath {
namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif

using num::Code4;
using num::Format;
using num::Operand4;

Operand4 op(Format f, int bias = num::kFp4DefaultBias, int phase = 0) {
  Operand4 o;
  o.format = f;
  if (f == Format::kFp4) {
    o.fp4 = num::Fp4Spec{bias, phase};
  }
  return o;
}

// Every admitted operand pair (not fp4 x fp4), FP4 at its default bias, both phases, and at
// the ends of the admitted bias range.
std::vector<std::pair<Operand4, Operand4>> pairs() {
  const std::vector<Operand4> ints = {op(Format::kInt4), op(Format::kUint4)};
  const std::vector<Operand4> fp4s = {op(Format::kFp4, 7, 0), op(Format::kFp4, 7, 1),
                                      op(Format::kFp4, 2, 0), op(Format::kFp4, 13, 1)};
  std::vector<std::pair<Operand4, Operand4>> out;
  for (const Operand4& a : ints) {
    for (const Operand4& b : ints) out.emplace_back(a, b);
    for (const Operand4& f : fp4s) {
      out.emplace_back(a, f);
      out.emplace_back(f, a);
    }
  }
  return out;
}

std::string pair_name(const Operand4& a, const Operand4& b) {
  const auto name = [](const Operand4& o) {
    std::string s = num::format_name(o.format);
    if (o.format == Format::kFp4) {
      s += "(bias " + std::to_string(o.fp4.bias) + ", p" + std::to_string(o.fp4.phase) + ")";
    }
    return s;
  };
  return name(a) + " x " + name(b);
}

// A code's value by the reference's textbook decoders (ref_quant4.h).
double ref_value(const Operand4& f, Code4 code) {
  switch (f.format) {
    case Format::kInt4:
      return ref::ref_int4_value(code);
    case Format::kUint4:
      return ref::ref_uint4_value(code);
    default: {
      const int e = code & 0x7;
      const double m = e == 0 ? 0.0 : ref::ref_fp4_magnitude(e, f.fp4.bias, f.fp4.phase);
      return (code & 0x8) != 0 ? -m : m;
    }
  }
}

std::vector<Kernel> kernels() {
  std::vector<Kernel> k = {Kernel::kPortable};
  if (kernel_available(Kernel::kAvx2)) {
    k.push_back(Kernel::kAvx2);
  }
  return k;
}

class AddShard : public ::testing::TestWithParam<int> {};

TEST_P(AddShard, Avx2AccumulateEqualsFp16AddOnEveryPairOfValues) {
  if (kSanitized) GTEST_SKIP() << "exhaustive: not under the sanitizers";
  if (!kernel_available(Kernel::kAvx2)) GTEST_SKIP() << "no AVX2 + F16C on this CPU";
  std::vector<uint16_t> a(65536), b(65536), out(65536);
  for (uint32_t i = 0; i < 65536; ++i) b[i] = static_cast<uint16_t>(i);
  uint64_t differ = 0;
  for (uint32_t hi = 0; hi < 4096; ++hi) {
    const auto x = static_cast<uint16_t>((static_cast<uint32_t>(GetParam()) << 12) | hi);
    std::fill(a.begin(), a.end(), x);
    avx2_fp16_add(a.data(), b.data(), out.data(), out.size());
    for (uint32_t i = 0; i < 65536; ++i) {
      const uint16_t want =
          num::fp16_add(num::Fp16::from_bits(x), num::Fp16::from_bits(b[i])).bits();
      if (out[i] != want && ++differ <= 5) {
        ADD_FAILURE() << std::hex << x << " + " << b[i] << ": " << out[i] << ", want " << want;
      }
    }
  }
  EXPECT_EQ(differ, 0U);
}

INSTANTIATE_TEST_SUITE_P(GemmKernel, AddShard, ::testing::Range(0, 16));

TEST(GemmKernel, Avx2ChunkRoundingEqualsRoundChunkOnEveryTreeSum) {
  if (kSanitized) GTEST_SKIP() << "exhaustive: not under the sanitizers";
  if (!kernel_available(Kernel::kAvx2)) GTEST_SKIP() << "no AVX2 + F16C on this CPU";
  // 64 lanes of at most 15 * 2^12 (FP4 x UINT4, lanes.h): |tree| <= 3932160 < 2^22.
  constexpr int32_t kMax = 1 << 22;
  std::vector<int32_t> tree;
  for (int32_t t = -kMax; t < kMax; ++t) tree.push_back(t);
  std::vector<uint16_t> out(tree.size());
  // Every product weight of an admitted pair: 2^0 (integers), 2^(2 (1 - bias) + phase) (FP4).
  std::vector<std::pair<Operand4, Operand4>> weights = {{op(Format::kInt4), op(Format::kInt4)}};
  for (int bias = num::kFp4MinBias; bias <= num::kFp4MaxBias; ++bias) {
    for (int phase = 0; phase < 2; ++phase) {
      weights.emplace_back(op(Format::kFp4, bias, phase), op(Format::kInt4));
    }
  }
  for (const auto& [fa, fb] : weights) {
    const int lsb = num::tree_lsb_exp2(fa, fb);
    avx2_round_chunks(tree.data(), lsb, out.data(), out.size());
    uint64_t differ = 0;
    for (size_t i = 0; i < tree.size(); ++i) {
      const uint16_t want = num::round_chunk(tree[i], fa, fb).bits();
      if (out[i] != want && ++differ <= 5) {
        ADD_FAILURE() << "tree " << tree[i] << " lsb " << lsb << ": " << out[i] << " want " << want;
      }
    }
    EXPECT_EQ(differ, 0U) << "lsb " << lsb;
  }
}

// acc(m, n) for K = 1, every accumulator value (8192 rows x 8 columns hold the 2^16 binary16
// values) and every pair of codes: one product added to every possible partial sum. One test
// per operand pair.
class PairCase : public ::testing::TestWithParam<size_t> {};

TEST_P(PairCase, EveryAccumulatorWithEveryProduct) {
  if (kSanitized) GTEST_SKIP() << "exhaustive: not under the sanitizers";
  constexpr int64_t kRows = 8192, kCols = 8;
  {
    const auto [fa, fb] = pairs().at(GetParam());
    for (const Kernel kernel : kernels()) {
      SCOPED_TRACE(pair_name(fa, fb) + ", " + kernel_name(kernel));
      uint64_t differ = 0;
      for (unsigned a = 0; a < 16; ++a) {
        for (unsigned b = 0; b < 16; ++b) {
          const std::vector<Code4> ca(kRows, static_cast<Code4>(a));
          const std::vector<Code4> cb(kCols, static_cast<Code4>(b));
          GemmOperands g{fa, fb, MatrixView{ca.data(), kRows, 1}, MatrixView{cb.data(), 1, kCols},
                         1};
          Accumulators acc{kRows, kCols, std::vector<num::Fp16>(kRows * kCols)};
          for (size_t i = 0; i < acc.values.size(); ++i) {
            acc.values[i] = num::Fp16::from_bits(static_cast<uint16_t>(i));
          }
          Block blk;
          blk.m_len = kRows;
          blk.n_len = kCols;
          blk.k_len = 1;
          blk.first_partial = false;
          gemm_block(kernel, g, blk, acc);
          const auto code_a = static_cast<Code4>(a), code_b = static_cast<Code4>(b);
          for (size_t i = 0; i < acc.values.size(); ++i) {
            const num::Fp16 want = num::dot4_fp16(fa, &code_a, 1, fb, &code_b, 1, 1, 1,
                                                  num::Fp16::from_bits(static_cast<uint16_t>(i)));
            if (acc.values[i].bits() != want.bits() && ++differ <= 5) {
              ADD_FAILURE() << "acc " << std::hex << i << " codes " << a << ", " << b << ": "
                            << acc.values[i].bits() << " want " << want.bits();
            }
          }
        }
      }
      EXPECT_EQ(differ, 0U);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(GemmKernel, PairCase, ::testing::Range<size_t>(0, 20));

TEST(GemmKernel, TwentyOperandPairs) { EXPECT_EQ(pairs().size(), 20U); }

// Random blocks of random GEMMs: 10^8 MACs per kernel (10^7 under the sanitizers).
TEST(GemmKernel, RandomBlocksEqualDot4Fp16AndTheReference) {
  const int64_t budget = kSanitized ? 10000000 : 100000000;
  const std::vector<std::pair<Operand4, Operand4>> all = pairs();
  const int lane_choices[] = {1, 2, 3, 4, 5, 8, 16, 64};
  const uint16_t specials[] = {0x0000, 0x8000, 0x7C00, 0xFC00, 0x7E00, 0x7C01, 0xFE00,
                               0x0001, 0x8001, 0x03FF, 0x7BFF, 0xFBFF, 0x3C00};
  for (const Kernel kernel : kernels()) {
    SCOPED_TRACE(kernel_name(kernel));
    std::mt19937_64 rng(20261205);
    int64_t macs = 0, checked = 0, referenced = 0;
    while (macs < budget) {
      const auto& [fa, fb] = all[rng() % all.size()];
      const int lanes = lane_choices[rng() % 8];
      const int64_t m = 1 + static_cast<int64_t>(rng() % 40);
      const int64_t n = 1 + static_cast<int64_t>(rng() % 40);
      const int64_t k = 1 + static_cast<int64_t>(rng() % 300);
      std::vector<Code4> ca(static_cast<size_t>(m * k)), cb(static_cast<size_t>(k * n));
      for (Code4& c : ca) c = static_cast<Code4>(rng() & 0xF);
      for (Code4& c : cb) c = static_cast<Code4>(rng() & 0xF);
      GemmOperands g{fa, fb, MatrixView{ca.data(), m, k}, MatrixView{cb.data(), k, n}, lanes};
      Accumulators acc{m, n, std::vector<num::Fp16>(static_cast<size_t>(m * n))};
      for (num::Fp16& v : acc.values) {
        v = num::Fp16::from_bits(rng() % 4 == 0 ? specials[rng() % 13]
                                                : static_cast<uint16_t>(rng() & 0x7FFF));
      }
      const std::vector<num::Fp16> init = acc.values;
      Block blk;
      blk.m0 = static_cast<int64_t>(rng() % static_cast<uint64_t>(m));
      blk.m_len = 1 + static_cast<int64_t>(rng() % static_cast<uint64_t>(m - blk.m0));
      blk.n0 = static_cast<int64_t>(rng() % static_cast<uint64_t>(n));
      blk.n_len = 1 + static_cast<int64_t>(rng() % static_cast<uint64_t>(n - blk.n0));
      const int64_t chunks = (k + lanes - 1) / lanes;
      blk.k0 = static_cast<int64_t>(rng() % static_cast<uint64_t>(chunks)) * lanes;
      blk.k_len = 1 + static_cast<int64_t>(rng() % static_cast<uint64_t>(k - blk.k0));
      blk.first_partial = rng() % 2 == 0;
      gemm_block(kernel, g, blk, acc);
      for (int64_t i = 0; i < m; ++i) {
        for (int64_t j = 0; j < n; ++j) {
          const size_t at = static_cast<size_t>(i * n + j);
          const bool inside =
              i >= blk.m0 && i < blk.m0 + blk.m_len && j >= blk.n0 && j < blk.n0 + blk.n_len;
          uint16_t want = init[at].bits();
          if (inside) {
            const num::Fp16 start = blk.first_partial ? num::kFp16Zero : init[at];
            want =
                num::dot4_fp16(fa, ca.data() + i * k + blk.k0, 1, fb, cb.data() + blk.k0 * n + j,
                               static_cast<size_t>(n), static_cast<size_t>(blk.k_len), lanes, start)
                    .bits();
            if (checked++ % 97 == 0) {  // the independent reference, on a sample
              std::vector<double> products;
              for (int64_t q = 0; q < blk.k_len; ++q) {
                products.push_back(ref_value(fa, ca[static_cast<size_t>(i * k + blk.k0 + q)]) *
                                   ref_value(fb, cb[static_cast<size_t>((blk.k0 + q) * n + j)]));
              }
              ASSERT_EQ(ref::ref_chunked_dot(products, lanes, start.bits()), want);
              ++referenced;
            }
          }
          ASSERT_EQ(acc.values[at].bits(), want)
              << pair_name(fa, fb) << " L " << lanes << " C[" << i << "][" << j << "]";
        }
      }
      macs += blk.m_len * blk.n_len * blk.k_len;
    }
    EXPECT_GT(referenced, 1000);
  }
}

TEST(GemmKernel, ComputeGemmIsTheSameOnEveryThreadCount) {
  std::mt19937_64 rng(7);
  const int64_t m = 301, n = 37, k = 250;
  std::vector<Code4> ca(static_cast<size_t>(m * k)), cb(static_cast<size_t>(k * n));
  for (Code4& c : ca) c = static_cast<Code4>(rng() & 0xF);
  for (Code4& c : cb) c = static_cast<Code4>(rng() & 0xF);
  const GemmOperands g{op(Format::kFp4, 7, 1), op(Format::kUint4), MatrixView{ca.data(), m, k},
                       MatrixView{cb.data(), k, n}, 4};
  std::vector<num::Fp16> first;
  for (int threads : {1, 2, 3}) {
    Accumulators acc{m, n, std::vector<num::Fp16>(static_cast<size_t>(m * n))};
    compute_gemm(g, acc, threads);
    if (first.empty()) {
      first = acc.values;
      for (int64_t i = 0; i < m; i += 50) {  // and they are the rule's values
        EXPECT_EQ(acc.values[static_cast<size_t>(i * n + 3)].bits(),
                  num::dot4_fp16(g.fa, ca.data() + i * k, 1, g.fb, cb.data() + 3,
                                 static_cast<size_t>(n), static_cast<size_t>(k), 4)
                      .bits());
      }
    }
    for (size_t i = 0; i < first.size(); ++i) {
      ASSERT_EQ(acc.values[i].bits(), first[i].bits()) << threads << " threads, output " << i;
    }
  }
  Accumulators wrong{m, n + 1, std::vector<num::Fp16>(static_cast<size_t>(m * (n + 1)))};
  EXPECT_THROW(compute_gemm(g, wrong, 1), std::invalid_argument);
  Accumulators acc{m, n, std::vector<num::Fp16>(static_cast<size_t>(m * n))};
  EXPECT_THROW(compute_gemm(g, acc, 0), std::invalid_argument);
}

TEST(GemmKernel, RejectsAKOffsetOffTheChunks) {
  const std::vector<Code4> c(16, 1);
  const GemmOperands g{op(Format::kInt4), op(Format::kInt4), MatrixView{c.data(), 4, 4},
                       MatrixView{c.data(), 4, 4}, 2};
  Accumulators acc{4, 4, std::vector<num::Fp16>(16)};
  Block blk;
  blk.m_len = blk.n_len = 4;
  blk.k0 = 1;
  blk.k_len = 3;
  for (const Kernel kernel : kernels()) {
    EXPECT_THROW(gemm_block(kernel, g, blk, acc), std::invalid_argument);
  }
  EXPECT_STREQ(kernel_name(Kernel::kAvx2), "avx2");
  EXPECT_STREQ(kernel_name(Kernel::kPortable), "portable");
  EXPECT_TRUE(kernel_available(Kernel::kPortable));
}

}  // namespace
}  // namespace nibble::datapath
