// Tests of the native YAML config (model/frontend/config.h) against docs/config.md: every key
// reaches its ArchSpec field, every error names the file, the line and the key, --set overrides,
// dump_config round-trips, configs/default.yaml is ArchSpec{} and the docs table is the
// registry. ArchSpec fields are compared one by one here, not through the registry's getters.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "model/frontend/config.h"
#include "model/frontend/input_error.h"
#include "model/timing/arch_spec.h"

namespace {

using nibble::frontend::apply_override;
using nibble::frontend::config_keys;
using nibble::frontend::ConfigKey;
using nibble::frontend::dump_config;
using nibble::frontend::InputError;
using nibble::frontend::load_config_file;
using nibble::frontend::parse_config;
using nibble::timing::ArchSpec;
using nibble::timing::Dataflow;
using nibble::timing::TimingMode;

const std::string kSourceDir = NIBBLE_SOURCE_DIR;

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Writes text to a fresh file under the system temp directory; removed at destruction.
class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    static int counter = 0;
    path_ = (std::filesystem::temp_directory_path() / ("nibble_config_" + std::to_string(getpid()) +
                                                       "_" + std::to_string(counter++) + ".yaml"))
                .string();
    std::ofstream(path_) << text;
  }
  ~TempFile() { std::filesystem::remove(path_); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

ArchSpec load_text(const std::string& text) { return load_config_file(TempFile(text).path()); }

// Every ArchSpec field, by name, so that a failure says which one differs.
void expect_same(const ArchSpec& a, const ArchSpec& b) {
  EXPECT_EQ(a.array.rows, b.array.rows);
  EXPECT_EQ(a.array.cols, b.array.cols);
  EXPECT_EQ(a.array.dataflow, b.array.dataflow);
  EXPECT_EQ(a.pe.fp8_macs_per_cycle, b.pe.fp8_macs_per_cycle);
  EXPECT_EQ(a.pe.fp16_macs_per_cycle, b.pe.fp16_macs_per_cycle);
  EXPECT_EQ(a.sram.ifmap_kib, b.sram.ifmap_kib);
  EXPECT_EQ(a.sram.filter_kib, b.sram.filter_kib);
  EXPECT_EQ(a.sram.ofmap_kib, b.sram.ofmap_kib);
  EXPECT_EQ(a.sram.banks, b.sram.banks);
  EXPECT_EQ(a.sram.double_buffered, b.sram.double_buffered);
  EXPECT_EQ(a.dram.bandwidth_bytes_per_cycle, b.dram.bandwidth_bytes_per_cycle);
  EXPECT_EQ(a.dram.latency_cycles, b.dram.latency_cycles);
  EXPECT_EQ(a.mode, b.mode);
  EXPECT_EQ(a.tiling.mode, b.tiling.mode);
  EXPECT_EQ(a.tiling.action_pj, b.tiling.action_pj);
  EXPECT_EQ(a.baseline.fp16_dot_lanes, b.baseline.fp16_dot_lanes);
  EXPECT_EQ(a.clock_ghz, b.clock_ghz);
  EXPECT_EQ(a.scalesim.run_name, b.scalesim.run_name);
  EXPECT_EQ(a.scalesim.ifmap_offset, b.scalesim.ifmap_offset);
  EXPECT_EQ(a.scalesim.filter_offset, b.scalesim.filter_offset);
  EXPECT_EQ(a.scalesim.ofmap_offset, b.scalesim.ofmap_offset);
  EXPECT_EQ(a.scalesim.bandwidth_words, b.scalesim.bandwidth_words);
  EXPECT_EQ(a.scalesim.interface_bandwidth_calc, b.scalesim.interface_bandwidth_calc);
  EXPECT_EQ(a.scalesim.word_bytes, b.scalesim.word_bytes);
}

// The error load_text(text) throws; a test failure if it throws none.
InputError load_error(const std::string& text, std::string* path = nullptr) {
  const TempFile file(text);
  if (path != nullptr) {
    *path = file.path();
  }
  try {
    load_config_file(file.path());
  } catch (const InputError& e) {
    return e;
  }
  ADD_FAILURE() << "no error for:\n" << text;
  return InputError("", 0, "");
}

InputError set_error(const std::string& assignment) {
  ArchSpec spec;
  try {
    apply_override(spec, assignment);
  } catch (const InputError& e) {
    return e;
  }
  ADD_FAILURE() << "no error for --set " << assignment;
  return InputError("", 0, "");
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

TEST(ConfigRegistry, DeclaresEachNativeKeyOnceInCanonicalOrder) {
  const std::vector<std::string> expected = {"array.rows",
                                             "array.cols",
                                             "array.dataflow",
                                             "pe.lanes",
                                             "pe.fp8_macs_per_cycle",
                                             "pe.fp16_macs_per_cycle",
                                             "sram.ifmap_kib",
                                             "sram.filter_kib",
                                             "sram.ofmap_kib",
                                             "sram.banks",
                                             "sram.double_buffered",
                                             "dram.bandwidth_bytes_per_cycle",
                                             "dram.latency_cycles",
                                             "timing.mode",
                                             "timing.tiling",
                                             "baseline.fp16_dot_lanes",
                                             "clock_ghz"};
  std::vector<std::string> names;
  for (const ConfigKey& k : config_keys()) {
    names.push_back(k.name);
    EXPECT_FALSE(k.description.empty()) << k.name;
    EXPECT_EQ(k.default_text(), k.format(ArchSpec{})) << k.name;
  }
  EXPECT_EQ(names, expected);
}

TEST(ConfigRegistry, DescribesTypesAndRanges) {
  std::set<std::string> seen;
  for (const ConfigKey& k : config_keys()) {
    seen.insert(k.name + " | " + k.type_name() + " | " + k.unit + " | " + k.allowed());
  }
  for (const char* row :
       {"array.rows | integer | PEs | [1, 65536]", "array.dataflow | enum |  | os, ws, is",
        "pe.lanes | integer | lanes | [1, 64]",
        "pe.fp8_macs_per_cycle | number | MACs/cycle | (0, 1]",
        "sram.double_buffered | boolean |  | true, false",
        "dram.bandwidth_bytes_per_cycle | number | bytes/cycle | > 0",
        "dram.latency_cycles | integer | cycles | [0, 1000000000]",
        "timing.mode | enum |  | compat, realistic", "clock_ghz | number | GHz | > 0"}) {
    EXPECT_EQ(seen.count(row), 1U) << row;
  }
}

TEST(ConfigNames, DataflowAndTimingModeRoundTrip) {
  for (Dataflow d : {Dataflow::kOs, Dataflow::kWs, Dataflow::kIs}) {
    EXPECT_EQ(nibble::timing::parse_dataflow(nibble::timing::dataflow_name(d)), d);
  }
  for (TimingMode m : {TimingMode::kCompat, TimingMode::kRealistic}) {
    EXPECT_EQ(nibble::timing::parse_timing_mode(nibble::timing::timing_mode_name(m)), m);
  }
  EXPECT_EQ(std::string(nibble::timing::dataflow_name(Dataflow::kOs)), "os");
  EXPECT_EQ(std::string(nibble::timing::timing_mode_name(TimingMode::kCompat)), "compat");
  EXPECT_FALSE(nibble::timing::parse_dataflow("OS"));
  EXPECT_FALSE(nibble::timing::parse_timing_mode(""));
}

// One non-default value per key, and the one field it must reach.
struct KeyCase {
  const char* yaml;
  const char* assignment;
  std::function<void(ArchSpec&)> expect;
};

const std::vector<KeyCase>& key_cases() {
  static const std::vector<KeyCase> cases = {
      {"array:\n  rows: 7\n", "array.rows=7", [](ArchSpec& s) { s.array.rows = 7; }},
      {"array:\n  cols: 65536\n", "array.cols=65536", [](ArchSpec& s) { s.array.cols = 65536; }},
      {"array:\n  dataflow: os\n", "array.dataflow=os",
       [](ArchSpec& s) { s.array.dataflow = Dataflow::kOs; }},
      {"array:\n  dataflow: 'is'\n", "array.dataflow=\"is\"",
       [](ArchSpec& s) { s.array.dataflow = Dataflow::kIs; }},
      {"pe:\n  lanes: 16\n", "pe.lanes=16", [](ArchSpec& s) { s.pe.lanes = 16; }},
      {"pe:\n  fp8_macs_per_cycle: 1\n", "pe.fp8_macs_per_cycle=1",
       [](ArchSpec& s) { s.pe.fp8_macs_per_cycle = 1.0; }},
      {"pe:\n  fp16_macs_per_cycle: 0.125\n", "pe.fp16_macs_per_cycle=0.125",
       [](ArchSpec& s) { s.pe.fp16_macs_per_cycle = 0.125; }},
      {"sram:\n  ifmap_kib: 1\n", "sram.ifmap_kib=1", [](ArchSpec& s) { s.sram.ifmap_kib = 1; }},
      {"sram:\n  filter_kib: 256\n", "sram.filter_kib=256",
       [](ArchSpec& s) { s.sram.filter_kib = 256; }},
      {"sram:\n  ofmap_kib: 1073741824\n", "sram.ofmap_kib=1073741824",
       [](ArchSpec& s) { s.sram.ofmap_kib = int64_t{1} << 30; }},
      {"sram:\n  banks: 4\n", "sram.banks=4", [](ArchSpec& s) { s.sram.banks = 4; }},
      {"sram:\n  double_buffered: false\n", "sram.double_buffered=false",
       [](ArchSpec& s) { s.sram.double_buffered = false; }},
      {"dram:\n  bandwidth_bytes_per_cycle: 12.8e1\n", "dram.bandwidth_bytes_per_cycle=128",
       [](ArchSpec& s) { s.dram.bandwidth_bytes_per_cycle = 128.0; }},
      {"dram:\n  latency_cycles: 0\n", "dram.latency_cycles=0",
       [](ArchSpec& s) { s.dram.latency_cycles = 0; }},
      {"timing:\n  mode: compat\n", "timing.mode=compat",
       [](ArchSpec& s) { s.mode = TimingMode::kCompat; }},
      {"timing:\n  tiling: greedy\n", "timing.tiling=greedy",
       [](ArchSpec& s) { s.tiling.mode = nibble::timing::Tiling::kGreedy; }},
      {"baseline:\n  fp16_dot_lanes: 16\n", "baseline.fp16_dot_lanes=16",
       [](ArchSpec& s) { s.baseline.fp16_dot_lanes = 16; }},
      {"clock_ghz: 1.5\n", "clock_ghz=1.5", [](ArchSpec& s) { s.clock_ghz = 1.5; }},
  };
  return cases;
}

TEST(ConfigFile, EveryKeyReachesItsField) {
  std::set<std::string> covered;
  for (const KeyCase& c : key_cases()) {
    SCOPED_TRACE(c.yaml);
    ArchSpec expected;
    c.expect(expected);
    expect_same(load_text(c.yaml), expected);
    covered.insert(std::string(c.assignment).substr(0, std::string(c.assignment).find('=')));
  }
  EXPECT_EQ(covered.size(), config_keys().size());
}

TEST(ConfigFile, EveryKeyInOneFile) {
  const ArchSpec s = load_text(
      "# a comment\n"
      "array: {rows: 16, cols: 8, dataflow: is}\n"
      "pe:\n  fp8_macs_per_cycle: .75\n  fp16_macs_per_cycle: 2.5e-1\n"
      "sram:\n  ifmap_kib: 32\n  filter_kib: 16\n  ofmap_kib: 8\n  banks: 2\n"
      "  double_buffered: false   # trailing comment\n"
      "dram:\n  bandwidth_bytes_per_cycle: 64\n  latency_cycles: 250\n"
      "timing:\n  mode: compat\n"
      "clock_ghz: 0.8\n");
  ArchSpec e;
  e.array = {16, 8, Dataflow::kIs};
  e.pe = {1, 0.75, 0.25};
  e.sram = {32, 16, 8, 2, false};
  e.dram = {64.0, 250};
  e.mode = TimingMode::kCompat;
  e.clock_ghz = 0.8;
  expect_same(s, e);
}

TEST(ConfigFile, EmptyFilesAndSectionsKeepDefaults) {
  for (const char* text : {"", "\n\n", "# only a comment\n", "~\n", "array:\n",
                           "array:\n  # rows: 4\npe: {}\n", "---\n", "---\n...\n---\n# end\n"}) {
    SCOPED_TRACE(text);
    expect_same(load_text(text), ArchSpec{});
  }
  ArchSpec e;
  e.array.cols = 3;
  expect_same(load_text("array:\n  cols: 3\n"), e);  // rows and dataflow keep their defaults
}

struct ErrorCase {
  const char* yaml;
  int line;
  std::vector<const char*> parts;  // each must appear in the message
};

TEST(ConfigFile, ErrorsNameFileLineAndKey) {
  const std::string deep =
      "array:\n  rows: " + std::string(600, '[') + std::string(600, ']') + "\n";
  const std::vector<ErrorCase> cases = {
      {"array:\n  rows: 32\n  rowz: 4\n",
       3,
       {"unknown key 'array.rowz'", "did you mean 'rows'?",
        "valid keys of 'array': rows, cols, "
        "dataflow"}},
      {"clock_ghz: 1\nfoo: 2\n",
       2,
       {"unknown top-level key 'foo'", "array, pe, sram, dram, timing, baseline, clock_ghz"}},
      {"array.rows: 4\n", 1, {"'array.rows'", "write 'rows' under 'array:'"}},
      {"rows: 4\n", 1, {"'rows'", "belongs under 'array:'"}},
      {"sram:\n  rows: 4\n", 2, {"'sram.rows'", "belongs under 'array:'", "banks"}},
      {"clockghz: 2\n", 1, {"did you mean 'clock_ghz'?"}},
      {"array:\n  rows: abc\n", 2, {"array.rows: expected a positive integer, got 'abc'"}},
      {"array:\n  rows: 3.5\n", 2, {"array.rows: expected a positive integer, got '3.5'"}},
      {"array:\n  rows: 1e3\n", 2, {"array.rows: expected a positive integer, got '1e3'"}},
      {"array:\n  rows: 010\n", 2, {"array.rows: expected a positive integer, got '010'"}},
      {"array:\n  rows: \"32\"\n", 2, {"array.rows", "got the string '32'"}},
      {"array:\n  rows: !!int 32\n", 2, {"array.rows", "tag"}},
      {"array:\n  rows:\n  cols: 4\n",
       2,
       {"array.rows: expected a positive integer, got no value"}},
      {"array:\n  rows: [1, 2]\n", 2, {"array.rows", "got a sequence"}},
      {"array:\n  rows: 0\n", 2, {"array.rows: 0 is out of range; allowed: [1, 65536]"}},
      {"array:\n  cols: 65537\n", 2, {"array.cols: 65537 is out of range"}},
      {"array:\n  rows: -4\n", 2, {"array.rows: -4 is out of range"}},
      {"array:\n  rows: 99999999999999999999\n", 2, {"array.rows: 99999999999999999999 is out"}},
      {"array:\n  dataflow: xs\n", 2, {"array.dataflow: expected one of os, ws, is, got 'xs'"}},
      {"array:\n  dataflow: OS\n", 2, {"array.dataflow"}},
      {"pe:\n  fp8_macs_per_cycle: 0\n",
       2,
       {"pe.fp8_macs_per_cycle: 0 is out of range; allowed: "
        "(0, 1]"}},
      {"pe:\n  fp16_macs_per_cycle: 1.0000001\n", 2, {"pe.fp16_macs_per_cycle", "out of range"}},
      {"pe:\n  fp8_macs_per_cycle: .nan\n", 2, {"pe.fp8_macs_per_cycle: expected a number in"}},
      {"pe:\n  fp8_macs_per_cycle: half\n", 2, {"pe.fp8_macs_per_cycle", "'half'"}},
      {"sram:\n  ifmap_kib: 0\n", 2, {"sram.ifmap_kib: 0 is out of range"}},
      {"sram:\n  filter_kib: 64.0\n", 2, {"sram.filter_kib: expected a positive integer"}},
      {"sram:\n  ofmap_kib: 1073741825\n", 2, {"sram.ofmap_kib", "out of range"}},
      {"sram:\n  banks: 0\n", 2, {"sram.banks: 0 is out of range"}},
      {"sram:\n  double_buffered: yes\n", 2, {"sram.double_buffered: expected true or false"}},
      {"sram:\n  double_buffered: True\n", 2, {"sram.double_buffered", "'True'"}},
      {"dram:\n  bandwidth_bytes_per_cycle: 0\n", 2, {"dram.bandwidth_bytes_per_cycle: 0 is out"}},
      {"dram:\n  bandwidth_bytes_per_cycle: .inf\n",
       2,
       {"dram.bandwidth_bytes_per_cycle: expected "
        "a positive number, got '.inf'"}},
      {"dram:\n  bandwidth_bytes_per_cycle: 1e999\n",
       2,
       {"dram.bandwidth_bytes_per_cycle", "out of range"}},
      {"dram:\n  latency_cycles: -1\n", 2, {"dram.latency_cycles: -1 is out of range"}},
      {"timing:\n  mode: fast\n", 2, {"timing.mode: expected one of compat, realistic"}},
      {"clock_ghz: 0\n", 1, {"clock_ghz: 0 is out of range; allowed: > 0"}},
      {"clock_ghz: -1.5\n", 1, {"clock_ghz"}},
      {"clock_ghz:\n  ghz: 1\n", 1, {"clock_ghz", "got a mapping"}},
      {"array:\n  rows: 4\n  cols: 4\n  rows: 8\n", 4, {"duplicate key 'rows' (first on line 2)"}},
      {"array:\n  rows: 4\npe:\n  fp8_macs_per_cycle: 0.5\narray:\n  cols: 4\n",
       5,
       {"duplicate key 'array' (first on line 1)"}},
      {"array: {rows: 4, rows: 5}\n", 1, {"duplicate key 'rows'"}},
      {"array: 5\n", 1, {"section 'array' must be a mapping of rows, cols, dataflow, got '5'"}},
      {"- 1\n- 2\n", 1, {"top level must be a mapping", "got a sequence"}},
      {"\n\nhello\n", 3, {"top level must be a mapping", "got 'hello'"}},
      {"array:\n  rows: 4\n cols: 4\n", 3, {"YAML syntax error"}},
      {"array:\n  rows: [1\n", 3, {"YAML syntax error"}},
      {"clock_ghz: 1\n---\nclock_ghz: 2\n", 3, {"second YAML document"}},
      {"# header\n\narray:\n  # rows next\n  cols: nope\n", 5, {"array.cols", "'nope'"}},
      {"? [a, b]\n: 1\n", 1, {"a key must be a name"}},
      {"clock_ghz: 1\n---\n---\narray: {}\n", 4, {"second YAML document"}},
      {"array:\n  rows: |\n    a\n    b\n", 2, {"array.rows", "'a\\nb\\n'"}},
      {"array:\n  dataflow: \"w\\ts\"\n", 2, {"array.dataflow", "'w\\x09s'"}},
      // Nested deeper than yaml-cpp reads: its own message would be "bad file".
      {deep.c_str(), 2, {"YAML nested too deeply (yaml-cpp stops at depth"}},
      // A ',' outside a flow collection: yaml-cpp 0.7's LoadAll looped, adding empty documents
      // until memory ran out (found by tests/fuzz/fuzz_config).
      {",", 1, {"YAML syntax error: unexpected ','"}},
      {",a", 1, {"YAML syntax error: unexpected ','"}},
      {"clock_ghz: 1\n...\n,\n", 3, {"YAML syntax error: unexpected ','"}},
  };
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(c.yaml);
    std::string path;
    const InputError e = load_error(c.yaml, &path);
    EXPECT_EQ(e.file(), path);
    EXPECT_EQ(e.line(), c.line) << e.what();
    const std::string what = e.what();
    EXPECT_EQ(what.rfind(path + ":" + std::to_string(c.line) + ": ", 0), 0U) << what;
    for (const char* part : c.parts) {
      EXPECT_TRUE(contains(what, part)) << "'" << part << "' not in: " << what;
    }
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
}

TEST(ConfigFile, MissingFileIsLineZero) {
  const std::string path = kSourceDir + "/configs/no_such_config.yaml";
  try {
    load_config_file(path);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), path);
    EXPECT_EQ(e.line(), 0);
    EXPECT_EQ(std::string(e.what()).rfind(path + ": cannot open", 0), 0U) << e.what();
  }
}

