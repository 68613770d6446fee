// nibble sweep end to end, as a user runs it: the merged table is byte-identical whatever
// --jobs, chunking or order of execution; a run folder per point equal to `nibble run`'s; a
// killed sweep resumes; a failing point is a row with its error and exit code 1; bad specs and
// flags are one line, exit 2, nothing written; --slurm writes the job array script.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "tests/run_command.h"

namespace {

namespace fs = std::filesystem;
using nibble::test::read_file;
using nibble::test::run_command;

const std::string kNibble = NIBBLE_BINARY;
const std::string kSource = NIBBLE_SOURCE_DIR;

size_t lines(const std::string& s) {
  return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

// The cells of one CSV line without quoted cells (the test's rows have none).
std::vector<std::string> cells(const std::string& line) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t comma = line.find(',', start);
    out.push_back(line.substr(start, comma - start));
    if (comma == std::string::npos) {
      return out;
    }
    start = comma + 1;
  }
}

std::vector<std::string> csv_lines(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    const size_t nl = text.find('\n', start);
    out.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

class SweepCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("nibble_sweep_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string spec(const std::string& name, const std::string& text) {
    const fs::path p = dir_ / name;
    std::ofstream(p) << text;
    return p.string();
  }
  // 12 points on the example trace (4 GEMMs): 3 array sizes x 2 dataflows x 2 lane counts.
  std::string small_spec(const std::string& name = "s.yaml") {
    return spec(name, "workloads: [" + kSource + "/traces/example.trace]\n" +
                          "axes:\n"
                          "  - key: array.rows\n"
                          "    pow2: {from: 8, to: 32}\n"
                          "  - key: array.dataflow\n"
                          "    values: [os, ws]\n"
                          "  - key: pe.lanes\n"
                          "    values: [1, 4]\n");
  }
  nibble::test::CommandResult sweep(const std::string& args) {
    return run_command(kNibble + " sweep " + args);
  }
  fs::path dir_;
};

TEST_F(SweepCli, SameTableWhateverJobsAndRowsInSpecOrder) {
  const std::string s = small_spec();
  const auto a = sweep(s + " -o " + (dir_ / "a").string() + " --jobs 1 --no-plots -q");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(a.err, "");  // --quiet
  const auto b = sweep(s + " -o " + (dir_ / "b").string() + " --jobs 3 --no-plots");
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_NE(b.err.find("12/12 points, 0 failed"), std::string::npos) << b.err;
  const std::string csv = read_file((dir_ / "a" / "sweep.csv").string());
  EXPECT_EQ(csv, read_file((dir_ / "b" / "sweep.csv").string()));
  EXPECT_EQ(read_file((dir_ / "a" / "sweep.json").string()),
            read_file((dir_ / "b" / "sweep.json").string()));

  const std::vector<std::string> rows = csv_lines(csv);
  ASSERT_EQ(rows.size(), 13U);
  const std::vector<std::string> header = cells(rows[0]);
  ASSERT_GE(header.size(), 10U);
  EXPECT_EQ(std::vector<std::string>(header.begin(), header.begin() + 6),
            (std::vector<std::string>{"point", "workload", "array.rows", "array.dataflow",
                                      "pe.lanes", "status"}));
  EXPECT_EQ(header.back(), "error");
  // The spec's order: the first axis outermost.
  const std::vector<std::vector<std::string>> order = {
      {"8", "os", "1"}, {"8", "os", "4"}, {"8", "ws", "1"}, {"8", "ws", "4"}};
  for (size_t r = 0; r < order.size(); ++r) {
    const std::vector<std::string> c = cells(rows[r + 1]);
    EXPECT_EQ(std::vector<std::string>(c.begin() + 2, c.begin() + 5), order[r]);
    EXPECT_EQ(c[5], "ok");
  }
  EXPECT_EQ(cells(rows[12])[2], "32");
}

