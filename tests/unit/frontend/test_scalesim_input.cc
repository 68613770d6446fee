// Tests of the SCALE-Sim input readers (model/frontend/scalesim_input.h) against
// docs/scalesim.md. Expected values come from outside the reader: the shipped inputs'
// directory and layer names (which encode array sizes and M x N x K), the SRAM sizes listed in
// tests/data/scalesim/ORIGIN.md's source notes, the number of rows SCALE-Sim itself wrote in
// each COMPUTE_REPORT.csv, and the conv lowering written out here (conv_mnk, not ConvShape's
// methods).
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "model/frontend/input_error.h"
#include "model/frontend/scalesim_input.h"
#include "model/timing/arch_spec.h"
#include "model/workload/gemm_spec.h"

namespace {

namespace fs = std::filesystem;

using nibble::frontend::InputError;
using nibble::frontend::parse_scalesim_cfg;
using nibble::frontend::parse_scalesim_topology;
using nibble::frontend::read_scalesim_cfg;
using nibble::frontend::read_scalesim_topology;
using nibble::frontend::TopologyForm;
using nibble::num::Format;
using nibble::timing::ArchSpec;
using nibble::timing::Dataflow;
using nibble::timing::TimingMode;
using nibble::workload::ConvShape;
using nibble::workload::GemmSpec;
using nibble::workload::Pass;
using nibble::workload::Workload;

const fs::path kData = fs::path(NIBBLE_SOURCE_DIR) / "tests" / "data" / "scalesim";

ArchSpec cfg(const std::string& text, const std::string& source = "c.cfg") {
  std::istringstream in(text);
  return parse_scalesim_cfg(in, source);
}

Workload topo(const std::string& text, TopologyForm form = TopologyForm::kConv,
              const std::string& source = "dir/t.csv") {
  std::istringstream in(text);
  return parse_scalesim_topology(in, source, form);
}

// The message of the InputError f throws; a test failure if it throws nothing.
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected an InputError";
  return "";
}

// The message starts with where ("c.cfg:3:") and contains every part.
void expect_error(const std::function<void()>& f, const std::string& where,
                  std::initializer_list<std::string> parts) {
  const std::string what = error_of(f);
  EXPECT_EQ(what.rfind(where, 0), 0u) << "message: " << what << "\nexpected prefix: " << where;
  for (const std::string& part : parts) {
    EXPECT_NE(what.find(part), std::string::npos) << "message: " << what << "\nmissing: " << part;
  }
}

// The three sections of SCALE-Sim's own configs/scale.cfg, written out (trailing spaces
// included, as in that file).
const std::string kGeneral = "[general]\nrun_name = scale_example_run_32x32_os\n\n";
const std::string kArchHead = "[architecture_presets]\n";
const std::string kArchBody =
    "ArrayHeight:    32\n"
    "ArrayWidth:     32\n"
    "IfmapSramSzkB:   64 \n"
    "FilterSramSzkB:  64 \n"
    "OfmapSramSzkB:   64 \n"
    "IfmapOffset:    0\n"
    "FilterOffset:   10000000\n"
    "OfmapOffset:    20000000\n"
    "Bandwidth : 10\n"
    "Dataflow : os\n"
    "MemoryBanks:   1\n"
    "\n";
const std::string kRun = "[run_presets]\nInterfaceBandwidth: CALC \n";
const std::string kScaleCfg = kGeneral + kArchHead + kArchBody + kRun;

// kScaleCfg with the line starting with `prefix` in [architecture_presets] replaced by
// `replacement` (or removed if it is empty).
std::string with_arch_line(const std::string& prefix, const std::string& replacement) {
  std::istringstream in(kArchBody);
  std::string body;
  std::string line;
  bool found = false;
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) == 0) {
      found = true;
      if (!replacement.empty()) {
        body += replacement + "\n";
      }
    } else {
      body += line + "\n";
    }
  }
  EXPECT_TRUE(found) << prefix;
  return kGeneral + kArchHead + body + kRun;
}

// Line numbers in kScaleCfg: [general] 1, [architecture_presets] 4, ArrayHeight 5, ...,
// Dataflow 14, [run_presets] 17, InterfaceBandwidth 18.
constexpr int kArchHeaderLine = 4;
constexpr int kDataflowLine = 14;

// ---------------------------------------------------------------------------------------------
// .cfg
// ---------------------------------------------------------------------------------------------

