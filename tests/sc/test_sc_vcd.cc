// Bench sc_vcd: a run with a VCD path writes a VCD file (GTKWave) with the documented signals
// of every job, prefixed by the job's name, and value changes in them; the timing is unchanged.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "model/sc/engine.h"
#include "model/timing/realistic.h"
#include "tests/sc/sc_test_util.h"

namespace nibble {
namespace {

namespace fs = std::filesystem;

TEST(ScVcd, WritesTheDocumentedSignals) {
  const fs::path path = fs::path(NIBBLE_BINARY_DIR) / "sc_vcd_waves.vcd";
  fs::remove(path);
  workload::Workload w;
  for (int i = 0; i < 3; ++i) {
    workload::GemmSpec g;
    g.name = "g" + std::to_string(i);
    g.m = 40 + 10 * i;
    g.n = 20;
    g.k = 50;
    g.where = {"vcd", i + 1};
    w.gemms.push_back(g);
  }
  timing::ArchSpec arch;
  arch.array.rows = arch.array.cols = 8;
  arch.sram.ifmap_kib = arch.sram.filter_kib = arch.sram.ofmap_kib = 1;
  arch.dram.bandwidth_bytes_per_cycle = 2;
  arch.tiling.mode = timing::Tiling::kGreedy;  // 1 KiB buffers: many tiles, many value changes
  std::vector<sc::EngineJob> jobs(2);
  for (sc::EngineJob& j : jobs) {
    j.workload = &w;
    j.arch = arch;
  }
  jobs[0].name = "int4_fp4";
  jobs[1].name = "fp16_iso_pe";
  sc::EngineOptions options;
  options.vcd_path = path.string();
  const auto results = sc::run_engine(jobs, options);
  for (size_t i = 0; i < w.gemms.size(); ++i) {
    testing::expect_same_timing(results[1][i].timing, timing::time_realistic(w.gemms[i], arch),
                                w.gemms[i].name);
  }

  ASSERT_TRUE(fs::is_regular_file(path));
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  const std::string vcd = text.str();
  const size_t defs = vcd.find("$enddefinitions");
  ASSERT_NE(defs, std::string::npos);
  // SystemC's VCD writer turns the dotted names (int4_fp4.array_busy) into one scope per job,
  // named after its array.
  for (const char* job : {"int4_fp4", "fp16_iso_pe"}) {
    const size_t scope = vcd.find(std::string("$scope module ") + job + " $end");
    ASSERT_NE(scope, std::string::npos) << job;
    const std::string block = vcd.substr(scope, vcd.find("$upscope", scope) - scope);
    for (const char* s : {"array_busy", "array_stall", "dram_busy", "scale_busy", "gemm_index"}) {
      EXPECT_NE(block.find(std::string(" ") + s + " "), std::string::npos) << job << "." << s;
    }
  }
  // Value changes after the header: timestamps and at least one rise of a 1-bit signal.
  const std::string body = vcd.substr(defs);
  EXPECT_NE(body.find("\n#"), std::string::npos);
  EXPECT_NE(body.find("\n1"), std::string::npos);
  int64_t stamps = 0;
  for (size_t p = body.find("\n#"); p != std::string::npos; p = body.find("\n#", p + 1)) {
    ++stamps;
  }
  EXPECT_GT(stamps, 100);
}

}  // namespace
}  // namespace nibble
