// `nibble run` end to end, as a user runs it: the three output files, report.json against
// layers.csv and against the trace (read here by a small parser of the test's own), totals
// against the per-GEMM values, reproducibility from config.yaml, determinism, --set, --quiet,
// and errors (one stderr line, exit code 2, no output folder and no hidden staging folder).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/run_command.h"

namespace {

namespace fs = std::filesystem;
using nibble::test::read_file;
using nibble::test::run_command;
using Json = nlohmann::ordered_json;

const std::string kNibble = NIBBLE_BINARY;
const std::string kExample = std::string(NIBBLE_SOURCE_DIR) + "/traces/example.trace";

size_t lines(const std::string& s) { return size_t(std::count(s.begin(), s.end(), '\n')); }

// A fresh folder under /tmp, removed with everything in it at the end of the test.
class RunCli : public ::testing::Test {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/nibble_run_cli_XXXXXX";
    ASSERT_NE(mkdtemp(templ), nullptr);
    tmp_ = templ;
  }
  void TearDown() override { fs::remove_all(tmp_); }

  // Each bad input: exit code 2, one stderr line holding `expect`, nothing on stdout, and neither
  // the output folder nor any hidden staging folder beside it afterwards.
  void expect_clean_failure(const std::string& args, const std::string& expect,
                            const std::set<std::string>& before) {
    SCOPED_TRACE(args);
    const auto r = run_command(kNibble + " run " + args + " -o " + path("out/deeper"));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(lines(r.err), 1U) << r.err;
    EXPECT_NE(r.err.find(expect), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_FALSE(fs::exists(path("out")));
    EXPECT_EQ(listing(), before);
  }

  std::string path(const std::string& name) const { return (tmp_ / name).string(); }

  std::string write(const std::string& name, const std::string& text) const {
    const fs::path p = tmp_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }

  // The names in the temporary folder, hidden ones included.
  std::set<std::string> listing() const {
    std::set<std::string> names;
    for (const auto& e : fs::directory_iterator(tmp_)) {
      names.insert(e.path().filename().string());
    }
    return names;
  }

  fs::path tmp_;
};

// --- The trace, read independently of model/frontend ------------------------------------------

struct TraceGemm {
  std::string name, pass = "-", a, b, out = "fp16";
  int64_t m = 0, n = 0, k = 0, repeat = 1;
};

// docs/trace-format.md: '#' starts a comment, fields are key=value separated by blanks in any
// order; "fp4" alone is "fp4:p0"; out defaults to fp16, pass to "-", repeat to 1.
std::vector<TraceGemm> read_trace_gemms(const std::string& file) {
  std::vector<TraceGemm> gemms;
  std::istringstream in(read_file(file));
  std::string line;
  auto canonical = [](const std::string& f) { return f == "fp4" ? std::string("fp4:p0") : f; };
  while (std::getline(in, line)) {
    line = line.substr(0, line.find('#'));
    std::istringstream words(line);
    std::string word;
    if (!(words >> word) || word != "gemm") {
      continue;
    }
    TraceGemm g;
    words >> g.name;
    while (words >> word) {
      const size_t eq = word.find('=');
      const std::string key = word.substr(0, eq);
      const std::string value = word.substr(eq + 1);
      std::map<std::string, int64_t*> counts = {
          {"m", &g.m}, {"n", &g.n}, {"k", &g.k}, {"repeat", &g.repeat}};
      std::map<std::string, std::string*> formats = {{"a", &g.a}, {"b", &g.b}, {"out", &g.out}};
      if (counts.count(key) != 0) {
        *counts[key] = std::stoll(value);
      } else if (formats.count(key) != 0) {
        *formats[key] = canonical(value);
      } else if (key == "pass") {
        g.pass = value;
      }
    }
    gemms.push_back(g);
  }
  return gemms;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(s);
  while (std::getline(in, part, sep)) {
    parts.push_back(part);
  }
  if (!s.empty() && s.back() == sep) {
    parts.emplace_back();
  }
  return parts;
}

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// The machine the checks need to know: array, PE rates, clock.
struct Machine {
  int64_t rows = 32, cols = 32;
  std::string dataflow = "ws";
  double fp8_rate = 0.5, fp16_rate = 0.25, clock_ghz = 1.0;
  bool compat = false;
};

double rate_of(const TraceGemm& g, const Machine& mc) {
  if (mc.compat) {
    return 1.0;
  }
  if (g.a == "fp16" || g.b == "fp16") {
    return mc.fp16_rate;
  }
  if (g.a.rfind("fp8", 0) == 0 || g.b.rfind("fp8", 0) == 0) {
    return mc.fp8_rate;
  }
  return 1.0;
}

// SCALE-Sim's Total Cycles F * P - 1 (docs/timing.md, compat mode) and its fold count F.
int64_t compat_cycles(const TraceGemm& g, const Machine& mc, int64_t* folds) {
  const int64_t r = mc.rows, c = mc.cols;
  int64_t f = 0, p = 0;
  if (mc.dataflow == "os") {
    f = ceil_div(g.m, r) * ceil_div(g.n, c), p = g.k + r + c - 2;
  } else if (mc.dataflow == "ws") {
    f = ceil_div(g.k, r) * ceil_div(g.n, c), p = 2 * r + c + g.m - 2;
  } else {
    f = ceil_div(g.k, r) * ceil_div(g.m, c), p = 2 * r + c + g.n - 2;
  }
  *folds = f;
  return f * p - 1;
}

const std::vector<std::string> kColumns = {"name",
                                           "pass",
                                           "m",
                                           "n",
                                           "k",
                                           "a",
                                           "b",
                                           "out",
                                           "repeat",
                                           "macs",
                                           "cycles",
                                           "compute_cycles",
                                           "stall_cycles",
                                           "utilization",
                                           "bound",
                                           "dram_read_bytes",
                                           "dram_write_bytes",
                                           "tiles"};
const std::vector<std::string> kTopKeys = {"nibble_version", "trace",  "workload",
                                           "timing_mode",    "array",  "clock_ghz",
                                           "totals",         "passes", "gemms"};
const std::vector<std::string> kTotalKeys = {
    "gemms",        "macs",        "cycles",          "seconds",          "compute_cycles",
    "stall_cycles", "utilization", "dram_read_bytes", "dram_write_bytes", "memory_bound_gemms"};

std::vector<std::string> keys_of(const Json& j) {
  std::vector<std::string> keys;
  for (const auto& item : j.items()) {
    keys.push_back(item.key());
  }
  return keys;
}

// Checks one output folder of `nibble run` against the trace it was made from.
void check_run_folder(const std::string& dir, const std::string& trace, const Machine& mc) {
  SCOPED_TRACE(dir);
  for (const char* f : {"report.json", "layers.csv", "config.yaml"}) {
    ASSERT_TRUE(fs::is_regular_file(fs::path(dir) / f)) << f;
  }
  const Json j = Json::parse(read_file(dir + "/report.json"));
  EXPECT_EQ(keys_of(j), kTopKeys);
  EXPECT_EQ(j.at("trace"), trace);
  EXPECT_EQ(j.at("timing_mode"), mc.compat ? "compat" : "realistic");
  EXPECT_EQ(j.at("array").at("rows"), mc.rows);
  EXPECT_EQ(j.at("array").at("cols"), mc.cols);
  EXPECT_EQ(j.at("array").at("dataflow"), mc.dataflow);
  EXPECT_DOUBLE_EQ(j.at("clock_ghz").get<double>(), mc.clock_ghz);

  // Per GEMM: the trace's GEMMs in trace order.
  const std::vector<TraceGemm> want = read_trace_gemms(trace);
  const Json& gemms = j.at("gemms");
  ASSERT_EQ(gemms.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    const TraceGemm& t = want[i];
    const Json& g = gemms[i];
    SCOPED_TRACE(t.name);
    EXPECT_EQ(keys_of(g), kColumns);
    EXPECT_EQ(g.at("name"), t.name);
    EXPECT_EQ(g.at("pass"), t.pass);
    EXPECT_EQ(g.at("m"), t.m);
    EXPECT_EQ(g.at("n"), t.n);
    EXPECT_EQ(g.at("k"), t.k);
    EXPECT_EQ(g.at("a"), t.a);
    EXPECT_EQ(g.at("b"), t.b);
    EXPECT_EQ(g.at("out"), t.out);
    EXPECT_EQ(g.at("repeat"), t.repeat);
    EXPECT_EQ(g.at("macs"), t.m * t.n * t.k * t.repeat);
    const auto cycles = g.at("cycles").get<int64_t>();
    EXPECT_EQ(g.at("stall_cycles"), cycles - g.at("compute_cycles").get<int64_t>());
    EXPECT_DOUBLE_EQ(g.at("utilization").get<double>(),
                     static_cast<double>(t.m * t.n * t.k * t.repeat) /
                         (static_cast<double>(cycles * mc.rows * mc.cols) * rate_of(t, mc)));
    EXPECT_TRUE(g.at("bound") == "compute" || g.at("bound") == "memory");
    if (mc.compat) {
      int64_t folds = 0;
      EXPECT_EQ(cycles, compat_cycles(t, mc, &folds) * t.repeat);
      EXPECT_EQ(g.at("tiles"), folds);
      EXPECT_EQ(g.at("bound"), "compute");
      EXPECT_EQ(g.at("dram_read_bytes"), 0);
      EXPECT_EQ(g.at("dram_write_bytes"), 0);
    } else {
      EXPECT_GT(g.at("dram_read_bytes").get<int64_t>(), 0);
      EXPECT_GT(g.at("dram_write_bytes").get<int64_t>(), 0);
      EXPECT_GE(cycles, g.at("compute_cycles").get<int64_t>());
    }
  }

  // layers.csv: the documented header, then gemms[i], cell by cell.
  const std::vector<std::string> rows = split(read_file(dir + "/layers.csv"), '\n');
  ASSERT_EQ(rows.size(), want.size() + 2);  // header, rows, and the empty piece after the last \n
  EXPECT_EQ(rows.back(), "");
  EXPECT_EQ(split(rows[0], ','), kColumns);
  for (size_t i = 0; i < want.size(); ++i) {
    const std::vector<std::string> cells = split(rows[i + 1], ',');
    ASSERT_EQ(cells.size(), kColumns.size()) << rows[i + 1];
    for (size_t c = 0; c < kColumns.size(); ++c) {
      const Json& v = gemms[i].at(kColumns[c]);
      if (v.is_string()) {
        EXPECT_EQ(cells[c], v.get<std::string>()) << kColumns[c];
      } else if (v.is_number_integer()) {
        EXPECT_EQ(cells[c], std::to_string(v.get<int64_t>())) << kColumns[c];
      } else {
        // The shortest decimal that reads back to the same double.
        EXPECT_EQ(std::strtod(cells[c].c_str(), nullptr), v.get<double>()) << kColumns[c];
        char shortest[64];
        for (int prec = 1; prec <= 17; ++prec) {
          std::snprintf(shortest, sizeof shortest, "%.*g", prec, v.get<double>());
          if (std::strtod(shortest, nullptr) == v.get<double>()) {
            break;
          }
        }
        const auto digits = [](const std::string& s) {
          std::string mant = s.substr(0, s.find_first_of("eE"));
          mant.erase(std::remove(mant.begin(), mant.end(), '.'), mant.end());
          mant.erase(0, mant.find_first_not_of("0-"));
          mant.erase(mant.find_last_not_of('0') + 1);
          return mant.size();
        };
        EXPECT_EQ(digits(cells[c]), digits(shortest)) << cells[c] << " vs " << shortest;
      }
    }
  }

  // Totals and passes: sums of the per-GEMM values.
  std::map<std::string, std::vector<const Json*>> by_pass;
  for (const Json& g : gemms) {
    const std::string p = g.at("pass");
    by_pass[p == "-" ? "none" : p].push_back(&g);
  }
  auto check_totals = [&](const Json& tot, const std::vector<const Json*>& members,
                          const std::string& what) {
    SCOPED_TRACE(what);
    EXPECT_EQ(keys_of(tot), kTotalKeys);
    int64_t macs = 0, cycles = 0, compute = 0, stall = 0, rd = 0, wr = 0, mem = 0;
    double peak = 0;
    for (const Json* g : members) {
      macs += (*g).at("macs").get<int64_t>();
      cycles += (*g).at("cycles").get<int64_t>();
      compute += (*g).at("compute_cycles").get<int64_t>();
      stall += (*g).at("stall_cycles").get<int64_t>();
      rd += (*g).at("dram_read_bytes").get<int64_t>();
      wr += (*g).at("dram_write_bytes").get<int64_t>();
      mem += (*g).at("bound") == "memory" ? 1 : 0;
      const auto idx = static_cast<size_t>(g - &gemms[0]);
      peak += static_cast<double>((*g).at("cycles").get<int64_t>() * mc.rows * mc.cols) *
              rate_of(want[idx], mc);
    }
    EXPECT_EQ(tot.at("gemms"), members.size());
    EXPECT_EQ(tot.at("macs"), macs);
    EXPECT_EQ(tot.at("cycles"), cycles);
    EXPECT_EQ(tot.at("compute_cycles"), compute);
    EXPECT_EQ(tot.at("stall_cycles"), stall);
    EXPECT_EQ(tot.at("stall_cycles"), cycles - compute);
    EXPECT_EQ(tot.at("dram_read_bytes"), rd);
    EXPECT_EQ(tot.at("dram_write_bytes"), wr);
    EXPECT_EQ(tot.at("memory_bound_gemms"), mem);
    EXPECT_DOUBLE_EQ(tot.at("seconds").get<double>(),
                     static_cast<double>(cycles) / (mc.clock_ghz * 1e9));
    EXPECT_DOUBLE_EQ(tot.at("utilization").get<double>(), static_cast<double>(macs) / peak);
  };
  std::vector<const Json*> all;
  for (const Json& g : gemms) {
    all.push_back(&g);
  }
  check_totals(j.at("totals"), all, "totals");
  int64_t trace_macs = 0;
  for (const TraceGemm& t : want) {
    trace_macs += t.m * t.n * t.k * t.repeat;
  }
  EXPECT_EQ(j.at("totals").at("macs"), trace_macs);
  std::vector<std::string> pass_keys;
  for (const char* p : {"fwd", "dgrad", "wgrad", "none"}) {
    if (by_pass.count(p) != 0) {
      pass_keys.emplace_back(p);
      check_totals(j.at("passes").at(p), by_pass[p], p);
    }
  }
  EXPECT_EQ(keys_of(j.at("passes")), pass_keys);
}

// Every feature of the trace format: passes, repeat, defaults, fp4 alone, fp8 and fp16 pairs,
// fields in any order, tabs and comments.
const char* const kTempTrace =
    "# a temporary trace\n"
    "nibble-trace 1\n"
    "workload tmp_wl\n"
    "gemm l1.fwd m=100 n=64 k=27 a=uint4 b=int4 pass=fwd\n"
    "gemm l1.dgrad\tk=64 m=100 n=27 a=fp4 b=int4 pass=dgrad repeat=3  # comment\n"
    "gemm l1.wgrad m=27 n=64 k=100 a=uint4 b=fp4:p1 out=fp32 pass=wgrad\n"
    "gemm head m=8 n=1000 k=512 a=fp8_e4m3 b=fp8_e5m2 repeat=2\n"
    "gemm ref16 m=33 n=65 k=129 a=fp16 b=fp16 out=fp32 pass=fwd\n";

TEST_F(RunCli, ExampleTraceGivesConsistentReports) {
  const std::string out = path("out");
  const auto r = run_command(kNibble + " run --trace " + kExample + " -o " + out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("total"), std::string::npos);
  check_run_folder(out, kExample, Machine{});
  EXPECT_EQ(listing(), std::set<std::string>{"out"});  // no staging folder left behind
}

TEST_F(RunCli, TempTraceInBothModesAndEveryDataflow) {
  const std::string trace = write("in/t.trace", kTempTrace);
  for (const char* df : {"os", "ws", "is"}) {
    for (bool compat : {false, true}) {
      Machine mc;
      mc.rows = 16;
      mc.cols = 8;
      mc.dataflow = df;
      mc.fp8_rate = 0.5;
      mc.fp16_rate = 0.125;
      mc.clock_ghz = 0.8;
      mc.compat = compat;
      const std::string out = path(std::string("out_") + df + (compat ? "_compat" : ""));
      const std::string sets = std::string(" --set array.rows=16 --set array.cols=8") +
                               " --set array.dataflow=" + df +
                               " --set pe.fp16_macs_per_cycle=0.125 --set clock_ghz=0.8" +
                               " --set timing.mode=" + (compat ? "compat" : "realistic");
      const auto r = run_command(kNibble + " run -q --trace " + trace + sets + " -o " + out);
      ASSERT_EQ(r.exit_code, 0) << r.err;
      check_run_folder(out, trace, mc);
    }
  }
}

TEST_F(RunCli, ConfigYamlReproducesTheRun) {
  const std::string trace = write("in/t.trace", kTempTrace);
  const std::string first = path("first");
  const auto r1 = run_command(kNibble + " run -q --trace " + trace +
                              " --set array.rows=16 --set array.dataflow=os" +
                              " --set dram.latency_cycles=7 --set sram.double_buffered=false" +
                              " --set dram.bandwidth_bytes_per_cycle=3.3 -o " + first);
  ASSERT_EQ(r1.exit_code, 0) << r1.err;
  const std::string second = path("second");
  const auto r2 = run_command(kNibble + " run -q --trace " + trace + " --config " + first +
                              "/config.yaml -o " + second);
  ASSERT_EQ(r2.exit_code, 0) << r2.err;
  EXPECT_EQ(read_file(first + "/report.json"), read_file(second + "/report.json"));
  EXPECT_EQ(read_file(first + "/layers.csv"), read_file(second + "/layers.csv"));
  EXPECT_EQ(read_file(first + "/config.yaml"), read_file(second + "/config.yaml"));
  EXPECT_EQ(r1.out, r2.out);
}

TEST_F(RunCli, TwoRunsAreByteIdentical) {
  for (const std::string& trace : {kExample, write("in/t.trace", kTempTrace)}) {
    const auto a = run_command(kNibble + " run --trace " + trace + " -o " + path("a"));
    const auto b = run_command(kNibble + " run --trace " + trace + " -o " + path("b"));
    ASSERT_EQ(a.exit_code, 0) << a.err;
    ASSERT_EQ(b.exit_code, 0) << b.err;
    EXPECT_EQ(a.out, b.out);
    for (const char* f : {"report.json", "layers.csv", "config.yaml"}) {
      EXPECT_EQ(read_file(path("a") + "/" + f), read_file(path("b") + "/" + f)) << f;
    }
    fs::remove_all(path("a"));
    fs::remove_all(path("b"));
  }
}

TEST_F(RunCli, SetOverridesReachConfigYaml) {
  const auto plain = run_command(kNibble + " run -q --trace " + kExample + " -o " + path("p"));
  const std::string sets =
      " --set array.rows=64 --set timing.mode=compat --set array.rows=48 --set clock_ghz=2.5";
  const auto set = run_command(kNibble + " run -q --trace " + kExample + sets + " -o " + path("s"));
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  ASSERT_EQ(set.exit_code, 0) << set.err;
  const std::string base = read_file(path("p") + "/config.yaml");
  const std::string changed = read_file(path("s") + "/config.yaml");
  // config.yaml is what `nibble config` prints for the same options.
  EXPECT_EQ(base, run_command(kNibble + " config").out);
  EXPECT_EQ(changed, run_command(kNibble + " config" + sets).out);
  // Exactly the three overridden lines differ (the later --set of array.rows wins).
  const auto bl = split(base, '\n'), cl = split(changed, '\n');
  ASSERT_EQ(bl.size(), cl.size());
  std::vector<std::string> diffs;
  for (size_t i = 0; i < bl.size(); ++i) {
    if (bl[i] != cl[i]) {
      diffs.push_back(cl[i]);
    }
  }
  EXPECT_EQ(diffs, (std::vector<std::string>{"  rows: 48", "  mode: compat", "clock_ghz: 2.5"}));
  const Json j = Json::parse(read_file(path("s") + "/report.json"));
  EXPECT_EQ(j.at("timing_mode"), "compat");
  EXPECT_EQ(j.at("array").at("rows"), 48);
  EXPECT_DOUBLE_EQ(j.at("clock_ghz").get<double>(), 2.5);
  Machine mc;
  mc.rows = 48;
  mc.compat = true;
  mc.clock_ghz = 2.5;
  check_run_folder(path("s"), kExample, mc);
}

TEST_F(RunCli, QuietPrintsNothingOnStderr) {
  const auto r = run_command(kNibble + " run --quiet --trace " + kExample + " -o " + path("o"));
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.err, "");
  EXPECT_NE(r.out.find("total"), std::string::npos);
  const auto q = run_command(kNibble + " run -q --trace " + kExample + " -o " + path("o"));
  EXPECT_EQ(q.err, "");
  const auto loud = run_command(kNibble + " run --trace " + kExample + " -o " + path("o"));
  EXPECT_NE(loud.err, "");  // progress without --quiet
  EXPECT_EQ(r.out, loud.out);
}

