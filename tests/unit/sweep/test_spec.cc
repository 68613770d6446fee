// The sweep spec (docs/sweep.md): how axes expand into points (order, ranges, zips), point ids
// (stable under reordering the spec, FNV-1a by its published test vectors), the chunking of a
// Slurm array, and bad specs: one InputError naming the spec's line.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "model/frontend/input_error.h"
#include "model/sweep/plan.h"
#include "model/sweep/shell.h"
#include "model/sweep/slurm.h"
#include "model/sweep/spec.h"

namespace {

namespace fs = std::filesystem;
using nibble::frontend::InputError;
using nibble::sweep::Plan;

const std::string kSource = NIBBLE_SOURCE_DIR;

Plan parse(const std::string& text) { return nibble::sweep::parse_spec(text, "s.yaml", kSource); }

std::vector<std::vector<std::string>> values_of(const Plan& plan) {
  std::vector<std::vector<std::string>> out;
  for (const auto& p : plan.points) {
    std::vector<std::string> v = p.values;
    v.push_back(p.workload);
    out.push_back(v);
  }
  return out;
}

TEST(SweepSpec, GridExpandsFirstAxisOutermostWorkloadsInnermost) {
  const Plan plan = parse(
      "workloads: [builtin, traces/example.trace]\n"
      "axes:\n"
      "  - key: array.rows\n"
      "    pow2: {from: 8, to: 16}\n"
      "  - zip:\n"
      "      - key: pe.lanes\n"
      "        values: [1, 4]\n"
      "      - key: baseline.fp16_dot_lanes\n"
      "        values: [2, 8]\n");
  ASSERT_EQ(plan.axes,
            (std::vector<std::string>{"array.rows", "pe.lanes", "baseline.fp16_dot_lanes"}));
  const std::vector<std::vector<std::string>> expected = {
      {"8", "1", "2", "builtin"},  {"8", "1", "2", "traces/example.trace"},
      {"8", "4", "8", "builtin"},  {"8", "4", "8", "traces/example.trace"},
      {"16", "1", "2", "builtin"}, {"16", "1", "2", "traces/example.trace"},
      {"16", "4", "8", "builtin"}, {"16", "4", "8", "traces/example.trace"}};
  EXPECT_EQ(values_of(plan), expected);
  EXPECT_EQ(plan.points[1].trace_path, kSource + "/traces/example.trace");
  EXPECT_EQ(plan.points[0].trace_path, "");
  EXPECT_EQ(plan.points[2].overrides,
            (std::vector<std::string>{"array.rows=8", "pe.lanes=4", "baseline.fp16_dot_lanes=8"}));
}

TEST(SweepSpec, RangesAndPowersOfTwo) {
  const Plan plan = parse(
      "workloads: [builtin]\n"
      "axes:\n"
      "  - key: dram.bandwidth_bytes_per_cycle\n"
      "    range: {from: 0.5, to: 1.5, step: 0.25}\n"
      "  - key: array.rows\n"
      "    range: {from: 4, to: 14, step: 4}\n"
      "  - key: array.cols\n"
      "    pow2: {from: 3, to: 40}\n");
  std::vector<std::set<std::string>> seen(3);
  for (const auto& p : plan.points) {
    for (size_t a = 0; a < 3; ++a) {
      seen[a].insert(p.values[a]);
    }
  }
  // Doubles print as the config prints them (docs/config.md: shortest text, ".0" on integers).
  EXPECT_EQ(seen[0], (std::set<std::string>{"0.5", "0.75", "1.0", "1.25", "1.5"}));
  EXPECT_EQ(seen[1], (std::set<std::string>{"4", "8", "12"}));
  EXPECT_EQ(seen[2], (std::set<std::string>{"4", "8", "16", "32"}));
  EXPECT_EQ(plan.points.size(), 5U * 3U * 4U);
}

TEST(SweepSpec, TenthStepsCarryNoRoundingResidue) {
  const Plan plan = parse(
      "workloads: [builtin]\n"
      "axes:\n"
      "  - key: pe.fp8_macs_per_cycle\n"
      "    range: {from: 0.1, to: 0.3, step: 0.1}\n");
  ASSERT_EQ(plan.points.size(), 3U);
  EXPECT_EQ(plan.points[2].values[0], "0.3");
}

TEST(SweepSpec, FnvMatchesPublishedVectors) {
  // FNV-1a 64-bit test vectors (Fowler, Noll, Vo: the reference page's table).
  EXPECT_EQ(nibble::sweep::fnv1a_hex(""), "cbf29ce484222325");
  EXPECT_EQ(nibble::sweep::fnv1a_hex("a"), "af63dc4c8601ec8c");
  EXPECT_EQ(nibble::sweep::fnv1a_hex("foobar"), "85944171f73967e8");
}

TEST(SweepSpec, IdsSurviveReorderingTheSpec) {
  const Plan a = parse(
      "workloads: [builtin, traces/example.trace]\n"
      "axes:\n"
      "  - {key: array.rows, values: [8, 16]}\n"
      "  - {key: array.dataflow, values: [os, ws]}\n");
  const Plan b = parse(
      "axes:\n"
      "  - {key: array.dataflow, values: [ws, os]}\n"
      "  - {key: array.rows, values: [16, 8]}\n"
      "workloads: [traces/example.trace, builtin]\n");
  std::set<std::string> ids_a;
  std::set<std::string> ids_b;
  for (const auto& p : a.points) {
    EXPECT_EQ(p.id.size(), 12U);
    EXPECT_EQ(p.id.find_first_not_of("0123456789abcdef"), std::string::npos) << p.id;
    ids_a.insert(p.id);
  }
  for (const auto& p : b.points) {
    ids_b.insert(p.id);
  }
  EXPECT_EQ(ids_a.size(), 8U);
  EXPECT_EQ(ids_a, ids_b);
  // A setting equal to the default is the same design as leaving it out.
  const Plan c = parse("workloads: [builtin]\nset: {array.rows: 32}\n");
  const Plan d = parse("workloads: [builtin]\n");
  EXPECT_EQ(c.points.at(0).id, d.points.at(0).id);
  const Plan e = parse("workloads: [builtin]\nset: {array.rows: 16}\n");
  EXPECT_NE(e.points.at(0).id, d.points.at(0).id);
  const Plan f = parse("workloads: [builtin]\nengine: systemc\n");
  EXPECT_NE(f.points.at(0).id, d.points.at(0).id);
}

TEST(SweepSpec, ExtraAxesEngineAndTables) {
  const Plan plan = parse(
      "workloads: [builtin]\n"
      "axes:\n"
      "  - {key: engine, values: [analytic, systemc]}\n"
      "  - {key: tables.energy, values: [configs/energy/default_45nm.csv]}\n");
  ASSERT_EQ(plan.points.size(), 2U);
  EXPECT_EQ(plan.points[1].engine, "systemc");
  EXPECT_EQ(plan.points[0].energy_table, kSource + "/configs/energy/default_45nm.csv");
  EXPECT_EQ(plan.points[0].values[1], "configs/energy/default_45nm.csv");
  EXPECT_TRUE(plan.points[0].overrides.empty());
}

TEST(SweepSpec, NoAxesIsOnePointPerWorkload) {
  const Plan plan = parse("workloads: [builtin]\nset: {array.dataflow: os}\n");
  ASSERT_EQ(plan.points.size(), 1U);
  EXPECT_TRUE(plan.axes.empty());
  EXPECT_EQ(plan.points[0].overrides, (std::vector<std::string>{"array.dataflow=os"}));
}

struct BadSpec {
  const char* what;
  const char* text;
  int line;
  const char* message;  // a part of the error message
};

class SweepSpecErrors : public ::testing::TestWithParam<BadSpec> {};

TEST_P(SweepSpecErrors, NameTheLine) {
  const BadSpec& b = GetParam();
  try {
    parse(b.text);
    ADD_FAILURE() << b.what << ": no error";
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), "s.yaml") << b.what << ": " << e.what();
    EXPECT_EQ(e.line(), b.line) << b.what << ": " << e.what();
    EXPECT_NE(std::string(e.what()).find(b.message), std::string::npos)
        << b.what << ": " << e.what();
  }
}