TEST(ConfigFile, DirectoryIsAnError) {
  const std::string path = kSourceDir + "/configs";
  try {
    load_config_file(path);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), path);
    EXPECT_EQ(e.line(), 0);
    EXPECT_TRUE(contains(e.what(), "directory")) << e.what();
  }
}

TEST(ConfigOverride, EveryKeyCanBeSet) {
  for (const KeyCase& c : key_cases()) {
    SCOPED_TRACE(c.assignment);
    ArchSpec expected;
    c.expect(expected);
    ArchSpec spec;
    apply_override(spec, c.assignment);
    expect_same(spec, expected);
  }
}

TEST(ConfigOverride, AppliesInOrderOverAFile) {
  ArchSpec spec = load_text("array:\n  rows: 16\n  cols: 16\n");
  apply_override(spec, "array.rows=64");
  apply_override(spec, " array.rows = 128 ");
  apply_override(spec, "timing.mode=compat  # a YAML comment");
  ArchSpec e;
  e.array.rows = 128;
  e.array.cols = 16;
  e.mode = TimingMode::kCompat;
  expect_same(spec, e);
}

TEST(ConfigOverride, ErrorsNameTheKey) {
  const std::vector<std::pair<const char*, std::vector<const char*>>> cases = {
      {"array.rows=0", {"array.rows: 0 is out of range; allowed: [1, 65536]"}},
      {"array.rows=abc", {"array.rows: expected a positive integer, got 'abc'"}},
      {"array.rows=1.5", {"array.rows: expected a positive integer, got '1.5'"}},
      {"array.rows=", {"array.rows: expected a positive integer, got no value"}},
      {"array.rows=a: b", {"array.rows", "got a mapping"}},
      {"array.rows=[1", {"array.rows: cannot read '[1' as a YAML scalar"}},
      {"sram.double_buffered=1", {"sram.double_buffered: expected true or false, got '1'"}},
      {"array.dataflow=rs", {"array.dataflow: expected one of os, ws, is, got 'rs'"}},
      {"clock_ghz=0", {"clock_ghz: 0 is out of range"}},
      {"array.rowz=4",
       {"unknown key 'array.rowz'", "did you mean 'array.rows'?",
        "valid keys: array.rows, array.cols"}},
      {"rows=4", {"unknown key 'rows' (did you mean 'array.rows'?)", "clock_ghz"}},
      {"array=4", {"unknown key 'array'"}},
      {"scalesim.run_name=x", {"unknown key 'scalesim.run_name'"}},
      {"array.rows", {"expected KEY=VALUE, got 'array.rows'"}},
      {"=4", {"expected KEY=VALUE"}},
  };
  for (const auto& [assignment, parts] : cases) {
    SCOPED_TRACE(assignment);
    const InputError e = set_error(assignment);
    EXPECT_EQ(e.file(), "--set");
    EXPECT_EQ(e.line(), 0);
    const std::string what = e.what();
    EXPECT_EQ(what.rfind("--set: ", 0), 0U) << what;
    for (const char* part : parts) {
      EXPECT_TRUE(contains(what, part)) << "'" << part << "' not in: " << what;
    }
  }
}