TEST_F(RunCli, ExistingOutputFolderKeepsOtherFiles) {
  write("out/notes.txt", "keep me\n");
  write("out/sub/data.bin", "also kept\n");
  write("out/report.json", "stale\n");
  const auto r = run_command(kNibble + " run -q --trace " + kExample + " -o " + path("out"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_file(path("out/notes.txt")), "keep me\n");
  EXPECT_EQ(read_file(path("out/sub/data.bin")), "also kept\n");
  check_run_folder(path("out"), kExample, Machine{});  // report.json replaced
  std::set<std::string> in_out;
  for (const auto& e : fs::directory_iterator(path("out"))) {
    in_out.insert(e.path().filename().string());
  }
  EXPECT_EQ(in_out, (std::set<std::string>{"config.yaml", "layers.csv", "notes.txt", "report.json",
                                           "sub"}));
  EXPECT_EQ(listing(), std::set<std::string>{"out"});
}

TEST_F(RunCli, BadInputsLeaveNoOutput) {
  const std::string bad_trace = write("in/bad.trace",
                                      "nibble-trace 1\n"
                                      "gemm ok m=4 n=4 k=4 a=int4 b=int4\n"
                                      "gemm broken m=4 n=0 k=4 a=int4 b=int4\n");
  const std::string no_header = write("in/nohdr.trace", "gemm g m=1 n=1 k=1\n");
  const std::string bad_pair = write("in/pair.trace",
                                     "nibble-trace 1\n"
                                     "\n"
                                     "gemm g m=1 n=1 k=1 a=fp4 b=fp4\n");
  const std::string bad_config = write("in/bad.yaml", "array:\n  rowz: 4\n");
  const std::string bad_value = write("in/value.yaml", "sram:\n  ifmap_kib: 0\n");
  const std::string good = " --trace " + kExample;
  const std::set<std::string> before = listing();
  ASSERT_EQ(before, std::set<std::string>{"in"});
  for (const char* quiet : {"", " -q"}) {
    expect_clean_failure("--trace " + bad_trace + quiet, bad_trace + ":3:", before);
    expect_clean_failure("--trace " + no_header + quiet, no_header + ":1:", before);
    expect_clean_failure("--trace " + bad_pair + quiet, bad_pair + ":3:", before);
    expect_clean_failure("--trace " + path("in/missing.trace") + quiet, "missing.trace", before);
    expect_clean_failure(good + " --set array.rows=0" + quiet, "--set", before);
    expect_clean_failure(good + " --set array.rowz=4" + quiet, "--set", before);
    expect_clean_failure(good + " --set array.rows" + quiet, "--set", before);
    expect_clean_failure(good + " --set timing.mode=fast" + quiet, "timing.mode", before);
    expect_clean_failure(good + " --config " + bad_config + quiet, bad_config + ":2:", before);
    expect_clean_failure(good + " --config " + bad_value + quiet, bad_value + ":2:", before);
    expect_clean_failure(good + " --config " + path("in/none.yaml") + quiet, "none.yaml", before);
    expect_clean_failure(good + " --no-such-option" + quiet, "no-such-option", before);
  }
  // Missing required options.
  for (const std::string& args : {"--trace " + kExample, std::string("-o ") + path("out")}) {
    const auto r = run_command(kNibble + " run " + args);
    EXPECT_EQ(r.exit_code, 2) << args;
    EXPECT_EQ(lines(r.err), 1U) << r.err;
    EXPECT_FALSE(fs::exists(path("out")));
  }
}

TEST_F(RunCli, UnwritableOutputIsOneLineAndLeavesNothing) {
  write("blocker", "a file where a folder is needed\n");
  const auto r =
      run_command(kNibble + " run -q --trace " + kExample + " -o " + path("blocker/out"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(lines(r.err), 1U) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(listing(), std::set<std::string>{"blocker"});
  EXPECT_EQ(read_file(path("blocker")), "a file where a folder is needed\n");
}

}  // namespace