TEST(ScaleSimCfg, ReadsSCALESimsOwnConfig) {
  const ArchSpec a = cfg(kScaleCfg);
  EXPECT_EQ(a.mode, TimingMode::kCompat);
  EXPECT_EQ(a.scalesim.run_name, "scale_example_run_32x32_os");
  EXPECT_EQ(a.array.rows, 32);
  EXPECT_EQ(a.array.cols, 32);
  EXPECT_EQ(a.array.dataflow, Dataflow::kOs);
  EXPECT_EQ(a.sram.ifmap_kib, 64);
  EXPECT_EQ(a.sram.filter_kib, 64);
  EXPECT_EQ(a.sram.ofmap_kib, 64);
  EXPECT_EQ(a.sram.banks, 1);
  EXPECT_EQ(a.scalesim.ifmap_offset, 0);
  EXPECT_EQ(a.scalesim.filter_offset, 10000000);
  EXPECT_EQ(a.scalesim.ofmap_offset, 20000000);
  EXPECT_EQ(a.scalesim.bandwidth_words, 10);
  EXPECT_TRUE(a.scalesim.interface_bandwidth_calc);
  // Fields a SCALE-Sim config does not describe keep their defaults.
  const ArchSpec d;
  EXPECT_EQ(a.dram.latency_cycles, d.dram.latency_cycles);
  EXPECT_EQ(a.pe.fp8_macs_per_cycle, d.pe.fp8_macs_per_cycle);
  EXPECT_EQ(a.clock_ghz, d.clock_ghz);
  EXPECT_EQ(a.scalesim.word_bytes, d.scalesim.word_bytes);
}

// Array size from the folder name (conv_B8x16_ws: 8 x 16, ws); SRAM kB per letter from the
// held-out table of the SCALE-Sim research notes.
TEST(ScaleSimCfg, EveryShippedConfigParses) {
  const std::map<char, std::vector<int64_t>> sram_kb = {
      {'A', {64, 64, 64}}, {'B', {4, 2, 4}}, {'C', {2, 4, 1}}, {'D', {1, 1, 1}},
      {'E', {1, 2, 2}},    {'F', {2, 1, 1}}, {'G', {8, 8, 1}}, {'H', {1, 1, 1}}};
  const std::map<std::string, Dataflow> dataflows = {
      {"os", Dataflow::kOs}, {"ws", Dataflow::kWs}, {"is", Dataflow::kIs}};
  int count = 0;
  for (const auto& entry : fs::directory_iterator(kData / "heldout")) {
    const std::string dir = entry.path().filename().string();  // e.g. conv_B8x16_ws
    SCOPED_TRACE(dir);
    const size_t us = dir.find('_');
    const char letter = dir[us + 1];
    const size_t x = dir.find('x', us);
    const size_t us2 = dir.rfind('_');
    const int64_t rows = std::stoll(dir.substr(us + 2, x - us - 2));
    const int64_t cols = std::stoll(dir.substr(x + 1, us2 - x - 1));
    const ArchSpec a = read_scalesim_cfg((entry.path() / "cfg.cfg").string());
    EXPECT_EQ(a.array.rows, rows);
    EXPECT_EQ(a.array.cols, cols);
    EXPECT_EQ(a.array.dataflow, dataflows.at(dir.substr(us2 + 1)));
    ASSERT_EQ(sram_kb.count(letter), 1u);
    EXPECT_EQ(a.sram.ifmap_kib, sram_kb.at(letter)[0]);
    EXPECT_EQ(a.sram.filter_kib, sram_kb.at(letter)[1]);
    EXPECT_EQ(a.sram.ofmap_kib, sram_kb.at(letter)[2]);
    EXPECT_EQ(a.scalesim.run_name, "run");
    EXPECT_EQ(a.scalesim.filter_offset, 10000000);
    EXPECT_EQ(a.scalesim.ofmap_offset, 20000000);
    EXPECT_TRUE(a.scalesim.interface_bandwidth_calc);
    EXPECT_EQ(a.mode, TimingMode::kCompat);
    ++count;
  }
  EXPECT_EQ(count, 45);
  for (const std::string df : {"os", "ws", "is"}) {
    const ArchSpec a = read_scalesim_cfg((kData / "configs" / ("sa32x32_" + df + ".cfg")).string());
    EXPECT_EQ(a.scalesim.run_name, "sa32x32_" + df);
    EXPECT_EQ(a.array.rows, 32);
    EXPECT_EQ(a.array.cols, 32);
    EXPECT_EQ(a.array.dataflow, dataflows.at(df));
    EXPECT_EQ(a.sram.ifmap_kib, 64);
    EXPECT_EQ(a.sram.banks, 1);
  }
}

