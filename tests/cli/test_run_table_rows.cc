// Acceptance: changing one table row changes exactly the report fields that depend on it, end to
// end on `nibble run`'s report.json (the unit-level check is EnergyOf.ChangingOneRowChangesExactly
// ItsComponent in tests/unit/energy/test_energy.cc).
//
// Each test runs traces/example.trace once with copies of the shipped tables (A), then, for each
// row, rewrites the same table file with only that row's number scaled and runs again (B). The
// table paths stay the same, so only numbers can differ. The two report.json documents are
// flattened to JSON pointer paths and the set of leaves that differ is compared with the set the
// rules of docs/energy.md give:
//  - Energy row -> component (mac_*, and the L-lane PE's parts mult_int4, shifter and adder ->
//    mac; add_* -> accumulate; scale_unit, pe_register, sram, dram; pe leak_um2_cycle ->
//    pe_idle). For each GEMM and each array whose count for that row is non-zero (shifter and
//    adder: the 4-bit array's GEMMs of two 4-bit operands, whose products and chunks they
//    price): that array's `energy_pj.<component>` and `energy_pj.total` of the GEMM,
//    of `totals` and of the GEMM's pass, and the energy ratios with that array in them (both for
//    the 4-bit array, one for a baseline). Where the count is zero the GEMM's leaves must not
//    change. The FP16 baseline arrays run every GEMM as fp16 x fp16 (FP32 accumulation): the
//    one-FMA ones charge mac_fp16_fp16 and add_fp32, the dot-product ones dot_fp16 only; the
//    HFP8 arrays run every 4-bit operand as FP8 (docs/energy.md, "The HFP8 baseline"), so they
//    charge mac_fp8_fp8 and add_fp16, and mac_fp16_fp16 and add_fp32 for an FP16 GEMM; the
//    4-bit array charges the operand formats' rows, so its fp16 GEMM (fp16.ref) is charged
//    mac_fp16_fp16 and add_fp32 as well.
//  - Area row of a part of the 4-bit PE (add_fp16 here, the largest), pe_fp16, dot_fp16_lane or
//    pe_hfp8 -> the arrays' `pe_area_um2` and `pe_array_area_mm2`, and the iso-area shapes
//    floor(R * s) x floor(C * s), s = sqrt(area(4-bit PE) / area(baseline PE)), the 4-bit PE's
//    area derived from its parts as docs/energy.md ("The L-lane PE") says, the dot-product PE's
//    from its lanes ("The FP16 dot-product PE"). When a shape changes, that iso-area array's leaves
//    (and its ratios) may change; nothing of the 4-bit array or of the iso-PE arrays may.
//  - Rows the model does not read (an extra energy row, area rows mult_fp16 and add_fp32)
//    change nothing.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/run_command.h"

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;
using nibble::test::read_file;
using nibble::test::run_command;

const std::string kNibble = NIBBLE_BINARY;
const std::string kSource = NIBBLE_SOURCE_DIR;
const std::string kExample = kSource + "/traces/example.trace";
const std::string kEnergyCsv = kSource + "/configs/energy/default_45nm.csv";
const std::string kAreaCsv = kSource + "/configs/area/default_45nm.csv";

// --- The tables, as text ------------------------------------------------------------------------

// The keys of a table's rows, in file order: the first `key_fields` fields joined by ','
// ("component,action" for energy, "component" for area). The first line is the header.
std::vector<std::string> row_keys(const std::string& csv, int key_fields) {
  std::vector<std::string> keys;
  std::istringstream in(csv);
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    if (line.find_first_not_of(" \r") == std::string::npos) {
      continue;
    }
    size_t end = 0;
    for (int f = 0; f < key_fields; ++f) {
      end = line.find(',', end == 0 ? 0 : end + 1);
    }
    keys.push_back(line.substr(0, end));
  }
  return keys;
}

// `csv` with the number after `key` (the field after the key fields) multiplied by `factor`, and
// nothing else changed; *value is the new number as written (read back, so exactly what nibble
// reads).
std::string with_row_scaled(const std::string& csv, const std::string& key, double factor,
                            double* value) {
  std::string out;
  int matches = 0;
  size_t pos = 0;
  while (pos < csv.size()) {
    size_t end = csv.find('\n', pos);
    end = end == std::string::npos ? csv.size() : end + 1;
    std::string line = csv.substr(pos, end - pos);
    if (line.rfind(key + ",", 0) == 0) {
      const size_t first = key.size() + 1;
      const size_t last = std::min(line.find_first_of(",\r\n", first), line.size());
      char number[64];
      std::snprintf(number, sizeof number, "%.17g",
                    std::stod(line.substr(first, last - first)) * factor);
      *value = std::strtod(number, nullptr);
      line = line.substr(0, first) + number + line.substr(last);
      ++matches;
    }
    out += line;
    pos = end;
  }
  EXPECT_EQ(matches, 1) << key;
  return out;
}