// A test name from a case's description: letters and digits, the rest as '_'.
std::string test_name(std::string what) {
  for (char& c : what) {
    c = std::isalnum(static_cast<unsigned char>(c)) != 0 ? c : '_';
  }
  return what;
}

const BadSpec kBadSpecs[] = {
    {"unknown top-level key", "workloads: [builtin]\nworkload: [builtin]\n", 2, "unknown key"},
    {"no workloads", "axes: []\n", 1, "no `workloads`"},
    {"workload file missing", "workloads:\n  - builtin\n  - no/such.trace\n", 3, "no trace file"},
    {"axis over a key that does not exist",
     "workloads: [builtin]\naxes:\n  - key: array.depth\n    values: [1]\n", 3, "not a config key"},
    {"empty values", "workloads: [builtin]\naxes:\n  - key: array.rows\n    values: []\n", 4,
     "is empty"},
    {"value out of range",
     "workloads: [builtin]\naxes:\n  - key: array.rows\n    values:\n      - 8\n      - 0\n", 6,
     "array.rows"},
    {"enum value unknown",
     "workloads: [builtin]\naxes:\n  - key: array.dataflow\n    values: [os, xs]\n", 4,
     "array.dataflow"},
    {"pow2 without a power of two",
     "workloads: [builtin]\naxes:\n  - key: array.rows\n    pow2: {from: 100, to: 120}\n", 4,
     "no power of two"},
    {"range upside down",
     "workloads: [builtin]\naxes:\n  - key: array.rows\n    range: {from: 9, to: 4, step: 1}\n", 4,
     "from is above to"},
    {"range step zero",
     "workloads: [builtin]\naxes:\n  - key: array.rows\n    range: {from: 1, to: 4, step: 0}\n", 4,
     "step must be positive"},
    {"range on an enum",
     "workloads: [builtin]\naxes:\n  - key: array.dataflow\n    range: {from: 1, to: 2, step: 1}\n",
     4, "not a numeric key"},
    {"fractional range of an integer key",
     "workloads: [builtin]\naxes:\n  - key: array.rows\n    range: {from: 1, to: 2, step: 0.5}\n",
     4, "expected an integer"},
    {"zip of unequal lengths",
     "workloads: [builtin]\naxes:\n  - zip:\n      - {key: array.rows, values: [8, 16]}\n"
     "      - {key: array.cols, values: [8]}\n",
     5, "equal lengths"},
    {"key swept twice",
     "workloads: [builtin]\naxes:\n  - {key: array.rows, values: [8]}\n"
     "  - {key: array.rows, values: [16]}\n",
     4, "swept twice"},
    {"key both set and swept",
     "workloads: [builtin]\nset: {array.rows: 8}\naxes:\n  - {key: array.rows, values: [16]}\n", 4,
     "both in `set`"},
    {"unknown axis key", "workloads: [builtin]\naxes:\n  - {key: array.rows, value: [8]}\n", 3,
     "unknown axis key"},
    {"one axis, two sources",
     "workloads: [builtin]\naxes:\n  - key: array.rows\n    values: [8]\n    pow2: {from: 8, to: "
     "8}\n",
     5, "not both"},
    {"the same design twice",
     "workloads: [builtin]\naxes:\n  - key: array.rows\n    values: [8, 8]\n", 4, "same design"},
    {"lanes in compat mode",
     "workloads: [builtin]\nset: {timing.mode: compat}\naxes:\n  - key: pe.lanes\n"
     "    values: [1, 4]\n",
     5, "compat"},
    {"unknown set key", "workloads: [builtin]\nset:\n  array.depth: 3\n", 3, "unknown config key"},
    {"bad engine", "workloads: [builtin]\nengine: verilator\n", 2, "analytic or systemc"},
    {"bad point_plots", "workloads: [builtin]\npoint_plots: maybe\n", 2, "true or false"},
    {"missing table", "workloads: [builtin]\ntables: {energy: no/such.csv}\n", 2, "cannot open"},
    {"YAML syntax", "workloads: [builtin\n", 2, "YAML"},
    // yaml-cpp 0.7's LoadAll looped on it, growing memory (found by tests/fuzz/fuzz_sweep_spec).
    {"comma after the mapping", "workloads: [builtin]\n...\n,\n", 3, "unexpected ','"},
    {"duplicate top key", "workloads: [builtin]\nengine: analytic\nengine: systemc\n", 3,
     "duplicate key"},
    {"too many points",
     "workloads: [builtin]\naxes:\n  - {key: array.rows, range: {from: 1, to: 1000, step: 1}}\n"
     "  - {key: array.cols, range: {from: 1, to: 1001, step: 1}}\n",
     4, "more than"},
};

