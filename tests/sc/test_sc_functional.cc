// Bench sc_functional: functional mode (every output value, bit-exact) on 40+ GEMMs covering
// M, N or K = 1, K not a multiple of the array rows, N smaller than the columns, several folds
// and blocks (1-2 KiB scratchpads), all three dataflows, every 4-bit operand pair and every
// output format, per-tensor and per-column scales, and GradScale across repeats and GEMMs of
// one name. Outputs and CRCs are compared with the independent reference of
// functional_cases.h; timing must still equal the analytic engine's.
#include <gtest/gtest.h>

#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "model/sc/engine.h"
#include "model/timing/realistic.h"
#include "tests/sc/functional_cases.h"
#include "tests/sc/sc_test_util.h"

namespace nibble {
namespace {

using num::Format;
using testing::add_gemm;
using testing::fmt;
using testing::FunctionalCase;
using testing::small_arch;

std::vector<FunctionalCase> make_cases() {
  std::mt19937_64 rng(20240605);
  struct Shape {
    int64_t m, n, k;
  };
  const Shape shapes[] = {{1, 1, 1}, {1, 17, 9},   {13, 1, 20},  {9, 11, 1},   {7, 5, 37},
                          {3, 2, 8}, {40, 30, 50}, {100, 9, 70}, {33, 64, 19}, {5, 70, 130}};
  const workload::FormatSpec pairs[][2] = {
      {fmt(Format::kInt4), fmt(Format::kInt4)},   {fmt(Format::kUint4), fmt(Format::kInt4)},
      {fmt(Format::kInt4), fmt(Format::kUint4)},  {fmt(Format::kUint4), fmt(Format::kUint4)},
      {fmt(Format::kFp4, 0), fmt(Format::kInt4)}, {fmt(Format::kFp4, 1), fmt(Format::kUint4)},
      {fmt(Format::kInt4), fmt(Format::kFp4, 0)}, {fmt(Format::kUint4), fmt(Format::kFp4, 1)}};
  const workload::FormatSpec outs[] = {fmt(Format::kFp16), fmt(Format::kInt4), fmt(Format::kUint4),
                                       fmt(Format::kFp4, 0), fmt(Format::kFp4, 1)};
  const timing::Dataflow dfs[] = {timing::Dataflow::kWs, timing::Dataflow::kOs,
                                  timing::Dataflow::kIs};
  std::vector<FunctionalCase> cases;
  for (int i = 0; i < 40; ++i) {
    const Shape s = shapes[i % std::size(shapes)];
    const timing::Dataflow df = dfs[i % 3];
    FunctionalCase c;
    c.name = "case" + std::to_string(i);
    switch (i % 4) {
      case 0:  // folds and blocks: 1 KiB buffers on an 8x8 array
        c.arch = small_arch(8, 8, df, 1);
        break;
      case 1:  // everything resident
        c.arch = small_arch(4, 4, df, 256);
        break;
      case 2:  // non-square, single-buffered, 2 KiB
        c.arch = small_arch(4, 8, df, 2, false);
        break;
      default:  // 5x3: nothing divides evenly
        c.arch = small_arch(5, 3, df, 1);
        break;
    }
    const auto& pair = pairs[i % std::size(pairs)];
    add_gemm(c, rng, "g" + std::to_string(i), s.m, s.n, s.k, pair[0], pair[1],
             outs[i % std::size(outs)], 1, i % 3 == 1);
    cases.push_back(std::move(c));
  }
  // Lanes: L = 2, 3, 4, 8, 16 on every dataflow, with folds and blocks (1 KiB buffers) and K
  // that is and is not a multiple of L or R * L.
  const int64_t lane_counts[] = {2, 3, 4, 8, 16};
  for (int i = 0; i < 15; ++i) {
    const Shape s = shapes[(i + 3) % std::size(shapes)];
    const timing::Dataflow df = dfs[i % 3];
    FunctionalCase c;
    c.name = "lanes" + std::to_string(i);
    c.arch = i % 2 == 0 ? small_arch(8, 8, df, 1, true, lane_counts[i % 5])
                        : small_arch(5, 3, df, 2, false, lane_counts[i % 5]);
    const auto& pair = pairs[i % std::size(pairs)];
    add_gemm(c, rng, "l" + std::to_string(i), s.m, s.n, s.k, pair[0], pair[1],
             outs[i % std::size(outs)], 1, i % 3 == 1);
    cases.push_back(std::move(c));
  }
  // GradScale: one name over repeats (delayed scaling: each repeat uses the exponent the
  // previous one chose) and across GEMMs; a second name has its own state.
  FunctionalCase g;
  g.name = "gradscale";
  g.arch = small_arch(8, 8, timing::Dataflow::kWs, 1);
  add_gemm(g, rng, "dgrad", 20, 12, 40, fmt(Format::kFp4, 0), fmt(Format::kInt4),
           fmt(Format::kFp4, 0), 3);
  add_gemm(g, rng, "wgrad", 9, 30, 25, fmt(Format::kUint4), fmt(Format::kFp4, 1),
           fmt(Format::kFp4, 1), 2);
  add_gemm(g, rng, "dgrad", 20, 12, 6, fmt(Format::kFp4, 1), fmt(Format::kUint4),
           fmt(Format::kFp4, 0), 1);
  add_gemm(g, rng, "fwd", 16, 16, 16, fmt(Format::kUint4), fmt(Format::kInt4), fmt(Format::kInt4),
           3, true);
  cases.push_back(std::move(g));
  return cases;
}

struct Bench {
  std::vector<FunctionalCase> cases;
  std::vector<std::vector<sc::GemmResult>> results;
};

const Bench& bench() {
  static const Bench b = [] {
    Bench out;
    out.cases = make_cases();
    std::vector<sc::EngineJob> jobs;
    for (const FunctionalCase& c : out.cases) {
      sc::EngineJob j;
      j.workload = &c.workload;
      j.arch = c.arch;
      j.mode = sc::EngineMode::kFunctional;
      const std::vector<fn::GemmTensors>* t = &c.tensors;
      j.tensors = [t](size_t i) { return t->at(i); };
      jobs.push_back(j);
    }
    sc::EngineOptions options;
    options.keep_outputs = true;
    out.results = sc::run_engine(jobs, options);
    return out;
  }();
  return b;
}

// Runs first: rejected jobs throw before SystemC elaborates, so run_engine can still be called.
TEST(ScFunctional, RejectsJobsItCannotRun) {
  workload::Workload w;
  workload::GemmSpec g;
  g.name = "base";
  g.m = g.n = g.k = 4;
  g.a = g.b = fmt(Format::kFp16);
  g.where = {"x.trace", 7};
  w.gemms.push_back(g);
  sc::EngineJob j;
  j.workload = &w;
  j.mode = sc::EngineMode::kFunctional;
  j.tensors = [](size_t) { return fn::GemmTensors{}; };
  try {
    sc::run_engine({j});
    FAIL() << "fp16 operands accepted in functional mode";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("x.trace:7: gemm 'base'"), std::string::npos) << e.what();
  }
  w.gemms[0].a = w.gemms[0].b = fmt(Format::kInt4);
  j.arch.mode = timing::TimingMode::kCompat;
  try {
    sc::run_engine({j});
    FAIL() << "compat mode accepted in functional mode";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("realistic"), std::string::npos) << e.what();
  }
  j.arch.mode = timing::TimingMode::kRealistic;
  w.gemms[0].out = fmt(Format::kFp8E4M3);
  EXPECT_THROW(sc::run_engine({j}), std::invalid_argument);
  j.tensors = nullptr;
  w.gemms[0].out = fmt(Format::kFp16);
  EXPECT_THROW(sc::run_engine({j}), std::invalid_argument);
}