TEST(ScaleSimCfg, AcceptsWhatConfigparserAccepts) {
  // '=' or ':' with any spacing, option names in any case, comments with '#' or ';' (also
  // indented), CRLF line ends, sections and keys in any order, Python int syntax.
  const ArchSpec a =
      cfg("# a comment\r\n"
          "; another\r\n"
          "[run_presets]\r\n"
          "interfacebandwidth=USER\r\n"
          "[architecture_presets]\r\n"
          "DATAFLOW=ws\r\n"
          "  # indented comment\r\n"
          "arrayheight :+8\r\n"
          "ArrayWidth= 016\r\n"
          "IfmapSramSzkB: 1_024\r\n"
          "FilterSramSzkB: 2\r\n"
          "OfmapSramSzkB: 3\r\n"
          "IfmapOffset: 5\r\n"
          "FilterOffset: 6\r\n"
          "OfmapOffset: 7\r\n"
          "Bandwidth: 20, 30 ,40\r\n"
          "MemoryBanks: 4\r\n"
          "\r\n"
          "[general]\r\n"
          "RUN_NAME =  my run:#1=x;y \r\n");
  EXPECT_EQ(a.scalesim.run_name, "my run:#1=x;y");
  EXPECT_FALSE(a.scalesim.interface_bandwidth_calc);
  EXPECT_EQ(a.array.dataflow, Dataflow::kWs);
  EXPECT_EQ(a.array.rows, 8);
  EXPECT_EQ(a.array.cols, 16);
  EXPECT_EQ(a.sram.ifmap_kib, 1024);
  EXPECT_EQ(a.sram.filter_kib, 2);
  EXPECT_EQ(a.sram.ofmap_kib, 3);
  EXPECT_EQ(a.scalesim.ifmap_offset, 5);
  EXPECT_EQ(a.scalesim.filter_offset, 6);
  EXPECT_EQ(a.scalesim.ofmap_offset, 7);
  EXPECT_EQ(a.scalesim.bandwidth_words, 20);  // the first of the list, as SCALE-Sim
  EXPECT_EQ(a.sram.banks, 4);
}

TEST(ScaleSimCfg, OptionalKeysAndNetworkPresets) {
  // Bandwidth and MemoryBanks may be left out in CALC mode; [network_presets] TopologyCsvLoc is
  // accepted and ignored; a key line indented less than the one before is a key, not a
  // continuation.
  const std::string text = with_arch_line("Bandwidth", "") +
                           "[network_presets]\n"
                           "    TopologyCsvLoc = \"../topologies/conv_nets/test.csv\"\n";
  const std::string no_banks = [&] {
    std::string t = text;
    const std::string banks = "MemoryBanks:   1\n";
    t.erase(t.find(banks), banks.size());
    return t;
  }();
  const ArchSpec a = cfg(no_banks);
  EXPECT_EQ(a.scalesim.bandwidth_words, ArchSpec{}.scalesim.bandwidth_words);
  EXPECT_EQ(a.sram.banks, ArchSpec{}.sram.banks);
  EXPECT_EQ(a.array.rows, 32);
  const ArchSpec b = cfg(kGeneral + kArchHead + "  ArrayHeight: 2\n" + kArchBody.substr(19) + kRun);
  EXPECT_EQ(b.array.rows, 2);
  EXPECT_EQ(b.array.cols, 32);
}

TEST(ScaleSimCfg, SyntaxErrorsNameFileLineAndText) {
  expect_error([] { cfg("run_name = x\n"); }, "c.cfg:1:", {"section header", "'run_name = x'"});
  expect_error([] { cfg("[general]\nrun_name\n"); },
               "c.cfg:2:", {"'key: value' or 'key = value'", "'run_name'"});
  expect_error([] { cfg("[general]\n: x\n"); }, "c.cfg:2:", {"missing key name", "': x'"});
  expect_error([] { cfg("[general\n"); }, "c.cfg:1:", {"malformed section header", "'[general'"});
  expect_error([] { cfg("[general] x\n"); }, "c.cfg:1:", {"'[general] x'"});
  expect_error([] { cfg("[]\n"); }, "c.cfg:1:", {"'[]'"});
  expect_error([] { cfg("[general]\nrun_name = a\n  b\n"); },
               "c.cfg:3:", {"'b'", "run_name", "line 2", "multi-line"});
  // Also after a blank line (configparser keeps empty lines inside values).
  expect_error([] { cfg("[general]\n  run_name = a\n\n    [x]\n"); },
               "c.cfg:4:", {"'[x]'", "run_name"});
}

TEST(ScaleSimCfg, UnknownSectionsAndKeysAreErrors) {
  expect_error([] { cfg(kScaleCfg + "[extra]\n"); }, "c.cfg:19:",
               {"unknown section '[extra]'",
                "[general], [architecture_presets], [run_presets], "
                "[network_presets]"});
  expect_error([] { cfg("[General]\n"); }, "c.cfg:1:", {"'[General]'", "did you mean [general]"});
  expect_error([] { cfg("[ general ]\n"); }, "c.cfg:1:", {"'[ general ]'", "[general]"});
  expect_error([] { cfg("[DEFAULT]\n"); }, "c.cfg:1:", {"'[DEFAULT]'"});
  expect_error([] { cfg(with_arch_line("MemoryBanks", "Banks: 2")); }, "c.cfg:15:",
               {"unknown key 'Banks' in [architecture_presets]",
                "ArrayHeight, ArrayWidth, IfmapSramSzkB, FilterSramSzkB, OfmapSramSzkB, "
                "IfmapOffset, FilterOffset, OfmapOffset, Bandwidth, Dataflow, MemoryBanks"});
  expect_error([] { cfg("[general]\nDataflow: os\n"); },
               "c.cfg:2:", {"'Dataflow'", "belongs in [architecture_presets]"});
  expect_error([] { cfg(with_arch_line("IfmapSramSzkB", "IfmapSramSz: 64")); },
               "c.cfg:7:", {"'IfmapSramSz'", "SCALE-Sim v1", "IfmapSramSzkB"});
  expect_error([] { cfg("[network_presets]\nTopology: x\n"); },
               "c.cfg:2:", {"'Topology'", "TopologyCsvLoc"});
}

