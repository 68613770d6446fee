// `nibble cosim` end to end (docs/cosim.md): the co-simulation suite through the RTL array and
// the SystemC model on 8x8 and 16x16 arrays in every dataflow, with one lane per PE and with 4
// and 8 (pe.lanes), every output bit-identical and
// every cycle count equal to the model's array schedule; cosim.csv's header and determinism;
// waves on request; bad input as one line with exit code 2 and no output left behind.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "fstapi.h"
#include "tests/run_command.h"

namespace nibble::test {
namespace {

namespace fs = std::filesystem;

const std::string kNibble = NIBBLE_BINARY;
const std::string kSuite = std::string(NIBBLE_SOURCE_DIR) + "/tests/cosim/data/suite.trace";

fs::path fresh_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("nibble_cosim_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::vector<std::vector<std::string>> read_csv(const fs::path& path) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(read_file(path.string()));
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::istringstream cells_in(line);
    std::string cell;
    while (std::getline(cells_in, cell, ',')) {
      cells.push_back(cell);
    }
    rows.push_back(cells);
  }
  return rows;
}

// The built arrays as `nibble cosim` lists them: NIBBLE_RTL_ARRAYS, ", "-separated.
std::string built_arrays() {
  std::string out;
  for (const char ch : std::string(NIBBLE_RTL_ARRAYS)) {
    out += ch == ',' ? std::string(", ") : std::string(1, ch);
  }
  return out;
}

const char* const kHeader =
    "gemm,m,n,k,repeat,dataflow,a,b,out,rtl_crc,model_crc,match,rtl_cycles,model_cycles,"
    "error_pct,model_total_cycles";

struct Case {
  int size;
  const char* dataflow;
  int lanes = 1;
};

// Names the case in gtest's (and ctest's) listing instead of dumping its bytes.
void PrintTo(const Case& c, std::ostream* os) {
  *os << c.dataflow << ' ' << c.size << 'x' << c.size << " L=" << c.lanes;
}

// Whether the array is in NIBBLE_RTL_ARRAYS, the build's list ("8x8,16x16,8x8x4,...").
bool built(int size, int lanes) {
  const std::string name = std::to_string(size) + "x" + std::to_string(size) +
                           (lanes == 1 ? "" : "x" + std::to_string(lanes));
  std::istringstream list(NIBBLE_RTL_ARRAYS);
  std::string item;
  while (std::getline(list, item, ',')) {
    if (item == name) {
      return true;
    }
  }
  return false;
}

// ws8, os16, ...; with lanes: ws8l4, os16l8, ...
std::string case_name(const ::testing::TestParamInfo<Case>& p) {
  return std::string(p.param.dataflow) + std::to_string(p.param.size) +
         (p.param.lanes == 1 ? "" : "l" + std::to_string(p.param.lanes));
}

class CosimSuite : public ::testing::TestWithParam<Case> {};

TEST_P(CosimSuite, EveryOutputBitIdenticalEveryCycleCountEqual) {
  const Case c = GetParam();
  if (!built(c.size, c.lanes)) {
    GTEST_SKIP() << "not built (NIBBLE_RTL_ARRAYS): " << NIBBLE_RTL_ARRAYS;
  }
  const fs::path dir =
      fresh_dir(std::string(c.dataflow) + std::to_string(c.size) + "l" + std::to_string(c.lanes));
  const std::string size = std::to_string(c.size);
  const CommandResult r =
      run_command(kNibble + " cosim -q --trace " + kSuite + " --set array.rows=" + size +
                  " --set array.cols=" + size + " --set array.dataflow=" + c.dataflow +
                  " --set pe.lanes=" + std::to_string(c.lanes) + " -o " + (dir / "out").string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "cosim: 26 GEMMs: 26 of 26 bit-identical; largest cycle error 0.000 %; ok\n");
  EXPECT_EQ(read_file((dir / "out" / "mismatch.txt").string()),
            "nibble cosim: all 26 GEMMs bit-identical, RTL against the SystemC model, element by "
            "element.\n");
  const auto rows = read_csv(dir / "out" / "cosim.csv");
  ASSERT_EQ(rows.size(), 27u);
  std::string header;
  for (size_t i = 0; i < rows[0].size(); ++i) {
    header += (i ? "," : "") + rows[0][i];
  }
  EXPECT_EQ(header, kHeader);
  for (size_t i = 1; i < rows.size(); ++i) {
    const std::vector<std::string>& row = rows[i];
    ASSERT_EQ(row.size(), 16u);
    SCOPED_TRACE(row[0]);
    EXPECT_EQ(row[5], c.dataflow);
    EXPECT_EQ(row[9], row[10]);  // RTL and model CRC
    EXPECT_EQ(row[11], "true");
    EXPECT_EQ(row[12], row[13]);  // RTL and model cycles
    EXPECT_EQ(row[14], "0.000");
    EXPECT_GE(std::stoll(row[15]), std::stoll(row[13]));  // DRAM only adds cycles
  }
  EXPECT_TRUE(fs::exists(dir / "out" / "config.yaml"));
}

INSTANTIATE_TEST_SUITE_P(Arrays, CosimSuite,
                         ::testing::Values(Case{8, "ws"}, Case{8, "os"}, Case{8, "is"},
                                           Case{16, "ws"}, Case{16, "os"}, Case{16, "is"}),
                         case_name);

INSTANTIATE_TEST_SUITE_P(Lanes, CosimSuite,
                         ::testing::Values(Case{8, "ws", 4}, Case{8, "os", 4}, Case{8, "is", 4},
                                           Case{8, "ws", 8}, Case{8, "os", 8}, Case{8, "is", 8},
                                           Case{16, "ws", 4}, Case{16, "os", 4}, Case{16, "is", 4},
                                           Case{16, "ws", 8}, Case{16, "os", 8}, Case{16, "is", 8},
                                           Case{32, "ws", 4}, Case{32, "os", 4}, Case{32, "is", 4}),
                         case_name);

TEST(Cosim, SameInputsSameBytesAndWavesOnRequest) {
  const fs::path dir = fresh_dir("determinism");
  const std::string base =
      kNibble + " cosim -q --trace " + kSuite + " --set array.rows=8 --set array.cols=8 -o ";
  ASSERT_EQ(run_command(base + (dir / "a").string()).exit_code, 0);
  const fs::path vcd = dir / "waves.vcd";
  const CommandResult r = run_command(base + (dir / "b").string() + " --vcd " + vcd.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_file((dir / "a" / "cosim.csv").string()),
            read_file((dir / "b" / "cosim.csv").string()));
  const std::string waves = read_file(vcd.string());
  EXPECT_NE(waves.find("$enddefinitions"), std::string::npos);
  EXPECT_NE(waves.find("res_valid_o"), std::string::npos);
  EXPECT_FALSE(fs::exists(vcd.string() + ".partial"));
}

// One bad input: exit code 2, one line naming the culprit (no progress line either), no output
// folder, no wave file.
void expect_rejected(const std::string& args, const std::string& needle) {
  const fs::path dir = fresh_dir("bad");
  const fs::path out = dir / "new" / "out";
  const CommandResult r = run_command(kNibble + " cosim " + args + " -o " + out.string());
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_FALSE(fs::exists(dir / "new"));
  EXPECT_TRUE(r.out.empty()) << r.out;
  for (const auto& entry :
       fs::recursive_directory_iterator(fs::temp_directory_path() / "nibble_cosim_inputs")) {
    const std::string name = entry.path().filename().string();
    const bool waves = entry.is_regular_file() &&
                       (entry.path().extension() == ".vcd" || entry.path().extension() == ".fst");
    EXPECT_TRUE(name.find("partial") == std::string::npos && !waves)
        << entry.path() << " left behind";
  }
}

TEST(Cosim, BadInputIsOneLineAndExitCodeTwo) {
  const fs::path dir = fresh_dir("inputs");
  const fs::path fp16 = dir / "fp16.trace";
  std::ofstream(fp16) << "nibble-trace 1\ngemm g1 m=4 n=4 k=4 a=int4 b=int4\n"
                         "gemm g2 m=4 n=4 k=4 a=fp16 b=fp16\n";
  expect_rejected("--trace " + fp16.string() + " --set array.rows=8 --set array.cols=8",
                  "fp16.trace:3: gemm 'g2': the RTL array multiplies 4-bit PE pairs only");
  expect_rejected("--trace " + kSuite + " --set array.rows=4 --set array.cols=4 --set pe.lanes=1",
                  "array.rows x array.cols x pe.lanes = 4x4x1: no RTL array of this size is built "
                  "in (built: " +
                      built_arrays() + ")");
  // The command that builds it: the built list (NIBBLE_RTL_ARRAYS, ';'-separated) plus this size.
  std::string cmake_list = built_arrays();
  for (size_t at = cmake_list.find(", "); at != std::string::npos; at = cmake_list.find(", ")) {
    cmake_list.replace(at, 2, ";");
  }
  expect_rejected("--trace " + kSuite + " --set array.rows=4 --set array.cols=4 --set pe.lanes=1",
                  "); to build it: cmake -DNIBBLE_RTL_ARRAYS=\"" + cmake_list +
                      ";4x4\" BUILD_FOLDER, then rebuild (docs/cosim.md, \"Built arrays\")");
  // The default PE has 4 lanes.
  expect_rejected("--trace " + kSuite + " --set array.rows=4 --set array.cols=4",
                  "4x4x4: no RTL array of this size is built in (built: " + built_arrays() +
                      "); to build it: cmake -DNIBBLE_RTL_ARRAYS=\"" + cmake_list +
                      ";4x4x4\" BUILD_FOLDER, then rebuild");
  expect_rejected("--trace " + kSuite + " --set array.rows=8 --set array.cols=8 --set pe.lanes=2",
                  "8x8x2: no RTL array of this size is built in");
  expect_rejected("--trace " + kSuite +
                      " --set array.rows=8 --set array.cols=8 "
                      "--set timing.mode=compat --set pe.lanes=1",
                  "timing.mode: realistic");
  expect_rejected("--set array.rows=8", "--trace is required");
  expect_rejected("--trace " + (dir / "missing.trace").string(), "missing.trace");
  expect_rejected("--trace " + kSuite + " --bogus", "bogus");

  const std::string small = " --set array.rows=8 --set array.cols=8";
  const fs::path loads = dir / "load.trace";
  std::ofstream(loads) << "nibble-trace 1\ngemm g m=4 n=4 k=4 a=int4 b=int4\n"
                          "load g a=absent.bin\n";
  expect_rejected("--trace " + loads.string() + small, "absent.bin");
  expect_rejected("--trace " + kSuite + small + " --vcd " + (dir / "none" / "w.vcd").string(),
                  "--vcd " + (dir / "none" / "w.vcd").string());
  const std::string w = " --waves " + (dir / "w.vcd").string();
  expect_rejected("--trace " + kSuite + small + " --waves " + (dir / "w.txt").string(),
                  "w.txt: a wave file is .vcd or .fst");
  expect_rejected("--trace " + kSuite + small + " --vcd " + (dir / "w.fst").string(),
                  "w.fst: not a .vcd file");
  expect_rejected("--trace " + kSuite + small + w + " --vcd " + (dir / "v.vcd").string(),
                  "--vcd and --waves: give one");
  expect_rejected("--trace " + kSuite + small + " --waves-to 9", "--waves-to needs --waves");
  expect_rejected("--trace " + kSuite + small + w + " --waves-from 10 --waves-to 9",
                  "--waves-to 9: before --waves-from 10");
  expect_rejected("--trace " + kSuite + small + w + " --waves-from -1",
                  "--waves-from -1: a cycle is at least 0");
  expect_rejected("--trace " + kSuite + small + w + " --waves-gemm s99",
                  "--waves-gemm s99: no GEMM of that name in");
  fs::create_directories(dir / "waves.vcd");
  expect_rejected("--trace " + kSuite + small + " --vcd " + (dir / "waves.vcd").string(),
                  "Is a directory");
  fs::create_directories(dir / "waves.fst");
  expect_rejected("--trace " + kSuite + small + " --waves " + (dir / "waves.fst").string(),
                  "--waves " + (dir / "waves.fst").string() + ": Is a directory");

  // An output path that is a file: rejected before the run, the file untouched.
  const fs::path file = dir / "taken";
  std::ofstream(file) << "keep";
  const CommandResult r =
      run_command(kNibble + " cosim --trace " + kSuite + small + " -o " + file.string());
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find("cannot write " + file.string()), std::string::npos) << r.err;
  EXPECT_EQ(read_file(file.string()), "keep");
}

