// model/datapath: compute_tile (functional mode) and run_tile_detailed (the cycle-level
// systolic array) against an independent reference GEMM, over the timing model's tile schedule.
//
// The reference below is written from docs/numerics.md ("4-bit products", "Accumulation
// order") on tests/reference/ arithmetic only: operand values from ref_quant4.h, products
// exact in binary64 (a zero product is +0), one binary16 rounding per add by ref_binary16.h.
// It never calls num::product_fp16, num::fp16_add or anything in model/datapath.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "model/datapath/datapath.h"
#include "model/timing/realistic.h"
#include "tests/reference/ref_binary16.h"
#include "tests/reference/ref_chunk.h"
#include "tests/reference/ref_quant4.h"

namespace nibble::datapath {
namespace {

using timing::Dataflow;
using workload::FormatSpec;

constexpr int kBias = 7;  // GEMM traces carry no FP4 bias: the default (docs/numerics.md)
constexpr Dataflow kDataflows[] = {Dataflow::kWs, Dataflow::kIs, Dataflow::kOs};

const FormatSpec kI4{num::Format::kInt4, 0};
const FormatSpec kU4{num::Format::kUint4, 0};
const FormatSpec kF4p0{num::Format::kFp4, 0};
const FormatSpec kF4p1{num::Format::kFp4, 1};

struct Pair {
  FormatSpec a, b;
};
// The operand pairs the task names: every int/uint mix and FP4 (both phases) on either side.
const Pair kPairs[] = {{kI4, kI4},   {kU4, kI4},   {kI4, kU4},   {kU4, kU4},
                       {kF4p0, kI4}, {kF4p1, kU4}, {kI4, kF4p0}, {kU4, kF4p1}};

double ref_value(const FormatSpec& f, uint8_t code) {
  switch (f.format) {
    case num::Format::kInt4:
      return ref::ref_int4_value(code);
    case num::Format::kUint4:
      return ref::ref_uint4_value(code);
    default:
      return ref::ref_fp4_value(code, kBias, f.tpr_phase);
  }
}

// The binary16 bits of the exact product; a zero operand (FP4 -0 included) gives +0.
uint16_t ref_product(const FormatSpec& fa, uint8_t a, const FormatSpec& fb, uint8_t b) {
  const double p = ref_value(fa, a) * ref_value(fb, b);
  return p == 0.0 ? uint16_t{0} : ref::ref_round_binary16(p);
}

struct Gemm {
  int64_t m = 0, n = 0, k = 0;
  FormatSpec fa, fb;
  std::vector<num::Code4> a;  // M x K
  std::vector<num::Code4> b;  // K x N
};

// C[m][n] = +0; for k = 0 .. K-1 ascending: C = round16(C + product): one triple loop.
std::vector<uint16_t> ref_gemm(const Gemm& g, bool reverse_k = false) {
  std::vector<uint16_t> c(static_cast<size_t>(g.m * g.n));
  for (int64_t i = 0; i < g.m; ++i) {
    for (int64_t j = 0; j < g.n; ++j) {
      uint16_t acc = 0x0000;
      for (int64_t s = 0; s < g.k; ++s) {
        const int64_t kk = reverse_k ? g.k - 1 - s : s;
        acc = ref::ref_add_binary16(acc, ref_product(g.fa, g.a[static_cast<size_t>(i * g.k + kk)],
                                                     g.fb, g.b[static_cast<size_t>(kk * g.n + j)]));
      }
      c[static_cast<size_t>(i * g.n + j)] = acc;
    }
  }
  return c;
}

// With L lanes (docs/numerics.md, "Accumulation order"): C[m][n] = +0; for each chunk of L
// consecutive k from k = 0: C = round16(C + round16(exact chunk sum)), on ref_chunk.h.
std::vector<uint16_t> ref_gemm_lanes(const Gemm& g, int lanes) {
  std::vector<uint16_t> c(static_cast<size_t>(g.m * g.n));
  for (int64_t i = 0; i < g.m; ++i) {
    for (int64_t j = 0; j < g.n; ++j) {
      std::vector<double> products;
      for (int64_t kk = 0; kk < g.k; ++kk) {
        products.push_back(ref_value(g.fa, g.a[static_cast<size_t>(i * g.k + kk)]) *
                           ref_value(g.fb, g.b[static_cast<size_t>(kk * g.n + j)]));
      }
      c[static_cast<size_t>(i * g.n + j)] = ref::ref_chunked_dot(products, lanes, 0x0000);
    }
  }
  return c;
}

// Random codes: `lo..hi` uniform (all 16 patterns by default).
Gemm make_gemm(int64_t m, int64_t n, int64_t k, const Pair& p, uint64_t seed, int lo = 0,
               int hi = 15) {
  std::mt19937_64 gen(seed);
  std::uniform_int_distribution<int> code(lo, hi);
  Gemm g{m, n, k, p.a, p.b, {}, {}};
  g.a.resize(static_cast<size_t>(m * k));
  g.b.resize(static_cast<size_t>(k * n));
  for (num::Code4& c : g.a) c = static_cast<num::Code4>(code(gen));
  for (num::Code4& c : g.b) c = static_cast<num::Code4>(code(gen));
  return g;
}

workload::GemmSpec spec_of(const Gemm& g) {
  workload::GemmSpec s;
  s.name = "g";
  s.m = g.m, s.n = g.n, s.k = g.k;
  s.a = g.fa, s.b = g.fb;
  return s;
}

timing::ArchSpec arch_of(int64_t rows, int64_t cols, Dataflow df, int64_t sram_kib,
                         int64_t lanes = 1) {
  timing::ArchSpec arch;
  arch.pe.lanes = lanes;
  arch.array.rows = rows;
  arch.array.cols = cols;
  arch.array.dataflow = df;
  arch.sram.ifmap_kib = sram_kib;
  arch.sram.filter_kib = sram_kib;
  arch.sram.ofmap_kib = sram_kib;
  return arch;
}

Accumulators fresh_acc(const Gemm& g) {
  Accumulators acc;
  acc.rows = g.m;
  acc.cols = g.n;
  // A value no output should keep: every output of the schedule must be written.
  acc.values.assign(static_cast<size_t>(g.m * g.n), num::Fp16::from_bits(0x7E01));
  return acc;
}

std::vector<uint16_t> bits_of(const Accumulators& acc) {
  std::vector<uint16_t> v;
  for (num::Fp16 x : acc.values) v.push_back(x.bits());
  return v;
}

struct Shape {
  int64_t m, n, k;
  int64_t rows, cols;  // array
  int64_t sram_kib;    // every buffer; 1 KiB forces several streamed blocks
};

// M = 1, N = 1, K = 1, K not a multiple of R, N < C, M < R, several folds, several blocks.
const Shape kShapes[] = {
    {1, 1, 1, 4, 4, 256},      {1, 7, 5, 4, 4, 256},      {6, 1, 9, 4, 4, 256},
    {5, 4, 1, 4, 4, 256},      {3, 3, 3, 4, 4, 256},      {4, 4, 4, 4, 4, 256},
    {9, 13, 17, 4, 4, 256},    {2, 3, 10, 8, 8, 256},     {17, 33, 70, 8, 8, 256},
    {1, 40, 33, 8, 8, 1},      {40, 1, 33, 8, 8, 1},      {33, 40, 1, 8, 8, 1},
    {130, 9, 12, 4, 4, 1},     {9, 130, 12, 4, 4, 1},     {12, 9, 300, 4, 4, 1},
    {70, 70, 70, 4, 4, 1},     {3, 5, 7, 3, 5, 256},      {23, 11, 19, 3, 5, 256},
    {100, 20, 50, 3, 5, 1},    {20, 100, 50, 5, 3, 1},    {31, 29, 37, 16, 16, 256},
    {16, 16, 16, 16, 16, 256}, {17, 17, 17, 16, 16, 256}, {50, 60, 200, 16, 16, 1},
    {2, 2, 257, 2, 2, 1},      {1, 1, 300, 1, 1, 1},      {7, 1, 1, 1, 8, 256},
    {1, 7, 1, 8, 1, 256},      {64, 3, 2, 2, 32, 1},      {5, 64, 3, 32, 2, 1},
    {15, 15, 15, 7, 9, 1},     {45, 8, 90, 6, 4, 1},
};

// Runs the whole for_each_tile schedule through compute_tile.
std::vector<uint16_t> functional_gemm(const Gemm& g, const timing::ArchSpec& arch,
                                      int64_t* tiles = nullptr) {
  const workload::GemmSpec spec = spec_of(g);
  const GemmOperands ops = operands_for(spec, MatrixView{g.a.data(), g.m, g.k},
                                       MatrixView{g.b.data(), g.k, g.n}, int(arch.pe.lanes));
  const timing::TilePlan plan = timing::plan_tiles(spec, arch);
  Accumulators acc = fresh_acc(g);
  int64_t count = 0;
  timing::for_each_tile(spec, arch, plan, [&](const timing::Tile& t) {
    compute_tile(ops, arch.array.dataflow, t, acc);
    ++count;
  });
  if (tiles != nullptr) *tiles = count;
  return bits_of(acc);
}

std::string where(const Shape& s, Dataflow df, size_t pair) {
  return std::to_string(s.m) + "x" + std::to_string(s.n) + "x" + std::to_string(s.k) + " on " +
         std::to_string(s.rows) + "x" + std::to_string(s.cols) + " " + timing::dataflow_name(df) +
         " sram " + std::to_string(s.sram_kib) + " KiB, pair " + std::to_string(pair);
}

TEST(ComputeTile, WholeScheduleEqualsReferenceOnManyShapesAndAllPairs) {
  // The shapes must actually exercise folds and blocks (checked, so the coverage claim holds).
  bool row_folds = false, col_folds = false, blocks[3] = {false, false, false};
  for (size_t i = 0; i < std::size(kShapes); ++i) {
    const Shape& s = kShapes[i];
    const size_t pair = i % std::size(kPairs);
    const Gemm g = make_gemm(s.m, s.n, s.k, kPairs[pair], 1000 + i);
    const std::vector<uint16_t> want = ref_gemm(g);
    for (size_t d = 0; d < 3; ++d) {
      const timing::ArchSpec arch = arch_of(s.rows, s.cols, kDataflows[d], s.sram_kib);
      const timing::TilePlan plan = timing::plan_tiles(spec_of(g), arch);
      row_folds |= plan.row_folds > 1;
      col_folds |= plan.col_folds > 1;
      blocks[d] |= plan.blocks > 1;
      EXPECT_EQ(functional_gemm(g, arch), want) << where(s, kDataflows[d], pair);
    }
  }
  EXPECT_TRUE(row_folds);
  EXPECT_TRUE(col_folds);
  EXPECT_TRUE(blocks[0] && blocks[1] && blocks[2]);
}

TEST(ComputeTile, EveryOperandPairOnFoldedBlockedShapes) {
  const Shape shapes[] = {{37, 21, 45, 8, 8, 1}, {70, 9, 130, 4, 4, 1}, {9, 70, 13, 3, 5, 1}};
  for (size_t p = 0; p < std::size(kPairs); ++p) {
    for (const Shape& s : shapes) {
      const Gemm g = make_gemm(s.m, s.n, s.k, kPairs[p], 77 + p);
      const std::vector<uint16_t> want = ref_gemm(g);
      for (Dataflow df : kDataflows) {
        EXPECT_EQ(functional_gemm(g, arch_of(s.rows, s.cols, df, s.sram_kib)), want)
            << where(s, df, p);
      }
    }
  }
}

// K = 300 with UINT4 x UINT4 codes 12..15 (products 144..225): sums pass 2048, where the FP16
// spacing is 2, then 4096 (spacing 4) and beyond, so almost every add rounds. The test checks
// that rounding happened (the result differs from the exact sum) and that the order matters
// (summing k in reverse gives other bits), so a wrong order or a double rounding would fail.
TEST(ComputeTile, Fp16RoundingAndOrderOverLongK) {
  const Gemm g = make_gemm(6, 5, 300, Pair{kU4, kU4}, 4242, 12, 15);
  const std::vector<uint16_t> want = ref_gemm(g);
  int inexact = 0;
  for (int64_t i = 0; i < g.m; ++i) {
    for (int64_t j = 0; j < g.n; ++j) {
      double exact = 0;
      for (int64_t k = 0; k < g.k; ++k) {
        exact += ref::ref_uint4_value(g.a[static_cast<size_t>(i * g.k + k)]) *
                 ref::ref_uint4_value(g.b[static_cast<size_t>(k * g.n + j)]);
      }
      inexact += ref::ref_decode_binary16(want[static_cast<size_t>(i * g.n + j)]) != exact;
    }
  }
  EXPECT_GT(inexact, 0);
  EXPECT_NE(ref_gemm(g, /*reverse_k=*/true), want);
  for (Dataflow df : kDataflows) {
    for (int64_t r : {1, 4, 7}) {
      EXPECT_EQ(functional_gemm(g, arch_of(r, 3, df, 1)), want)
          << timing::dataflow_name(df) << " R=" << r;
    }
  }
}

// Signed zeros. A zero operand gives a +0 product (FP4's -0 code 0x8 included), and fp16_add
// gives +0 for an exact zero sum unless both operands are -0; the accumulator starts at +0.
// So an output is never -0: all-zero A gives +0, and products cancelling to zero give +0.
TEST(ComputeTile, ZeroSumsArePositiveZero) {
  // All-zero A (INT4 0x0), and FP4 A of only -0 codes (0x8) against INT4 B.
  Gemm zero = make_gemm(5, 6, 7, Pair{kI4, kI4}, 5);
  for (num::Code4& c : zero.a) c = 0x0;
  Gemm negzero = make_gemm(5, 6, 7, Pair{kF4p0, kI4}, 6);
  for (num::Code4& c : negzero.a) c = 0x8;
  // A = [1, -1, 2, -2] x B = [3, 3, 5, 5]^T: 3 - 3 + 10 - 10 = 0 exactly, passing through +0
  // after k = 1 (3 + -3) and ending at 10 + -10.
  Gemm cancel{1, 1, 4, kI4, kI4, {0x1, 0xF, 0x2, 0xE}, {0x3, 0x3, 0x5, 0x5}};
  for (const Gemm* g : {&zero, &negzero, &cancel}) {
    const std::vector<uint16_t> want(static_cast<size_t>(g->m * g->n), 0x0000);
    ASSERT_EQ(ref_gemm(*g), want);
    for (Dataflow df : kDataflows) {
      EXPECT_EQ(functional_gemm(*g, arch_of(2, 3, df, 256)), want) << timing::dataflow_name(df);
    }
  }
}

// Hand-computed: A (3 x 2) = [[1, 2], [3, 4], [5, 6]], B (2 x 2) = [[1, 2], [3, 4]] in INT4:
// C = [[7, 10], [15, 22], [23, 34]]; in binary16 7 = 0x4700, 10 = 0x4900, 15 = 0x4B80,
// 22 = 0x4D80, 23 = 0x4DC0, 34 = 0x5040.
TEST(ComputeTile, HandComputedSmallGemm) {
  const Gemm g{3, 2, 2, kI4, kI4, {1, 2, 3, 4, 5, 6}, {1, 2, 3, 4}};
  const std::vector<uint16_t> want = {0x4700, 0x4900, 0x4B80, 0x4D80, 0x4DC0, 0x5040};
  for (Dataflow df : kDataflows) {
    EXPECT_EQ(functional_gemm(g, arch_of(2, 2, df, 256)), want);
  }
}

TEST(ComputeTile, CarriesPartialSumUnlessFirst) {
  // One 1 x 1 x 1 tile (ws: rows = K, cols = N, streamed = M) with product 3 * 2 = 6:
  // first_partial starts from +0 (6 = 0x4600); otherwise from the accumulator's 1 (7 = 0x4700).
  const Gemm g{1, 1, 1, kI4, kI4, {3}, {2}};
  const GemmOperands ops =
      operands_for(spec_of(g), MatrixView{g.a.data(), 1, 1}, MatrixView{g.b.data(), 1, 1}, 1);
  timing::Tile t;
  t.rows_used = t.cols_used = t.waves = t.k_len = 1;
  Accumulators acc{1, 1, {num::kFp16One}};
  t.first_partial = false;
  compute_tile(ops, Dataflow::kWs, t, acc);
  EXPECT_EQ(acc.values[0].bits(), 0x4700);
  t.first_partial = true;
  compute_tile(ops, Dataflow::kWs, t, acc);
  EXPECT_EQ(acc.values[0].bits(), 0x4600);
}

TEST(ComputeTile, RejectsBadInput) {
  const Gemm g = make_gemm(4, 4, 4, Pair{kI4, kI4}, 1);
  const MatrixView a{g.a.data(), 4, 4}, b{g.b.data(), 4, 4};
  workload::GemmSpec spec = spec_of(g);
  const GemmOperands ops = operands_for(spec, a, b, 1);
  // Operand formats that are not a 4-bit PE pair, views that do not match the spec, lane counts
  // outside [1, 64].
  spec.a = kF4p0, spec.b = kF4p1;
  EXPECT_THROW(operands_for(spec, a, b, 1), std::invalid_argument);
  spec.a = FormatSpec{num::Format::kFp8E4M3, 0}, spec.b = FormatSpec{num::Format::kFp8E4M3, 0};
  EXPECT_THROW(operands_for(spec, a, b, 1), std::invalid_argument);
  spec = spec_of(g);
  EXPECT_THROW(operands_for(spec, MatrixView{g.a.data(), 4, 3}, b, 1), std::invalid_argument);
  EXPECT_THROW(operands_for(spec, a, b, 0), std::invalid_argument);
  EXPECT_THROW(operands_for(spec, a, b, 65), std::invalid_argument);
  // A tile past the GEMM's edge, one whose k range starts off a multiple of L, and accumulators
  // of the wrong shape.
  timing::Tile t;
  t.rows_used = t.cols_used = t.waves = t.k_len = 1;
  t.k0 = 4;
  Accumulators acc{4, 4, std::vector<num::Fp16>(16)};
  EXPECT_THROW(compute_tile(ops, Dataflow::kWs, t, acc), std::invalid_argument);
  t.k0 = 1;
  EXPECT_NO_THROW(compute_tile(ops, Dataflow::kWs, t, acc));
  EXPECT_THROW(compute_tile(operands_for(spec, a, b, 2), Dataflow::kWs, t, acc),
               std::invalid_argument);
  t.k0 = 0;
  Accumulators small{4, 3, std::vector<num::Fp16>(12)};
  EXPECT_THROW(compute_tile(ops, Dataflow::kOs, t, small), std::invalid_argument);
}

// The PE's bypass: an unused PE passes the partial sum through untouched. Adding a +0 product
// instead would turn -0 into +0 (fp16_add: -0 + +0 = +0), which this test catches. (In a whole
// GEMM no partial sum is ever -0, see ZeroSumsArePositiveZero, so this is checked on the PE.)
TEST(PeStep, BypassPassesThroughAndActiveAdds) {
  const num::Operand4 i4{num::Format::kInt4, {}};
  const num::Code4 c0 = 0x0, c3 = 0x3, c5 = 0x5, c7 = 0x7, cm2 = 0xE;
  EXPECT_EQ(pe_step(i4, &c0, i4, &c5, 1, num::kFp16NegZero, false).bits(), 0x8000);
  EXPECT_EQ(pe_step(i4, &c0, i4, &c5, 1, num::kFp16NegZero, true).bits(), 0x0000);
  EXPECT_EQ(pe_step(i4, &c7, i4, &c7, 1, num::kFp16NaN, false).bits(), 0x7E00);
  // 1 + 3 * -2 = -5: sign 1, exponent 2 + 15 = 0b10001, mantissa 0.25 -> 0xC500.
  EXPECT_EQ(pe_step(i4, &c3, i4, &cm2, 1, num::kFp16One, true).bits(), 0xC500);
  EXPECT_EQ(pe_step(i4, &c3, i4, &cm2, 1, num::kFp16One, false).bits(), 0x3C00);
  // Three lanes: 1 + (3 * -2 + 7 * 7 + 5 * 3) = 1 + 58 = 59 = 0x5360 (2^5 * 1.84375).
  const num::Code4 a3[3] = {0x3, 0x7, 0x5}, b3[3] = {0xE, 0x7, 0x3};
  EXPECT_EQ(pe_step(i4, a3, i4, b3, 3, num::kFp16One, true).bits(), 0x5360);
}

// --- run_tile_detailed --------------------------------------------------------------------

// Pipeline latency by hand (docs/timing.md): skew fill/drain R + C - 2 for ws/is; os adds the
// R cycles of shifting results out of the PE rows.
int64_t hand_latency(Dataflow df, int64_t r, int64_t c) {
  return df == Dataflow::kOs ? 2 * r + c - 2 : r + c - 2;
}

// Runs every tile through both modes side by side; checks each tile's accumulators, cycles and
// active PE-cycles, and returns the detailed result. double_buffered: the preload is paid by
// the first tile only (docs/timing.md); else by every tile.
std::vector<uint16_t> detailed_gemm(const Gemm& g, const timing::ArchSpec& arch,
                                    bool double_buffered, const std::string& what) {
  const workload::GemmSpec spec = spec_of(g);
  const GemmOperands ops = operands_for(spec, MatrixView{g.a.data(), g.m, g.k},
                                       MatrixView{g.b.data(), g.k, g.n}, int(arch.pe.lanes));
  const timing::TilePlan plan = timing::plan_tiles(spec, arch);
  const Dataflow df = arch.array.dataflow;
  const int64_t r = arch.array.rows, c = arch.array.cols;
  EXPECT_EQ(plan.pipeline_latency, hand_latency(df, r, c)) << what;
  EXPECT_EQ(plan.preload_cycles, df == Dataflow::kOs ? 0 : r) << what;
  Accumulators functional = fresh_acc(g);
  Accumulators detailed = fresh_acc(g);
  int64_t index = 0;
  timing::for_each_tile(spec, arch, plan, [&](const timing::Tile& t) {
    const int64_t preload = index == 0 || !double_buffered ? plan.preload_cycles : 0;
    compute_tile(ops, df, t, functional);
    const DetailedStats st = run_tile_detailed(ops, arch, plan, t, preload, detailed);
    EXPECT_EQ(st.cycles, preload + t.waves + hand_latency(df, r, c)) << what << " tile " << index;
    EXPECT_EQ(st.pe_active_cycles, t.rows_used * t.cols_used * t.waves)
        << what << " tile " << index;
    EXPECT_EQ(bits_of(detailed), bits_of(functional)) << what << " tile " << index;
    ++index;
  });
  return bits_of(detailed);
}

TEST(RunTileDetailed, BitIdenticalToComputeTileWithExactCycles) {
  struct Case {
    int64_t m, n, k, rows, cols, sram_kib;
  };
  const Case cases[] = {
      {1, 1, 1, 4, 4, 256},      {3, 2, 9, 4, 4, 256},     {9, 13, 17, 4, 4, 256},
      {130, 9, 12, 4, 4, 1},     {12, 9, 300, 4, 4, 1},    {2, 3, 10, 8, 8, 256},
      {17, 33, 70, 8, 8, 256},   {40, 1, 33, 8, 8, 1},     {1, 40, 33, 8, 8, 1},
      {31, 29, 37, 16, 16, 256}, {50, 60, 200, 16, 16, 1}, {16, 16, 16, 16, 16, 256},
      {3, 5, 7, 3, 5, 256},      {23, 11, 19, 3, 5, 256},  {100, 20, 50, 3, 5, 1},
      {20, 100, 50, 5, 3, 1},
  };
  size_t i = 0;
  for (const Case& cs : cases) {
    const size_t pair = i % std::size(kPairs);
    const Gemm g = make_gemm(cs.m, cs.n, cs.k, kPairs[pair], 500 + i);
    const std::vector<uint16_t> want = ref_gemm(g);
    for (Dataflow df : kDataflows) {
      for (bool db : {true, false}) {
        const timing::ArchSpec arch = arch_of(cs.rows, cs.cols, df, cs.sram_kib);
        const std::string what =
            where(Shape{cs.m, cs.n, cs.k, cs.rows, cs.cols, cs.sram_kib}, df, pair) +
            (db ? " db" : " sb");
        EXPECT_EQ(detailed_gemm(g, arch, db, what), want) << what;
      }
    }
    ++i;
  }
}

// Cycle counts by hand, from the schedule of docs/datapath.md.
// ws on 2 x 2, M = 3 (waves), K = N = 2: preload 2 shifts; wave w's partial sum for column j
// enters PE(0, j) at w + j and leaves PE(1, j) at the end of cycle w + j + 1; the last (w = 2,
// j = 1) at the end of cycle 4: 5 wave cycles, 7 with the preload.
// os on 2 x 3, M = 2, N = 3, K = 4: the last MAC is PE(1, 2) for k = 3 at cycle 3 + 1 + 2 = 6;
// the operands leave the array at the end of cycle 6 (7 cycles), then 2 cycles of drain: 9.
TEST(RunTileDetailed, HandCountedCycles) {
  const Gemm ws_gemm{3, 2, 2, kI4, kI4, {1, 2, 3, 4, 5, 6}, {1, 2, 3, 4}};
  const timing::ArchSpec ws_arch = arch_of(2, 2, Dataflow::kWs, 256);
  const workload::GemmSpec ws_spec = spec_of(ws_gemm);
  const timing::TilePlan ws_plan = timing::plan_tiles(ws_spec, ws_arch);
  const GemmOperands ws_ops = operands_for(ws_spec, MatrixView{ws_gemm.a.data(), 3, 2},
                                          MatrixView{ws_gemm.b.data(), 2, 2}, 1);
  timing::Tile t;
  t.rows_used = 2, t.cols_used = 2, t.waves = 3, t.first_partial = true, t.k_len = 2;
  Accumulators acc = fresh_acc(ws_gemm);
  EXPECT_EQ(run_tile_detailed(ws_ops, ws_arch, ws_plan, t, 2, acc).cycles, 7);
  EXPECT_EQ(bits_of(acc), (std::vector<uint16_t>{0x4700, 0x4900, 0x4B80, 0x4D80, 0x4DC0, 0x5040}));
  EXPECT_EQ(run_tile_detailed(ws_ops, ws_arch, ws_plan, t, 0, acc).cycles, 5);

  const Gemm os_gemm = make_gemm(2, 3, 4, Pair{kI4, kU4}, 9);
  const timing::ArchSpec os_arch = arch_of(2, 3, Dataflow::kOs, 256);
  const workload::GemmSpec os_spec = spec_of(os_gemm);
  const GemmOperands os_ops = operands_for(os_spec, MatrixView{os_gemm.a.data(), 2, 4},
                                          MatrixView{os_gemm.b.data(), 4, 3}, 1);
  timing::Tile o;
  o.rows_used = 2, o.cols_used = 3, o.waves = 4, o.first_partial = true, o.k_len = 4;
  Accumulators oacc = fresh_acc(os_gemm);
  const DetailedStats st =
      run_tile_detailed(os_ops, os_arch, timing::plan_tiles(os_spec, os_arch), o, 0, oacc);
  EXPECT_EQ(st.cycles, 9);
  EXPECT_EQ(st.pe_active_cycles, 24);
  EXPECT_EQ(bits_of(oacc), ref_gemm(os_gemm));
}

TEST(RunTileDetailed, RejectsTilesThatDoNotFitTheArray) {
  const Gemm g = make_gemm(8, 8, 8, Pair{kI4, kI4}, 3);
  const timing::ArchSpec arch = arch_of(4, 4, Dataflow::kWs, 256);
  const workload::GemmSpec spec = spec_of(g);
  const GemmOperands ops =
      operands_for(spec, MatrixView{g.a.data(), 8, 8}, MatrixView{g.b.data(), 8, 8}, 1);
  const timing::TilePlan plan = timing::plan_tiles(spec, arch);
  timing::Tile t;
  t.rows_used = 5, t.cols_used = 4, t.waves = 8, t.first_partial = true, t.k_len = 5;
  Accumulators acc = fresh_acc(g);
  EXPECT_THROW(run_tile_detailed(ops, arch, plan, t, 4, acc), std::invalid_argument);
  t.rows_used = 4, t.k_len = 4;
  EXPECT_THROW(run_tile_detailed(ops, arch, plan, t, -1, acc), std::invalid_argument);
}

// L lanes: the whole schedule in functional and detailed mode (tile by tile, bit-identical with
// exact cycles, through detailed_gemm) against the chunked reference, on shapes whose K is and
// is not a multiple of L or of R * L, with folds and blocks, on every dataflow.
TEST(Lanes, WholeScheduleEqualsChunkedReference) {
  const Shape shapes[] = {{1, 1, 1, 4, 4, 256},  {3, 2, 9, 4, 4, 256},   {9, 13, 17, 4, 4, 256},
                          {17, 33, 70, 8, 8, 1}, {12, 9, 300, 4, 4, 1},  {40, 1, 33, 8, 8, 1},
                          {23, 11, 19, 3, 5, 1}, {31, 29, 137, 4, 4, 256}};
  size_t i = 0;
  int differs_from_one_lane = 0;
  for (int lanes : {2, 3, 4, 8, 16}) {
    for (const Shape& s : shapes) {
      const size_t pair = i % std::size(kPairs);
      const Gemm g = make_gemm(s.m, s.n, s.k, kPairs[pair], 900 + i++);
      const std::vector<uint16_t> want = ref_gemm_lanes(g, lanes);
      differs_from_one_lane += want != ref_gemm(g);
      for (Dataflow df : kDataflows) {
        const timing::ArchSpec arch = arch_of(s.rows, s.cols, df, s.sram_kib, lanes);
        const std::string what = where(s, df, pair) + " L " + std::to_string(lanes);
        EXPECT_EQ(functional_gemm(g, arch), want) << what;
        EXPECT_EQ(detailed_gemm(g, arch, true, what), want) << what;
      }
    }
  }
  // The chunk rule is observable: some GEMMs round differently than with one lane.
  EXPECT_GT(differs_from_one_lane, 3);
}

}  // namespace
}  // namespace nibble::datapath