TEST(ScaleSimCfg, DuplicatesAreErrors) {
  expect_error([] { cfg(with_arch_line("ArrayWidth", "ArrayWidth: 32\narrayheight: 16")); },
               "c.cfg:7:", {"ArrayHeight given twice", "line 5", "'arrayheight: 16'"});
  expect_error([] { cfg(kScaleCfg + "[general]\n"); },
               "c.cfg:19:", {"'[general]' given twice", "line 1"});
}

TEST(ScaleSimCfg, BadValuesAreErrors) {
  const auto at = [](const std::string& prefix, const std::string& line) {
    return [=] { cfg(with_arch_line(prefix, line)); };
  };
  const std::string df = "c.cfg:" + std::to_string(kDataflowLine) + ":";
  expect_error(
      at("Dataflow", "Dataflow: WS"), df,
      {"'WS'", "case-sensitive", "'ws'", "WARNING: Invalid dataflow", "silently simulate os"});
  expect_error(at("Dataflow", "Dataflow: rs"), df, {"'rs'", "not os, ws or is"});
  expect_error(at("Dataflow", "Dataflow: ws # weight stationary"), df,
               {"'ws # weight stationary'", "inline comment", "'# weight stationary'"});
  expect_error(at("Dataflow", "Dataflow: ws ;x"), df, {"'ws ;x'", "inline comment"});
  expect_error(at("Dataflow", "Dataflow:"), df, {"Dataflow: empty value"});
  expect_error(at("ArrayHeight", "ArrayHeight: 32.0"),
               "c.cfg:5:", {"ArrayHeight: expected an integer", "'32.0'"});
  expect_error(at("ArrayHeight", "ArrayHeight: 0x20"), "c.cfg:5:", {"'0x20'"});
  expect_error(at("ArrayHeight", "ArrayHeight: 1__0"), "c.cfg:5:", {"'1__0'"});
  expect_error(at("ArrayHeight", "ArrayHeight: 3 2"), "c.cfg:5:", {"'3 2'"});
  expect_error(at("ArrayWidth", "ArrayWidth: 0"),
               "c.cfg:6:", {"ArrayWidth: '0' is out of range", "[1, 2147483647]"});
  expect_error(at("OfmapSramSzkB", "OfmapSramSzkB: 2147483648"),
               "c.cfg:9:", {"'2147483648'", "out of range"});
  expect_error(at("FilterSramSzkB", "FilterSramSzkB: -1"), "c.cfg:8:", {"'-1'", "out of range"});
  expect_error(at("IfmapOffset", "IfmapOffset: -1"),
               "c.cfg:10:", {"IfmapOffset: '-1'", "[0, 2147483647]", "address of -1"});
  expect_error(at("MemoryBanks", "MemoryBanks: none"), "c.cfg:15:", {"MemoryBanks", "'none'"});
  expect_error(at("Bandwidth", "Bandwidth: 10,,5"), "c.cfg:13:", {"Bandwidth", "''", "'10,,5'"});
  expect_error(at("Bandwidth", "Bandwidth: 10,"), "c.cfg:13:", {"'10,'"});
  expect_error(at("Bandwidth", "Bandwidth: 0"), "c.cfg:13:", {"'0'"});
  expect_error([] { cfg("[run_presets]\nInterfaceBandwidth: calc\n"); },
               "c.cfg:2:", {"'calc'", "not CALC or USER", "'CALC'", "fail later"});
  expect_error([] { cfg("[run_presets]\nInterfaceBandwidth: AUTO\n"); }, "c.cfg:2:", {"'AUTO'"});
  expect_error([] { cfg("[general]\nrun_name = a%b\n"); }, "c.cfg:2:", {"'a%b'", "interpolation"});
  for (const std::string name : {"/tmp/x", "a/b", "..", ".", "a\\b"}) {
    expect_error([&] { cfg("[general]\nrun_name = " + name + "\n"); },
                 "c.cfg:2:", {"run_name: '" + name + "'", "plain folder name"});
  }
  expect_error([] { cfg("[general]\nrun_name = run # mine\n"); },
               "c.cfg:2:", {"'run # mine'", "inline comment"});
}

TEST(ScaleSimCfg, MissingKeysAreErrors) {
  const std::string arch = "c.cfg:" + std::to_string(kArchHeaderLine) + ":";
  expect_error([] { cfg(with_arch_line("ArrayWidth", "")); }, arch,
               {"missing key 'ArrayWidth' in [architecture_presets]"});
  expect_error([] { cfg(kGeneral + kArchHead + kRun); }, arch,
               {"missing keys 'ArrayHeight', 'ArrayWidth'", "'Dataflow'"});
  expect_error([] { cfg(kGeneral + kArchHead + kArchBody); },
               "c.cfg: ", {"missing section [run_presets]", "'InterfaceBandwidth'"});
  expect_error([] { cfg(""); }, "c.cfg: ", {"missing section [general]", "'run_name'"});
  expect_error([] { cfg("[general]\n" + kArchHead + kArchBody + kRun); },
               "c.cfg:1:", {"missing key 'run_name' in [general]"});
  // USER mode needs Bandwidth (SCALE-Sim reads it only then).
  std::string user = with_arch_line("Bandwidth", "");
  user.replace(user.find("CALC"), 4, "USER");
  expect_error([&] { cfg(user); }, arch,
               {"missing key 'Bandwidth' in [architecture_presets]", "InterfaceBandwidth USER"});
}

