// The RTL array (rtl/nibble_mac_array.sv, Verilated, driven by cosim::RtlArray) on the
// co-simulation suite, tests/cosim/data/suite.trace (26 shapes: M = 1, N = 1, K = 1, K not a
// multiple of the array height, N below the width, several folds; the 8 operand-format pairs),
// on 8x8 and 16x16 arrays in the os, ws and is dataflows, with one lane per PE and with 4 and 8
// (pe.lanes):
//  - every FP16 result equals a reference written here: for each (m, n), acc = +0, then
//    acc = fp16_add(acc, product_fp16(A[m][k], B[k][n])) for k = 0 .. K-1 (docs/numerics.md's
//    accumulation order), with model/numerics' two operations, which the RTL benches check
//    against the RTL arithmetic one by one; with L lanes, the chunk rule written apart from
//    model/numerics (tests/reference/ref_chunk.h's ref_chunked_dot on the textbook decoders'
//    products: chunks of L consecutive k from k = 0, each summed exactly and rounded once);
//  - its cycles equal the timing model's array schedule (timing::array_schedule_cycles), an
//    independent closed form of the same rules (docs/timing.md);
//  - stalls on the result stream delay the array by exactly their count and change no value;
//  - a controller that breaks the preload or drain rules trips the RTL's assertions.
#include <gtest/gtest.h>

#include <algorithm>
#include <ostream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "model/datapath/datapath.h"
#include "model/frontend/trace.h"
#include "model/functional/tensors.h"
#include "model/numerics/fp16.h"
#include "model/numerics/product.h"
#include "model/timing/arch_spec.h"
#include "model/timing/realistic.h"
#include "testbenches/cosim/cosim.h"
#include "testbenches/cosim/rtl_array.h"
#include "tests/reference/ref_chunk.h"
#include "tests/reference/ref_quant4.h"

