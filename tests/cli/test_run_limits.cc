// nibble run at the edges of int64: a count that would overflow is bad input (one line, exit
// code 2, no output), never a wrong number; a very large GEMM runs in bounded memory.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/run_command.h"

namespace {

namespace fs = std::filesystem;
using nibble::test::run_command;

const std::string kNibble = NIBBLE_BINARY;

class RunLimits : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("nibble_limits_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write_trace(const std::string& gemm_line) {
    const fs::path p = dir_ / "t.trace";
    std::ofstream(p) << "nibble-trace 1\n" << gemm_line << "\n";
    return p.string();
  }
  // A SCALE-Sim .cfg of a side x side ws array, 64 KiB buffers, CALC mode.
  fs::path write_cfg(int64_t side) {
    const fs::path p = dir_ / ("a" + std::to_string(side) + ".cfg");
    std::ofstream(p) << "[general]\nrun_name = run\n[architecture_presets]\nArrayHeight: " << side
                     << "\nArrayWidth: " << side
                     << "\nIfmapSramSzkB: 64\nFilterSramSzkB: 64\nOfmapSramSzkB: 64\n"
                        "IfmapOffset: 0\nFilterOffset: 10000000\nOfmapOffset: 20000000\n"
                        "Bandwidth: 10\nDataflow: ws\nMemoryBanks: 1\n[run_presets]\n"
                        "InterfaceBandwidth: CALC\n";
    return p;
  }
  static size_t lines(const std::string& s) {
    return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
  }
  fs::path dir_;
};