// --- report.json, leaf by leaf -----------------------------------------------------------------

// The JSON pointers of the leaves that differ between two reports (or exist in only one).
std::set<std::string> changed_leaves(const Json& a, const Json& b) {
  const Json fa = a.flatten();
  const Json fb = b.flatten();
  std::set<std::string> changed;
  for (const auto& item : fa.items()) {
    if (!fb.contains(item.key()) || fb.at(item.key()) != item.value()) {
      changed.insert(item.key());
    }
  }
  for (const auto& item : fb.items()) {
    if (!fa.contains(item.key())) {
      changed.insert(item.key());
    }
  }
  return changed;
}

std::string listed(const std::set<std::string>& s) {
  std::string out;
  for (const std::string& x : s) {
    out += "\n  " + x;
  }
  return out.empty() ? " (none)" : out;
}

// Expects `changed` to be exactly `expected`, naming the leaves on either side.
void expect_same_leaves(const std::set<std::string>& changed, const std::set<std::string>& expected,
                        const std::string& what) {
  std::set<std::string> extra, missing;
  std::set_difference(changed.begin(), changed.end(), expected.begin(), expected.end(),
                      std::inserter(extra, extra.end()));
  std::set_difference(expected.begin(), expected.end(), changed.begin(), changed.end(),
                      std::inserter(missing, missing.end()));
  EXPECT_TRUE(extra.empty()) << what << ": changed but do not depend on it:" << listed(extra);
  EXPECT_TRUE(missing.empty()) << what << ": depend on it but did not change:" << listed(missing);
}

// The key of a GEMM's pass in `passes` (docs/reports.md: `none` for GEMMs without a pass).
std::string pass_key(const Json& gemm) {
  const std::string p = gemm.at("pass").get<std::string>();
  return p == "-" ? "none" : p;
}

// --- The energy rules of docs/energy.md ---------------------------------------------------------

// Which macs_* count a GEMM has: the wider operand decides, fp16 or fp32 first, then fp8, then
// fp4, else int4.
enum class MacKind { kInt4, kFp4, kFp8, kFp16 };

MacKind mac_kind(const std::string& a, const std::string& b) {
  const auto has = [&](const char* prefix) {
    return a.rfind(prefix, 0) == 0 || b.rfind(prefix, 0) == 0;
  };
  if (has("fp16") || has("fp32")) {
    return MacKind::kFp16;
  }
  if (has("fp8")) {
    return MacKind::kFp8;
  }
  return has("fp4") ? MacKind::kFp4 : MacKind::kInt4;
}

// One GEMM on one array: the array's object for it (the GEMM itself for the 4-bit array) and
// the formats it runs with (fp16 x fp16 on the FP16 baselines, FP8 on the HFP8 ones).
struct GemmOnArray {
  const Json& obj;
  MacKind kind;
  bool four_bit;
  int64_t macs;
  bool dot = false;  // on an FP16 dot-product array
};

// PE-cycles with no MAC: cycles * R * C - busy PE-cycles. A stalled cycle has no busy PE, so
// stall_cycles > 0 makes the count non-zero; at one MAC per cycle (4-bit and FP4 GEMMs on the
// 4-bit array, everything on the FP16 arrays and FP8 on the HFP8 ones) busy = macs, so the count
// is zero exactly when the utilization is 1. An FP16 GEMM on an HFP8 array runs at half rate
// here (this config's 0.125 : 0.25), every wave two cycles: busy = 2 macs, and the utilization
// divides by that rate, so the same holds.
bool idle_count_nonzero(const GemmOnArray& g) {
  if (g.four_bit && g.obj.at("stall_cycles").get<int64_t>() > 0) {
    return true;
  }
  const bool one_mac_per_cycle = !g.four_bit || g.kind == MacKind::kInt4 || g.kind == MacKind::kFp4;
  if (!one_mac_per_cycle) {
    ADD_FAILURE() << "cannot tell from the report whether the idle count is zero";
    return true;
  }
  return g.obj.at("utilization").get<double>() < 1.0;
}

