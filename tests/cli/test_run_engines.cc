// nibble run --engine systemc: the SystemC engine gives the analytic engine's report (the same
// report.json but for `engine`, the same layers.csv, report.md and stdout) on every shipped
// trace in both timing modes; functional and detailed runs report CRCs, check `expect`, and
// reject what they cannot run with one line and exit code 2, leaving nothing behind.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/run_command.h"

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using nibble::test::read_file;
using nibble::test::run_command;

const std::string kNibble = NIBBLE_BINARY;
const std::string kSource = NIBBLE_SOURCE_DIR;

class RunEngines : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::replace(name.begin(), name.end(), '/', '_');
    dir_ = fs::temp_directory_path() / ("nibble_engines_" + name);
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) {
    const fs::path p = dir_ / name;
    std::ofstream(p) << text;
    return p.string();
  }
  static size_t lines(const std::string& s) {
    return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
  }
  static Json report(const fs::path& out) {
    return Json::parse(read_file((out / "report.json").string()));
  }
  size_t entries() const {
    return static_cast<size_t>(
        std::distance(fs::directory_iterator(dir_), fs::directory_iterator()));
  }
  fs::path dir_;
};

// Runs both engines on one trace and mode; everything but report.json's `engine` must agree.
void expect_same_reports(const fs::path& dir, const std::string& trace, const std::string& mode) {
  const fs::path a = dir / "analytic";
  const fs::path s = dir / "systemc";
  const std::string common = " run -q --no-plots --trace " + trace + " --set timing.mode=" + mode +
                             (mode == "compat" ? " --set pe.lanes=1" : "") +
                             " -o ";  // compat: one MAC per PE
  const auto ra = run_command(kNibble + common + a.string());
  const auto rs = run_command(kNibble + common + s.string() + " --engine systemc");
  ASSERT_EQ(ra.exit_code, 0) << ra.err;
  ASSERT_EQ(rs.exit_code, 0) << rs.err;
  EXPECT_EQ(ra.out, rs.out);
  Json ja = Json::parse(read_file((a / "report.json").string()));
  Json js = Json::parse(read_file((s / "report.json").string()));
  EXPECT_EQ(ja.at("engine"), "analytic");
  EXPECT_EQ(js.at("engine"), "systemc");
  EXPECT_EQ(js.at("engine_mode"), "timing-only");
  ja.erase("engine");
  js.erase("engine");
  EXPECT_EQ(ja, js);
  for (const char* f : {"layers.csv", "report.md", "config.yaml"}) {
    EXPECT_EQ(read_file((a / f).string()), read_file((s / f).string())) << f;
  }
}

class EngineTraces : public RunEngines,
                     public ::testing::WithParamInterface<std::tuple<std::string, std::string>> {};

TEST_P(EngineTraces, SystemCGivesTheAnalyticReport) {
  const auto& [trace, mode] = GetParam();
  expect_same_reports(dir_, kSource + "/traces/" + trace, mode);
}

INSTANTIATE_TEST_SUITE_P(
    Shipped, EngineTraces,
    ::testing::Combine(::testing::Values("resnet18_train_b32.trace", "resnet50_train_b32.trace",
                                         "alexnet_train_b32.trace", "bert_base_train_s128.trace",
                                         "example.trace"),
                       ::testing::Values("realistic", "compat")),
    [](const auto& case_info) {
      std::string name = std::get<0>(case_info.param) + "_" + std::get<1>(case_info.param);
      std::replace_if(
          name.begin(), name.end(), [](char c) { return !std::isalnum(c); }, '_');
      return name;
    });

// A small trace with generated tensors; out formats of every kind.
std::string small_trace(const std::string& extra = "") {
  return "nibble-trace 1\n"
         "workload small\n"
         "seed 7\n"
         "gemm g1 m=20 n=9 k=37 a=uint4 b=int4 out=fp16 pass=fwd\n"
         "gemm g2 m=9 n=37 k=20 a=fp4:p0 b=int4 out=int4 pass=dgrad\n"
         "gemm g3 m=37 n=20 k=9 a=uint4 b=fp4:p1 out=fp4:p0 pass=wgrad repeat=2\n" +
         extra;
}