namespace nibble::cosim {
namespace {

const workload::Workload& suite() {
  static const workload::Workload w =
      frontend::read_trace_file(NIBBLE_SOURCE_DIR "/tests/cosim/data/suite.trace");
  return w;
}

timing::ArchSpec arch_for(int64_t size, timing::Dataflow df, bool double_buffered = true,
                          int64_t lanes = 1) {
  timing::ArchSpec a;
  a.mode = timing::TimingMode::kRealistic;
  a.array.rows = size;
  a.array.cols = size;
  a.array.dataflow = df;
  a.sram.double_buffered = double_buffered;
  a.pe.lanes = lanes;
  return a;
}

// The reference GEMM: plain loops in k order.
std::vector<num::Fp16> reference(const workload::GemmSpec& g, const fn::GemmTensors& t) {
  const datapath::GemmOperands ops = datapath::operands_for(
      g, {t.a.codes.data(), t.a.rows, t.a.cols}, {t.b.codes.data(), t.b.rows, t.b.cols}, 1);
  std::vector<num::Fp16> out;
  for (int64_t m = 0; m < g.m; ++m) {
    for (int64_t n = 0; n < g.n; ++n) {
      num::Fp16 acc = num::kFp16Zero;
      for (int64_t k = 0; k < g.k; ++k) {
        acc = num::fp16_add(acc, num::product_fp16(ops.fa, t.a.at(m, k), ops.fb, t.b.at(k, n)));
      }
      out.push_back(acc);
    }
  }
  return out;
}

// A 4-bit code's value by the textbook decoders (default FP4 bias, the format's TPR phase).
double ref_value(const workload::FormatSpec& f, uint8_t code) {
  switch (f.format) {
    case num::Format::kInt4:
      return ref::ref_int4_value(code);
    case num::Format::kUint4:
      return ref::ref_uint4_value(code);
    case num::Format::kFp4:
      return ref::ref_fp4_value(code, num::kFp4DefaultBias, f.tpr_phase);
    default:
      throw std::invalid_argument("not a 4-bit operand");
  }
}

// The reference GEMM with L lanes: for each (m, n), the products A[m][k] * B[k][n] in k order,
// through ref_chunked_dot from +0 (chunks of L consecutive k from k = 0, as the tiles cut K:
// a tile's k0 is a multiple of L).
std::vector<num::Fp16> reference_chunked(const workload::GemmSpec& g, const fn::GemmTensors& t,
                                         int lanes) {
  std::vector<num::Fp16> out;
  std::vector<double> products(static_cast<size_t>(g.k));
  for (int64_t m = 0; m < g.m; ++m) {
    for (int64_t n = 0; n < g.n; ++n) {
      for (int64_t k = 0; k < g.k; ++k) {
        products[static_cast<size_t>(k)] = ref_value(g.a, static_cast<uint8_t>(t.a.at(m, k))) *
                                           ref_value(g.b, static_cast<uint8_t>(t.b.at(k, n)));
      }
      out.push_back(num::Fp16::from_bits(ref::ref_chunked_dot(products, lanes, 0x0000)));
    }
  }
  return out;
}

// Runs every GEMM of w on one array, checking values and cycles; returns the number checked.
int run_gemms(const workload::Workload& w, const timing::ArchSpec& arch,
              const RtlOptions& options = {}) {
  RtlArray array(arch.array.rows, arch.array.cols, arch.pe.lanes, options);
  int checked = 0;
  for (size_t i = 0; i < w.gemms.size(); ++i) {
    const workload::GemmSpec& g = w.gemms[i];
    SCOPED_TRACE("gemm " + g.name + " " + std::to_string(g.m) + "x" + std::to_string(g.n) + "x" +
                 std::to_string(g.k));
    const fn::GemmTensors t = fn::make_gemm_tensors(w, i);
    const RtlGemm r = array.run(g, arch, t);
    const std::vector<num::Fp16> want =
        arch.pe.lanes == 1 ? reference(g, t)
                           : reference_chunked(g, t, static_cast<int>(arch.pe.lanes));
    EXPECT_EQ(r.acc.rows, g.m);
    EXPECT_EQ(r.acc.cols, g.n);
    int wrong = 0;
    for (size_t e = 0; e < want.size() && e < r.acc.values.size(); ++e) {
      if (r.acc.values[e].bits() != want[e].bits() && ++wrong <= 3) {
        ADD_FAILURE() << "element (" << e / static_cast<size_t>(g.n) << ", "
                      << e % static_cast<size_t>(g.n) << "): RTL " << std::hex
                      << r.acc.values[e].bits() << ", reference " << want[e].bits();
      }
    }
    EXPECT_EQ(wrong, 0);
    EXPECT_EQ(r.cycles - r.stall_cycles, timing::array_schedule_cycles(g, arch));
    if (options.stall_probability == 0) {
      EXPECT_EQ(r.stall_cycles, 0);
    }
    ++checked;
  }
  return checked;
}

int run_suite(const timing::ArchSpec& arch, const RtlOptions& options = {}) {
  return run_gemms(suite(), arch, options);
}

const int kSuiteSize = 26;  // the GEMMs of suite.trace

TEST(RtlArray, SuiteHasTheShapesTheIssueAsksFor) {
  const workload::Workload& w = suite();
  ASSERT_EQ(static_cast<int>(w.gemms.size()), kSuiteSize);
  auto any = [&w](auto pred) { return std::any_of(w.gemms.begin(), w.gemms.end(), pred); };
  EXPECT_TRUE(any([](const workload::GemmSpec& g) { return g.m == 1; }));
  EXPECT_TRUE(any([](const workload::GemmSpec& g) { return g.n == 1; }));
  EXPECT_TRUE(any([](const workload::GemmSpec& g) { return g.k == 1; }));
  EXPECT_TRUE(any([](const workload::GemmSpec& g) { return g.k % 16 != 0 && g.k > 16; }));
  EXPECT_TRUE(any([](const workload::GemmSpec& g) { return g.n < 8; }));
  std::set<std::pair<num::Format, num::Format>> pairs;
  for (const workload::GemmSpec& g : w.gemms) {
    pairs.insert({g.a.format, g.b.format});
  }
  EXPECT_EQ(pairs.size(), 8U);  // int4/uint4 x int4/uint4, fp4 x int4/uint4 and back
}

struct SuiteCase {
  int64_t size;
  timing::Dataflow dataflow;
  int64_t lanes = 1;
};

void PrintTo(const SuiteCase& c, std::ostream* os) {
  *os << timing::dataflow_name(c.dataflow) << ' ' << c.size << 'x' << c.size << " L=" << c.lanes;
}

class RtlArraySuite : public ::testing::TestWithParam<SuiteCase> {};

TEST_P(RtlArraySuite, ValuesAndCyclesMatch) {
  const SuiteCase c = GetParam();
  if (!rtl_array_built(c.size, c.size, c.lanes)) {
    GTEST_SKIP() << "not built (NIBBLE_RTL_ARRAYS): " << rtl_array_sizes();
  }
  EXPECT_EQ(run_suite(arch_for(c.size, c.dataflow, true, c.lanes)), kSuiteSize);
}

// ws8, os16, ...; with lanes: ws8l4, os16l8, ...
std::string suite_case_name(const ::testing::TestParamInfo<SuiteCase>& p) {
  return std::string(timing::dataflow_name(p.param.dataflow)) + std::to_string(p.param.size) +
         (p.param.lanes == 1 ? "" : "l" + std::to_string(p.param.lanes));
}

INSTANTIATE_TEST_SUITE_P(
    Sizes, RtlArraySuite,
    ::testing::Values(SuiteCase{8, timing::Dataflow::kWs}, SuiteCase{8, timing::Dataflow::kOs},
                      SuiteCase{8, timing::Dataflow::kIs}, SuiteCase{16, timing::Dataflow::kWs},
                      SuiteCase{16, timing::Dataflow::kOs}, SuiteCase{16, timing::Dataflow::kIs}),
    suite_case_name);

// The L-lane arrays: a PE row holds L consecutive k (ws/is), an os wave brings L of them; the
// suite's K = 1 and K not a multiple of L give chunks shorter than L (lanes disabled).
INSTANTIATE_TEST_SUITE_P(
    Lanes, RtlArraySuite,
    ::testing::Values(
        SuiteCase{8, timing::Dataflow::kWs, 4}, SuiteCase{8, timing::Dataflow::kOs, 4},
        SuiteCase{8, timing::Dataflow::kIs, 4}, SuiteCase{8, timing::Dataflow::kWs, 8},
        SuiteCase{8, timing::Dataflow::kOs, 8}, SuiteCase{8, timing::Dataflow::kIs, 8},
        SuiteCase{16, timing::Dataflow::kWs, 4}, SuiteCase{16, timing::Dataflow::kOs, 4},
        SuiteCase{16, timing::Dataflow::kIs, 4}, SuiteCase{16, timing::Dataflow::kWs, 8},
        SuiteCase{16, timing::Dataflow::kOs, 8}, SuiteCase{16, timing::Dataflow::kIs, 8},
        SuiteCase{32, timing::Dataflow::kWs, 4}, SuiteCase{32, timing::Dataflow::kOs, 4},
        SuiteCase{32, timing::Dataflow::kIs, 4}),
    suite_case_name);

// With one lane the chunked reference is the plain one: the two references agree on the suite.
TEST(RtlArray, ChunkedReferenceWithOneLaneIsThePlainLoop) {
  const workload::Workload& w = suite();
  for (size_t i = 0; i < w.gemms.size(); ++i) {
    const fn::GemmTensors t = fn::make_gemm_tensors(w, i);
    const std::vector<num::Fp16> plain = reference(w.gemms[i], t);
    const std::vector<num::Fp16> chunked = reference_chunked(w.gemms[i], t, 1);
    ASSERT_EQ(plain.size(), chunked.size());
    for (size_t e = 0; e < plain.size(); ++e) {
      ASSERT_EQ(plain[e].bits(), chunked[e].bits()) << w.gemms[i].name << " element " << e;
    }
  }
}

TEST(RtlArray, SingleBufferedPreloadsAfterTheLastWave) {
  for (const timing::Dataflow df :
       {timing::Dataflow::kWs, timing::Dataflow::kIs, timing::Dataflow::kOs}) {
    SCOPED_TRACE(timing::dataflow_name(df));
    EXPECT_EQ(run_suite(arch_for(8, df, false)), kSuiteSize);
  }
}

TEST(RtlArray, StallsDelayTheArrayByTheirCountOnly) {
  RtlOptions options;
  options.stall_probability = 0.3;
  options.stall_seed = 7;
  for (const timing::Dataflow df : {timing::Dataflow::kWs, timing::Dataflow::kOs}) {
    SCOPED_TRACE(timing::dataflow_name(df));
    // run_suite checks values and cycles - stalls against the schedule; check stalls happened.
    const workload::Workload& w = suite();
    const timing::ArchSpec arch = arch_for(8, df);
    RtlArray array(8, 8, options);
    const RtlGemm r = array.run(w.gemms[8], arch, fn::make_gemm_tensors(w, 8));
    EXPECT_GT(r.stall_cycles, 0);
    EXPECT_EQ(run_suite(arch, options), kSuiteSize);
  }
}

// Buffers of 1 KiB split K into chunks (ws/is: partial sums read back from the buffer; os:
// tiles that continue an accumulator and tiles that complete none) and M into blocks.
TEST(RtlArray, SmallBuffersSplitKAndM) {
  std::istringstream text(
      "nibble-trace 1\nseed 11\n"
      "gemm deep m=100 n=20 k=300 a=int4 b=int4\n"
      "gemm grad m=37 n=9 k=150 a=fp4:p1 b=uint4\n");
  const workload::Workload w = frontend::parse_trace(text, "small-buffers");
  for (const bool db : {true, false}) {
    for (const timing::Dataflow df :
         {timing::Dataflow::kWs, timing::Dataflow::kIs, timing::Dataflow::kOs}) {
      SCOPED_TRACE(std::string(timing::dataflow_name(df)) + (db ? " double" : " single"));
      timing::ArchSpec arch = arch_for(8, df, db);
      for (const int lanes : {1, 4}) {
        SCOPED_TRACE("lanes " + std::to_string(lanes));
        arch.pe.lanes = lanes;
        arch.sram.ifmap_kib = arch.sram.filter_kib = arch.sram.ofmap_kib = 1;
        // The tiling does what this test is for.
        int64_t continuing = 0;
        int64_t not_completing = 0;
        const timing::TilePlan plan = timing::plan_tiles(w.gemms[0], arch);
        timing::for_each_tile(w.gemms[0], arch, plan, [&](const timing::Tile& t) {
          continuing += t.first_partial ? 0 : 1;
          not_completing += t.completes_outputs ? 0 : 1;
        });
        EXPECT_GT(continuing, 0);
        if (df == timing::Dataflow::kOs) {
          EXPECT_GT(not_completing, 0);
        }
        EXPECT_EQ(run_gemms(w, arch), 2);
      }
    }
  }
}

// Every register starts from random bits: the reset alone must clear them, and the results
// and cycles are those of an array that started from zero.
TEST(RtlArray, ResetClearsRandomInitialState) {
  RtlOptions options;
  options.random_init_seed = 12345;
  for (const timing::Dataflow df : {timing::Dataflow::kWs, timing::Dataflow::kOs}) {
    SCOPED_TRACE(timing::dataflow_name(df));
    EXPECT_EQ(run_suite(arch_for(8, df), options), kSuiteSize);
  }
}

// Each schedule fault trips the assertion written for it (its message is Verilator's, on
// stdout); the harness turns it into std::logic_error.
TEST(RtlArray, EachScheduleFaultTripsItsAssertion) {
  struct FaultCase {
    ScheduleFault fault;
    timing::Dataflow dataflow;
    size_t gemm;  // in suite.trace
    const char* message;
  };
  const FaultCase cases[] = {
      {ScheduleFault::kEarlyPreload, timing::Dataflow::kWs, 8,
       "preload overwrote a tile not yet swapped in"},
      {ScheduleFault::kEarlyPreload, timing::Dataflow::kIs, 8,
       "preload overwrote a tile not yet swapped in"},
      {ScheduleFault::kWaveBeforePreload, timing::Dataflow::kWs, 8,
       "first wave with no preloaded tile"},
      {ScheduleFault::kPsumLate, timing::Dataflow::kIs, 8, "operand and partial sum out of step"},
      {ScheduleFault::kEarlyDrain, timing::Dataflow::kOs, 17,
       "a result overwrote one not yet drained"},
      {ScheduleFault::kColumnLate, timing::Dataflow::kOs, 8, "A and B out of step"},
  };
  const workload::Workload& w = suite();
  for (const FaultCase& c : cases) {
    SCOPED_TRACE(std::string(timing::dataflow_name(c.dataflow)) + ": " + c.message);
    RtlOptions options;
    options.fault = c.fault;
    RtlArray array(8, 8, options);
    std::string what;
    ::testing::internal::CaptureStdout();
    try {
      array.run(w.gemms[c.gemm], arch_for(8, c.dataflow), fn::make_gemm_tensors(w, c.gemm));
    } catch (const std::logic_error& e) {
      what = e.what();
    }
    const std::string printed = ::testing::internal::GetCapturedStdout();
    EXPECT_NE(what.find("RTL assertion failed"), std::string::npos) << what;
    EXPECT_NE(printed.find(c.message), std::string::npos) << printed;
  }
}

TEST(RtlArray, RejectsWhatItCannotRun) {
  EXPECT_FALSE(rtl_array_built(4, 4));
  EXPECT_THROW(RtlArray(4, 4), std::invalid_argument);
  EXPECT_FALSE(rtl_array_built(8, 8, 2));
  EXPECT_THROW(RtlArray(8, 8, 2), std::invalid_argument);
  const std::string why = rtl_array_not_built(8, 8, 2);
  EXPECT_NE(why.find("8x8x2"), std::string::npos) << why;
  EXPECT_NE(why.find("NIBBLE_RTL_ARRAYS"), std::string::npos) << why;
  EXPECT_EQ(why.find('\n'), std::string::npos) << why;
  const workload::Workload& w = suite();
  RtlArray array(8, 8);
  EXPECT_THROW(
      array.run(w.gemms[0], arch_for(16, timing::Dataflow::kWs), fn::make_gemm_tensors(w, 0)),
      std::invalid_argument);
  // The configuration's pe.lanes must be the array's.
  EXPECT_THROW(array.run(w.gemms[0], arch_for(8, timing::Dataflow::kWs, true, 4),
                         fn::make_gemm_tensors(w, 0)),
               std::invalid_argument);
}

// A long GEMM reports its progress every RtlOptions::kProgressCycles cycles: the fraction of
// its tiles issued, rising, in [0, 1]; reporting changes no value and no cycle.
TEST(RtlArray, LongGemmsReportTheirProgress) {
  std::istringstream text("nibble-trace 1\nseed 3\ngemm g m=1024 n=64 k=256 a=int4 b=int4\n");
  const workload::Workload w = frontend::parse_trace(text, "where");
  const fn::GemmTensors t = fn::make_gemm_tensors(w, 0);
  const timing::ArchSpec arch = arch_for(8, timing::Dataflow::kWs);
  std::vector<double> reported;
  RtlOptions options;
  options.on_progress = [&reported](double f) { reported.push_back(f); };
  RtlArray reporting(8, 8, options);
  const RtlGemm r = reporting.run(w.gemms[0], arch, t);
  // ws on 8x8: 32 K chunks x 8 column tiles of 1024 waves each, about 262,000 cycles.
  ASSERT_GT(r.cycles, 3 * RtlOptions::kProgressCycles);
  ASSERT_FALSE(reported.empty());
  // One report per kProgressCycles cycles of the run (its cycles, give or take the first and
  // last few).
  EXPECT_GE(static_cast<int64_t>(reported.size()), r.cycles / RtlOptions::kProgressCycles - 1);
  EXPECT_LE(static_cast<int64_t>(reported.size()), r.cycles / RtlOptions::kProgressCycles + 1);
  for (size_t i = 0; i < reported.size(); ++i) {
    EXPECT_GT(reported[i], 0.0);
    EXPECT_LE(reported[i], 1.0);
    if (i > 0) {
      EXPECT_GE(reported[i], reported[i - 1]);
    }
  }
  EXPECT_LT(reported.front(), 0.5);
  EXPECT_GT(reported.back(), 0.5);
  RtlArray quiet(8, 8);
  const RtlGemm q = quiet.run(w.gemms[0], arch, t);
  EXPECT_EQ(q.cycles, r.cycles);
  EXPECT_EQ(q.acc.values, r.acc.values);
}

// Where a result came from: the tile that last wrote C[m][n] (its final K fold), found here by
// walking timing's tiles in order, against what the harness recorded; and a flipped result bit
// (the RTL fault hook) changes that element only.
TEST(RtlArray, EachResultKnowsItsTileAndCycle) {
  std::istringstream text("nibble-trace 1\nseed 5\ngemm g m=20 n=19 k=13 a=int4 b=int4\n");
  const workload::Workload w = frontend::parse_trace(text, "where");
  const workload::GemmSpec& g = w.gemms[0];
  const fn::GemmTensors t = fn::make_gemm_tensors(w, 0);
  for (const timing::Dataflow df :
       {timing::Dataflow::kWs, timing::Dataflow::kIs, timing::Dataflow::kOs}) {
    SCOPED_TRACE(timing::dataflow_name(df));
    const timing::ArchSpec arch = arch_for(8, df);
    RtlArray array(8, 8);
    const RtlGemm r = array.run(g, arch, t);
    // The last tile in order whose outputs cover (m, n).
    std::vector<int64_t> last(static_cast<size_t>(g.m * g.n), -1);
    int64_t index = 0;
    timing::for_each_tile(g, arch, timing::plan_tiles(g, arch), [&](const timing::Tile& tile) {
      for (int64_t i = 0; i < tile.rows_used; ++i) {
        for (int64_t j = 0; j < tile.cols_used; ++j) {
          for (int64_t s = 0; s < tile.waves; ++s) {
            int64_t m = 0, n = 0;
            if (df == timing::Dataflow::kWs) {
              m = tile.t0 + s, n = tile.col0 + j;
            } else if (df == timing::Dataflow::kIs) {
              m = tile.col0 + j, n = tile.t0 + s;
            } else {
              m = tile.row0 + i, n = tile.col0 + j;
            }
            last[static_cast<size_t>(m * g.n + n)] = index;
          }
        }
      }
      ++index;
    });
    EXPECT_EQ(r.tiles, index);
    EXPECT_GT(r.tiles, 4);
    EXPECT_EQ(r.tile, last);
    // Every result leaves the array within the GEMM's cycles, the last one at its end.
    EXPECT_EQ(*std::max_element(r.cycle.begin(), r.cycle.end()), r.cycles);
    EXPECT_GE(*std::min_element(r.cycle.begin(), r.cycle.end()), 0);

    RtlOptions flip;
    flip.flip_m = 13;
    flip.flip_n = 11;
    flip.flip_bit = 3;
    RtlArray faulty(8, 8, flip);
    const RtlGemm f = faulty.run(g, arch, t);
    std::vector<size_t> differ;
    for (size_t e = 0; e < r.acc.values.size(); ++e) {
      if (f.acc.values[e].bits() != r.acc.values[e].bits()) {
        differ.push_back(e);
      }
    }
    EXPECT_EQ(differ, std::vector<size_t>{static_cast<size_t>(13 * g.n + 11)});
  }
}

// mismatch.txt and mismatch.json of hand-made rows (docs/cosim.md, "When outputs differ").
TEST(Mismatch, ReportsNameTheFirstDifferingElement) {
  workload::GemmSpec same, fp16, fp4;
  same.name = "same";
  same.m = same.n = 2;
  same.where = {"t.trace", 2};
  fp16.name = "big";
  fp16.m = 3;
  fp16.n = 5;
  fp16.where = {"t.trace", 3};
  fp4.name = "grad";
  fp4.m = fp4.n = 4;
  fp4.out = {num::Format::kFp4, 1};
  fp4.where = {"t.trace", 4};
  std::vector<CosimRow> rows(3);
  rows[0].gemm = &same;
  rows[1].gemm = &fp16;
  rows[1].rtl_crc = 1;
  rows[1].rtl_cycles = rows[1].model_cycles = 40;
  rows[1].differing = 2;
  rows[1].first = {1, 4, 0x3c00, 0x7c00, 3, 6, 31};  // 1.0 against +inf
  rows[2].gemm = &fp4;
  rows[2].differing = 1;
  rows[2].rtl_cycles = 18;
  rows[2].first = {0, 2, 0x9, 0x1, 0, 1, 17};
  EXPECT_EQ(mismatch_text({rows[0]}),
            "nibble cosim: all 1 GEMMs bit-identical, RTL against the SystemC model, element by "
            "element.\n");
  // FP4 codes at the default bias 7 and phase 1: 0x1 = +2 * 4^(1 - 7) = 2^-11, 0x9 its negative.
  EXPECT_EQ(mismatch_text(rows),
            "nibble cosim: 2 of 3 GEMMs differ, RTL against the SystemC model, element by "
            "element.\n"
            "\nt.trace:3: gemm 'big': 2 of 15 output elements differ (fp16)\n"
            "  first: C[1][4] (row 1, column 4)\n"
            "    model: 0x3c00 = 1.0\n"
            "    RTL:   0x7c00 = inf\n"
            "  made by tile 3 of 6 (timing's tile order), leaving the array in cycle 31 of the "
            "GEMM's 40 (one repeat)\n"
            "\nt.trace:4: gemm 'grad': 1 of 16 output elements differ (fp4:p1)\n"
            "  first: C[0][2] (row 0, column 2)\n"
            "    model: 0x9 = -0.00048828125\n"
            "    RTL:   0x1 = 0.00048828125\n"
            "  made by tile 0 of 1 (timing's tile order), leaving the array in cycle 17 of the "
            "GEMM's 18 (one repeat)\n");
  const std::string json = mismatch_json(rows);
  EXPECT_NE(json.find("\"differing_gemms\": 2"), std::string::npos) << json;
  EXPECT_NE(json.find("\"value\": \"inf\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"row\": 1,\n        \"col\": 4"), std::string::npos) << json;
  EXPECT_EQ(json.find("\"same\""), std::string::npos) << json;
}

}  // namespace
}  // namespace nibble::cosim