// A row the model reads: the component its count feeds, and whether that count is non-zero for
// one GEMM on one array. Every MAC writes operand bits into PE registers, reads operands from
// SRAM and writes its partial sum or result there, and every output element goes through the
// scale unit, so those counts are non-zero for any GEMM with MACs; the DRAM counts are the
// report's own dram_*_bytes times 8.
struct EnergyRule {
  std::string component;
  std::function<bool(const GemmOnArray&)> nonzero;
};

const std::map<std::string, EnergyRule>& energy_rules() {
  static const std::map<std::string, EnergyRule> rules = [] {
    const auto kind_is = [](MacKind k) {
      return [k](const GemmOnArray& g) { return g.kind == k && !g.dot; };
    };
    const auto on_dot = [](const GemmOnArray& g) { return g.dot && g.macs > 0; };
    const auto any_mac = [](const GemmOnArray& g) { return g.macs > 0; };
    const auto bytes = [](const char* field) {
      return [field](const GemmOnArray& g) { return g.obj.at(field).get<int64_t>() > 0; };
    };
    std::map<std::string, EnergyRule> r;
    const auto four_bit_pair = [](const GemmOnArray& g) {
      return g.four_bit && (g.kind == MacKind::kInt4 || g.kind == MacKind::kFp4);
    };
    r["mult_int4,multiply"] = {
        "mac", [](const GemmOnArray& g) { return g.four_bit && g.kind == MacKind::kInt4; }};
    r["shifter,bit_level"] = {"mac", four_bit_pair};
    r["adder,bit"] = {"mac", four_bit_pair};
    r["mac_fp8_fp8,multiply"] = {"mac", kind_is(MacKind::kFp8)};
    r["mac_fp16_fp16,multiply"] = {"mac", kind_is(MacKind::kFp16)};
    r["add_fp16,accumulate"] = {"accumulate",
                                [](const GemmOnArray& g) { return g.kind != MacKind::kFp16; }};
    r["dot_fp16,multiply"] = {"mac", on_dot};
    r["dot_fp16,add"] = {"accumulate", on_dot};
    r["add_fp32,accumulate"] = {"accumulate", kind_is(MacKind::kFp16)};
    r["scale_unit,scale"] = {"scale_unit", any_mac};
    r["pe_register,move_bit"] = {"pe_register", any_mac};
    // The SRAM curve's points (docs/energy.md, "SRAM by capacity"): this config's 256 KiB
    // buffers sit between the 32 and 1024 KiB points; the 8 KiB point prices smaller buffers
    // only, so it changes nothing here (component "").
    for (const char* action : {"read_bit", "write_bit"}) {
      r[std::string("sram@32,") + action] = {"sram", any_mac};
      r[std::string("sram@1024,") + action] = {"sram", any_mac};
      r[std::string("sram@8,") + action] = {"", nullptr};
    }
    r["dram,read_bit"] = {"dram", bytes("dram_read_bytes")};
    r["dram,write_bit"] = {"dram", bytes("dram_write_bytes")};
    r["pe,leak_um2_cycle"] = {"pe_idle", idle_count_nonzero};
    return r;
  }();
  return rules;
}

// The arrays of a report: where a GEMM's (or a sum's) values for each sit, and the energy
// ratios with that array in them.
struct ArrayRef {
  std::string name;  // key under `arrays`
  std::string sub;   // path below a GEMM, `totals` or a pass ("" for the 4-bit array)
  std::vector<std::string> ratios;
};
const std::vector<ArrayRef> kArrays = {
    {"int4_fp4",
     "",
     {"energy_ratio_iso_pe", "energy_ratio_iso_area", "energy_ratio_dot_iso_pe",
      "energy_ratio_dot_iso_area", "energy_ratio_hfp8_iso_pe", "energy_ratio_hfp8_iso_area"}},
    {"fp16_iso_pe", "/fp16_iso_pe", {"energy_ratio_iso_pe"}},
    {"fp16_iso_area", "/fp16_iso_area", {"energy_ratio_iso_area"}},
    {"fp16dot_iso_pe", "/fp16dot_iso_pe", {"energy_ratio_dot_iso_pe"}},
    {"fp16dot_iso_area", "/fp16dot_iso_area", {"energy_ratio_dot_iso_area"}},
    {"hfp8_iso_pe", "/hfp8_iso_pe", {"energy_ratio_hfp8_iso_pe"}},
    {"hfp8_iso_area", "/hfp8_iso_area", {"energy_ratio_hfp8_iso_area"}}};