// A config of one section holding one key with the value "?".
std::string one_key(const std::string& section, const std::string& key) {
  return "[" + section + "]\n" + key + ": ?\n";
}

// The key table of docs/scalesim.md lists exactly the keys the reader accepts, section by
// section, in the order its error messages list them.
TEST(ScaleSimCfg, DocKeyTableMatchesReader) {
  std::ifstream in(fs::path(NIBBLE_SOURCE_DIR) / "docs" / "scalesim.md");
  ASSERT_TRUE(in);
  std::map<std::string, std::vector<std::string>> keys;  // section -> keys
  std::string line;
  bool in_keys = false;
  int rows = 0;
  while (std::getline(in, line)) {
    if (line.rfind("### ", 0) == 0) {
      in_keys = line == "### Keys";
    } else if (in_keys && line.rfind("| `", 0) == 0) {
      std::vector<std::string> cells;
      std::istringstream cs(line.substr(1));
      std::string cell;
      while (std::getline(cs, cell, '|')) {
        cells.push_back(cell.substr(cell.find('`') + 1, cell.rfind('`') - cell.find('`') - 1));
      }
      ASSERT_GE(cells.size(), 2u) << line;
      const std::string section = cells[1].substr(1, cells[1].size() - 2);  // [general]
      keys[section].push_back(cells[0]);
      ++rows;
    }
  }
  EXPECT_EQ(rows, 14);
  for (const auto& [section, names] : keys) {
    SCOPED_TRACE(section);
    std::string list;
    for (const std::string& k : names) {
      list += list.empty() ? "" : ", ";
      list += k;
      const std::string what = error_of([&] { cfg(one_key(section, k)); });
      EXPECT_EQ(what.find("unknown"), std::string::npos) << what;
    }
    std::string expected = "keys of [";
    expected.append(section).append("]: ").append(list);
    expect_error([&] { cfg(one_key(section, "NoSuchKey")); }, "c.cfg:2:", {expected});
  }
  EXPECT_EQ(keys.size(), 4u);
}

TEST(ScaleSimCfg, UnreadableFileIsAnError) {
  const std::string path = (kData / "no_such.cfg").string();
  expect_error([&] { read_scalesim_cfg(path); }, path + ": ", {"cannot open"});
}

// ---------------------------------------------------------------------------------------------
// Topology
// ---------------------------------------------------------------------------------------------

// A conv layer's GEMM, written out from SCALE-Sim's definition: output rows
// ceil((H - Fh + Sh) / Sh), i.e. one per full window step plus one more for a partial last step
// (the window then runs past the image); likewise columns. M = rows * cols, N = filters,
// K = Fh * Fw * C.
struct Mnk {
  int64_t m, n, k;
};
Mnk conv_mnk(int64_t h, int64_t w, int64_t fh, int64_t fw, int64_t c, int64_t n, int64_t sh,
             int64_t sw) {
  const int64_t rows = 1 + (h - fh) / sh + ((h - fh) % sh != 0 ? 1 : 0);
  const int64_t cols = 1 + (w - fw) / sw + ((w - fw) % sw != 0 ? 1 : 0);
  return {rows * cols, n, fh * fw * c};
}

void expect_conv(const GemmSpec& g, const std::string& name, std::vector<int64_t> f) {
  SCOPED_TRACE(name);
  EXPECT_EQ(g.name, name);
  ASSERT_TRUE(g.conv.has_value());
  const ConvShape& c = *g.conv;
  EXPECT_EQ(c.ifmap_h, f[0]);
  EXPECT_EQ(c.ifmap_w, f[1]);
  EXPECT_EQ(c.filter_h, f[2]);
  EXPECT_EQ(c.filter_w, f[3]);
  EXPECT_EQ(c.channels, f[4]);
  EXPECT_EQ(c.num_filters, f[5]);
  EXPECT_EQ(c.stride_h, f[6]);
  EXPECT_EQ(c.stride_w, f[7]);
  const Mnk e = conv_mnk(f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7]);
  EXPECT_EQ(g.m, e.m);
  EXPECT_EQ(g.n, e.n);
  EXPECT_EQ(g.k, e.k);
  EXPECT_EQ(g.a.format, Format::kInt4);
  EXPECT_EQ(g.b.format, Format::kInt4);
  EXPECT_EQ(g.out.format, Format::kFp16);
  EXPECT_EQ(g.pass, Pass::kNone);
  EXPECT_EQ(g.repeat, 1);
}