TEST(ConfigOverride, FailedOverrideLeavesSpecUnchanged) {
  ArchSpec spec;
  EXPECT_THROW(apply_override(spec, "array.rows=0"), InputError);
  expect_same(spec, ArchSpec{});
}

ArchSpec random_spec(std::mt19937_64& rng) {
  auto uniform_int = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  // Random bits of a double in (0, 1]: every mantissa pattern, many exponents.
  auto rate = [&] {
    double v = 0.0;
    while (v <= 0.0) {
      v = std::ldexp(std::uniform_real_distribution<double>(0.5, 1.0)(rng),
                     int(uniform_int(-60, 0)));
    }
    return std::min(v, 1.0);
  };
  auto positive = [&] {
    return std::ldexp(std::uniform_real_distribution<double>(0.5, 1.0)(rng),
                      int(uniform_int(-1000, 1000)));
  };
  ArchSpec s;
  s.array.rows = uniform_int(1, 65536);
  s.array.cols = uniform_int(1, 65536);
  s.array.dataflow = Dataflow(uniform_int(0, 2));
  s.pe.fp8_macs_per_cycle = rate();
  s.pe.fp16_macs_per_cycle = rate();
  s.sram.ifmap_kib = uniform_int(1, int64_t{1} << 30);
  s.sram.filter_kib = uniform_int(1, 4096);
  s.sram.ofmap_kib = uniform_int(1, 64);
  s.sram.banks = uniform_int(1, 65536);
  s.sram.double_buffered = uniform_int(0, 1) == 1;
  s.dram.bandwidth_bytes_per_cycle = positive();
  s.dram.latency_cycles = uniform_int(0, 1000000000);
  s.mode = TimingMode(uniform_int(0, 1));
  s.clock_ghz = positive();
  return s;
}