GemmOnArray on_array(const Json& gemm, const ArrayRef& x) {
  const bool four_bit = x.sub.empty();
  const std::string a = gemm.at("a").get<std::string>();
  const std::string b = gemm.at("b").get<std::string>();
  const bool hfp8 = x.name.rfind("hfp8", 0) == 0;
  // The HFP8 arrays: an FP16 GEMM stays FP16, every other one is FP8.
  const MacKind kind = four_bit ? mac_kind(a, b)
                       : hfp8 ? (mac_kind(a, b) == MacKind::kFp16 ? MacKind::kFp16 : MacKind::kFp8)
                              : MacKind::kFp16;
  return {four_bit ? gemm : gemm.at(x.name), kind, four_bit, gemm.at("macs").get<int64_t>(),
          x.name.rfind("fp16dot", 0) == 0};
}

// The leaves of `report` that depend on the energy row `rule` stands for.
std::set<std::string> energy_dependents(const Json& report, const EnergyRule& rule) {
  std::set<std::string> leaves;
  const Json& gemms = report.at("gemms");
  for (size_t i = 0; i < gemms.size(); ++i) {
    const Json& g = gemms.at(i);
    const std::vector<std::string> holders = {"/gemms/" + std::to_string(i), "/totals",
                                              "/passes/" + pass_key(g)};
    for (const ArrayRef& x : kArrays) {
      if (!rule.nonzero(on_array(g, x))) {
        continue;
      }
      for (const std::string& h : holders) {
        leaves.insert(h + x.sub + "/energy_pj/" + rule.component);
        leaves.insert(h + x.sub + "/energy_pj/total");
        for (const std::string& ratio : x.ratios) {
          leaves.insert(h + "/" + ratio);
        }
      }
    }
  }
  return leaves;
}

// --- The runs ----------------------------------------------------------------------------------

// A fresh folder under /tmp with copies of the shipped tables at fixed paths, removed at the end.
class TableRow : public ::testing::Test {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/nibble_table_rows_XXXXXX";
    ASSERT_NE(mkdtemp(templ), nullptr);
    tmp_ = templ;
    energy_text_ = read_file(kEnergyCsv);
    area_text_ = read_file(kAreaCsv);
    write_energy(energy_text_);
    write_area(area_text_);
  }
  void TearDown() override { fs::remove_all(tmp_); }

  std::string path(const std::string& name) const { return (tmp_ / name).string(); }
  void write_energy(const std::string& text) const { std::ofstream(path("energy.csv")) << text; }
  void write_area(const std::string& text) const { std::ofstream(path("area.csv")) << text; }

  // `nibble run` on the example trace with the tables as they are now; its report.json. The
  // 4-bit PE has one lane, as the rules above and the areas below derive.
  Json run(const std::string& out) const {
    fs::remove_all(path(out));
    const auto r = run_command(kNibble + " run --trace " + kExample + " -o " + path(out) +
                               " --no-plots -q --set pe.lanes=1 --set timing.tiling=greedy"
                               " --energy " +
                               path("energy.csv") + " --area " + path("area.csv"));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    if (r.exit_code != 0) {
      return Json::object();
    }
    return Json::parse(read_file(path(out) + "/report.json"));
  }

  fs::path tmp_;
  std::string energy_text_, area_text_;
};
// (The greedy tiling: the tile mapper ranks tilings of equal cycles by the tables' prices, so
// under `search` a row could also move a GEMM's tile, and with it its counts; docs/energy.md.)

constexpr double kFactor = 3;

