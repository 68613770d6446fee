// Keeps docs/ honest: the code tables in docs/numerics.md must equal what model/numerics
// decodes, every option `nibble ... --help` prints must be documented in docs/cli.md, and every
// parameter and port of the RTL modules in docs/rtl.md.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "model/numerics/fp4.h"
#include "model/numerics/int4.h"
#include "tests/run_command.h"

namespace {

using nibble::test::read_file;
using nibble::test::run_command;

std::string doc(const std::string& name) {
  return read_file(std::string(NIBBLE_SOURCE_DIR) + "/docs/" + name);
}

// Rows of markdown tables whose first cell is a 4-bit code such as 0xA.
std::vector<std::vector<std::string>> code_rows(const std::string& text, const std::string& after) {
  const size_t start = text.find(after);
  EXPECT_NE(start, std::string::npos) << "section not found: " << after;
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(text.substr(start));
  std::string line;
  bool in_table = false;
  while (std::getline(in, line)) {
    if (line.rfind("| 0x", 0) == 0) {
      in_table = true;
      std::vector<std::string> cells;
      std::istringstream cs(line.substr(1));
      std::string cell;
      while (std::getline(cs, cell, '|')) {
        const size_t b = cell.find_first_not_of(' ');
        const size_t e = cell.find_last_not_of(' ');
        cells.push_back(b == std::string::npos ? "" : cell.substr(b, e - b + 1));
      }
      rows.push_back(cells);
    } else if (in_table) {
      break;
    }
  }
  return rows;
}

// "2^-12", "-2^0", "0", "-0" -> value.
double parse_pow2(const std::string& s) {
  if (s == "0") {
    return 0.0;
  }
  if (s == "-0") {
    return -0.0;
  }
  const bool neg = s[0] == '-';
  const std::string body = neg ? s.substr(1) : s;
  EXPECT_EQ(body.rfind("2^", 0), 0U) << s;
  const double v = std::ldexp(1.0, std::stoi(body.substr(2)));
  return neg ? -v : v;
}

TEST(Docs, Int4TableMatchesCode) {
  const auto rows = code_rows(doc("numerics.md"), "## INT4 and UINT4");
  ASSERT_EQ(rows.size(), 16U);
  for (unsigned c = 0; c < 16; ++c) {
    SCOPED_TRACE(rows[c][0]);
    EXPECT_EQ(std::stoul(rows[c][0], nullptr, 16), c);
    EXPECT_EQ(std::stoi(rows[c][2]), nibble::num::int4_value(nibble::num::Code4(c)));
    EXPECT_EQ(std::stoi(rows[c][3]), nibble::num::uint4_value(nibble::num::Code4(c)));
  }
}

TEST(Docs, Fp4TableMatchesCode) {
  const auto rows = code_rows(doc("numerics.md"), "### Code table (default bias 7)");
  ASSERT_EQ(rows.size(), 16U);
  for (unsigned c = 0; c < 16; ++c) {
    SCOPED_TRACE(rows[c][0]);
    const auto code = nibble::num::Code4(c);
    EXPECT_EQ(std::stoul(rows[c][0], nullptr, 16), c);
    EXPECT_EQ(std::stoi(rows[c][3]), int(c & 7U));
    for (int phase = 0; phase < 2; ++phase) {
      const double documented = parse_pow2(rows[c][size_t(4 + phase)]);
      const double coded = nibble::num::fp4_value(code, {nibble::num::kFp4DefaultBias, phase});
      EXPECT_EQ(documented, coded);
      EXPECT_EQ(std::signbit(documented), std::signbit(coded));
    }
  }
}

TEST(Docs, Fp4ThresholdTableMatchesCode) {
  const std::string text = doc("numerics.md");
  const std::regex row(R"(\| (\d) -> (\d) \| ([^|]+) \| ([^|]+) \|)");
  int seen = 0;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), row); it != std::sregex_iterator();
       ++it) {
    const int e = std::stoi((*it)[1]);
    for (int phase = 0; phase < 2; ++phase) {
      std::string cell = (*it)[size_t(3 + phase)];
      cell.erase(cell.find_last_not_of(' ') + 1);
      double factor = 1.0;
      if (cell.rfind("2.5 * ", 0) == 0) {
        factor = 2.5;
        cell = cell.substr(6);
      }
      EXPECT_EQ(factor * parse_pow2(cell),
                nibble::num::fp4_threshold(e, {nibble::num::kFp4DefaultBias, phase}))
          << "threshold " << e << " phase " << phase;
    }
    ++seen;
  }
  EXPECT_EQ(seen, 7);
}

// The text of the section of a markdown file whose heading names `name` in backticks: from that
// heading to the next heading of the same or a higher level.
std::string section_naming(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  std::string line;
  std::string out;
  size_t level = 0;
  while (std::getline(in, line)) {
    const size_t hashes = line.find_first_not_of('#');
    const bool heading = hashes != 0 && hashes != std::string::npos && line[hashes] == ' ';
    if (level == 0) {
      if (heading && line.find("`" + name + "`") != std::string::npos) {
        level = hashes;
      }
      continue;
    }
    if (heading && hashes <= level) {
      break;
    }
    out += line + "\n";
  }
  return out;
}