TEST(ConfigDump, RoundTripsRandomSpecs) {
  std::mt19937_64 rng(20240604);
  for (int i = 0; i < 2000; ++i) {
    const ArchSpec s = random_spec(rng);
    const std::string text = dump_config(s);
    SCOPED_TRACE(text);
    expect_same(parse_config(text, "dump"), s);
    EXPECT_EQ(dump_config(parse_config(text, "dump")), text);
    if (i < 20) {
      expect_same(load_text(text), s);  // also through a file
    }
  }
}

TEST(ConfigDump, RoundTripsExtremeDoubles) {
  ArchSpec s;
  s.dram.bandwidth_bytes_per_cycle = std::numeric_limits<double>::denorm_min();
  s.clock_ghz = std::numeric_limits<double>::max();
  s.pe.fp8_macs_per_cycle = std::nextafter(1.0, 0.0);
  s.pe.fp16_macs_per_cycle = 0.1;
  expect_same(parse_config(dump_config(s), "dump"), s);
}

TEST(ConfigDump, EveryKeyHasACommentLine) {
  std::istringstream in(dump_config(ArchSpec{}));
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  for (const ConfigKey& k : config_keys()) {
    const std::string indent = k.section().empty() ? "" : "  ";
    const std::string key_line = indent + k.leaf() + ": " + k.default_text();
    size_t i = 0;
    while (i < lines.size() && lines[i] != key_line) {
      ++i;
    }
    ASSERT_LT(i, lines.size()) << key_line;
    ASSERT_GT(i, 0U);
    EXPECT_EQ(lines[i - 1].rfind(indent + "# " + k.description, 0), 0U) << lines[i - 1];
    EXPECT_TRUE(contains(lines[i - 1], k.allowed())) << lines[i - 1];
    EXPECT_TRUE(contains(lines[i - 1], k.unit)) << lines[i - 1];
  }
  EXPECT_EQ(dump_config(ArchSpec{}), dump_config(ArchSpec{}));
}