// Every row the model reads, times 3: exactly its dependents change, and each single-count
// component (all but sram and dram, which add a read and a write row) triples.
TEST_F(TableRow, EnergyRowChangesExactlyItsDependents) {
  const Json a = run("A");
  ASSERT_TRUE(a.contains("gemms"));
  EXPECT_EQ(a.at("energy_table"), path("energy.csv"));
  size_t used = 0;
  for (const std::string& key : row_keys(energy_text_, 2)) {
    if (key.size() >= 8 && key.compare(key.size() - 8, 8, "_ungated") == 0) {
      continue;
    }
    SCOPED_TRACE(key);
    ++used;
    const auto rule = energy_rules().find(key);
    if (rule == energy_rules().end()) {
      ADD_FAILURE() << "the table has a row docs/energy.md gives no component for";
      continue;
    }
    double value = 0;
    write_energy(with_row_scaled(energy_text_, key, kFactor, &value));
    const Json b = run("B");
    ASSERT_TRUE(b.contains("gemms"));
    if (rule->second.component.empty()) {
      expect_same_leaves(changed_leaves(a, b), {}, key);
      continue;
    }
    const std::set<std::string> expected = energy_dependents(a, rule->second);
    EXPECT_FALSE(expected.empty());
    expect_same_leaves(changed_leaves(a, b), expected, key);

    // A component fed by one row triples; sram and dram add a read and a write row, and the
    // 4-bit PE's mac adds the parts' rows (docs/energy.md, "The L-lane PE").
    const std::string& component = rule->second.component;
    if (component == "sram" || component == "dram" || key == "mult_int4,multiply" ||
        key == "shifter,bit_level" || key == "adder,bit") {
      continue;
    }
    for (size_t i = 0; i < a.at("gemms").size(); ++i) {
      for (const ArrayRef& x : kArrays) {
        const Json::json_pointer p("/gemms/" + std::to_string(i) + x.sub + "/energy_pj/" +
                                   component);
        if (expected.count(p.to_string()) != 0) {
          const double before = a.at(p).get<double>();
          EXPECT_NEAR(b.at(p).get<double>(), kFactor * before, 1e-12 * kFactor * before)
              << p.to_string();
        }
      }
    }
  }
  EXPECT_EQ(used, energy_rules().size());
}

// A row the model does not read (one added to the shipped table): nothing changes.
TEST_F(TableRow, UnusedEnergyRowChangesNothing) {
  energy_text_ += "pe_int4,idle_cycle_ungated,0.243,documentation only\n";
  write_energy(energy_text_);
  const Json a = run("A");
  ASSERT_TRUE(a.contains("gemms"));
  size_t unused = 0;
  for (const std::string& key : row_keys(energy_text_, 2)) {
    if (energy_rules().count(key) != 0) {
      continue;
    }
    SCOPED_TRACE(key);
    ++unused;
    double value = 0;
    write_energy(with_row_scaled(energy_text_, key, kFactor, &value));
    expect_same_leaves(changed_leaves(a, run("B")), {}, key);
  }
  EXPECT_EQ(unused, 1U);
}