INSTANTIATE_TEST_SUITE_P(Bad, SweepSpecErrors, ::testing::ValuesIn(kBadSpecs),
                         [](const auto& tc) { return test_name(tc.param.what); });

TEST(SweepSpec, MissingTableNamesTheTableFile) {
  try {
    parse("workloads: [builtin]\ntables: {energy: no/such.csv}\n");
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(kSource + "/no/such.csv"), std::string::npos) << e.what();
  }
}

TEST(SweepSpec, TheExampleSpecOfTheDocs) {
  // examples/sweep.yaml, which docs/sweep.md shows: 3 x 5 x 4 designs on 2 workloads.
  const Plan plan = nibble::sweep::read_spec(kSource + "/examples/sweep.yaml");
  EXPECT_EQ(plan.points.size(), 120U);
  EXPECT_EQ(plan.axes, (std::vector<std::string>{"array.dataflow", "array.rows", "array.cols",
                                                 "dram.bandwidth_bytes_per_cycle"}));
  EXPECT_EQ(plan.points.back().values, (std::vector<std::string>{"is", "128", "128", "64.0"}));
  EXPECT_EQ(plan.base_config, kSource + "/configs/default.yaml");
}

TEST(SweepChunks, DefaultChunkSizeIsAboutTheSquareRoot) {
  using nibble::sweep::default_chunk_size;
  EXPECT_EQ(default_chunk_size(1, 1000), 1);
  EXPECT_EQ(default_chunk_size(50, 1000), 7);          // sqrt(50) = 7.07
  EXPECT_EQ(default_chunk_size(1350, 1000), 37);       // sqrt(1350) = 36.7
  EXPECT_EQ(default_chunk_size(4000000, 1000), 4000);  // the cap: 1000 tasks of 4000
  Plan plan;
  plan.points.resize(50);
  plan.chunk_size = 7;
  EXPECT_EQ(nibble::sweep::chunk_count(plan), 8);
  EXPECT_EQ(nibble::sweep::chunk_points(plan, 7), (std::vector<size_t>{49}));
  EXPECT_EQ(nibble::sweep::chunk_points(plan, 1).front(), 7U);
}

