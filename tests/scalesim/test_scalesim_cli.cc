// `nibble scalesim` run as a user runs it, against SCALE-Sim v2's own reports in
// tests/data/scalesim/ (ORIGIN.md): every reference run and every held-out case, found by listing
// the data folders, must give the three reports byte for byte and, read back as tables, cell by
// cell. No reference number is typed here. Also: malformed inputs give one error line naming the
// file and line, exit code 2 and no output; the output is the same on every run.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/run_command.h"
#include "tests/unit/timing/scalesim_files.h"

namespace {

namespace fs = std::filesystem;
using nibble::test::CommandResult;
using nibble::test::run_command;
using nibble::testing::split_commas;
using nibble::testing::trim;

const std::string kNibble = NIBBLE_BINARY;
const fs::path kData = fs::path(NIBBLE_SOURCE_DIR) / "tests" / "data" / "scalesim";
const char* const kReports[] = {"COMPUTE_REPORT.csv", "BANDWIDTH_REPORT.csv",
                                "DETAILED_ACCESS_REPORT.csv"};

// A fresh folder under the system's temporary directory, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "nibble_scalesim_XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("mkdtemp failed");
    }
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string quote(const fs::path& p) {
  std::string out = "'";
  for (char c : p.string()) {
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return out + "'";
}

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    throw std::runtime_error("cannot read " + p.string());
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_text(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
  if (!out) {
    throw std::runtime_error("cannot write " + p.string());
  }
}

size_t count_lines(const std::string& s) {
  return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

std::vector<std::string> entries(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) {
    names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// The `run_name` of a SCALE-Sim .cfg (configparser: key case-insensitive, ':' or '=').
std::string run_name_of(const fs::path& cfg) {
  for (const std::string& raw : nibble::testing::read_lines(cfg.string())) {
    const std::string line = trim(raw);
    const size_t sep = line.find_first_of(":=");
    if (sep == std::string::npos) {
      continue;
    }
    std::string key = trim(line.substr(0, sep));
    std::transform(key.begin(), key.end(), key.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (key == "run_name") {
      return trim(line.substr(sep + 1));
    }
  }
  throw std::runtime_error(cfg.string() + ": no run_name");
}

CommandResult run_scalesim(const fs::path& cfg, const fs::path& topology, bool gemm,
                           const fs::path& out, bool quiet) {
  return run_command(kNibble + " scalesim -c " + quote(cfg) + " -t " + quote(topology) +
                     (gemm ? " -i gemm" : "") + " -p " + quote(out) + (quiet ? " -q" : ""));
}

// ---------------------------------------------------------------------------------------------
// The reference cases.

struct Case {
  std::string name;
  fs::path cfg;
  fs::path topology;
  bool gemm = false;
  fs::path reports;  // SCALE-Sim's three reports
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

std::vector<fs::path> subdirs(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_directory()) {
      out.push_back(it->path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// results/<topology>_<dataflow> ran configs/sa32x32_<dataflow>.cfg on topologies/<topology>.csv,
// where "shipped_alexnet" is SCALE-Sim's own alexnet.csv and gemm_* topologies are in GEMM
// form (ORIGIN.md's table).
std::vector<Case> reference_runs() {
  std::vector<Case> cases;
  for (const fs::path& dir : subdirs(kData / "results")) {
    const std::string name = dir.filename().string();
    const size_t cut = name.rfind('_');
    std::string topology = name.substr(0, cut);
    const std::string dataflow = name.substr(cut + 1);
    const std::string shipped = "shipped_";
    if (topology.rfind(shipped, 0) == 0) {
      topology = topology.substr(shipped.size());
    }
    cases.push_back({name, kData / "configs" / ("sa32x32_" + dataflow + ".cfg"),
                     kData / "topologies" / (topology + ".csv"), topology.rfind("gemm", 0) == 0,
                     dir});
  }
  return cases;
}

// heldout/<case>/ holds cfg.cfg, topo.csv and the reports; gemm_* cases are in GEMM form.
std::vector<Case> heldout_cases() {
  std::vector<Case> cases;
  for (const fs::path& dir : subdirs(kData / "heldout")) {
    const std::string name = dir.filename().string();
    cases.push_back({name, dir / "cfg.cfg", dir / "topo.csv", name.rfind("gemm_", 0) == 0, dir});
  }
  return cases;
}

std::vector<Case> all_cases() {
  std::vector<Case> cases = reference_runs();
  for (Case& c : heldout_cases()) {
    c.name = "heldout_" + c.name;
    cases.push_back(std::move(c));
  }
  return cases;
}

TEST(ScaleSimCliData, EveryCaseIsFoundWithItsInputs) {
  // ORIGIN.md: 5 shared runs and 45 held-out runs.
  EXPECT_GE(reference_runs().size(), 5U);
  EXPECT_GE(heldout_cases().size(), 45U);
  for (const Case& c : all_cases()) {
    EXPECT_TRUE(fs::is_regular_file(c.cfg)) << c.name << ": " << c.cfg;
    EXPECT_TRUE(fs::is_regular_file(c.topology)) << c.name << ": " << c.topology;
    for (const char* report : kReports) {
      EXPECT_TRUE(fs::is_regular_file(c.reports / report)) << c.name << ": " << report;
    }
  }
}

// A report as a table: lines split on ',' and trimmed, the empty field after the trailing comma
// dropped. Row 0 is the header.
std::vector<std::vector<std::string>> read_table(const fs::path& p) {
  std::vector<std::vector<std::string>> rows;
  for (const std::string& line : nibble::testing::read_lines(p.string())) {
    if (trim(line).empty()) {
      continue;
    }
    std::vector<std::string> fields = split_commas(line);
    if (!fields.empty() && fields.back().empty()) {
      fields.pop_back();
    }
    rows.push_back(std::move(fields));
  }
  return rows;
}

bool is_integer(const std::string& s) {
  size_t i = !s.empty() && s[0] == '-' ? 1 : 0;
  return i < s.size() && std::all_of(s.begin() + static_cast<std::ptrdiff_t>(i), s.end(),
                                     [](unsigned char c) { return std::isdigit(c) != 0; });
}

bool parse_double(const std::string& s, double& value) {
  if (s.empty()) {
    return false;
  }
  char* end = nullptr;
  value = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size();
}

// Every cell of nibble's report against SCALE-Sim's: integers and cycle columns exactly, other
// floats to 1e-9 relative. Each failure names the report, the layer and the column.
void expect_same_cells(const fs::path& got_path, const fs::path& want_path) {
  const std::string report = want_path.filename().string();
  const auto got = read_table(got_path);
  const auto want = read_table(want_path);
  ASSERT_FALSE(want.empty()) << want_path;
  ASSERT_FALSE(got.empty()) << report << ": empty";
  const std::vector<std::string>& header = want[0];
  ASSERT_EQ(got[0], header) << report << ": header";
  ASSERT_EQ(got.size(), want.size()) << report << ": number of layers";
  for (size_t i = 1; i < want.size(); ++i) {
    const std::string layer = report + " layer " + want[i][0];
    ASSERT_EQ(want[i].size(), header.size()) << want_path << " row " << i;
    EXPECT_EQ(got[i].size(), header.size()) << layer << ": number of fields";
    for (size_t j = 0; j < header.size() && j < got[i].size(); ++j) {
      const std::string where = layer + ", column '" + header[j] + "': nibble '" + got[i][j] +
                                "', SCALE-Sim '" + want[i][j] + "'";
      const std::string& g = got[i][j];
      const std::string& w = want[i][j];
      if (is_integer(w)) {
        EXPECT_TRUE(is_integer(g) && std::stoll(g) == std::stoll(w)) << where;
        continue;
      }
      double gv = 0;
      double wv = 0;
      ASSERT_TRUE(parse_double(w, wv)) << want_path << ": " << where;
      if (!parse_double(g, gv)) {
        ADD_FAILURE() << where << " (not a number)";
        continue;
      }
      if (header[j].find("Cycle") != std::string::npos) {
        EXPECT_EQ(gv, wv) << where;
      } else {
        EXPECT_LE(std::abs(gv - wv), 1e-9 * std::abs(wv)) << where;
      }
    }
  }
}

// The first line where two texts differ, for a short failure message.
std::string first_difference(const std::string& got, const std::string& want) {
  std::istringstream g(got);
  std::istringstream w(want);
  std::string gl;
  std::string wl;
  for (int line = 1;; ++line) {
    const bool gok = static_cast<bool>(std::getline(g, gl));
    const bool wok = static_cast<bool>(std::getline(w, wl));
    if (!gok && !wok) {
      return "same lines; line ends or final newline differ";
    }
    if (gok != wok || gl != wl) {
      return "line " + std::to_string(line) + ": nibble '" + (gok ? gl : "<end>") +
             "', SCALE-Sim '" + (wok ? wl : "<end>") + "'";
    }
  }
}

class ScaleSimCliReference : public ::testing::TestWithParam<Case> {};

TEST_P(ScaleSimCliReference, ReportsMatchScaleSim) {
  const Case& c = GetParam();
  TempDir tmp;
  const fs::path out = tmp.path() / "out";
  const CommandResult r = run_scalesim(c.cfg, c.topology, c.gemm, out, true);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "");
  const std::string run_name = run_name_of(c.cfg);
  // Exactly the run folder, holding exactly the three reports: no staging folder left over.
  EXPECT_EQ(entries(out), std::vector<std::string>{run_name});
  std::vector<std::string> reports(std::begin(kReports), std::end(kReports));
  std::sort(reports.begin(), reports.end());
  ASSERT_EQ(entries(out / run_name), reports);
  for (const char* report : kReports) {
    SCOPED_TRACE(report);
    const std::string got = read_bytes(out / run_name / report);
    const std::string want = read_bytes(c.reports / report);
    EXPECT_TRUE(got == want) << report << " is not byte-identical: " << first_difference(got, want);
    expect_same_cells(out / run_name / report, c.reports / report);
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, ScaleSimCliReference, ::testing::ValuesIn(all_cases()),
                         [](const ::testing::TestParamInfo<Case>& p) { return p.param.name; });

// ---------------------------------------------------------------------------------------------
// Malformed inputs: one line on stderr naming the file (and line), exit code 2, nothing on
// stdout, and no output: a fresh -p folder stays empty, a missing one is not created.

// A valid SCALE-Sim config and conv topology; the cases below change one line.
const std::vector<std::string> kGoodCfg = {
    "[general]",                 // 1
    "run_name = err_run",        // 2
    "",                          // 3
    "[architecture_presets]",    // 4
    "ArrayHeight:    8",         // 5
    "ArrayWidth:     8",         // 6
    "IfmapSramSzkB:   64",       // 7
    "FilterSramSzkB:  64",       // 8
    "OfmapSramSzkB:   64",       // 9
    "IfmapOffset:    0",         // 10
    "FilterOffset:   10000000",  // 11
    "OfmapOffset:    20000000",  // 12
    "Bandwidth : 10",            // 13
    "Dataflow : ws",             // 14
    "MemoryBanks:   1",          // 15
    "",                          // 16
    "[run_presets]",             // 17
    "InterfaceBandwidth: CALC",  // 18
};
const std::vector<std::string> kGoodTopology = {
    "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, "
    "Strides,",
    "Conv1, 16, 16, 3, 3, 2, 8, 1,",
    "Conv2, 14, 14, 3, 3, 8, 8, 2,",
};

std::string join_lines(const std::vector<std::string>& lines) {
  std::string text;
  for (const std::string& line : lines) {
    text += line + "\n";
  }
  return text;
}

// lines with line `number` (1-based) replaced by `text`.
std::vector<std::string> with_line(std::vector<std::string> lines, size_t number,
                                   const std::string& text) {
  lines.at(number - 1) = text;
  return lines;
}

struct BadInput {
  std::string what;
  std::string cfg;       // file contents
  std::string topology;  // file contents
  bool gemm = false;
  bool bad_cfg = true;  // which file the error must name
  int line = 0;         // 0: no line number expected
  std::string mention;  // text the message must contain
};

std::vector<BadInput> bad_inputs() {
  const std::string cfg = join_lines(kGoodCfg);
  const std::string topo = join_lines(kGoodTopology);
  std::vector<std::string> unknown_key = kGoodCfg;
  unknown_key.insert(unknown_key.begin() + 15, "Banks: 2");
  std::vector<std::string> missing_key = kGoodCfg;
  missing_key.erase(missing_key.begin() + 5);  // ArrayWidth
  return {
      {"cfg: unknown key", join_lines(unknown_key), topo, false, true, 16, "Banks"},
      {"cfg: Dataflow WS", join_lines(with_line(kGoodCfg, 14, "Dataflow : WS")), topo, false, true,
       14, "WS"},
      {"cfg: inline comment", join_lines(with_line(kGoodCfg, 14, "Dataflow : ws # weights stay")),
       topo, false, true, 14, "#"},
      {"cfg: non-integer ArrayHeight", join_lines(with_line(kGoodCfg, 5, "ArrayHeight: 32.0")),
       topo, false, true, 5, "32.0"},
      {"cfg: ArrayHeight 0", join_lines(with_line(kGoodCfg, 5, "ArrayHeight: 0")), topo, false,
       true, 5, "ArrayHeight"},
      {"cfg: missing key", join_lines(missing_key), topo, false, true, 4, "ArrayWidth"},
      {"cfg: InterfaceBandwidth USER",
       join_lines(with_line(kGoodCfg, 18, "InterfaceBandwidth: USER")), topo, false, true, 18,
       "USER"},
      {"cfg: empty file", "", topo, false, true, 0, ""},
      {"topology: non-integer field", cfg,
       join_lines(with_line(kGoodTopology, 3, "Conv2, 14, 14, 3.0, 3, 8, 8, 2,")), false, false, 3,
       "3.0"},
      {"topology: too few fields", cfg,
       join_lines(with_line(kGoodTopology, 3, "Conv2, 14, 14, 3, 3, 8,")), false, false, 3, ""},
      {"topology: Fh > H", cfg,
       join_lines(with_line(kGoodTopology, 2, "Conv1, 2, 16, 3, 3, 2, 8, 1,")), false, false, 2,
       ""},
      {"topology: empty file", cfg, "", false, false, 0, ""},
      {"topology: header only", cfg, kGoodTopology[0] + "\n", false, false, 0, ""},
      {"gemm topology: too few fields", cfg, "Layer, M, N, K,\ng0, 4, 5, 6,\ng1, 4, 5,\n", true,
       false, 3, ""},
  };
}

void expect_one_error_line(const CommandResult& r, const std::string& file, int line,
                           const std::string& mention) {
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(count_lines(r.err), 1U) << r.err;
  EXPECT_TRUE(!r.err.empty() && r.err.back() == '\n') << r.err;
  EXPECT_NE(r.err.find(file), std::string::npos) << "does not name " << file << ": " << r.err;
  if (line > 0) {
    const std::string at = file + ":" + std::to_string(line) + ":";
    EXPECT_NE(r.err.find(at), std::string::npos) << "does not say " << at << ": " << r.err;
  }
  EXPECT_NE(r.err.find(mention), std::string::npos)
      << "does not mention " << mention << ": " << r.err;
}

TEST(ScaleSimCliErrors, GoodInputsOfTheErrorCasesRun) {
  TempDir tmp;
  write_text(tmp.path() / "good.cfg", join_lines(kGoodCfg));
  write_text(tmp.path() / "good.csv", join_lines(kGoodTopology));
  const CommandResult r = run_scalesim(tmp.path() / "good.cfg", tmp.path() / "good.csv", false,
                                       tmp.path() / "out", true);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::is_regular_file(tmp.path() / "out" / "err_run" / "COMPUTE_REPORT.csv"));
}

TEST(ScaleSimCliErrors, MalformedInputIsOneLineExit2AndNoOutput) {
  for (const BadInput& bad : bad_inputs()) {
    SCOPED_TRACE(bad.what);
    TempDir tmp;
    const fs::path cfg = tmp.path() / "arch.cfg";
    const fs::path topology = tmp.path() / "layers.csv";
    write_text(cfg, bad.cfg);
    write_text(topology, bad.topology);
    const std::string file = (bad.bad_cfg ? cfg : topology).string();

    // Progress lines are on (no -q): on bad input there must be none.
    const fs::path existing = tmp.path() / "existing";
    fs::create_directory(existing);
    const CommandResult r = run_scalesim(cfg, topology, bad.gemm, existing, false);
    expect_one_error_line(r, file, bad.line, bad.mention);
    EXPECT_TRUE(entries(existing).empty()) << "left in -p: " << entries(existing).size();

    const fs::path missing = tmp.path() / "missing";
    const CommandResult r2 = run_scalesim(cfg, topology, bad.gemm, missing, false);
    expect_one_error_line(r2, file, bad.line, bad.mention);
    EXPECT_FALSE(fs::exists(missing));
    EXPECT_EQ(entries(tmp.path()),
              (std::vector<std::string>{"arch.cfg", "existing", "layers.csv"}));
  }
}

TEST(ScaleSimCliErrors, MissingInputFileIsOneLineExit2) {
  TempDir tmp;
  write_text(tmp.path() / "good.cfg", join_lines(kGoodCfg));
  write_text(tmp.path() / "good.csv", join_lines(kGoodTopology));
  const fs::path none = tmp.path() / "no_such_file";
  const CommandResult r1 =
      run_scalesim(none, tmp.path() / "good.csv", false, tmp.path() / "out", false);
  expect_one_error_line(r1, none.string(), 0, "");
  const CommandResult r2 =
      run_scalesim(tmp.path() / "good.cfg", none, false, tmp.path() / "out", false);
  expect_one_error_line(r2, none.string(), 0, "");
  EXPECT_FALSE(fs::exists(tmp.path() / "out"));
}

TEST(ScaleSimCliErrors, UnwritableOutputIsOneLineExit2) {
  TempDir tmp;
  const fs::path cfg = tmp.path() / "good.cfg";
  const fs::path topology = tmp.path() / "good.csv";
  write_text(cfg, join_lines(kGoodCfg));
  write_text(topology, join_lines(kGoodTopology));

  // -p below a regular file. The layers are simulated before the output is written, so
  // progress lines (off with -q) may come before the error.
  const fs::path plain = tmp.path() / "plain";
  write_text(plain, "not a folder\n");
  const CommandResult r = run_scalesim(cfg, topology, false, plain / "out", true);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(count_lines(r.err), 1U) << r.err;
  EXPECT_NE(r.err.find((plain / "out").string()), std::string::npos) << r.err;
  EXPECT_EQ(read_bytes(plain), "not a folder\n");

  // <path>/<run_name> is a regular file: the reports cannot go there, and the staging folder
  // beside it must be gone afterwards.
  const fs::path out = tmp.path() / "out";
  fs::create_directory(out);
  write_text(out / "err_run", "a file\n");
  const CommandResult r2 = run_scalesim(cfg, topology, false, out, true);
  EXPECT_EQ(r2.exit_code, 2);
  EXPECT_EQ(r2.out, "");
  EXPECT_EQ(count_lines(r2.err), 1U) << r2.err;
  EXPECT_EQ(entries(out), std::vector<std::string>{"err_run"});
  EXPECT_EQ(read_bytes(out / "err_run"), "a file\n");
  EXPECT_EQ(entries(tmp.path()),
            (std::vector<std::string>{"good.cfg", "good.csv", "out", "plain"}));

  // <path>/<run_name>/COMPUTE_REPORT.csv is a folder (issue 18, D2): no report is moved in.
  fs::remove(out / "err_run");
  fs::create_directories(out / "err_run" / "COMPUTE_REPORT.csv");
  const CommandResult r3 = run_scalesim(cfg, topology, false, out, true);
  EXPECT_EQ(r3.exit_code, 2);
  EXPECT_EQ(count_lines(r3.err), 1U) << r3.err;
  EXPECT_NE(r3.err.find("COMPUTE_REPORT.csv"), std::string::npos) << r3.err;
  EXPECT_EQ(entries(out / "err_run"), std::vector<std::string>{"COMPUTE_REPORT.csv"});
  EXPECT_EQ(entries(out), std::vector<std::string>{"err_run"});
}

// ---------------------------------------------------------------------------------------------
// Determinism: two runs, into two folders and again into the same folder, write the same bytes.

TEST(ScaleSimCliDeterminism, RunsAreByteIdentical) {
  std::vector<Case> cases = reference_runs();
  const std::vector<Case> heldout = heldout_cases();
  cases.insert(cases.end(), heldout.begin(), heldout.end());
  ASSERT_FALSE(cases.empty());
  // Every fourth case keeps the test short; it still covers all three dataflows and both forms.
  for (size_t i = 0; i < cases.size(); i += 4) {
    const Case& c = cases[i];
    SCOPED_TRACE(c.name);
    TempDir tmp;
    const std::string run_name = run_name_of(c.cfg);
    const fs::path a = tmp.path() / "a";
    const fs::path b = tmp.path() / "b";
    ASSERT_EQ(run_scalesim(c.cfg, c.topology, c.gemm, a, true).exit_code, 0);
    ASSERT_EQ(run_scalesim(c.cfg, c.topology, c.gemm, b, true).exit_code, 0);
    std::vector<std::string> first;
    for (const char* report : kReports) {
      first.push_back(read_bytes(a / run_name / report));
      EXPECT_TRUE(first.back() == read_bytes(b / run_name / report)) << report;
    }
    ASSERT_EQ(run_scalesim(c.cfg, c.topology, c.gemm, a, true).exit_code, 0);
    EXPECT_EQ(entries(a), std::vector<std::string>{run_name});
    for (size_t j = 0; j < first.size(); ++j) {
      EXPECT_TRUE(first[j] == read_bytes(a / run_name / kReports[j])) << kReports[j];
    }
  }
}

}  // namespace