// add_fp16 (the largest part of the 4-bit PE), pe_fp16, dot_fp16_lane and pe_hfp8, each scaled
// once so that an iso-area shape changes (x3) and once so that none does (a few per cent). The
// arrays' areas change as the rule says; with the shapes kept, nothing else changes; with one
// changed, only that iso-area array's leaves and its ratios may.
TEST_F(TableRow, AreaRowChangesOnlyAreasAndTheIsoAreaArray) {
  const Json a = run("A");
  ASSERT_TRUE(a.contains("gemms"));
  const auto row_in = [&](const std::string& text, const std::string& row) {
    double v = 0;
    with_row_scaled(text, row, 1, &v);
    return v;
  };
  // The one-lane 4-bit PE from its parts (docs/energy.md, "The L-lane PE"): a lane (multiplier,
  // 51 shifter bit-levels, 17 adder bits), the 17-bit rounder (50 adder bits, 85 shifter
  // bit-levels), the FP16 adder and 28 register bits.
  const auto int4_area = [&](const std::string& text) {
    return row_in(text, "mult_int4") + (51 + 85) * row_in(text, "shifter_bit_level") +
           (17 + 50) * row_in(text, "adder_bit") + row_in(text, "add_fp16") +
           28 * row_in(text, "register_bit");
  };
  // The baseline PEs: the one-FMA FP16 PE's row; the dot-product PE of the default 4 lanes
  // (docs/energy.md, "The FP16 dot-product PE"): 4 lanes and 48 x 4 + 32 register bits; the
  // HFP8 PE's row.
  const auto base_area = [&](const std::string& text, const std::string& row) {
    return row == "dot_fp16_lane"
               ? 4 * row_in(text, row) + (48 * 4 + 32) * row_in(text, "register_bit")
               : row_in(text, row);
  };
  const int64_t rows = a.at("array").at("rows").get<int64_t>();
  const int64_t cols = a.at("array").at("cols").get<int64_t>();
  const auto iso = [](int64_t n, double s) {
    return std::max<int64_t>(1, static_cast<int64_t>(std::floor(static_cast<double>(n) * s)));
  };
  // The three kinds of baseline array: their names, the suffix of their iso-area ratios, the
  // area row of their PE.
  struct Kind {
    std::string pe, area, suffix, row;
  };
  const Kind kinds[] = {{"fp16_iso_pe", "fp16_iso_area", "iso_area", "pe_fp16"},
                        {"fp16dot_iso_pe", "fp16dot_iso_area", "dot_iso_area", "dot_fp16_lane"},
                        {"hfp8_iso_pe", "hfp8_iso_area", "hfp8_iso_area", "pe_hfp8"}};
  for (const Kind& k : kinds) {
    const double s0 = std::sqrt(int4_area(area_text_) / base_area(area_text_, k.row));
    ASSERT_EQ(a.at("arrays").at(k.area).at("rows"), iso(rows, s0)) << k.area;
    ASSERT_EQ(a.at("arrays").at(k.area).at("cols"), iso(cols, s0)) << k.area;
  }

  const struct {
    const char* row;
    double factor;
  } cases[] = {{"add_fp16", 3},      {"add_fp16", 1.015625}, {"pe_fp16", 3},
               {"pe_fp16", 1.03125}, {"dot_fp16_lane", 3},   {"dot_fp16_lane", 1.0078125},
               {"pe_hfp8", 3},       {"pe_hfp8", 1.0078125}};
  int reshaped = 0;
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.row) + " x " + std::to_string(c.factor));
    double value = 0;
    const std::string scaled = with_row_scaled(area_text_, c.row, c.factor, &value);
    write_area(scaled);
    const Json b = run("B");
    ASSERT_TRUE(b.contains("gemms"));
    const bool int4 = std::string(c.row) == "add_fp16";
    const double int4_um2 = int4_area(scaled);
    const auto ends_with = [](const std::string& leaf, const std::string& tail) {
      return leaf.size() >= tail.size() &&
             leaf.compare(leaf.size() - tail.size(), tail.size(), tail) == 0;
    };

    // The arrays, as the rule gives them; the arrays whose PE area changed (own).
    const Json& arrays = b.at("arrays");
    const auto expect_array = [&](const std::string& name, int64_t r, int64_t cl, double pe_um2) {
      SCOPED_TRACE(name);
      const Json& x = arrays.at(name);
      EXPECT_EQ(x.at("rows"), r);
      EXPECT_EQ(x.at("cols"), cl);
      EXPECT_NEAR(x.at("pe_area_um2").get<double>(), pe_um2, 1e-12 * pe_um2);
      const double mm2 = static_cast<double>(r * cl) * pe_um2 * 1e-6;
      EXPECT_NEAR(x.at("pe_array_area_mm2").get<double>(), mm2, 1e-12 * mm2);
    };
    expect_array("int4_fp4", rows, cols, int4_um2);
    std::vector<std::string> own =
        int4 ? std::vector<std::string>{"int4_fp4"} : std::vector<std::string>{};
    std::vector<const Kind*> reshaped_kinds;
    for (const Kind& k : kinds) {
      const double um2 = base_area(scaled, k.row);
      const double s = std::sqrt(int4_um2 / um2);
      const double s0 = std::sqrt(int4_area(area_text_) / base_area(area_text_, k.row));
      expect_array(k.pe, rows, cols, um2);
      expect_array(k.area, iso(rows, s), iso(cols, s), um2);
      if (iso(rows, s) != iso(rows, s0) || iso(cols, s) != iso(cols, s0)) {
        reshaped_kinds.push_back(&k);
      }
      if (!int4 && k.row == c.row) {
        own = {k.pe, k.area};
      }
    }
    reshaped += reshaped_kinds.empty() ? 0 : 1;

    // Leaves that must change, and those that may: an idle PE leaks through its area
    // (docs/energy.md), so the arrays whose PE area changed may change their pe_idle energy,
    // its totals and the energy ratios they are in.
    std::set<std::string> required;
    for (const std::string& name : own) {
      required.insert("/arrays/" + name + "/pe_area_um2");
      required.insert("/arrays/" + name + "/pe_array_area_mm2");
      required.insert(name == "int4_fp4" ? "/totals/energy_pj/pe_idle"
                                         : "/totals/" + name + "/energy_pj/pe_idle");
    }
    const auto in_own = [&](const std::string& leaf) {
      for (const std::string& name : own) {
        if (name == "int4_fp4"
                ? leaf.find("/fp16") == std::string::npos && leaf.find("/hfp8") == std::string::npos
                : leaf.find("/" + name + "/") != std::string::npos) {
          return true;
        }
      }
      return false;
    };
    const auto leaks = [&](const std::string& leaf) {
      if (leaf.find("/energy_ratio_") != std::string::npos) {
        // The ratios with an own array in them: all of them for the 4-bit array.
        for (const std::string& name : own) {
          const std::string prefix = name.rfind("fp16dot", 0) == 0 ? "dot_"
                                     : name.rfind("hfp8", 0) == 0  ? "hfp8_"
                                                                   : "";
          const std::string suffix =
              name == "int4_fp4" ? "" : prefix + name.substr(name.find("iso"));
          if (name == "int4_fp4" || ends_with(leaf, "/energy_ratio_" + suffix)) {
            return true;
          }
        }
        return false;
      }
      return (ends_with(leaf, "/energy_pj/pe_idle") || ends_with(leaf, "/energy_pj/total")) &&
             in_own(leaf);
    };
    for (const Kind* k : reshaped_kinds) {
      required.insert("/totals/" + k->area + "/cycles");
      required.insert("/totals/speedup_" + k->suffix);
    }
    const std::set<std::string> changed = changed_leaves(a, b);
    for (const std::string& leaf : required) {
      EXPECT_EQ(changed.count(leaf), 1U) << leaf << " did not change";
    }
    const auto may_change = [&](const std::string& leaf) {
      if (required.count(leaf) != 0 || leaks(leaf)) {
        return true;
      }
      if (leaf.rfind("/arrays/", 0) == 0) {
        // The areas of the own arrays, and the shapes of the reshaped iso-area arrays.
        for (const std::string& name : own) {
          if (leaf.rfind("/arrays/" + name + "/pe_a", 0) == 0) {
            return true;
          }
        }
        for (const Kind* k : reshaped_kinds) {
          if (leaf.rfind("/arrays/" + k->area + "/", 0) == 0) {
            return true;
          }
        }
        return false;
      }
      for (const Kind* k : reshaped_kinds) {
        if (leaf.find("/" + k->area + "/") != std::string::npos ||
            ends_with(leaf, "/speedup_" + k->suffix) ||
            ends_with(leaf, "/energy_ratio_" + k->suffix)) {
          return true;
        }
      }
      return false;
    };
    for (const std::string& leaf : changed) {
      EXPECT_TRUE(may_change(leaf)) << leaf << " changed";
    }
  }
  EXPECT_EQ(reshaped, 4) << "each row should be tried with and without a new iso-area shape";
}