TEST_F(SweepCli, EachPointIsTheRunOfItsConfig) {
  const std::string s = small_spec();
  const fs::path out = dir_ / "o";
  ASSERT_EQ(sweep(s + " -o " + out.string() + " --no-plots -q").exit_code, 0);
  const std::vector<std::string> rows = csv_lines(read_file((out / "sweep.csv").string()));
  const std::vector<std::string> header = cells(rows[0]);
  const size_t cycles =
      static_cast<size_t>(std::find(header.begin(), header.end(), "cycles") - header.begin());
  ASSERT_LT(cycles, header.size());
  // Row 4 is 8 rows, ws, 4 lanes: nibble run of that config by hand.
  const std::vector<std::string> row = cells(rows[4]);
  ASSERT_EQ(std::vector<std::string>(row.begin() + 2, row.begin() + 5),
            (std::vector<std::string>{"8", "ws", "4"}));
  const fs::path by_hand = dir_ / "by_hand";
  const auto r = run_command(kNibble + " run -q --no-plots --trace " + kSource +
                             "/traces/example.trace --set array.rows=8 --set array.dataflow=ws "
                             "--set pe.lanes=4 -o " +
                             by_hand.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_file((by_hand / "report.json").string()),
            read_file((out / "points" / row[0] / "report.json").string()));
  EXPECT_NE(read_file((by_hand / "report.json").string()).find("\"cycles\": " + row[cycles] + ","),
            std::string::npos);
  for (const char* f : {"report.json", "layers.csv", "report.md", "config.yaml"}) {
    EXPECT_TRUE(fs::exists(out / "points" / row[0] / f)) << f;
  }
}

TEST_F(SweepCli, AKilledSweepResumes) {
  const std::string s = small_spec();
  const fs::path out = dir_ / "o";
  ASSERT_EQ(sweep(s + " -o " + out.string() + " --no-plots -q").exit_code, 0);
  const std::string csv = read_file((out / "sweep.csv").string());
  // As a kill leaves it: three points never published, one half-written staging folder, no
  // merged table.
  std::vector<fs::path> points;
  for (const auto& e : fs::directory_iterator(out / "points")) {
    points.push_back(e.path());
  }
  std::sort(points.begin(), points.end());
  ASSERT_EQ(points.size(), 12U);
  for (size_t i = 0; i < 3; ++i) {
    fs::remove_all(points[i]);
  }
  const fs::path stale = out / "points" / ("." + points[0].filename().string() + ".partial-99999");
  fs::create_directories(stale);
  std::ofstream(stale / "report.json") << "{";
  // The lock file a run killed just after publishing a finished point leaves (its claim, which
  // died with it): blocks nothing, and is removed with the rest.
  const fs::path stale_lock = out / "points" / ("." + points[5].filename().string() + ".lock");
  std::ofstream(stale_lock) << "99999\n";
  fs::remove(out / "sweep.csv");
  fs::remove(out / "sweep.json");
  const auto merge = sweep("merge " + out.string() + " --no-plots");
  EXPECT_EQ(merge.exit_code, 1);
  EXPECT_EQ(lines(merge.err), 1U) << merge.err;
  EXPECT_NE(merge.err.find("3 of 12 points have not run"), std::string::npos) << merge.err;
  EXPECT_FALSE(fs::exists(out / "sweep.csv"));

  const auto again = sweep(s + " -o " + out.string() + " --no-plots");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("12 points: 3 run, 9 finished before, 0 failed"), std::string::npos)
      << again.err;
  EXPECT_EQ(read_file((out / "sweep.csv").string()), csv);
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_FALSE(fs::exists(stale_lock));
  const auto merged = sweep("merge " + out.string() + " --no-plots -q");
  EXPECT_EQ(merged.exit_code, 0) << merged.err;
  EXPECT_EQ(read_file((out / "sweep.csv").string()), csv);
}

TEST_F(SweepCli, AFailingPointIsARowAndExitCodeOne) {
  // Counts beyond 64 bits: `nibble run` rejects this trace when it times it, not before.
  const fs::path big = dir_ / "big.trace";
  std::ofstream(big) << "nibble-trace 1\ngemm big m=1000 n=1000 k=1000 a=int4 b=int4 "
                        "repeat=2147483647\n";
  const std::string s =
      spec("f.yaml", "workloads: [" + kSource + "/traces/example.trace, " + big.string() +
                         "]\naxes:\n  - {key: array.rows, "
                         "values: [8, 16]}\n");
  const fs::path out = dir_ / "o";
  const auto r = sweep(s + " -o " + out.string() + " --no-plots --jobs 2");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("4/4 points, 2 failed"), std::string::npos) << r.err;
  const std::vector<std::string> rows = csv_lines(read_file((out / "sweep.csv").string()));
  ASSERT_EQ(rows.size(), 5U);
  EXPECT_NE(rows[1].find(",ok,"), std::string::npos) << rows[1];
  EXPECT_NE(rows[2].find(",failed,"), std::string::npos) << rows[2];
  EXPECT_NE(rows[2].find(big.string() + ":2:"), std::string::npos) << rows[2];
  EXPECT_NE(rows[2].find("64 bits"), std::string::npos) << rows[2];
  EXPECT_NE(rows[4].find(",failed,"), std::string::npos) << rows[4];
  // The failures are retried by the next run; the finished points are not.
  const auto again = sweep(s + " -o " + out.string() + " --no-plots");
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("4 points: 0 run, 2 finished before, 2 failed"), std::string::npos)
      << again.err;
}

