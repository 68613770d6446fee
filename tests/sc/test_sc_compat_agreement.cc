// Bench sc_compat_agreement: the SystemC engine in compat mode (SCALE-Sim's folds replayed back
// to back) against timing::time_gemm, on every GEMM of every SCALE-Sim reference run in
// tests/data/scalesim/ (results/ and heldout/, read with the production readers) and of every
// shipped trace on the default array, all in one run_engine call. The cycles and every other
// GemmTiming field must be equal, so reports come out the same from either engine.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "model/frontend/scalesim_input.h"
#include "model/sc/engine.h"
#include "model/timing/realistic.h"
#include "tests/sc/sc_test_util.h"
#include "tests/one_lane_pe.h"

namespace nibble {
namespace {

namespace fs = std::filesystem;
using testing::expect_same_timing;
using testing::label;

struct Case {
  std::string name;
  timing::ArchSpec arch;
  workload::Workload workload;
};

std::vector<fs::path> subdirs(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.is_directory()) {
      out.push_back(e.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

Case scalesim_case(const std::string& name, const fs::path& cfg, const fs::path& topo, bool gemm) {
  return {name, frontend::read_scalesim_cfg(cfg.string()),
          frontend::read_scalesim_topology(
              topo.string(), gemm ? frontend::TopologyForm::kGemm : frontend::TopologyForm::kConv)};
}

// results/<topology>_<dataflow> ran configs/sa32x32_<dataflow>.cfg on topologies/<topology>.csv
// ("shipped_alexnet" is alexnet.csv in conv form; gemm_* topologies are in GEMM form);
// heldout/<case>/ holds cfg.cfg and topo.csv (gemm_* in GEMM form).
std::vector<Case> cases() {
  const fs::path data = testing::kSourceDir / "tests" / "data" / "scalesim";
  std::vector<Case> out;
  for (const fs::path& dir : subdirs(data / "results")) {
    const std::string name = dir.filename().string();
    const size_t cut = name.rfind('_');
    const std::string dataflow = name.substr(cut + 1);
    std::string topology = name.substr(0, cut);
    const std::string shipped = "shipped_";
    if (topology.rfind(shipped, 0) == 0) {
      topology = topology.substr(shipped.size());
    }
    out.push_back(scalesim_case(name, data / "configs" / ("sa32x32_" + dataflow + ".cfg"),
                                data / "topologies" / (topology + ".csv"),
                                topology.rfind("gemm", 0) == 0));
  }
  for (const fs::path& dir : subdirs(data / "heldout")) {
    const std::string name = dir.filename().string();
    out.push_back(scalesim_case("heldout_" + name, dir / "cfg.cfg", dir / "topo.csv",
                                name.rfind("gemm_", 0) == 0));
  }
  timing::ArchSpec compat = test::one_lane_arch();  // SCALE-Sim's PE: one MAC a cycle
  compat.mode = timing::TimingMode::kCompat;
  for (workload::Workload& w : testing::shipped_traces()) {
    out.push_back({"trace_" + w.name, compat, std::move(w)});
  }
  return out;
}

TEST(ScCompatAgreement, EveryGemmMatchesTimeGemm) {
  const std::vector<Case> all = cases();
  ASSERT_GE(all.size(), 5u + 45u + 5u);  // 5 reference runs, 45 held-out, the shipped traces
  std::vector<sc::EngineJob> jobs;
  for (const Case& c : all) {
    ASSERT_EQ(c.arch.mode, timing::TimingMode::kCompat) << c.name;
    sc::EngineJob j;
    j.workload = &c.workload;
    j.arch = c.arch;
    jobs.push_back(j);
  }
  const auto results = sc::run_engine(jobs);
  ASSERT_EQ(results.size(), all.size());
  size_t gemms = 0;
  bool repeated = false;
  for (size_t c = 0; c < all.size(); ++c) {
    ASSERT_EQ(results[c].size(), all[c].workload.gemms.size()) << all[c].name;
    for (size_t i = 0; i < results[c].size(); ++i) {
      const workload::GemmSpec& g = all[c].workload.gemms[i];
      expect_same_timing(results[c][i].timing, timing::time_gemm(g, all[c].arch),
                         label(g, all[c].name));
      EXPECT_EQ(results[c][i].timing.stall_cycles, 0) << label(g, all[c].name);
      repeated |= g.repeat > 1;
      ++gemms;
    }
  }
  EXPECT_TRUE(repeated);  // the traces have repeated GEMMs (bert): repeats are simulated
  EXPECT_GT(gemms, 400u);
}

}  // namespace
}  // namespace nibble