TEST_F(RunLimits, CountsBeyondInt64AreAnInputError) {
  const std::string trace =
      write_trace("gemm big m=1000 n=1000 k=1000 a=int4 b=int4 repeat=2147483647");
  const fs::path out = dir_ / "out";
  const auto r =
      run_command(kNibble + " run -q --no-plots --trace " + trace + " -o " + out.string());
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(lines(r.err), 1U) << r.err;
  EXPECT_NE(r.err.find(trace + ":2:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("64 bits"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
}

TEST_F(RunLimits, TinyBandwidthOverflowIsAnInputError) {
  const fs::path out = dir_ / "out";
  const auto r = run_command(
      kNibble + " run -q --no-plots --set dram.bandwidth_bytes_per_cycle=1e-9 -o " + out.string());
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(lines(r.err), 1U) << r.err;
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(RunLimits, LargeGemmRuns) {
  // About 10^6 tiles: the recurrence streams them instead of holding them.
  const std::string trace = write_trace("gemm big m=32768 n=32768 k=1024 a=int4 b=int4");
  const auto r = run_command(kNibble + " run -q --no-plots --trace " + trace + " -o " +
                             (dir_ / "out").string());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(dir_ / "out" / "report.json"));
}

// Issue 18, D6 and D7: engines that walk every tile, value or cycle estimate their work before
// they start and refuse, in one line naming the GEMM, what is above the limits (10 minutes, 8
// GiB; docs/cli.md, "Work limits") unless --allow-long. Each case would otherwise run for
// years or exhaust memory.
TEST_F(RunLimits, WalkingEnginesRefuseWorkAboveTheLimits) {
  struct Case {
    const char* gemm;
    const char* flags;
    const char* says;
  };
  const Case cases[] = {
      // 2^31 repeats of a 256^3 GEMM: 3.6e16 MACs of values.
      {"gemm g m=256 n=256 k=256 a=int4 b=int4 repeat=2147483647", "--engine systemc --functional",
       "MACs"},
      // A of 46340^2 codes: about 10 GiB held.
      {"gemm g m=46340 n=1 k=46340 a=int4 b=int4", "--engine systemc --functional",
       "GiB of memory"},
      // About 10^11 tiles to replay, timing only.
      {"gemm g m=10000000 n=10000000 k=64 a=int4 b=int4", "--engine systemc", "tiles"},
      // 10^12 PE-cycles one by one.
      {"gemm g m=100000 n=100000 k=100 a=int4 b=int4", "--engine systemc --detailed", "PE-cycles"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.gemm);
    const std::string trace = write_trace(c.gemm);
    const fs::path out = dir_ / "out";
    const auto r = run_command(kNibble + " run -q --no-plots " + c.flags + " --trace " + trace +
                               " -o " + out.string());
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(lines(r.err), 1U) << r.err;
    EXPECT_NE(r.err.find("would take about"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(trace + ":2: gemm 'g'"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("--allow-long"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(out));
    EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
  }
}

// Below the limits nothing changes, with or without --allow-long; the flag belongs to the
// systemc engine.
TEST_F(RunLimits, AllowLongRunsAndNeedsTheSystemcEngine) {
  const std::string trace = write_trace("gemm g m=64 n=64 k=64 a=int4 b=int4");
  const auto ok = run_command(kNibble + " run -q --no-plots --engine systemc --functional " +
                              "--allow-long --trace " + trace + " -o " + (dir_ / "a").string());
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  const auto bad = run_command(kNibble + " run -q --no-plots --allow-long --trace " + trace +
                               " -o " + (dir_ / "b").string());
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_NE(bad.err.find("--allow-long needs --engine systemc"), std::string::npos) << bad.err;
}

// The analytic engine's cost does not grow with the GEMM (docs/timing.md, "Fast-forward"):
// shapes that walked for hours finish, or are refused at once when a count leaves 64 bits.
TEST_F(RunLimits, HugeGemmsAreTimedAnalytically) {
  const std::string trace = write_trace("gemm g m=10000000 n=10000000 k=64 a=int4 b=int4");
  const auto r = run_command(kNibble + " run -q --no-plots --trace " + trace + " -o " +
                             (dir_ / "out").string());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const std::string giant = write_trace("gemm g m=2147483647 n=2147483647 k=2 a=int4 b=int4");
  const auto g = run_command(kNibble + " run -q --no-plots --trace " + giant + " -o " +
                             (dir_ / "giant").string());
  EXPECT_EQ(g.exit_code, 2) << g.err;
  EXPECT_NE(g.err.find("64 bits"), std::string::npos) << g.err;
  // D1: compat mode's counts are checked too.
  const std::string d1 = write_trace("gemm g m=2147483647 n=1 k=2147483647 a=int4 b=int4");
  const auto c = run_command(kNibble + " run -q --no-plots --set timing.mode=compat " +
                             "--set pe.lanes=1 --trace " + d1 + " -o " + (dir_ / "c").string());
  EXPECT_EQ(c.exit_code, 2) << c.err;
  EXPECT_EQ(lines(c.err), 1U) << c.err;
  EXPECT_NE(c.err.find(d1 + ":2: gemm 'g'"), std::string::npos) << c.err;
}

// nibble scalesim: the compute and SRAM columns are closed forms at any size; the DRAM columns
// stream every SRAM access, so a layer whose stream is above the limits is refused before
// anything runs: 64 x 1073741825 x 64 (3.4e11 accesses), and the row x, 2147483647, 1, 1,
// whose im2col tables would take 48 GiB.
TEST_F(RunLimits, ScalesimRefusesDramStreamsAboveTheLimits) {
  const fs::path cfg = write_cfg(32);
  for (const char* row : {"wide, 64, 1073741825, 64,", "x, 2147483647, 1, 1,"}) {
    SCOPED_TRACE(row);
    const fs::path topo = dir_ / "t.csv";
    std::ofstream(topo) << "Layer, M, N, K,\n" << row << "\n";
    const fs::path out = dir_ / "out";
    const auto r = run_command(kNibble + " scalesim -q -i gemm -c " + cfg.string() + " -t " +
                               topo.string() + " -p " + out.string());
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(lines(r.err), 1U) << r.err;
    EXPECT_NE(r.err.find(topo.string() + ":2:"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("--allow-long"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(out));
  }
}

// D6: a 2147483647 x 2147483647 array, which SCALE-Sim's fold walk could never finish, is one
// fold of closed forms: Total Cycles by hand, P - 1 with P = 2R + C + M - 2 (ws, M = 64).
TEST_F(RunLimits, ScalesimOnTheLargestArrayIsImmediate) {
  const fs::path cfg = write_cfg(2147483647);
  const fs::path topo = dir_ / "t.csv";
  std::ofstream(topo) << "Layer, M, N, K,\nsq, 64, 64, 64,\n";
  const fs::path out = dir_ / "out";
  const auto r = run_command(kNibble + " scalesim -q -i gemm -c " + cfg.string() + " -t " +
                             topo.string() + " -p " + out.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream in(out / "run" / "COMPUTE_REPORT.csv");
  std::string header, row;
  std::getline(in, header);
  std::getline(in, row);
  const int64_t r_ = 2147483647;
  EXPECT_EQ(row.rfind("0, " + std::to_string(2 * r_ + r_ + 64 - 2 - 1) + ",", 0), 0U) << row;
}

// nibble cosim estimates the RTL's cycles from the analytic timing (whose cost does not grow
// with the GEMM) and refuses 10^6 x 10^6 x 64 on the 8x8 array (about 1.6e10 tiles) at once.
TEST_F(RunLimits, CosimRefusesWorkAboveTheLimits) {
  const std::string trace = write_trace("gemm g m=1000000 n=1000000 k=64 a=int4 b=int4");
  const fs::path out = dir_ / "out";
  const auto r = run_command(kNibble + " cosim -q --set array.rows=8 --set array.cols=8 " +
                             "--set pe.lanes=1 --trace " + trace + " -o " + out.string());
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(lines(r.err), 1U) << r.err;
  EXPECT_NE(r.err.find("the co-simulation would take about"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("RTL cycles"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--allow-long"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out));
}

}  // namespace