TEST_F(SweepCli, RunChunksThenMergeEqualsALocalRun) {
  const std::string s = small_spec();
  ASSERT_EQ(sweep(s + " -o " + (dir_ / "local").string() + " --no-plots -q").exit_code, 0);
  const fs::path out = dir_ / "chunks";
  const auto dry = sweep(s + " -o " + out.string() +
                         " --slurm --chunk-size 5 --throttle 2 "
                         "--slurm-opt=--partition=debug --slurm-opt=--time=10");
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_EQ(dry.out, "sbatch --parsable --array=0-2%2 " + (out / "sweep.sbatch").string() + "\n");
  const std::string script = read_file((out / "sweep.sbatch").string());
  EXPECT_NE(script.find("#SBATCH --array=0-2%2\n"), std::string::npos) << script;
  EXPECT_NE(script.find("#SBATCH --partition=debug\n#SBATCH --time=10\n"), std::string::npos)
      << script;
  EXPECT_NE(script.find("sweep run-chunk " + out.string() + " --index \"$SLURM_ARRAY_TASK_ID\""),
            std::string::npos)
      << script;
  EXPECT_FALSE(fs::exists(out / "points"));
  // Tasks may be running on these chunks: a new chunk size is refused, the plan stays.
  const std::string plan = read_file((out / "plan.json").string());
  const auto rechunk = sweep(s + " -o " + out.string() + " --slurm --chunk-size 4");
  EXPECT_EQ(rechunk.exit_code, 2);
  EXPECT_NE(rechunk.err.find("planned in chunks of 5"), std::string::npos) << rechunk.err;
  EXPECT_EQ(read_file((out / "plan.json").string()), plan);
  // The tasks in any order, as Slurm may run them.
  for (const char* index : {"2", "0"}) {
    const auto r = sweep(std::string("run-chunk ") + out.string() + " --index " + index + " -q");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  const auto partial = sweep(s + " -o " + out.string() + " --slurm --chunk-size 5 --throttle 2");
  EXPECT_EQ(partial.out, "sbatch --parsable --array=1%2 " + (out / "sweep.sbatch").string() + "\n");
  ASSERT_EQ(sweep("run-chunk " + out.string() + " --index 1 -q").exit_code, 0);
  const auto done = sweep(s + " -o " + out.string() + " --slurm --chunk-size 5");
  EXPECT_EQ(done.exit_code, 0);
  EXPECT_EQ(done.out, "");
  EXPECT_NE(done.err.find("nothing to submit"), std::string::npos) << done.err;
  ASSERT_EQ(sweep("merge " + out.string() + " --no-plots -q").exit_code, 0);
  EXPECT_EQ(read_file((out / "sweep.csv").string()),
            read_file((dir_ / "local" / "sweep.csv").string()));
  EXPECT_EQ(read_file((out / "sweep.json").string()),
            read_file((dir_ / "local" / "sweep.json").string()));
}

TEST_F(SweepCli, PlotsBesideTheTable) {
  const std::string s = small_spec();
  const fs::path out = dir_ / "o";
  const auto r = sweep(s + " -o " + out.string() + " -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* png :
       {"pareto_speedup_area.png", "pareto_energy_cycles.png", "speedup_vs_array_rows.png",
        "speedup_vs_array_dataflow.png", "speedup_vs_pe_lanes.png"}) {
    EXPECT_TRUE(fs::exists(out / png)) << png;
  }
}

struct BadInput {
  const char* what;
  const char* spec;     // written to bad.yaml; empty: no spec file
  const char* args;     // after "nibble sweep"; SPEC and OUT are replaced
  const char* message;  // expected in the one stderr line
};

class SweepCliBad : public SweepCli, public ::testing::WithParamInterface<BadInput> {};

TEST_P(SweepCliBad, OneLineExitTwoNothingWritten) {
  const BadInput& b = GetParam();
  const std::string s = spec("bad.yaml", b.spec);
  std::string args = b.args;
  for (const auto& [from, to] :
       {std::pair<std::string, std::string>{"SPEC", s}, {"OUT", (dir_ / "out").string()}}) {
    for (size_t at = args.find(from); at != std::string::npos; at = args.find(from)) {
      args.replace(at, from.size(), to);
    }
  }
  const auto r = sweep(args);
  EXPECT_EQ(r.exit_code, 2) << b.what << ": " << r.err;
  EXPECT_EQ(lines(r.err), 1U) << b.what << ": " << r.err;
  EXPECT_NE(r.err.find(b.message), std::string::npos) << b.what << ": " << r.err;
  EXPECT_FALSE(fs::exists(dir_ / "out")) << b.what;
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1) << b.what;
}

