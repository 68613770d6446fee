// The paths of the nibble program that run the SystemC kernel or Verilator's VCD writer, for
// the sanitizer build (label `sanitize`; .ci/run step 3 runs them under ASan + UBSan, any
// report fatal). Issue 18: an error raised after the kernel started gave a false ASan
// stack-buffer-overflow (D8, docs/systemc.md "Sanitizers"), and every `nibble cosim --vcd` of an
// array with a 33- to 64-bit signal a UBSan misaligned store in Verilator's VCD writer (D9,
// docs/cosim.md "Sanitizers"). In other builds these are plain CLI tests.
//
// A sanitizer report aborts nibble (exit code -1 here) or adds lines to its stderr; each test
// checks both, and that stderr holds nothing but the one error line expected.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/run_command.h"

namespace nibble::test {
namespace {

namespace fs = std::filesystem;

const std::string kNibble = NIBBLE_BINARY;

class SanitizeCli : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    dir_ = fs::temp_directory_path() / ("nibble_sanitize_" + name);
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) const {
    const fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }

  static size_t lines(const std::string& s) {
    return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
  }

  // No report of any sanitizer (errors, and ASan's "False positive error reports may follow").
  static void expect_no_sanitizer_report(const CommandResult& r) {
    for (const char* needle : {"Sanitizer", "runtime error:", "ASan ", "WARNING: "}) {
      EXPECT_EQ(r.err.find(needle), std::string::npos) << needle << " in:\n" << r.err;
    }
  }

  fs::path dir_;
};

const std::string kRun =
    " run -q --no-plots --engine systemc --functional --set array.rows=8 "
    "--set array.cols=8 --trace ";

// D8: the controller thread of the 4-bit array fails when its GEMM starts, inside the kernel,
// while the baselines' threads are suspended; sc_start returns and run_engine rethrows the
// error on the main stack. Before the fix: ASan's warning, then a stack-buffer-overflow in
// ~Dma; with the frames repaired, LeakSanitizer's scan of the suspended threads' stacks.
TEST_F(SanitizeCli, ErrorInsideTheKernelIsOneLine) {
  write("short.bin", std::string(3, '\0'));
  const std::string trace = write("t.trace",
                                  "nibble-trace 1\n"
                                  "gemm g m=4 n=4 k=4 a=int4 b=int4\n"
                                  "load g a=short.bin\n");
  const fs::path out = dir_ / "out";
  const CommandResult r = run_command(kNibble + kRun + trace + " -o " + out.string());
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(lines(r.err), 1U) << r.err;
  EXPECT_EQ(r.err.rfind("nibble run: error: " + trace + ":3: load a=", 0), 0U) << r.err;
  EXPECT_NE(r.err.find("short.bin: expected 16 bytes"), std::string::npos) << r.err;
  expect_no_sanitizer_report(r);
  EXPECT_FALSE(fs::exists(out));
}

// D8: `-o ""` is refused after the simulation (today the kernel runs first), on the main
// stack, where ASan had lost the stack's bounds.
TEST_F(SanitizeCli, ErrorAfterTheKernelIsOneLine) {
  const std::string trace =
      write("t.trace", "nibble-trace 1\nseed 7\ngemm g m=20 n=9 k=37 a=uint4 b=int4 out=fp16\n");
  const CommandResult r = run_command(kNibble + kRun + trace + " -o \"\"");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(lines(r.err), 1U) << r.err;
  EXPECT_NE(r.err.find("nibble run: error: "), std::string::npos) << r.err;
  expect_no_sanitizer_report(r);
}

// A short functional run and its waves: the kernel, the threads' stacks, the report.
TEST_F(SanitizeCli, FunctionalRunWithWaves) {
  const std::string trace = write("t.trace",
                                  "nibble-trace 1\nseed 7\n"
                                  "gemm g1 m=20 n=9 k=37 a=uint4 b=int4 out=fp16 pass=fwd\n"
                                  "gemm g2 m=9 n=37 k=20 a=fp4:p0 b=int4 out=int4 pass=dgrad\n");
  const fs::path out = dir_ / "out";
  const fs::path vcd = dir_ / "w.vcd";
  const CommandResult r =
      run_command(kNibble + kRun + trace + " -o " + out.string() + " --vcd " + vcd.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_TRUE(fs::is_regular_file(out / "report.json"));
  EXPECT_NE(read_file(vcd.string()).find("$enddefinitions"), std::string::npos);
}

// The built arrays, NIBBLE_RTL_ARRAYS as "<rows>x<cols>[x<lanes>]", comma-separated.
struct Array {
  std::string rows, cols, lanes;
};
std::vector<Array> built_arrays() {
  std::vector<Array> arrays;
  std::istringstream in(NIBBLE_RTL_ARRAYS);
  std::string item;
  while (std::getline(in, item, ',')) {
    std::vector<std::string> part;
    std::istringstream dims(item);
    std::string d;
    while (std::getline(dims, d, 'x')) {
      part.push_back(d);
    }
    arrays.push_back({part.at(0), part.at(1), part.size() > 2 ? part[2] : "1"});
  }
  return arrays;
}

// D9: `nibble cosim --vcd` on every built array. The first dump writes every signal, so an
// array with a 33- to 64-bit signal at an odd 4-byte slot (2x2x8, the sanitizer build's array;
// 16x16, 8x8x8) reaches the store that UBSan reported; the first changes reach the load.
TEST_F(SanitizeCli, CosimWaves) {
  const std::string trace = write("t.trace",
                                  "nibble-trace 1\nseed 11\n"
                                  "gemm a m=5 n=3 k=9 a=int4 b=fp4:p0 out=fp16\n"
                                  "gemm b m=3 n=6 k=17 a=uint4 b=int4 out=int4\n");
  const std::vector<Array> arrays = built_arrays();
  ASSERT_FALSE(arrays.empty());
  for (const Array& a : arrays) {
    const std::string name = a.rows + "x" + a.cols + "x" + a.lanes;
    const fs::path out = dir_ / ("out_" + name);
    const fs::path vcd = dir_ / ("w_" + name + ".vcd");
    const CommandResult r =
        run_command(kNibble + " cosim -q --trace " + trace + " --set array.rows=" + a.rows +
                    " --set array.cols=" + a.cols + " --set pe.lanes=" + a.lanes + " -o " +
                    out.string() + " --vcd " + vcd.string());
    ASSERT_EQ(r.exit_code, 0) << name << ": " << r.err;
    EXPECT_EQ(r.err, "") << name;
    const std::string waves = read_file(vcd.string());
    EXPECT_NE(waves.find("$enddefinitions"), std::string::npos) << name;
    EXPECT_NE(waves.find("res_valid_o"), std::string::npos) << name;
  }
}

}  // namespace
}  // namespace nibble::test