TEST(ScFunctional, OutputsEqualTheReferenceGemm) {
  const Bench& b = bench();
  ASSERT_EQ(b.results.size(), b.cases.size());
  int gemms = 0;
  for (size_t c = 0; c < b.cases.size(); ++c) {
    const FunctionalCase& fc = b.cases[c];
    testing::ReferenceGemm ref;
    for (size_t i = 0; i < fc.workload.gemms.size(); ++i) {
      const workload::GemmSpec& g = fc.workload.gemms[i];
      const testing::RefOutput want = ref.run(g, fc.tensors[i], fc.arch.pe.lanes);
      const sc::GemmResult& got = b.results[c][i];
      const std::string what = testing::label(g, fc.name);
      ASSERT_TRUE(got.output_crc.has_value()) << what;
      EXPECT_EQ(*got.output_crc, want.crc) << what;
      EXPECT_EQ(got.output, want.elements) << what;
      testing::expect_same_timing(got.timing, timing::time_realistic(g, fc.arch), what);
      ++gemms;
    }
  }
  EXPECT_GE(gemms, 59);
}

TEST(ScFunctional, CasesCoverFoldsBlocksAndReloads) {
  // Guards the coverage the header comment promises.
  const Bench& b = bench();
  bool row_folds = false, col_folds = false, blocks = false, reloads = false;
  for (const FunctionalCase& c : b.cases) {
    for (const workload::GemmSpec& g : c.workload.gemms) {
      const timing::TilePlan p = timing::plan_tiles(g, c.arch);
      row_folds |= p.row_folds > 1;
      col_folds |= p.col_folds > 1;
      blocks |= p.blocks > 1;
      reloads |= !p.stream_resident && p.col_folds > 1;
    }
  }
  EXPECT_TRUE(row_folds);
  EXPECT_TRUE(col_folds);
  EXPECT_TRUE(blocks);
  EXPECT_TRUE(reloads);
}

TEST(ScFunctional, GradScaleStateEvolvesPerName) {
  // The reference's exponents after the workload: dgrad's moved away from 0 and was used by
  // the second dgrad GEMM; an output computed with exponent 0 instead would differ.
  const Bench& b = bench();
  const FunctionalCase& c = b.cases.back();
  ASSERT_EQ(c.name, "gradscale");
  testing::ReferenceGemm ref;
  ref.run(c.workload.gemms[0], c.tensors[0]);
  EXPECT_NE(ref.exponent("dgrad"), 0);
  // The same GEMM run once (exponent 0, no earlier repeat) gives another output than the
  // engine's third repeat, which used the updated exponent.
  workload::GemmSpec once = c.workload.gemms[0];
  once.repeat = 1;
  testing::ReferenceGemm fresh;
  EXPECT_NE(fresh.run(once, c.tensors[0]).elements, b.results.back()[0].output);
}

}  // namespace
}  // namespace nibble