TEST_F(RunEngines, FunctionalReportsCrcsAndChecksExpect) {
  const std::string trace = write("t.trace", small_trace());
  const fs::path out = dir_ / "out";
  const std::string run = kNibble + " run -q --no-plots --engine systemc --set array.rows=8 " +
                          "--set array.cols=8 --trace ";
  const auto r = run_command(run + trace + " --functional -o " + out.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Json j = report(out);
  EXPECT_EQ(j.at("engine_mode"), "functional");
  std::vector<std::string> crcs;
  for (const Json& g : j.at("gemms")) {
    ASSERT_TRUE(g.at("output_crc").is_string());
    crcs.push_back(g.at("output_crc").get<std::string>());
    EXPECT_EQ(crcs.back().size(), 10U);
    EXPECT_TRUE(g.at("expected_crc").is_null());
    EXPECT_TRUE(g.at("crc_match").is_null());
  }
  // Different GEMMs, different outputs.
  EXPECT_NE(crcs[0], crcs[1]);
  EXPECT_NE(crcs[1], crcs[2]);

  // The detailed engine computes the same values PE by PE.
  const fs::path det = dir_ / "det";
  const auto rd = run_command(run + trace + " --detailed -o " + det.string());
  ASSERT_EQ(rd.exit_code, 0) << rd.err;
  const Json jd = report(det);
  EXPECT_EQ(jd.at("engine_mode"), "detailed");
  for (size_t i = 0; i < crcs.size(); ++i) {
    EXPECT_EQ(jd.at("gemms")[i].at("output_crc"), crcs[i]) << i;
    EXPECT_EQ(jd.at("gemms")[i].at("cycles"), j.at("gemms")[i].at("cycles")) << i;
  }

  // A different seed gives different outputs.
  std::string reseeded = small_trace();
  reseeded.replace(reseeded.find("seed 7"), 6, "seed 8");
  const std::string trace8 = write("t8.trace", reseeded);
  const auto r8 = run_command(run + trace8 + " --functional -o " + (dir_ / "out8").string());
  ASSERT_EQ(r8.exit_code, 0) << r8.err;
  EXPECT_NE(report(dir_ / "out8").at("gemms")[0].at("output_crc"), crcs[0]);

  // expect: the right CRCs pass; a wrong one fails with exit 1 naming its line.
  const std::string good = write(
      "good.trace", small_trace("expect g1 crc=" + crcs[0] + "\nexpect g3 crc=" + crcs[2] + "\n"));
  const auto rg = run_command(run + good + " --functional -o " + (dir_ / "good").string());
  EXPECT_EQ(rg.exit_code, 0) << rg.err;
  EXPECT_EQ(report(dir_ / "good").at("gemms")[0].at("crc_match"), true);
  EXPECT_EQ(report(dir_ / "good").at("gemms")[2].at("crc_match"), true);
  const std::string bad = write("bad.trace", small_trace("expect g2 crc=0x12345678\n"));
  const auto rb = run_command(run + bad + " --functional -o " + (dir_ / "bad").string());
  EXPECT_EQ(rb.exit_code, 1) << rb.err;
  EXPECT_EQ(lines(rb.err), 1U) << rb.err;
  EXPECT_NE(rb.err.find(bad + ":7: gemm 'g2'"), std::string::npos) << rb.err;
  EXPECT_EQ(report(dir_ / "bad").at("gemms")[1].at("crc_match"), false);
  // Timing-only runs do not check expect.
  const auto rt = run_command(kNibble + " run -q --no-plots --trace " + bad + " -o " +
                              (dir_ / "timing").string());
  EXPECT_EQ(rt.exit_code, 0) << rt.err;
}

// --threads (docs/systemc.md, "Threads"): the values of a tile large enough to be split among
// threads (32 columns x 128 k x up to 2048 rows on the default 32x32 array of 4 lanes), and so
// every report byte, are the same on 1, 2 and 3 threads and with the portable kernel.
TEST_F(RunEngines, FunctionalReportIsTheSameOnEveryThreadCountAndKernel) {
  const std::string trace =
      write("big.trace",
            "nibble-trace 1\nseed 3\n"
            "gemm f m=2048 n=64 k=256 a=uint4 b=int4 out=fp16 pass=fwd\n"
            "gemm d m=2048 n=256 k=64 a=fp4:p0 b=int4 out=fp16 pass=dgrad\n"
            "gemm w m=256 n=64 k=2048 a=uint4 b=fp4:p1 out=fp16 pass=wgrad\n");
  std::string first;
  for (const std::string threads : {"1", "2", "3"}) {
    const fs::path out = dir_ / ("t" + threads);
    const auto r = run_command(kNibble + " run --no-plots --engine systemc --functional --trace " +
                               trace + " --threads " + threads + " -o " + out.string());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // Warned before the wait: 3 x 33.6 M MACs.
    EXPECT_NE(r.err.find("functional: 101 M MACs of values to compute on " + threads + " thread"),
              std::string::npos)
        << r.err;
    const std::string bytes = read_file((out / "report.json").string());
    if (first.empty()) {
      first = bytes;
    }
    EXPECT_EQ(bytes, first) << threads << " threads";
  }
  const fs::path out = dir_ / "portable";
  const auto r = run_command("NIBBLE_KERNEL=portable " + kNibble +
                             " run -q --no-plots --engine systemc --functional --trace " + trace +
                             " --threads 2 -o " + out.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_file((out / "report.json").string()), first);
}

TEST_F(RunEngines, BadCombinationsAreOneLineAndLeaveNothing) {
  const std::string trace = write("t.trace", small_trace());
  const std::string fp16 =
      write("fp16.trace", "nibble-trace 1\ngemm h m=4 n=4 k=4 a=fp16 b=fp16\n");
  const std::string missing = write("missing.trace",
                                    "nibble-trace 1\ngemm g m=4 n=4 k=4 a=int4 b=int4\n"
                                    "load g a=nowhere.bin\n");
  const fs::path out = dir_ / "out";
  const fs::path vcd = dir_ / "w.vcd";
  const std::string o = " -o " + out.string();
  struct Case {
    std::string args;
    std::string needle;
  } cases[] = {
      {"--engine bogus --trace " + trace, "--engine"},
      {"--functional --trace " + trace, "--functional needs --engine systemc"},
      {"--vcd " + vcd.string() + " --trace " + trace, "--vcd needs --engine systemc"},
      {"--engine systemc --functional --detailed --trace " + trace, "exclude"},
      {"--engine systemc --functional --trace " + fp16, fp16 + ":2:"},
      {"--engine systemc --functional --set timing.mode=compat --trace " + trace, "realistic"},
      {"--engine systemc --functional --vcd " + vcd.string() + " --trace " + missing,
       missing + ":3:"},
      {"--engine systemc --functional --threads 0 --trace " + trace, "--threads"},
      {"--engine systemc --functional --threads two --trace " + trace, "--threads"},
      {"--engine systemc --detailed --threads 2 --trace " + trace, "--threads needs --functional"},
      {"--threads 2 --trace " + trace, "--threads needs --functional"},
  };
  const size_t before = entries();
  for (const Case& c : cases) {
    SCOPED_TRACE(c.args);
    const auto r = run_command(kNibble + " run -q --no-plots " + c.args + o);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(lines(r.err), 1U) << r.err;
    EXPECT_NE(r.err.find(c.needle), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(out));
    EXPECT_FALSE(fs::exists(vcd));
    EXPECT_EQ(entries(), before);
  }
}

TEST_F(RunEngines, VcdHoldsTheDocumentedSignals) {
  const std::string trace = write("t.trace", small_trace());
  const fs::path vcd = dir_ / "w.vcd";
  const auto r = run_command(kNibble + " run -q --no-plots --engine systemc --trace " + trace +
                             " --vcd " + vcd.string() + " -o " + (dir_ / "out").string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string text = read_file(vcd.string());
  EXPECT_NE(text.find("$enddefinitions"), std::string::npos);
  const std::string doc = read_file(kSource + "/docs/systemc.md");
  for (const char* signal : {"array_busy", "array_stall", "scale_busy"}) {
    EXPECT_NE(text.find(signal), std::string::npos) << signal;
    EXPECT_NE(doc.find(signal), std::string::npos) << signal;
  }
  EXPECT_FALSE(fs::exists(vcd.string() + ".partial"));
}

}  // namespace