// Data rows of a SCALE-Sim report (all lines but the header).
int report_rows(const fs::path& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << path;
  int rows = -1;
  std::string line;
  while (std::getline(in, line)) {
    rows += line.empty() ? 0 : 1;
  }
  return rows;
}

TEST(ScaleSimTopology, AlexNet) {
  const std::string path = (kData / "topologies" / "alexnet.csv").string();
  const Workload w = read_scalesim_topology(path, TopologyForm::kConv);
  EXPECT_EQ(w.name, "alexnet");
  ASSERT_EQ(w.gemms.size(), 5u);
  EXPECT_EQ(w.gemms[0].m, 3025);
  EXPECT_EQ(w.gemms[0].n, 96);
  EXPECT_EQ(w.gemms[0].k, 363);
  expect_conv(w.gemms[0], "Conv1", {224, 224, 11, 11, 3, 96, 4, 4});
  expect_conv(w.gemms[1], "Conv2", {27, 27, 5, 5, 96, 256, 1, 1});
  expect_conv(w.gemms[2], "Conv3", {13, 13, 3, 3, 256, 384, 1, 1});
  expect_conv(w.gemms[3], "Conv4", {13, 13, 3, 3, 384, 384, 1, 1});
  expect_conv(w.gemms[4], "Conv5", {13, 13, 3, 3, 384, 256, 1, 1});
  for (size_t i = 0; i < w.gemms.size(); ++i) {
    EXPECT_EQ(w.gemms[i].where.file, path);
    EXPECT_EQ(w.gemms[i].where.line, static_cast<int>(i) + 2);
  }
  for (const std::string run : {"shipped_alexnet_os", "shipped_alexnet_ws"}) {
    EXPECT_EQ(report_rows(kData / "results" / run / "COMPUTE_REPORT.csv"), 5) << run;
  }
}

TEST(ScaleSimTopology, GemmSmall) {
  const Workload w = read_scalesim_topology((kData / "topologies" / "gemm_small.csv").string(),
                                            TopologyForm::kGemm);
  EXPECT_EQ(w.name, "gemm_small");
  const std::vector<std::pair<std::string, Mnk>> expected = {
      {"Test1", {128, 64, 256}},           {"sq64", {64, 64, 64}},
      {"sq256", {256, 256, 256}},          {"sq512", {512, 512, 512}},
      {"gemv4k", {1, 4096, 4096}},         {"bert_qkv_s128", {128, 2304, 768}},
      {"bert_ffn1_s128", {128, 3072, 768}}};
  ASSERT_EQ(w.gemms.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    const auto& [name, e] = expected[i];
    const GemmSpec& g = w.gemms[i];
    EXPECT_EQ(g.name, name);
    EXPECT_EQ(g.m, e.m);
    EXPECT_EQ(g.n, e.n);
    EXPECT_EQ(g.k, e.k);
    // SCALE-Sim's GEMM row as a conv: H = M, W = K, Fh = 1, Fw = K, C = 1, N filters, stride 1.
    expect_conv(g, name, {e.m, e.k, 1, e.k, 1, e.n, 1, 1});
    EXPECT_EQ(g.where.line, static_cast<int>(i) + 2);
  }
  for (const std::string df : {"os", "ws", "is"}) {
    EXPECT_EQ(report_rows(kData / "results" / ("gemm_small_" + df) / "COMPUTE_REPORT.csv"),
              static_cast<int>(expected.size()));
  }
}

// Every held-out topology: GEMM layer names encode M x N x K (g7_129x31x33); conv rows are
// checked field by field; the layer count matches the rows SCALE-Sim wrote.
TEST(ScaleSimTopology, EveryHeldOutTopologyParses) {
  int count = 0;
  for (const auto& entry : fs::directory_iterator(kData / "heldout")) {
    const std::string dir = entry.path().filename().string();
    SCOPED_TRACE(dir);
    const bool gemm = dir.rfind("gemm_", 0) == 0;
    const Workload w = read_scalesim_topology((entry.path() / "topo.csv").string(),
                                              gemm ? TopologyForm::kGemm : TopologyForm::kConv);
    EXPECT_EQ(w.name, "topo");
    EXPECT_EQ(static_cast<int>(w.gemms.size()), report_rows(entry.path() / "COMPUTE_REPORT.csv"));
    if (gemm) {
      for (const GemmSpec& g : w.gemms) {
        const std::string dims = g.name.substr(g.name.find('_') + 1);
        const size_t x1 = dims.find('x');
        const size_t x2 = dims.find('x', x1 + 1);
        EXPECT_EQ(g.m, std::stoll(dims.substr(0, x1))) << g.name;
        EXPECT_EQ(g.n, std::stoll(dims.substr(x1 + 1, x2 - x1 - 1))) << g.name;
        EXPECT_EQ(g.k, std::stoll(dims.substr(x2 + 1))) << g.name;
      }
    } else {
      // 8 rows; the depthwise row DPcv (3 channels) becomes 3 layers; cvd has separate strides.
      ASSERT_EQ(w.gemms.size(), 10u);
      expect_conv(w.gemms[0], "cva", {15, 15, 3, 3, 4, 10, 2, 2});
      expect_conv(w.gemms[1], "cvb", {16, 16, 3, 3, 3, 5, 2, 2});
      expect_conv(w.gemms[2], "cvc", {10, 12, 1, 2, 2, 7, 4, 4});
      expect_conv(w.gemms[3], "cvd", {13, 11, 3, 5, 2, 6, 2, 3});
      for (size_t i = 0; i < 3; ++i) {
        const GemmSpec& g = w.gemms[4 + i];
        expect_conv(g, "DPcvChannel_" + std::to_string(i), {8, 8, 3, 3, 1, 1, 1, 1});
        EXPECT_EQ(g.where.line, 6);
      }
      expect_conv(w.gemms[7], "cve", {7, 7, 1, 1, 40, 33, 1, 1});
      expect_conv(w.gemms[8], "cvf", {20, 20, 5, 5, 3, 16, 3, 3});
      expect_conv(w.gemms[9], "cvg", {11, 9, 11, 2, 1, 3, 5, 5});
      EXPECT_EQ(w.gemms[9].where.line, 9);
    }
    ++count;
  }
  EXPECT_EQ(count, 45);
}