// The area rows the model does not read (the parts pe_fp16 and dot_fp16_lane are derived
// from): nothing changes. The SRAM curve's points change only the buffers' areas.
TEST_F(TableRow, UnusedAreaRowChangesNothing) {
  const Json a = run("A");
  ASSERT_TRUE(a.contains("gemms"));
  size_t unused = 0;
  size_t sram_points = 0;
  for (const std::string& key : row_keys(area_text_, 1)) {
    if (key == "mult_int4" || key == "shifter_bit_level" || key == "adder_bit" ||
        key == "add_fp16" || key == "register_bit" || key == "pe_fp16" || key == "dot_fp16_lane" ||
        key == "pe_hfp8") {
      continue;
    }
    SCOPED_TRACE(key);
    double value = 0;
    write_area(with_row_scaled(area_text_, key, kFactor, &value));
    // The SRAM area curve's points (docs/energy.md, "SRAM by capacity") feed only the arrays'
    // sram_area_mm2; this config's 256 KiB buffers of one bank sit on the 256 KiB point.
    if (key.rfind("sram@", 0) == 0) {
      std::set<std::string> expected;
      if (key == "sram@256") {
        for (const auto& [name, array] : a.at("arrays").items()) {
          expected.insert("/arrays/" + name + "/sram_area_mm2");
        }
      }
      expect_same_leaves(changed_leaves(a, run("B")), expected, key);
      ++sram_points;
      continue;
    }
    ++unused;
    expect_same_leaves(changed_leaves(a, run("B")), {}, key);
  }
  EXPECT_EQ(unused, 2U);
  EXPECT_EQ(sram_points, 5U);
}

}  // namespace