// The trace's `expect crc=` holds the RTL's output: a wrong CRC is exit code 1 and one line
// naming the expect line; the right one (the model's, from a first run) passes.
TEST(Cosim, ExpectedCrcIsChecked) {
  const fs::path dir = fresh_dir("expect");
  const std::string head = "nibble-trace 1\nseed 3\ngemm g m=9 n=5 k=11 a=fp4:p0 b=int4\n";
  const fs::path wrong = dir / "wrong.trace";
  std::ofstream(wrong) << head << "expect g crc=0x00000001\n";
  const std::string base = kNibble + " cosim -q --set array.rows=8 --set array.cols=8 --trace ";
  const CommandResult bad = run_command(base + wrong.string() + " -o " + (dir / "a").string());
  EXPECT_EQ(bad.exit_code, 1) << bad.err;
  // The summary agrees with the exit code: the outputs agree, the expectation is missed.
  EXPECT_EQ(bad.out,
            "cosim: 1 GEMM: 1 of 1 bit-identical; 1 of 1 with `expect crc=` misses it; largest "
            "cycle error 0.000 %; FAILED\n");
  EXPECT_NE(bad.err.find("wrong.trace:4: gemm 'g': RTL output CRC"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("differs from the expected 0x00000001"), std::string::npos) << bad.err;
  const std::vector<std::vector<std::string>> rows = read_csv(dir / "a" / "cosim.csv");
  ASSERT_EQ(rows.size(), 2U);
  const std::string model_crc = rows[1][10];
  EXPECT_EQ(rows[1][11], "true");  // RTL and model agree; only the expectation is wrong
  const fs::path right = dir / "right.trace";
  std::ofstream(right) << head << "expect g crc=" << model_crc << "\n";
  const CommandResult good = run_command(base + right.string() + " -o " + (dir / "b").string());
  EXPECT_EQ(good.exit_code, 0) << good.err;
}

// The `#<time>` lines of a VCD file.
std::vector<int64_t> vcd_times(const std::string& vcd) {
  std::vector<int64_t> times;
  std::istringstream in(vcd);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] == '#') {
      times.push_back(std::stoll(line.substr(1)));
    }
  }
  return times;
}