// The parameters and ports of an RTL module, read from its header in rtl/<module>.sv (comments
// stripped; localparams are not parameters a user sets).
std::vector<std::string> rtl_interface(const std::string& module) {
  const std::string sv = read_file(std::string(NIBBLE_SOURCE_DIR) + "/rtl/" + module + ".sv");
  const size_t begin = sv.find("module " + module);
  EXPECT_NE(begin, std::string::npos) << module;
  const size_t end = sv.find("\n);", begin);
  EXPECT_NE(end, std::string::npos) << module;
  std::istringstream in(sv.substr(begin, end - begin));
  const std::regex parameter(R"(^\s*parameter\b.*?\b(\w+)\s*=)");
  const std::regex port(R"(^\s*(input|output)\b.*?\b(\w+)\s*,?\s*$)");
  std::vector<std::string> names;
  std::string line;
  while (std::getline(in, line)) {
    line = line.substr(0, line.find("//"));
    std::smatch m;
    if (std::regex_search(line, m, parameter)) {
      names.push_back(m[1]);
    } else if (std::regex_search(line, m, port)) {
      names.push_back(m[2]);
    }
  }
  return names;
}

TEST(Docs, EveryRtlParameterAndPortIsDocumented) {
  const std::string rtl_doc = doc("rtl.md");
  size_t checked = 0;
  // Every module file in rtl/ (the packages, *_pkg.sv, have no ports: a table and functions).
  std::vector<std::string> modules;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(NIBBLE_SOURCE_DIR) + "/rtl")) {
    const std::filesystem::path& path = entry.path();
    const std::string stem = path.stem().string();
    const bool package = stem.size() >= 4 && stem.compare(stem.size() - 4, 4, "_pkg") == 0;
    if (path.extension() == ".sv" && !package) {
      modules.push_back(path.stem().string());
    }
  }
  std::sort(modules.begin(), modules.end());
  EXPECT_GE(modules.size(), 7U);
  for (const std::string& module : modules) {
    const std::string section = section_naming(rtl_doc, module);
    EXPECT_FALSE(section.empty()) << "docs/rtl.md has no section headed `" << module << "`";
    const std::vector<std::string> names = rtl_interface(module);
    EXPECT_GE(names.size(), 3U) << module;
    for (const std::string& name : names) {
      EXPECT_NE(section.find("`" + name + "`"), std::string::npos)
          << module << ": `" << name << "` is not in its section of docs/rtl.md";
      ++checked;
    }
  }
  EXPECT_GE(checked, 60U);
}

// Long options (--name) printed by a help text.
std::set<std::string> options_in_help(const std::string& help) {
  std::set<std::string> opts;
  const std::regex opt(R"(--([a-z][a-z0-9-]*))");
  for (auto it = std::sregex_iterator(help.begin(), help.end(), opt); it != std::sregex_iterator();
       ++it) {
    opts.insert((*it)[1]);
  }
  return opts;
}

TEST(Docs, EveryCliOptionIsDocumented) {
  const std::string cli_doc = doc("cli.md");
  const auto top = run_command(std::string(NIBBLE_BINARY) + " --help");
  ASSERT_EQ(top.exit_code, 0);
  std::vector<std::string> helps = {top.out};
  // Each "  <name>  <summary>" line under "Commands:" is a subcommand with its own --help.
  const std::regex command_line(R"(\n  ([a-z]+) {2,})");
  for (auto it = std::sregex_iterator(top.out.begin(), top.out.end(), command_line);
       it != std::sregex_iterator(); ++it) {
    const std::string name = (*it)[1];
    EXPECT_NE(cli_doc.find("## `nibble " + name), std::string::npos)
        << "command '" << name << "' has no section in docs/cli.md";
    const auto sub = run_command(std::string(NIBBLE_BINARY) + " " + name + " --help");
    EXPECT_EQ(sub.exit_code, 0) << name;
    helps.push_back(sub.out);
  }
  EXPECT_GE(helps.size(), 2U);
  for (size_t h = 0; h < helps.size(); ++h) {
    // nibble sweep's and nibble import's options are documented on their own pages, which
    // cli.md links (import's help is argparse's: "usage: nibble import").
    const bool sweep = helps[h].find("Usage: nibble sweep") == 0;
    const bool import = helps[h].find("usage: nibble import") == 0;
    const std::string page = sweep ? "sweep.md" : import ? "import.md" : "cli.md";
    for (const auto& opt : options_in_help(helps[h])) {
      EXPECT_NE((sweep || import ? doc(page) : cli_doc).find("`--" + opt), std::string::npos)
          << "option --" << opt << " is not documented in docs/" << page;
    }
  }
}

}  // namespace
