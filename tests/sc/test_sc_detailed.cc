// Bench sc_detailed: detailed mode (values computed PE by PE, cycle by cycle through the
// systolic array) on 4x4 and 8x8 arrays and all three dataflows. Outputs equal the independent
// reference GEMM (functional_cases.h), and the cycles equal the analytic realistic engine's
// (the MacArray also checks each tile's detailed cycle count against the timing model: the
// wait before its first wave that timing::ArrayIssue gives, its waves and the pipeline).
#include <gtest/gtest.h>

#include <random>
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

TEST(ScDetailed, OutputsAndCyclesEqualTheReferences) {
  std::mt19937_64 rng(77);
  std::vector<FunctionalCase> cases;
  const timing::Dataflow dfs[] = {timing::Dataflow::kWs, timing::Dataflow::kOs,
                                  timing::Dataflow::kIs};
  for (int64_t size : {4, 8}) {
    for (timing::Dataflow df : dfs) {
      for (bool db : {true, false}) {
        FunctionalCase c;
        c.name = std::to_string(size) + "x" + std::to_string(size) + "_" +
                 timing::dataflow_name(df) + (db ? "" : "_sb");
        c.arch = small_arch(size, size, df, 1, db);
        add_gemm(c, rng, "a", 13, 10, 21, fmt(Format::kInt4), fmt(Format::kUint4),
                 fmt(Format::kFp16));
        add_gemm(c, rng, "b", 1, 7, 3, fmt(Format::kFp4, 1), fmt(Format::kInt4), fmt(Format::kInt4),
                 2, true);
        add_gemm(c, rng, "c", 30, 3, 9, fmt(Format::kUint4), fmt(Format::kFp4, 0),
                 fmt(Format::kFp4, 1), 2);
        // Tiles shorter than R: os output tiles of K = 2 waves (each waits for the previous
        // drain), is column folds of N = 2 waves (each waits for its preload).
        add_gemm(c, rng, "d", 9, 2, 2, fmt(Format::kInt4), fmt(Format::kInt4), fmt(Format::kFp16));
        cases.push_back(std::move(c));
      }
    }
  }
  std::vector<sc::EngineJob> jobs;
  for (const FunctionalCase& c : cases) {
    sc::EngineJob j;
    j.workload = &c.workload;
    j.arch = c.arch;
    j.mode = sc::EngineMode::kDetailed;
    const std::vector<fn::GemmTensors>* t = &c.tensors;
    j.tensors = [t](size_t i) { return t->at(i); };
    jobs.push_back(j);
  }
  sc::EngineOptions options;
  options.keep_outputs = true;
  const auto results = sc::run_engine(jobs, options);
  ASSERT_EQ(results.size(), cases.size());
  for (size_t c = 0; c < cases.size(); ++c) {
    testing::ReferenceGemm ref;
    for (size_t i = 0; i < cases[c].workload.gemms.size(); ++i) {
      const workload::GemmSpec& g = cases[c].workload.gemms[i];
      const std::string what = testing::label(g, cases[c].name);
      const testing::RefOutput want = ref.run(g, cases[c].tensors[i]);
      ASSERT_TRUE(results[c][i].output_crc.has_value()) << what;
      EXPECT_EQ(*results[c][i].output_crc, want.crc) << what;
      EXPECT_EQ(results[c][i].output, want.elements) << what;
      testing::expect_same_timing(results[c][i].timing, timing::time_realistic(g, cases[c].arch),
                                  what);
    }
  }
}

}  // namespace
}  // namespace nibble