// Waves: FST as well as VCD, read back by GTKWave's own FST reader (fstapi), and the cycle
// window and one-GEMM options, which keep exactly the times they name.
TEST(Cosim, WavesFstAndWindows) {
  const fs::path dir = fresh_dir("waves");
  const std::string base = kNibble + " cosim -q --trace " + kSuite +
                           " --set array.rows=8 --set array.cols=8 --set pe.lanes=1 -o ";
  const fs::path vcd = dir / "all.vcd";
  ASSERT_EQ(run_command(base + (dir / "a").string() + " --waves " + vcd.string()).exit_code, 0);
  const std::string full = read_file(vcd.string());
  const std::vector<int64_t> all = vcd_times(full);
  ASSERT_GT(all.size(), 1000U);

  // FST: the same variables, the same last time, the same number of value changes.
  for (const char* name : {"a.fst", "b.fst"}) {
    const CommandResult r =
        run_command(base + (dir / "o").string() + " --waves " + (dir / name).string());
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  EXPECT_EQ(read_file((dir / "a.fst").string()), read_file((dir / "b.fst").string()));
  for (const auto& entry : fs::directory_iterator(dir)) {  // no staging file or VCD left
    EXPECT_EQ(entry.path().filename().string().find("partial"), std::string::npos) << entry.path();
  }
  void* fst = fstReaderOpen((dir / "a.fst").string().c_str());
  ASSERT_NE(fst, nullptr);
  size_t vcd_vars = 0, vcd_changes = 0;
  {
    std::istringstream in(full);
    std::string line;
    bool body = false;
    while (std::getline(in, line)) {
      if (!body) {
        vcd_vars += line.find("$var ") != std::string::npos ? 1 : 0;
        body = line.rfind("$enddefinitions", 0) == 0;
      } else if (!line.empty() && line[0] != '#' && line[0] != '$') {
        ++vcd_changes;
      }
    }
  }
  EXPECT_EQ(fstReaderGetVarCount(fst), vcd_vars);
  EXPECT_EQ(static_cast<int64_t>(fstReaderGetEndTime(fst)), all.back());
  fstReaderSetFacProcessMaskAll(fst);
  size_t fst_changes = 0;
  fstReaderIterBlocks(
      fst,
      [](void* user, uint64_t, fstHandle, const unsigned char*) { ++*static_cast<size_t*>(user); },
      &fst_changes, nullptr);
  fstReaderClose(fst);
  // FST stores one change per signal, VCD one per identifier (aliases share one): the VCD's
  // count of changes is the FST's when every value change is kept.
  EXPECT_EQ(fst_changes, vcd_changes);
  EXPECT_LT(fs::file_size(dir / "a.fst") * 4, fs::file_size(vcd));

  // A cycle window keeps the times in [10 * from, 10 * to) (ten time units per cycle), every
  // one the full run has there.
  const fs::path window = dir / "window.vcd";
  ASSERT_EQ(run_command(base + (dir / "w").string() + " --waves " + window.string() +
                        " --waves-from 300 --waves-to 420")
                .exit_code,
            0);
  std::vector<int64_t> expect;
  std::copy_if(all.begin(), all.end(), std::back_inserter(expect),
               [](int64_t t) { return t >= 3000 && t < 4200; });
  EXPECT_EQ(vcd_times(read_file(window.string())), expect);

  // One GEMM: its times only, a contiguous run of the full file's.
  const fs::path one = dir / "one.vcd";
  ASSERT_EQ(
      run_command(base + (dir / "g").string() + " --waves " + one.string() + " --waves-gemm s05")
          .exit_code,
      0);
  const std::vector<int64_t> gemm = vcd_times(read_file(one.string()));
  ASSERT_FALSE(gemm.empty());
  const auto first = std::find(all.begin(), all.end(), gemm.front());
  ASSERT_NE(first, all.end());
  ASSERT_GE(static_cast<size_t>(all.end() - first), gemm.size());
  EXPECT_TRUE(std::equal(gemm.begin(), gemm.end(), first));
  // It begins with the GEMM's reset (time 1 of a cycle) and ends before the next one's.
  EXPECT_EQ(gemm.front() % 10, 1);
  const auto next = first + static_cast<std::ptrdiff_t>(gemm.size());
  ASSERT_NE(next, all.end());
  EXPECT_EQ(*next % 10, 1);
}

// Your own RTL, with a fault (tests/cosim/CMakeLists.txt): nibble-faulty-rtl is nibble built
// against a copy of rtl/ whose row-1 PEs get the last bit of their sum wrong whenever they MAC
// the streamed code 7. Hand derivation, 8x8 ws, one lane: A is 4 x 4 zeros but for one 7
// (int4 code 0x7), B is 4 x 4 ones, so C's row of that 7 is 7 everywhere, 0 elsewhere. In ws
// PE row i takes k = i. GEMM `fault` has the 7 at A[2][1]: row 1 MACs it, so each C[2][n]
// leaves as binary16 7 = 0x4700 with its last bit flipped, 0x4701 = 7.00390625 (the rows
// below add 7 x 0 = +0, exact): 4 of 16 elements differ, the first C[2][0], made by the only
// tile. GEMM `clean` has the 7 at A[2][2], which row 1 never sees: bit-identical.
TEST(Cosim, FaultyRtlIsReportedAtTheFirstDifferingElement) {
  const fs::path dir = fresh_dir("faulty");
  const auto bytes = [&](const std::string& name, size_t seven) {
    std::string b(16, '\0');
    if (seven < b.size()) {
      b[seven] = 7;
    }
    std::ofstream(dir / name, std::ios::binary) << b;
  };
  bytes("a_fault.bin", 2 * 4 + 1);
  bytes("a_clean.bin", 2 * 4 + 2);
  std::ofstream(dir / "b.bin", std::ios::binary) << std::string(16, '\1');
  const fs::path trace = dir / "t.trace";
  std::ofstream(trace) << "nibble-trace 1\n"
                          "gemm fault m=4 n=4 k=4 a=int4 b=int4 out=fp16\n"
                          "load fault a=a_fault.bin b=b.bin\n"
                          "gemm clean m=4 n=4 k=4 a=int4 b=int4 out=fp16\n"
                          "load clean a=a_clean.bin b=b.bin\n";
  const std::string args = " cosim -q --trace " + trace.string() +
                           " --set array.rows=8 --set array.cols=8 --set array.dataflow=ws "
                           "--set pe.lanes=1 -o ";

  // nibble's own RTL agrees with the model on both.
  const CommandResult good = run_command(kNibble + args + (dir / "good").string());
  EXPECT_EQ(good.exit_code, 0) << good.err;
  EXPECT_EQ(good.out, "cosim: 2 GEMMs: 2 of 2 bit-identical; largest cycle error 0.000 %; ok\n");

  const fs::path out = dir / "bad";
  const CommandResult bad = run_command(std::string(NIBBLE_FAULTY_BINARY) + args + out.string());
  EXPECT_EQ(bad.exit_code, 1) << bad.err;
  EXPECT_EQ(bad.out,
            "cosim: 2 GEMMs: 1 of 2 bit-identical, 1 differs (mismatch.txt); largest cycle "
            "error 0.000 %; FAILED\n");
  EXPECT_NE(bad.err.find("t.trace:2: gemm 'fault': 4 of 16 output elements differ, the first "
                         "C[2][0]"),
            std::string::npos)
      << bad.err;
  const std::string text = read_file((out / "mismatch.txt").string());
  EXPECT_NE(text.find("nibble cosim: 1 of 2 GEMMs differ"), std::string::npos) << text;
  EXPECT_NE(text.find("gemm 'fault': 4 of 16 output elements differ (fp16)\n"
                      "  first: C[2][0] (row 2, column 0)\n"
                      "    model: 0x4700 = 7.0\n"
                      "    RTL:   0x4701 = 7.00390625\n"
                      "  made by tile 0 of 1 "),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("'clean'"), std::string::npos) << text;
  const std::string json = read_file((out / "mismatch.json").string());
  EXPECT_NE(json.find("\"differing_gemms\": 1"), std::string::npos) << json;
  EXPECT_NE(json.find("\"row\": 2,\n        \"col\": 0,"), std::string::npos) << json;
  const std::vector<std::vector<std::string>> rows = read_csv(out / "cosim.csv");
  ASSERT_EQ(rows.size(), 3U);
  EXPECT_EQ(rows[1][11], "false");
  EXPECT_EQ(rows[2][11], "true");
}

}  // namespace
}  // namespace nibble::test