TEST(ScaleSimTopology, RowQuirks) {
  // Header skipped whatever it holds (here a layer row); blank lines skipped; spaces, tabs and
  // CRLF around fields; the trailing comma optional; 8 fields = one stride for both, 9 = Sh, Sw
  // even without the trailing comma (SCALE-Sim would drop Sw there).
  const Workload w = topo(
      "a,5,5,1,1,1,1,1,\n"
      "\n"
      "  one , 9 ,\t9, 3, 3, 2, 4, 2 ,\r\n"
      "two,9,9,3,3,2,4,2\n"
      "   \n"
      "three,13,11,3,5,2,6,2,3\n"
      "four,13,11,3,5,2,6,2,3,\n");
  EXPECT_EQ(w.name, "t");
  ASSERT_EQ(w.gemms.size(), 4u);
  expect_conv(w.gemms[0], "one", {9, 9, 3, 3, 2, 4, 2, 2});
  expect_conv(w.gemms[1], "two", {9, 9, 3, 3, 2, 4, 2, 2});
  expect_conv(w.gemms[2], "three", {13, 11, 3, 5, 2, 6, 2, 3});
  expect_conv(w.gemms[3], "four", {13, 11, 3, 5, 2, 6, 2, 3});
  EXPECT_EQ(w.gemms[0].where.line, 3);
  EXPECT_EQ(w.gemms[0].where.file, "dir/t.csv");
  EXPECT_EQ(w.gemms[3].where.line, 7);
  // A last window that runs past the image: H = 16, Fh = 3, S = 2 -> 6 full steps + 1 partial
  // + the first = 8 rows.
  const Workload over = topo("h\ncvb, 16, 16, 3, 3, 3, 5, 2,\n");
  EXPECT_EQ(over.gemms[0].m, 64);
  // Names are free text, may repeat and may be empty (SCALE-Sim never uses them); Python int
  // syntax is accepted.
  const Workload names = topo("h\nx y,4,4,1,1,1,1,1,\nx y,4,4,1,1,1,1,1\n,+4,004,1,1,1,1_0,1\n");
  ASSERT_EQ(names.gemms.size(), 3u);
  EXPECT_EQ(names.gemms[0].name, "x y");
  EXPECT_EQ(names.gemms[1].name, "x y");
  expect_conv(names.gemms[2], "", {4, 4, 1, 1, 1, 10, 1, 1});
}

TEST(ScaleSimTopology, Depthwise) {
  // "DP" anywhere in the name, case-sensitive: one layer per channel, C = 1, N unchanged.
  const Workload w = topo("h\nconv_DP,6,6,3,3,4,8,1,\nconv_dp,6,6,3,3,4,8,1,\n");
  ASSERT_EQ(w.gemms.size(), 5u);
  for (int i = 0; i < 4; ++i) {
    expect_conv(w.gemms[static_cast<size_t>(i)], "conv_DPChannel_" + std::to_string(i),
                {6, 6, 3, 3, 1, 8, 1, 1});
  }
  expect_conv(w.gemms[4], "conv_dp", {6, 6, 3, 3, 4, 8, 1, 1});
  // No depthwise expansion in GEMM form.
  const Workload g = topo("h\nDP,2,3,4,\n", TopologyForm::kGemm);
  ASSERT_EQ(g.gemms.size(), 1u);
  EXPECT_EQ(g.gemms[0].name, "DP");
}

