// `nibble run` end to end, as a user runs it: the output files, report.json against layers.csv,
// against the trace (read here by a small parser of the test's own) and against the key and
// column lists of docs/reports.md (parsed here, so the docs and the program are checked against
// each other); totals against the per-GEMM values for the 4-bit array and both FP16 baselines;
// the built-in defaults; reproducibility from config.yaml, determinism, --set, --quiet, and
// errors (one stderr line, exit code 2, no output folder and no hidden staging folder).
// Every run passes --no-plots: the plots are tested with tools/plot_report.py (tests/tools).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
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
const std::string kSource = NIBBLE_SOURCE_DIR;
const std::string kRun = kNibble + " run --no-plots";
const std::string kExample = kSource + "/traces/example.trace";
// The built-in defaults, by the repository paths report.json names them with.
const std::string kDefaultTrace = "traces/resnet18_train_b32.trace";
const std::string kDefaultEnergy = "configs/energy/default_45nm.csv";
const std::string kDefaultArea = "configs/area/default_45nm.csv";

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
    const auto r = run_command(kRun + " " + args + " -o " + path("out/deeper"));
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

// Issue 18, D2-D4: all or nothing when something is in the way of an output. A folder named as
// one of the reports stops the run before any file is moved in; the waves may be neither the
// output folder itself nor anything but a regular file or a new path (a FIFO, a symbolic link:
// as root, a device such as /dev/null would be replaced too).
TEST_F(RunCli, NothingIsWrittenWhenAnOutputCannotBe) {
  const std::string run = kNibble + " run -q --no-plots --trace " + kExample;
  fs::create_directories(tmp_ / "out" / "report.md");
  const auto r = run_command(run + " -o " + path("out"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(lines(r.err), 1U) << r.err;
  EXPECT_NE(r.err.find("report.md"), std::string::npos) << r.err;
  EXPECT_EQ(listing(), std::set<std::string>{"out"});
  std::set<std::string> inside;
  for (const auto& e : fs::directory_iterator(tmp_ / "out")) {
    inside.insert(e.path().filename().string());
  }
  EXPECT_EQ(inside, std::set<std::string>{"report.md"});  // no report.json, layers.csv, ...

  const std::string sc = run + " --engine systemc";
  const auto same = run_command(sc + " -o " + path("w") + " --vcd " + path("w"));
  EXPECT_EQ(same.exit_code, 2);
  EXPECT_EQ(lines(same.err), 1U) << same.err;
  EXPECT_NE(same.err.find("the output folder (-o) itself"), std::string::npos) << same.err;

  ASSERT_EQ(mkfifo(path("fifo").c_str(), 0644), 0);
  write("target.txt", "keep me\n");
  fs::create_symlink(path("target.txt"), path("link.vcd"));
  const std::set<std::string> before = listing();
  for (const std::string name : {"fifo", "link.vcd"}) {
    const auto v = run_command(sc + " -o " + path("o2") + " --vcd " + path(name));
    EXPECT_EQ(v.exit_code, 2) << name;
    EXPECT_EQ(lines(v.err), 1U) << v.err;
    EXPECT_NE(v.err.find("exists and is not a regular file"), std::string::npos) << v.err;
    EXPECT_EQ(listing(), before) << name;  // no output folder, no staging file
  }
  EXPECT_TRUE(fs::is_fifo(path("fifo")));
  EXPECT_TRUE(fs::is_symlink(path("link.vcd")));
  EXPECT_EQ(read_file(path("target.txt")), "keep me\n");
}

// Issue 18, D12: a run stopped by SIGTERM or SIGINT removes its hidden staging folder (and its
// claim's lock file); one stopped by SIGKILL cannot, and the next run into the same folder
// removes them (its process is gone). The run is the built-in functional job (about a minute
// and a half); the shell waits for the staging folder to appear (at most 20 s), then signals.
TEST_F(RunCli, SignalsLeaveNoStagingFolder) {
  // SIGINT has the same handler, but a shell starts a background job with SIGINT ignored (and
  // a run where it is ignored keeps it so), so this test sends SIGTERM and SIGKILL.
  for (const std::string sig : {"TERM", "KILL"}) {
    SCOPED_TRACE(sig);
    const std::string script =
        "cd " + tmp_.string() + " && (" + kNibble +
        " run -q --no-plots --engine systemc --functional -o sig >/dev/null 2>&1 & pid=$!; "
        "i=0; while [ ! -d .sig.partial-$pid ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); "
        "done; [ -d .sig.partial-$pid ] && echo staged; kill -" +
        sig +
        " $pid; wait $pid; "
        "echo exit=$?)";
    const auto r = run_command("sh -c '" + script + "'");
    EXPECT_NE(r.out.find("staged"), std::string::npos) << r.out << r.err;
    EXPECT_EQ(r.out.find("exit=0"), std::string::npos) << r.out;
    if (sig != "KILL") {
      EXPECT_EQ(listing(), std::set<std::string>{}) << sig;
      continue;
    }
    // SIGKILL: the folder and the claim's lock file stay (the lock itself died with the
    // process), until the next run into "sig" sweeps the one and reuses and removes the other.
    ASSERT_EQ(listing().size(), 2U);
    EXPECT_EQ(listing().begin()->rfind(".sig.lock", 0), 0U);
    EXPECT_EQ(std::next(listing().begin())->rfind(".sig.partial-", 0), 0U);
    const auto next = run_command(kRun + " -q --trace " + kExample + " -o " + path("sig"));
    ASSERT_EQ(next.exit_code, 0) << next.err;
    EXPECT_EQ(listing(), std::set<std::string>{"sig"});
  }
}

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

// The machine the checks need to know: array, PE lanes and rates, clock; the defaults are
// configs/default.yaml's.
struct Machine {
  int64_t rows = 32, cols = 32;
  std::string dataflow = "ws";
  int64_t lanes = 4;
  double fp8_rate = 0.25, fp16_rate = 0.125, clock_ghz = 1.0;
  bool compat = false;
  int64_t dot_lanes = 4;  // baseline.fp16_dot_lanes
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

// --- docs/reports.md, read independently of the program ----------------------------------------

// The `...` spans of s, in order.
std::vector<std::string> backticked(const std::string& s) {
  std::vector<std::string> spans;
  size_t open = s.find('`');
  while (open != std::string::npos) {
    const size_t close = s.find('`', open + 1);
    if (close == std::string::npos) {
      break;
    }
    spans.push_back(s.substr(open + 1, close - open - 1));
    open = s.find('`', close + 1);
  }
  return spans;
}

// s without its parenthesized parts (nested ones included): value lists and links.
std::string without_parens(const std::string& s) {
  std::string out;
  int depth = 0;
  for (char ch : s) {
    depth += ch == '(' ? 1 : 0;
    if (depth == 0) {
      out += ch;
    }
    depth -= ch == ')' && depth > 0 ? 1 : 0;
  }
  return out;
}

// One row of a key table: the keys of its first column and its last column, the meaning.
struct DocRow {
  std::vector<std::string> keys;
  std::string meaning;
};

// What docs/reports.md says report.json and layers.csv hold.
struct ReportDoc {
  std::vector<DocRow> top, totals, gemm;  // the three tables of the report.json section
  std::vector<std::string> csv_columns;   // "Columns, in order: `...`" of the layers.csv section

  static std::vector<std::string> keys(const std::vector<DocRow>& table) {
    std::vector<std::string> all;
    for (const DocRow& r : table) {
      all.insert(all.end(), r.keys.begin(), r.keys.end());
    }
    return all;
  }
  static std::string meaning(const std::vector<DocRow>& table, const std::string& key) {
    for (const DocRow& r : table) {
      if (std::find(r.keys.begin(), r.keys.end(), key) != r.keys.end()) {
        return r.meaning;
      }
    }
    ADD_FAILURE() << "docs/reports.md documents no key " << key;
    return "";
  }
  // The fields a meaning lists for an object-valued key: its backticked names outside
  // parentheses, after "each" when it has one (`arrays`: "`int4_fp4`, ...: each `rows`, ...").
  static std::vector<std::string> fields(const std::vector<DocRow>& table, const std::string& key) {
    std::string m = without_parens(meaning(table, key));
    const size_t each = m.find(" each ");
    return backticked(each == std::string::npos ? m : m.substr(each));
  }
  // The names before "each" (`arrays`: int4_fp4, fp16_iso_pe, fp16_iso_area).
  static std::vector<std::string> members(const std::vector<DocRow>& table,
                                          const std::string& key) {
    const std::string m = without_parens(meaning(table, key));
    return backticked(m.substr(0, m.find(" each ")));
  }
};

const ReportDoc& report_doc() {
  static const ReportDoc doc = [] {
    ReportDoc d;
    const std::string text = read_file(kSource + "/docs/reports.md");
    const auto section = [&](const std::string& title) {
      const size_t start = text.find("\n## " + title + "\n");
      EXPECT_NE(start, std::string::npos) << title;
      const size_t end = text.find("\n## ", start + 1);
      return text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    };
    std::istringstream json(section("`nibble run`: report.json"));
    std::vector<DocRow>* table = &d.top;
    for (std::string line; std::getline(json, line);) {
      if (line.rfind("**Totals**", 0) == 0) {
        table = &d.totals;
      } else if (line.rfind("**Per GEMM**", 0) == 0) {
        table = &d.gemm;
      } else if (line.rfind("| ", 0) == 0 && line.rfind("| key |", 0) != 0) {
        std::vector<std::string> cells;
        std::istringstream in(line);
        for (std::string cell; std::getline(in, cell, '|');) {
          cells.push_back(cell);
        }
        table->push_back({backticked(cells.at(1)), cells.back()});
      }
    }
    const std::string csv = section("`nibble run`: layers.csv");
    const size_t intro = csv.find("Columns, in order:");
    EXPECT_NE(intro, std::string::npos);
    const std::vector<std::string> spans = backticked(csv.substr(intro));
    std::istringstream columns(spans.empty() ? "" : spans.front());
    for (std::string col; std::getline(columns, col, ',');) {
      col.erase(0, col.find_first_not_of(" \n"));
      col.erase(col.find_last_not_of(" \n") + 1);
      d.csv_columns.push_back(col);
    }
    return d;
  }();
  return doc;
}

// A row of the shipped area table (configs/area/default_45nm.csv), read here: um^2.
double shipped_area(const std::string& component) {
  std::istringstream in(read_file(kSource + "/" + kDefaultArea));
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(component + ",", 0) == 0) {
      return std::stod(line.substr(component.size() + 1));
    }
  }
  ADD_FAILURE() << "no area row " << component;
  return 1;
}

// The arrays of a run (model/energy/baseline.h): the 4-bit one; for each FP16 PE, the one-FMA
// PE and (realistic mode) the dot-product PE, an array of the same shape and one of
// floor(R * s) x floor(C * s), s = sqrt(area_int4 / area_fp16 PE).
struct ArrayShape {
  const char* key;
  int64_t rows, cols;
  const char* pe;
  double pe_um2;
  int64_t lanes = 1;
};
// The L-lane 4-bit PE's area from the shipped rows, as docs/energy.md ("The L-lane PE")
// derives it: per lane a multiplier, 17 x 3 shifter bit-levels and a 17-bit negate; the adder
// tree (level i adds pairs in 17 + i bits, an odd sum passes); the rounder of its W-bit sum
// (W = 17 + levels: 2W + 16 adder bits, W x ceil(log2 W) shifter bit-levels); the FP16 adder;
// 12 L + 16 register bits. L = 1: 2117.04 um^2, L = 4: 3299.62.
double int4_pe_area(int64_t lanes) {
  int64_t tree_bits = 0, levels = 0;
  for (int64_t n = lanes; n > 1; n = (n + 1) / 2) {
    ++levels;
    tree_bits += (n / 2) * (17 + levels);
  }
  const int64_t w = 17 + levels;
  int64_t shift_levels = 0;
  while ((int64_t{1} << shift_levels) < w) {
    ++shift_levels;
  }
  const auto d = [](int64_t v) { return static_cast<double>(v); };
  return d(lanes) * (shipped_area("mult_int4") + 51 * shipped_area("shifter_bit_level") +
                     17 * shipped_area("adder_bit")) +
         d(tree_bits + 2 * w + 16) * shipped_area("adder_bit") +
         d(w * shift_levels) * shipped_area("shifter_bit_level") + shipped_area("add_fp16") +
         d(12 * lanes + 16) * shipped_area("register_bit");
}

std::vector<ArrayShape> arrays_of(const Machine& mc) {
  const double int4 = int4_pe_area(mc.lanes);
  const auto scaled = [&](int64_t n, double pe_um2) {
    const double s = std::sqrt(int4 / pe_um2);
    return std::max<int64_t>(1, static_cast<int64_t>(std::floor(static_cast<double>(n) * s)));
  };
  const double fp16 = shipped_area("pe_fp16");
  std::vector<ArrayShape> out = {
      {"int4_fp4", mc.rows, mc.cols, "int4", int4, mc.lanes},
      {"fp16_iso_pe", mc.rows, mc.cols, "fp16", fp16},
      {"fp16_iso_area", scaled(mc.rows, fp16), scaled(mc.cols, fp16), "fp16", fp16}};
  if (!mc.compat) {
    // docs/energy.md, "The FP16 dot-product PE": L16 lanes and 48 L16 + 32 register bits.
    const double dot = static_cast<double>(mc.dot_lanes) * shipped_area("dot_fp16_lane") +
                       static_cast<double>(48 * mc.dot_lanes + 32) * shipped_area("register_bit");
    out.push_back({"fp16dot_iso_pe", mc.rows, mc.cols, "fp16dot", dot, mc.dot_lanes});
    out.push_back({"fp16dot_iso_area", scaled(mc.rows, dot), scaled(mc.cols, dot), "fp16dot", dot,
                   mc.dot_lanes});
  }
  // docs/energy.md, "The HFP8 baseline": one lane, its area the row pe_hfp8.
  const double hfp8 = shipped_area("pe_hfp8");
  out.push_back({"hfp8_iso_pe", mc.rows, mc.cols, "hfp8", hfp8});
  out.push_back({"hfp8_iso_area", scaled(mc.rows, hfp8), scaled(mc.cols, hfp8), "hfp8", hfp8});
  return out;
}

// A baseline's MACs per lane-cycle on a GEMM of the trace (docs/energy.md): the FP16 PEs one;
// the HFP8 PE one, and on an FP16 GEMM the configured PE's FP16 : FP8 rate (at most one).
double baseline_rate(const std::string& key, const TraceGemm& g, const Machine& mc) {
  if (mc.compat || key.rfind("hfp8", 0) != 0 || (g.a != "fp16" && g.b != "fp16")) {
    return 1.0;
  }
  return std::min(1.0, mc.fp16_rate / mc.fp8_rate);
}

// The ratios' suffix of a baseline: speedup_<suffix> (fp16_iso_pe: iso_pe, fp16dot_iso_pe:
// dot_iso_pe, hfp8_iso_pe: hfp8_iso_pe).
std::string ratio_suffix(const std::string& base) {
  if (base.rfind("hfp8_", 0) == 0) {
    return base;
  }
  return base.rfind("fp16dot_", 0) == 0 ? "dot_" + base.substr(8) : base.substr(5);
}

bool is_dot(const std::string& name) {
  return name.find("fp16dot") != std::string::npos || name.find("_dot_") != std::string::npos;
}

// The documented names, without the dot-product arrays' in compat mode (they have none).
std::vector<std::string> present(std::vector<std::string> names, const Machine& mc) {
  if (mc.compat) {
    names.erase(std::remove_if(names.begin(), names.end(), is_dot), names.end());
  }
  return names;
}

std::vector<std::string> keys_of(const Json& j) {
  std::vector<std::string> keys;
  for (const auto& item : j.items()) {
    keys.push_back(item.key());
  }
  return keys;
}

void expect_rel(double actual, double expected, const std::string& what) {
  EXPECT_NEAR(actual, expected, 1e-12 * std::abs(expected)) << what;
}

const char* const kBaselines[] = {"fp16_iso_pe",      "fp16_iso_area", "fp16dot_iso_pe",
                                  "fp16dot_iso_area", "hfp8_iso_pe",   "hfp8_iso_area"};

// The value of a layers.csv column in gemms[i] (docs/reports.md, layers.csv): the key of the
// same name, an energy as its total, and `<baseline>_<field>` as gemms[i].<baseline>.<field>.
const Json& csv_value(const Json& gemm, const std::string& column) {
  const auto scalar = [](const Json& v) -> const Json& {
    return v.is_object() ? v.at("total") : v;
  };
  if (gemm.contains(column)) {
    return scalar(gemm.at(column));
  }
  // tile_m, tile_n, tile_k: gemms[i].tile's fields, empty cells when the tile is null (compat).
  if (column.rfind("tile_", 0) == 0 && gemm.contains("tile")) {
    const Json& tile = gemm.at("tile");
    return tile.is_null() ? tile : tile.at(column.substr(5));
  }
  for (const std::string base : kBaselines) {
    if (column.rfind(base + "_", 0) == 0) {
      return scalar(gemm.at(base).at(column.substr(base.size() + 1)));
    }
  }
  ADD_FAILURE() << "layers.csv column " << column << " is no gemms[i] value";
  static const Json kNone;
  return kNone;
}

// The sums the totals of one array hold, over some GEMMs; `of` picks that array's object out of
// a gemms[i] (the GEMM itself for the 4-bit array).
void check_array_totals(const Json& tot, const std::vector<const Json*>& members,
                        const std::function<const Json&(const Json&)>& of, double pes,
                        const std::function<double(size_t)>& rate,
                        const std::vector<size_t>& index) {
  int64_t macs = 0, cycles = 0, rd = 0, wr = 0, mem = 0;
  double peak = 0;
  std::map<std::string, double> energy;
  for (size_t m = 0; m < members.size(); ++m) {
    const Json& g = of(*members[m]);
    macs += members[m]->at("macs").get<int64_t>();
    cycles += g.at("cycles").get<int64_t>();
    rd += g.at("dram_read_bytes").get<int64_t>();
    wr += g.at("dram_write_bytes").get<int64_t>();
    mem += g.at("bound") == "memory" ? 1 : 0;
    peak += static_cast<double>(g.at("cycles").get<int64_t>()) * pes * rate(index[m]);
    for (const auto& item : g.at("energy_pj").items()) {
      energy[item.key()] += item.value().get<double>();
    }
  }
  EXPECT_EQ(tot.at("cycles"), cycles);
  EXPECT_EQ(tot.at("dram_read_bytes"), rd);
  EXPECT_EQ(tot.at("dram_write_bytes"), wr);
  EXPECT_EQ(tot.at("memory_bound_gemms"), mem);
  EXPECT_DOUBLE_EQ(tot.at("utilization").get<double>(), static_cast<double>(macs) / peak);
  for (const auto& [component, pj] : energy) {
    expect_rel(tot.at("energy_pj").at(component).get<double>(), pj, component);
  }
}

// Checks one output folder of `nibble run` against the trace it was made from (`trace_file`,
// named `trace` in report.json), the documented key lists and the tables used.
void check_run_folder(const std::string& dir, const std::string& trace_file, const Machine& mc,
                      const std::string& trace = "", const std::string& energy = kDefaultEnergy,
                      const std::string& area = kDefaultArea) {
  SCOPED_TRACE(dir);
  const ReportDoc& doc = report_doc();
  for (const char* f : {"report.json", "layers.csv", "report.md", "config.yaml"}) {
    ASSERT_TRUE(fs::is_regular_file(fs::path(dir) / f)) << f;
  }
  const Json j = Json::parse(read_file(dir + "/report.json"));
  EXPECT_EQ(keys_of(j), ReportDoc::keys(doc.top));
  EXPECT_EQ(j.at("trace"), trace.empty() ? trace_file : trace);
  EXPECT_EQ(j.at("timing_mode"), mc.compat ? "compat" : "realistic");
  EXPECT_EQ(keys_of(j.at("array")), ReportDoc::fields(doc.top, "array"));
  EXPECT_EQ(j.at("array").at("rows"), mc.rows);
  EXPECT_EQ(j.at("array").at("cols"), mc.cols);
  EXPECT_EQ(j.at("array").at("dataflow"), mc.dataflow);
  EXPECT_DOUBLE_EQ(j.at("clock_ghz").get<double>(), mc.clock_ghz);
  EXPECT_EQ(j.at("energy_table"), energy);
  EXPECT_EQ(j.at("area_table"), area);

  // The three arrays.
  const std::vector<ArrayShape> arrays = arrays_of(mc);
  EXPECT_EQ(keys_of(j.at("arrays")), present(ReportDoc::members(doc.top, "arrays"), mc));
  std::map<std::string, double> pes;
  for (const ArrayShape& a : arrays) {
    SCOPED_TRACE(a.key);
    const Json& x = j.at("arrays").at(a.key);
    EXPECT_EQ(keys_of(x), ReportDoc::fields(doc.top, "arrays"));
    EXPECT_EQ(x.at("rows"), a.rows);
    EXPECT_EQ(x.at("cols"), a.cols);
    EXPECT_EQ(x.at("dataflow"), mc.dataflow);
    EXPECT_EQ(x.at("pe"), a.pe);
    EXPECT_EQ(x.at("lanes"), a.lanes);
    EXPECT_NEAR(x.at("pe_area_um2").get<double>(), a.pe_um2, 1e-9 * a.pe_um2);
    expect_rel(x.at("pe_array_area_mm2").get<double>(),
               static_cast<double>(a.rows * a.cols) * a.pe_um2 * 1e-6, "pe_array_area_mm2");
    pes[a.key] = static_cast<double>(a.rows * a.cols * a.lanes);  // peak FP16 MACs a cycle
  }

  // Per GEMM: the trace's GEMMs in trace order.
  const std::vector<std::string> energy_keys = ReportDoc::fields(doc.totals, "energy_pj");
  const std::vector<std::string> gemm_baseline_keys = ReportDoc::fields(doc.gemm, "fp16_iso_pe");
  const std::vector<TraceGemm> want = read_trace_gemms(trace_file);
  const Json& gemms = j.at("gemms");
  ASSERT_EQ(gemms.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    const TraceGemm& t = want[i];
    const Json& g = gemms[i];
    SCOPED_TRACE(t.name);
    EXPECT_EQ(keys_of(g), present(ReportDoc::keys(doc.gemm), mc));
    EXPECT_EQ(g.at("name"), t.name);
    EXPECT_EQ(g.at("pass"), t.pass);
    EXPECT_EQ(g.at("m"), t.m);
    EXPECT_EQ(g.at("n"), t.n);
    EXPECT_EQ(g.at("k"), t.k);
    EXPECT_EQ(g.at("a"), t.a);
    EXPECT_EQ(g.at("b"), t.b);
    EXPECT_EQ(g.at("out"), t.out);
    EXPECT_EQ(g.at("repeat"), t.repeat);
    const int64_t macs = t.m * t.n * t.k * t.repeat;
    EXPECT_EQ(g.at("macs"), macs);
    const auto cycles = g.at("cycles").get<int64_t>();
    EXPECT_EQ(g.at("stall_cycles"), cycles - g.at("compute_cycles").get<int64_t>());
    EXPECT_DOUBLE_EQ(
        g.at("utilization").get<double>(),
        static_cast<double>(macs) /
            (static_cast<double>(cycles * mc.rows * mc.cols * mc.lanes) * rate_of(t, mc)));
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
    // Energy: the documented components and their total.
    const auto check_energy = [&](const Json& e) {
      EXPECT_EQ(keys_of(e), energy_keys);
      double sum = 0;
      for (const auto& item : e.items()) {
        EXPECT_GE(item.value().get<double>(), 0) << item.key();
        sum += item.key() == "total" ? 0 : item.value().get<double>();
      }
      expect_rel(e.at("total").get<double>(), sum, "total");
    };
    check_energy(g.at("energy_pj"));
    EXPECT_GT(g.at("energy_pj").at("total").get<double>(), 0);
    // The baselines: the same GEMM as fp16 x fp16, one FP16 MAC per lane per cycle; as FP8 on
    // the HFP8 PE.
    for (size_t b = 1; b < arrays.size(); ++b) {
      const ArrayShape& a = arrays[b];
      SCOPED_TRACE(a.key);
      const Json& x = g.at(a.key);
      EXPECT_EQ(keys_of(x), gemm_baseline_keys);
      const auto base_cycles = x.at("cycles").get<int64_t>();
      EXPECT_GT(base_cycles, 0);
      EXPECT_DOUBLE_EQ(x.at("utilization").get<double>(),
                       static_cast<double>(macs) / (static_cast<double>(base_cycles) * pes[a.key] *
                                                    baseline_rate(a.key, t, mc)));
      if (mc.compat) {
        Machine fp16 = mc;
        fp16.rows = a.rows;
        fp16.cols = a.cols;
        int64_t folds = 0;
        EXPECT_EQ(base_cycles, compat_cycles(t, fp16, &folds) * t.repeat);
        EXPECT_EQ(x.at("bound"), "compute");
        EXPECT_EQ(x.at("dram_read_bytes"), 0);
        EXPECT_EQ(x.at("dram_write_bytes"), 0);
      } else {
        EXPECT_TRUE(x.at("bound") == "compute" || x.at("bound") == "memory");
        EXPECT_GT(x.at("dram_read_bytes").get<int64_t>(), 0);
        EXPECT_GT(x.at("dram_write_bytes").get<int64_t>(), 0);
      }
      check_energy(x.at("energy_pj"));
      const std::string suffix = ratio_suffix(a.key);
      EXPECT_DOUBLE_EQ(g.at("speedup_" + suffix).get<double>(),
                       static_cast<double>(base_cycles) / static_cast<double>(cycles));
      EXPECT_DOUBLE_EQ(g.at("energy_ratio_" + suffix).get<double>(),
                       x.at("energy_pj").at("total").get<double>() /
                           g.at("energy_pj").at("total").get<double>());
    }
  }

  // layers.csv: the documented header, then gemms[i], cell by cell.
  const std::vector<std::string> columns = doc.csv_columns;
  const std::vector<std::string> rows = split(read_file(dir + "/layers.csv"), '\n');
  ASSERT_EQ(rows.size(), want.size() + 2);  // header, rows, and the empty piece after the last \n
  EXPECT_EQ(rows.back(), "");
  EXPECT_EQ(split(rows[0], ','), columns);
  for (size_t i = 0; i < want.size(); ++i) {
    const std::vector<std::string> cells = split(rows[i + 1], ',');
    ASSERT_EQ(cells.size(), columns.size()) << rows[i + 1];
    for (size_t c = 0; c < columns.size(); ++c) {
      if (mc.compat && is_dot(columns[c])) {
        EXPECT_EQ(cells[c], "") << columns[c];  // no dot-product arrays in compat mode
        continue;
      }
      const Json& v = csv_value(gemms[i], columns[c]);
      if (v.is_string()) {
        EXPECT_EQ(cells[c], v.get<std::string>()) << columns[c];
      } else if (v.is_null()) {
        EXPECT_EQ(cells[c], "") << columns[c];  // docs/reports.md: null is an empty cell
      } else if (v.is_boolean()) {
        EXPECT_EQ(cells[c], v.get<bool>() ? "true" : "false") << columns[c];
      } else if (v.is_number_integer()) {
        EXPECT_EQ(cells[c], std::to_string(v.get<int64_t>())) << columns[c];
      } else {
        // The shortest decimal that reads back to the same double.
        EXPECT_EQ(std::strtod(cells[c].c_str(), nullptr), v.get<double>()) << columns[c];
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

  // Totals and passes: sums of the per-GEMM values, for the three arrays, and ratios of sums.
  std::map<std::string, std::vector<const Json*>> by_pass;
  std::map<std::string, std::vector<size_t>> index_by_pass;
  for (size_t i = 0; i < gemms.size(); ++i) {
    const std::string p = gemms[i].at("pass");
    by_pass[p == "-" ? "none" : p].push_back(&gemms[i]);
    index_by_pass[p == "-" ? "none" : p].push_back(i);
  }
  const auto check_totals = [&](const Json& tot, const std::vector<const Json*>& members,
                                const std::vector<size_t>& index, const std::string& what) {
    SCOPED_TRACE(what);
    EXPECT_EQ(keys_of(tot), present(ReportDoc::keys(doc.totals), mc));
    int64_t macs = 0, compute = 0, stall = 0;
    for (const Json* g : members) {
      macs += g->at("macs").get<int64_t>();
      compute += g->at("compute_cycles").get<int64_t>();
      stall += g->at("stall_cycles").get<int64_t>();
    }
    EXPECT_EQ(tot.at("gemms"), members.size());
    EXPECT_EQ(tot.at("macs"), macs);
    EXPECT_EQ(tot.at("compute_cycles"), compute);
    EXPECT_EQ(tot.at("stall_cycles"), stall);
    EXPECT_EQ(tot.at("stall_cycles"), tot.at("cycles").get<int64_t>() - compute);
    EXPECT_DOUBLE_EQ(tot.at("seconds").get<double>(),
                     static_cast<double>(tot.at("cycles").get<int64_t>()) / (mc.clock_ghz * 1e9));
    EXPECT_EQ(keys_of(tot.at("energy_pj")), energy_keys);
    check_array_totals(
        tot, members, [](const Json& g) -> const Json& { return g; }, pes["int4_fp4"],
        [&](size_t i) { return rate_of(want[i], mc); }, index);
    const auto four_cycles = static_cast<double>(tot.at("cycles").get<int64_t>());
    const double four_energy = tot.at("energy_pj").at("total").get<double>();
    for (const std::string& base : present({std::begin(kBaselines), std::end(kBaselines)}, mc)) {
      SCOPED_TRACE(base);
      const Json& x = tot.at(base);
      EXPECT_EQ(keys_of(x), ReportDoc::fields(doc.totals, base));
      EXPECT_EQ(keys_of(x.at("energy_pj")), energy_keys);
      check_array_totals(
          x, members, [&](const Json& g) -> const Json& { return g.at(base); }, pes[base],
          [&](size_t i) { return baseline_rate(base, want[i], mc); }, index);
      const std::string suffix = ratio_suffix(base);
      EXPECT_DOUBLE_EQ(tot.at("speedup_" + suffix).get<double>(),
                       static_cast<double>(x.at("cycles").get<int64_t>()) / four_cycles);
      EXPECT_DOUBLE_EQ(tot.at("energy_ratio_" + suffix).get<double>(),
                       x.at("energy_pj").at("total").get<double>() / four_energy);
    }
  };
  std::vector<const Json*> all;
  std::vector<size_t> all_index;
  for (size_t i = 0; i < gemms.size(); ++i) {
    all.push_back(&gemms[i]);
    all_index.push_back(i);
  }
  check_totals(j.at("totals"), all, all_index, "totals");
  int64_t trace_macs = 0;
  for (const TraceGemm& t : want) {
    trace_macs += t.m * t.n * t.k * t.repeat;
  }
  EXPECT_EQ(j.at("totals").at("macs"), trace_macs);
  std::vector<std::string> pass_keys;
  for (const std::string& p : ReportDoc::fields(doc.top, "passes")) {
    if (by_pass.count(p) != 0) {
      pass_keys.push_back(p);
      check_totals(j.at("passes").at(p), by_pass[p], index_by_pass[p], p);
    }
  }
  EXPECT_EQ(keys_of(j.at("passes")), pass_keys);

  // report.md: the plots it shows, and the GEMMs with the lowest iso-area speedups.
  const std::string md = read_file(dir + "/report.md");
  for (const char* png :
       {"cycles_per_layer.png", "energy_breakdown.png", "speedup_per_layer.png"}) {
    EXPECT_NE(md.find(png), std::string::npos) << png;
  }
  std::vector<double> speedups;
  for (const Json& g : gemms) {
    speedups.push_back(g.at("speedup_iso_area").get<double>());
  }
  std::vector<double> sorted = speedups;
  std::sort(sorted.begin(), sorted.end());
  const double tenth = sorted[std::min<size_t>(9, sorted.size() - 1)];
  for (size_t i = 0; i < gemms.size(); ++i) {
    if (speedups[i] < tenth || (sorted.size() <= 10)) {
      const std::string name = gemms[i].at("name");
      EXPECT_NE(md.find("| " + name + " |"), std::string::npos) << name;
    }
  }
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

const char* const kOutputFiles[] = {"report.json", "layers.csv", "report.md", "config.yaml"};

TEST_F(RunCli, DocsListTheReportKeys) {
  // The parse of docs/reports.md found every table, and the lists the checks compare against.
  const ReportDoc& doc = report_doc();
  const std::vector<std::string> top = ReportDoc::keys(doc.top);
  ASSERT_GE(top.size(), 3U);
  EXPECT_EQ(top.front(), "nibble_version");
  EXPECT_EQ(top.back(), "gemms");
  const std::vector<std::string> totals = ReportDoc::keys(doc.totals);
  ASSERT_FALSE(totals.empty());
  EXPECT_EQ(totals.front(), "gemms");
  const std::vector<std::string> gemm = ReportDoc::keys(doc.gemm);
  ASSERT_FALSE(gemm.empty());
  EXPECT_EQ(gemm.front(), "name");
  EXPECT_EQ(ReportDoc::members(doc.top, "arrays"),
            (std::vector<std::string>{"int4_fp4", "fp16_iso_pe", "fp16_iso_area", "fp16dot_iso_pe",
                                      "fp16dot_iso_area", "hfp8_iso_pe", "hfp8_iso_area"}));
  EXPECT_EQ(ReportDoc::fields(doc.top, "passes"),
            (std::vector<std::string>{"fwd", "dgrad", "wgrad", "none"}));
  const std::vector<std::string> energy = ReportDoc::fields(doc.totals, "energy_pj");
  ASSERT_FALSE(energy.empty());
  EXPECT_EQ(energy.back(), "total");
  // Every baseline has one row, in both tables; the per-GEMM energy is the same breakdown.
  for (const std::string base : kBaselines) {
    EXPECT_EQ(ReportDoc::fields(doc.totals, base), ReportDoc::fields(doc.totals, "fp16_iso_pe"));
    EXPECT_EQ(ReportDoc::fields(doc.gemm, base), ReportDoc::fields(doc.gemm, "fp16_iso_pe"));
  }
  // Every layers.csv column is a documented gemms[i] value: a key, or `<baseline>_<field>`
  // with a documented field, and the leading columns are the first gemms[i] keys.
  ASSERT_GE(doc.csv_columns.size(), 2U);
  for (const std::string& col : doc.csv_columns) {
    bool known = std::find(gemm.begin(), gemm.end(), col) != gemm.end();
    for (const std::string base : {"fp16_iso_pe", "fp16_iso_area", "fp16dot_iso_pe",
                                   "fp16dot_iso_area", "hfp8_iso_pe", "hfp8_iso_area", "tile"}) {
      const std::vector<std::string> fields = ReportDoc::fields(doc.gemm, base);
      known = known || (col.rfind(base + "_", 0) == 0 &&
                        std::find(fields.begin(), fields.end(), col.substr(base.size() + 1)) !=
                            fields.end());
    }
    EXPECT_TRUE(known) << col;
  }
  // The columns named after gemms[i] keys come in the keys' order.
  auto next = gemm.begin();
  for (const std::string& col : doc.csv_columns) {
    const auto at = std::find(next, gemm.end(), col);
    if (std::find(gemm.begin(), gemm.end(), col) != gemm.end()) {
      EXPECT_NE(at, gemm.end()) << col << " out of order";
      next = at;
    }
  }
}

TEST_F(RunCli, ExampleTraceGivesConsistentReports) {
  const std::string out = path("out");
  const auto r = run_command(kRun + " --trace " + kExample + " -o " + out);
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
      mc.fp16_rate = 0.125;
      mc.lanes = compat ? 1 : 4;  // compat timing has one MAC per PE
      mc.clock_ghz = 0.8;
      mc.compat = compat;
      const std::string out = path(std::string("out_") + df + (compat ? "_compat" : ""));
      const std::string sets =
          std::string(" --set array.rows=16 --set array.cols=8") + " --set array.dataflow=" + df +
          " --set pe.fp16_macs_per_cycle=0.125 --set clock_ghz=0.8" +
          " --set timing.mode=" + (compat ? "compat --set pe.lanes=1" : "realistic");
      const auto r = run_command(kRun + " -q --trace " + trace + sets + " -o " + out);
      ASSERT_EQ(r.exit_code, 0) << r.err;
      check_run_folder(out, trace, mc);
    }
  }
}

// With no --trace, the built-in ResNet-18 step; with no -o, the folder `out`; with no --energy
// or --area, the built-in tables. The built-in copies are the repository's files: the same run
// from the source tree with the files named gives byte-identical reports.
TEST_F(RunCli, BuiltInDefaults) {
  fs::create_directories(path("cwd"));
  const auto r = run_command("cd " + path("cwd") + " && " + kRun + " -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  const std::string out = path("cwd/out");
  const Json j = Json::parse(read_file(out + "/report.json"));
  EXPECT_EQ(j.at("trace"), kDefaultTrace);
  EXPECT_EQ(j.at("workload"), "resnet18_train_b32");
  EXPECT_EQ(j.at("gemms").size(), 63U);
  EXPECT_EQ(j.at("totals").at("gemms"), 63);
  EXPECT_EQ(j.at("energy_table"), kDefaultEnergy);
  EXPECT_EQ(j.at("area_table"), kDefaultArea);
  check_run_folder(out, kSource + "/" + kDefaultTrace, Machine{}, kDefaultTrace);
  std::set<std::string> in_cwd;
  for (const auto& e : fs::directory_iterator(path("cwd"))) {
    in_cwd.insert(e.path().filename().string());
  }
  EXPECT_EQ(in_cwd, std::set<std::string>{"out"});

  const auto named =
      run_command("cd " + kSource + " && " + kRun + " -q --trace " + kDefaultTrace + " --energy " +
                  kDefaultEnergy + " --area " + kDefaultArea + " -o " + path("named"));
  ASSERT_EQ(named.exit_code, 0) << named.err;
  EXPECT_EQ(named.out, r.out);
  for (const char* f : kOutputFiles) {
    EXPECT_EQ(read_file(path("named") + "/" + f), read_file(out + "/" + f)) << f;
  }
}

TEST_F(RunCli, ConfigYamlReproducesTheRun) {
  const std::string trace = write("in/t.trace", kTempTrace);
  const std::string first = path("first");
  const auto r1 =
      run_command(kRun + " -q --trace " + trace + " --set array.rows=16 --set array.dataflow=os" +
                  " --set dram.latency_cycles=7 --set sram.double_buffered=false" +
                  " --set dram.bandwidth_bytes_per_cycle=3.3 -o " + first);
  ASSERT_EQ(r1.exit_code, 0) << r1.err;
  const std::string second = path("second");
  const auto r2 = run_command(kRun + " -q --trace " + trace + " --config " + first +
                              "/config.yaml -o " + second);
  ASSERT_EQ(r2.exit_code, 0) << r2.err;
  for (const char* f : kOutputFiles) {
    EXPECT_EQ(read_file(first + "/" + f), read_file(second + "/" + f)) << f;
  }
  EXPECT_EQ(r1.out, r2.out);
}

TEST_F(RunCli, TwoRunsAreByteIdentical) {
  for (const std::string& trace : {kExample, write("in/t.trace", kTempTrace)}) {
    const auto a = run_command(kRun + " --trace " + trace + " -o " + path("a"));
    const auto b = run_command(kRun + " --trace " + trace + " -o " + path("b"));
    ASSERT_EQ(a.exit_code, 0) << a.err;
    ASSERT_EQ(b.exit_code, 0) << b.err;
    EXPECT_EQ(a.out, b.out);
    for (const char* f : kOutputFiles) {
      EXPECT_EQ(read_file(path("a") + "/" + f), read_file(path("b") + "/" + f)) << f;
    }
    fs::remove_all(path("a"));
    fs::remove_all(path("b"));
  }
}

TEST_F(RunCli, SetOverridesReachConfigYaml) {
  const auto plain = run_command(kRun + " -q --trace " + kExample + " -o " + path("p"));
  const std::string sets =
      " --set array.rows=64 --set timing.mode=compat --set pe.lanes=1 --set array.rows=48"
      " --set clock_ghz=2.5";
  const auto set = run_command(kRun + " -q --trace " + kExample + sets + " -o " + path("s"));
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  ASSERT_EQ(set.exit_code, 0) << set.err;
  const std::string base = read_file(path("p") + "/config.yaml");
  const std::string changed = read_file(path("s") + "/config.yaml");
  // config.yaml is what `nibble config` prints for the same options.
  EXPECT_EQ(base, run_command(kNibble + " config").out);
  EXPECT_EQ(changed, run_command(kNibble + " config" + sets).out);
  // Exactly the four overridden lines differ (the later --set of array.rows wins).
  const auto bl = split(base, '\n'), cl = split(changed, '\n');
  ASSERT_EQ(bl.size(), cl.size());
  std::vector<std::string> diffs;
  for (size_t i = 0; i < bl.size(); ++i) {
    if (bl[i] != cl[i]) {
      diffs.push_back(cl[i]);
    }
  }
  EXPECT_EQ(diffs, (std::vector<std::string>{"  rows: 48", "  lanes: 1", "  mode: compat",
                                             "clock_ghz: 2.5"}));
  const Json j = Json::parse(read_file(path("s") + "/report.json"));
  EXPECT_EQ(j.at("timing_mode"), "compat");
  EXPECT_EQ(j.at("array").at("rows"), 48);
  EXPECT_DOUBLE_EQ(j.at("clock_ghz").get<double>(), 2.5);
  Machine mc;
  mc.rows = 48;
  mc.lanes = 1;
  mc.compat = true;
  mc.clock_ghz = 2.5;
  check_run_folder(path("s"), kExample, mc);
}

TEST_F(RunCli, QuietPrintsNothingOnStderr) {
  const auto r = run_command(kRun + " --quiet --trace " + kExample + " -o " + path("o"));
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.err, "");
  EXPECT_NE(r.out.find("total"), std::string::npos);
  const auto q = run_command(kRun + " -q --trace " + kExample + " -o " + path("o"));
  EXPECT_EQ(q.err, "");
  const auto loud = run_command(kRun + " --trace " + kExample + " -o " + path("o"));
  EXPECT_NE(loud.err, "");  // progress without --quiet
  EXPECT_EQ(r.out, loud.out);
}

TEST_F(RunCli, ExistingOutputFolderKeepsOtherFiles) {
  write("out/notes.txt", "keep me\n");
  write("out/sub/data.bin", "also kept\n");
  write("out/report.json", "stale\n");
  const auto r = run_command(kRun + " -q --trace " + kExample + " -o " + path("out"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_file(path("out/notes.txt")), "keep me\n");
  EXPECT_EQ(read_file(path("out/sub/data.bin")), "also kept\n");
  check_run_folder(path("out"), kExample, Machine{});  // report.json replaced
  std::set<std::string> in_out;
  for (const auto& e : fs::directory_iterator(path("out"))) {
    in_out.insert(e.path().filename().string());
  }
  EXPECT_EQ(in_out, (std::set<std::string>{"config.yaml", "layers.csv", "notes.txt", "report.json",
                                           "report.md", "sub"}));
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
  const std::string compat_lanes =
      write("in/lanes.yaml", "pe:\n  lanes: 4\ntiming:\n  mode: compat\n");
  // Tables (docs/energy.md, "Table files"): a bad number, a bad header, a zero area, a missing
  // row. The shipped rows come first, so only the planted fault can stop the run.
  const auto with_newline = [](std::string text) {
    return text.empty() || text.back() == '\n' ? text : text + "\n";
  };
  const std::string energy = with_newline(read_file(kSource + "/" + kDefaultEnergy));
  const std::string area = with_newline(read_file(kSource + "/" + kDefaultArea));
  const size_t energy_lines = lines(energy);
  const std::string bad_number = write("in/number.csv", energy + "sram,read_bit_x,0.5pJ,\n");
  const std::string bad_header = write("in/header.csv", "component,action,energy,source\n");
  const std::string zero_area = write("in/zero.csv", area + "extra,0,\n");
  std::string without_fp16 = "component,area_um2,source\n";
  std::istringstream area_rows(area);
  for (std::string row; std::getline(area_rows, row);) {
    if (row.rfind("pe_fp16,", 0) != 0 && row.rfind("component,", 0) != 0) {
      without_fp16 += row + "\n";
    }
  }
  const std::string missing_row = write("in/missing.csv", without_fp16);
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
    // Lanes: none in compat mode (a cross-key check, against the file or --set), at most 64.
    expect_clean_failure(good + " --set pe.lanes=2 --set timing.mode=compat" + quiet,
                         "--set: pe.lanes: 2 lanes in timing.mode compat", before);
    expect_clean_failure(good + " --config " + compat_lanes + quiet,
                         compat_lanes + ": pe.lanes: 4 lanes in timing.mode compat", before);
    expect_clean_failure(good + " --set pe.lanes=65" + quiet, "pe.lanes: 65 is out of range",
                         before);
    expect_clean_failure(good + " --config " + bad_config + quiet, bad_config + ":2:", before);
    expect_clean_failure(good + " --config " + bad_value + quiet, bad_value + ":2:", before);
    expect_clean_failure(good + " --config " + path("in/none.yaml") + quiet, "none.yaml", before);
    expect_clean_failure(good + " --no-such-option" + quiet, "no-such-option", before);
    expect_clean_failure(good + " --energy " + bad_number + quiet,
                         bad_number + ":" + std::to_string(energy_lines + 1) + ":", before);
    expect_clean_failure(good + " --energy " + bad_header + quiet, bad_header + ":1:", before);
    expect_clean_failure(good + " --energy " + path("in/none.csv") + quiet, "none.csv", before);
    expect_clean_failure(good + " --area " + zero_area + quiet,
                         zero_area + ":" + std::to_string(lines(area) + 1) + ":", before);
    expect_clean_failure(good + " --area " + missing_row + quiet, missing_row + ": ", before);
    expect_clean_failure(good + " --area " + bad_number + quiet, bad_number + ":1:", before);
    // With no --trace, the built-in trace is read, and a bad table still stops the run.
    expect_clean_failure(std::string("--energy ") + bad_header + quiet, bad_header + ":1:", before);
  }
}

TEST_F(RunCli, UnwritableOutputIsOneLineAndLeavesNothing) {
  write("blocker", "a file where a folder is needed\n");
  const auto r = run_command(kRun + " -q --trace " + kExample + " -o " + path("blocker/out"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(lines(r.err), 1U) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(listing(), std::set<std::string>{"blocker"});
  EXPECT_EQ(read_file(path("blocker")), "a file where a folder is needed\n");
}

}  // namespace