TEST(SweepChunks, ArrayValueJoinsRuns) {
  using nibble::sweep::array_value;
  EXPECT_EQ(array_value({0, 1, 2, 5, 7, 8}, 2), "0-2,5,7-8%2");
  EXPECT_EQ(array_value({3}, 0), "3");
  EXPECT_EQ(array_value({0, 1}, 0), "0-1");
}

TEST(SweepShell, WordsQuotedOnlyWhenNeeded) {
  using nibble::sweep::shell_word;
  EXPECT_EQ(shell_word("/a/b-c_d.e"), "/a/b-c_d.e");
  EXPECT_EQ(shell_word("--array=0-3%2"), "--array=0-3%2");
  EXPECT_EQ(shell_word("a b"), "'a b'");
  EXPECT_EQ(shell_word("it's"), "'it'\\''s'");
  EXPECT_EQ(shell_word("$HOME"), "'$HOME'");
  EXPECT_EQ(shell_word(""), "''");
  EXPECT_EQ(nibble::sweep::shell_line({"sbatch", "a b", "c"}), "sbatch 'a b' c");
}

TEST(SweepPlan, JsonRoundTrip) {
  Plan plan = parse(
      "workloads: [builtin, traces/example.trace]\n"
      "axes:\n"
      "  - {key: array.rows, values: [8, 16]}\n"
      "  - {key: engine, values: [analytic]}\n");
  plan.chunk_size = 3;
  const std::string text = nibble::sweep::plan_json(plan);
  const Plan back = nibble::sweep::parse_plan(text, "plan.json");
  EXPECT_EQ(nibble::sweep::plan_json(back), text);
  EXPECT_EQ(back.points.size(), 4U);
  EXPECT_THROW(nibble::sweep::parse_plan("{}", "plan.json"), InputError);
  EXPECT_THROW(nibble::sweep::parse_plan("[", "plan.json"), InputError);
}

}  // namespace