TEST(ConfigShipped, DefaultYamlIsArchSpecDefaults) {
  const std::string path = kSourceDir + "/configs/default.yaml";
  expect_same(load_config_file(path), ArchSpec{});
  // Every key spelled out, with the comments dump_config writes.
  EXPECT_EQ(read_text(path), dump_config(ArchSpec{}))
      << "regenerate with: build/nibble config > configs/default.yaml";
}

// The rows of the table under "## Keys" in docs/config.md, cells trimmed, backticks removed.
std::vector<std::vector<std::string>> doc_key_rows() {
  const std::string text = read_text(kSourceDir + "/docs/config.md");
  const size_t start = text.find("\n## Keys");
  EXPECT_NE(start, std::string::npos) << "docs/config.md has no '## Keys' section";
  std::istringstream in(text.substr(start == std::string::npos ? 0 : start));
  std::vector<std::vector<std::string>> rows;
  bool in_table = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("| `", 0) == 0) {
      in_table = true;
      std::vector<std::string> cells;
      std::istringstream cs(line.substr(1));
      for (std::string cell; std::getline(cs, cell, '|');) {
        std::string clean;
        for (char ch : cell) {
          if (ch != '`') {
            clean += ch;
          }
        }
        const size_t b = clean.find_first_not_of(' ');
        const size_t e = clean.find_last_not_of(' ');
        cells.push_back(b == std::string::npos ? "" : clean.substr(b, e - b + 1));
      }
      rows.push_back(cells);
    } else if (in_table && line.rfind('|', 0) != 0) {
      break;
    }
  }
  return rows;
}

TEST(ConfigDocs, KeyTableIsTheRegistry) {
  const auto rows = doc_key_rows();
  ASSERT_EQ(rows.size(), config_keys().size());
  for (size_t i = 0; i < rows.size(); ++i) {
    const ConfigKey& k = config_keys()[i];
    SCOPED_TRACE(k.name);
    ASSERT_EQ(rows[i].size(), 6U) << "columns: key | type | unit | default | allowed | meaning";
    EXPECT_EQ(rows[i][0], k.name);
    EXPECT_EQ(rows[i][1], k.type_name());
    EXPECT_EQ(rows[i][2], k.unit.empty() ? "-" : k.unit);
    EXPECT_EQ(rows[i][3], k.default_text());
    EXPECT_EQ(rows[i][4], k.allowed());
    EXPECT_FALSE(rows[i][5].empty());
  }
}

}  // namespace