// A test name from a case's description: letters and digits, the rest as '_'.
std::string test_name(std::string what) {
  for (char& c : what) {
    c = std::isalnum(static_cast<unsigned char>(c)) != 0 ? c : '_';
  }
  return what;
}

const BadInput kBad[] = {
    {"unknown key", "workloads: [builtin]\nworkload: x\n", "SPEC -o OUT",
     "bad.yaml:2: unknown key"},
    {"axis over no key", "workloads: [builtin]\naxes:\n  - {key: array.size, values: [8]}\n",
     "SPEC -o OUT", "bad.yaml:3: axis over 'array.size'"},
    {"empty axis", "workloads: [builtin]\naxes:\n  - {key: array.rows, values: []}\n",
     "SPEC -o OUT", "bad.yaml:3: axis 'array.rows' is empty"},
    {"value out of range",
     "workloads: [builtin]\naxes:\n  - key: array.rows\n    values: [8, -1]\n", "SPEC -o OUT",
     "bad.yaml:4: array.rows"},
    {"no spec file", "", "nosuch.yaml -o OUT", "nosuch.yaml: cannot open the sweep spec"},
    {"no spec", "", "-o OUT", "no sweep spec"},
    {"bad jobs", "workloads: [builtin]\n", "SPEC -o OUT --jobs 0", "--jobs"},
    {"submit without slurm", "workloads: [builtin]\n", "SPEC -o OUT --submit", "needs --slurm"},
    {"zero chunk", "workloads: [builtin]\n", "SPEC -o OUT --slurm --chunk-size 0", "--chunk-size"},
    {"unknown flag", "workloads: [builtin]\n", "SPEC -o OUT --fast", "fast"},
    {"jobs with slurm", "workloads: [builtin]\n", "SPEC -o OUT --slurm --jobs 2", "--jobs"},
    {"slurm folder with a blank", "workloads: [builtin]\n", "SPEC -o 'OUT x' --slurm",
     "may not hold blanks"},
    {"merge of no sweep", "", "merge OUT", "plan.json"},
    {"run-chunk without index", "workloads: [builtin]\n", "run-chunk OUT", "plan.json"},
};

INSTANTIATE_TEST_SUITE_P(Bad, SweepCliBad, ::testing::ValuesIn(kBad),
                         [](const auto& tc) { return test_name(tc.param.what); });

TEST_F(SweepCli, RefusesAFolderThatIsNotASweeps) {
  const fs::path out = dir_ / "o";
  fs::create_directories(out);
  std::ofstream(out / "notes.txt") << "mine";
  const auto r = sweep(small_spec() + " -o " + out.string() + " -q --no-plots");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("neither empty nor a sweep's"), std::string::npos) << r.err;
  EXPECT_EQ(std::distance(fs::directory_iterator(out), fs::directory_iterator()), 1);
}

TEST_F(SweepCli, RunChunkIndexOutOfRange) {
  const std::string s = small_spec();
  const fs::path out = dir_ / "o";
  ASSERT_EQ(sweep(s + " -o " + out.string() + " --slurm --chunk-size 5 -q").exit_code, 0);
  const auto r = sweep("run-chunk " + out.string() + " --index 3");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("chunks 0..2"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out / "points"));
}

}  // namespace
