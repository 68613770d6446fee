// nibble run at the edges of int64: a count that would overflow is bad input (one line, exit
// code 2, no output), never a wrong number; a very large GEMM runs in bounded memory.
#include <gtest/gtest.h>

#include <algorithm>
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

}  // namespace
