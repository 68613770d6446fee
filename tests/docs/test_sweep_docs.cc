// docs/sweep.md against the code, both ways: the spec keys its tables list are the keys the
// spec reader accepts; the options of `nibble sweep --help` are the options it documents; the
// columns of a real sweep.csv are the columns it documents; its example spec is
// examples/sweep.yaml.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "model/sweep/spec.h"
#include "tests/run_command.h"

namespace {

namespace fs = std::filesystem;
using nibble::test::read_file;
using nibble::test::run_command;

const std::string kSource = NIBBLE_SOURCE_DIR;

std::string sweep_doc() { return read_file(kSource + "/docs/sweep.md"); }

// The text from the heading line `heading` to the next heading of any level.
std::string section(const std::string& text, const std::string& heading) {
  const size_t start = text.find("\n" + heading + "\n");
  EXPECT_NE(start, std::string::npos) << heading;
  if (start == std::string::npos) {
    return "";
  }
  const size_t body = start + heading.size() + 2;
  const size_t end = text.find("\n#", body);
  return text.substr(body, end == std::string::npos ? std::string::npos : end - body);
}

// The backticked names in the first cell of each table row of `text` ("| `a`, `b` | ..."),
// header and rule rows excluded.
std::vector<std::string> first_cell_names(const std::string& text) {
  std::vector<std::string> names;
  std::istringstream in(text);
  std::string line;
  const std::regex name("`([^`]+)`");
  while (std::getline(in, line)) {
    if (line.rfind("| ", 0) != 0) {
      continue;
    }
    const std::string cell = line.substr(2, line.find(" |", 2) - 2);
    for (auto it = std::sregex_iterator(cell.begin(), cell.end(), name);
         it != std::sregex_iterator(); ++it) {
      names.push_back((*it)[1]);
    }
  }
  return names;
}

std::set<std::string> as_set(const std::vector<std::string>& v) { return {v.begin(), v.end()}; }

TEST(SweepDocs, TopLevelKeys) {
  EXPECT_EQ(as_set(first_cell_names(section(sweep_doc(), "### Top-level keys"))),
            as_set(nibble::sweep::spec_top_keys()));
}

TEST(SweepDocs, AxisKeys) {
  const std::string text = section(sweep_doc(), "### Axis keys");
  EXPECT_EQ(as_set(first_cell_names(text)), as_set(nibble::sweep::spec_axis_keys()));
  for (const std::string& k : nibble::sweep::extra_axis_keys()) {
    EXPECT_NE(text.find("`" + k + "`"), std::string::npos) << k;
  }
}

TEST(SweepDocs, OptionsBothWays) {
  const auto help = run_command(std::string(NIBBLE_BINARY) + " sweep --help");
  ASSERT_EQ(help.exit_code, 0);
  std::set<std::string> in_help;
  const std::regex opt(R"(--([a-z][a-z0-9-]*))");
  for (auto it = std::sregex_iterator(help.out.begin(), help.out.end(), opt);
       it != std::sregex_iterator(); ++it) {
    in_help.insert((*it)[1]);
  }
  std::set<std::string> documented;
  for (const std::string& cell : first_cell_names(section(sweep_doc(), "## Command line"))) {
    std::smatch m;
    if (std::regex_search(cell, m, std::regex(R"(^--([a-z][a-z0-9-]*))"))) {
      documented.insert(m[1]);
    }
  }
  // Options mentioned in help texts (--slurm in "--slurm: ...", --partition in an example)
  // need not be options of nibble sweep; every documented one must be, and every option must
  // be documented.
  for (const std::string& o : documented) {
    EXPECT_EQ(in_help.count(o), 1U) << "docs/sweep.md documents --" << o << ", not an option";
  }
  const std::set<std::string> options = {"output",     "jobs",      "no-plots", "quiet",
                                         "slurm",      "submit",    "dry-run",  "throttle",
                                         "chunk-size", "slurm-opt", "index",    "help"};
  for (const std::string& o : options) {
    EXPECT_EQ(in_help.count(o), 1U) << "--" << o << " is not in nibble sweep --help";
    EXPECT_EQ(documented.count(o), 1U) << "--" << o << " is not in docs/sweep.md's table";
  }
}

TEST(SweepDocs, CsvColumnsBothWays) {
  const fs::path dir = fs::temp_directory_path() / "nibble_sweep_docs_columns";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path spec = dir / "s.yaml";
  std::ofstream(spec) << "workloads: [" << kSource
                      << "/traces/example.trace]\naxes:\n  - {key: array.rows, values: [8, 16]}\n";
  const auto r = run_command(std::string(NIBBLE_BINARY) + " sweep " + spec.string() + " -o " +
                             (dir / "o").string() + " -q --no-plots");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string csv = read_file((dir / "o" / "sweep.csv").string());
  fs::remove_all(dir);
  std::vector<std::string> header;
  std::istringstream cells(csv.substr(0, csv.find('\n')));
  for (std::string c; std::getline(cells, c, ',');) {
    header.push_back(c);
  }
  ASSERT_GT(header.size(), 40U);

  const std::vector<std::string> baselines = {"fp16_iso_pe",      "fp16_iso_area", "fp16dot_iso_pe",
                                              "fp16dot_iso_area", "hfp8_iso_pe",   "hfp8_iso_area"};
  std::set<std::string> documented;
  for (const std::string& name : first_cell_names(section(sweep_doc(), "## sweep.csv"))) {
    if (name.rfind("<baseline>.", 0) == 0) {
      for (const std::string& b : baselines) {
        documented.insert(b + name.substr(10));
      }
    } else {
      documented.insert(name);
    }
  }
  EXPECT_EQ(header[2], "array.rows");  // the axis column, documented as "one column per axis"
  std::set<std::string> in_csv;
  for (size_t c = 0; c < header.size(); ++c) {
    if (c == 2) {
      continue;
    }
    in_csv.insert(header[c]);
    EXPECT_EQ(documented.count(header[c]), 1U) << header[c] << " is not in docs/sweep.md";
  }
  for (const std::string& d : documented) {
    EXPECT_EQ(in_csv.count(d), 1U) << "docs/sweep.md documents " << d << ", not in sweep.csv";
  }
}

TEST(SweepDocs, ExampleSpecIsTheExampleFile) {
  const std::string text = section(sweep_doc(), "## The spec");
  const size_t open = text.find("```yaml\n");
  ASSERT_NE(open, std::string::npos);
  const size_t close = text.find("```", open + 8);
  const std::string shown = text.substr(open + 8, close - open - 8);
  std::string file = read_file(kSource + "/examples/sweep.yaml");
  while (file.rfind("#", 0) == 0) {  // the file's header comment is not shown
    file = file.substr(file.find('\n') + 1);
  }
  EXPECT_EQ(shown, file);
}

}  // namespace