TEST(ScaleSimTopology, GemmRows) {
  const Workload w =
      topo("Layer, M, N, K\n\na, 3, 4, 5\r\nb,6,7,8,\n", TopologyForm::kGemm, "/x/y/my.model.csv");
  EXPECT_EQ(w.name, "my.model");
  ASSERT_EQ(w.gemms.size(), 2u);
  expect_conv(w.gemms[0], "a", {3, 5, 1, 5, 1, 4, 1, 1});
  EXPECT_EQ(w.gemms[0].where.line, 3);
  expect_conv(w.gemms[1], "b", {6, 8, 1, 8, 1, 7, 1, 1});
  // Limits: M*N*K up to int64 is fine.
  const Workload big = topo("h\nbig,2147483647,2147483647,1,\n", TopologyForm::kGemm);
  EXPECT_EQ(big.gemms[0].macs(), int64_t{2147483647} * 2147483647);
}

TEST(ScaleSimTopology, ConvRowErrors) {
  const auto row = [](const std::string& r) { return [=] { topo("header\n" + r + "\n"); }; };
  expect_error(row("c,9,9,3,3,2,4"), "dir/t.csv:2:",
               {"expected 8 fields", "got 7", "'c,9,9,3,3,2,4'", "first missing field is Strides"});
  expect_error(row("c,9,9,3,"), "dir/t.csv:2:", {"got 4", "GEMM-form row"});
  expect_error(row("c,9,9,3,3,2,4,1,1,7,"),
               "dir/t.csv:2:", {"too many fields", "got 10", "'7'", "SCALE-Sim ignores"});
  expect_error(row("c,9,9,3.0,3,2,4,1,"),
               "dir/t.csv:2:", {"Filter Height: expected an integer in [1, 2147483647]", "'3.0'"});
  expect_error(row("c,9,9,3,3,2,4,0,"), "dir/t.csv:2:", {"Strides:", "'0'"});
  expect_error(row("c,9,9,3,3,2,4,1,-1,"), "dir/t.csv:2:", {"Stride Width:", "'-1'"});
  expect_error(row("c,9,9,3,3,,4,1,"), "dir/t.csv:2:", {"Channels:", "''"});
  expect_error(row("c,9,9,3,3,2,2147483648,1,"), "dir/t.csv:2:", {"Num Filter:", "'2147483648'"});
  expect_error(row("c,9,9,3,3,2,4,1,,"), "dir/t.csv:2:", {"Stride Width:", "''"});
  expect_error(row("c,9,9,3,3,2,4,1,1,,"), "dir/t.csv:2:", {"too many fields", "got 10"});
  expect_error(row("c,2,9,3,3,2,4,1,"),
               "dir/t.csv:2:", {"Filter Height '3' exceeds IFMAP Height '2'"});
  expect_error(row("c,9,2,3,3,2,4,1,"),
               "dir/t.csv:2:", {"Filter Width '3' exceeds IFMAP Width '2'"});
  expect_error(row("c,2147483647,2147483647,1,1,2147483647,1,1,"),
               "dir/t.csv:2:", {"layer 'c'", "H*W*C overflows int64"});
  expect_error(row("c,2147483647,4,1,1,1,2147483647,1,"),
               "dir/t.csv:2:", {"layer 'c'", "M*N*K overflows int64"});
  expect_error(row("bigDP,2,2,1,1,100001,1,1,"),
               "dir/t.csv:2:", {"Channels '100001'", "'bigDP'", "100000"});
}

TEST(ScaleSimTopology, GemmRowErrors) {
  const auto row = [](const std::string& r) {
    return [=] { topo("header\n" + r + "\n", TopologyForm::kGemm); };
  };
  expect_error(row("g,1,2"), "dir/t.csv:2:",
               {"expected 4 fields", "got 3", "'g,1,2'", "first missing field is K"});
  expect_error(row("g,1,2,3,4,"), "dir/t.csv:2:", {"too many fields", "'4'"});
  expect_error(row("g,9,9,3,3,2,4,1,"), "dir/t.csv:2:", {"'3'", "conv form"});
  expect_error(row("g,1,x,3"), "dir/t.csv:2:", {"N: expected an integer", "'x'"});
  expect_error(row("g,0,1,1"), "dir/t.csv:2:", {"M:", "'0'"});
  expect_error(row("g,2147483647,2147483647,3"), "dir/t.csv:2:", {"M*N*K overflows int64"});
  const std::string big = "g,2147483647,2147483647,1\n";
  expect_error([&] { topo("h\n" + big + big + big, TopologyForm::kGemm); },
               "dir/t.csv:4:", {"total MACs", "overflow int64"});
}

TEST(ScaleSimTopology, FileErrors) {
  expect_error([] { topo(""); }, "dir/t.csv: ", {"empty topology file"});
  expect_error([] { topo("Layer, M, N, K,\n\n  \n", TopologyForm::kGemm); },
               "dir/t.csv: ", {"no layers"});
  // A blank first line is the header; the real header is then read as a layer, as SCALE-Sim
  // does, and the message says why.
  expect_error([] { topo("\nLayer, M, N, K,\n", TopologyForm::kGemm); },
               "dir/t.csv:2:", {"M: expected an integer", "'M'", "line 1 is blank"});
  const std::string path = (kData / "no_such.csv").string();
  expect_error([&] { read_scalesim_topology(path, TopologyForm::kConv); }, path + ": ",
               {"cannot open"});
}

}  // namespace
