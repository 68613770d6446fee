// sweep.csv and sweep.json from run folders written here by hand: rows in plan order, the
// axes, report totals flattened with dotted names and copied as written, failed rows with their
// error line, the union of columns when reports differ, and nothing when a point has not run.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "model/sweep/merge.h"
#include "model/sweep/plan.h"

namespace {

namespace fs = std::filesystem;
using nibble::sweep::Plan;
using nibble::sweep::Point;

class SweepMerge : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("nibble_merge_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    plan_.axes = {"array.rows", "array.dataflow"};
    for (const auto& [id, rows, df] :
         {std::tuple{"aaaaaaaaaaaa", "8", "os"}, std::tuple{"bbbbbbbbbbbb", "16", "ws"},
          std::tuple{"cccccccccccc", "32", "is"}}) {
      Point p;
      p.id = id;
      p.workload = "net, small.trace";  // a comma: the cell is quoted
      p.values = {rows, df};
      plan_.points.push_back(p);
    }
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
  }
  void report(const std::string& id, const std::string& totals) {
    write(dir_ / "points" / id / "report.json",
          R"({"arrays": {"int4_fp4": {"pe_area_um2": 2117.04, "pe_array_area_mm2": 0.13549056}},)"
          R"( "totals": )" +
              totals + "}");
  }

  fs::path dir_;
  Plan plan_;
};

TEST_F(SweepMerge, RowsColumnsAndFailures) {
  report("aaaaaaaaaaaa",
         R"({"cycles": 100, "utilization": 0.5, "energy_pj": {"mac": 1.5, "total": 2.25},)"
         R"( "speedup_iso_pe": 1.25})");
  write(dir_ / "failed" / "bbbbbbbbbbbb.txt", "nibble run: error: t.trace:2: too \"big\"\n");
  // A report with a leaf the first lacks, and without one the first has.
  report("cccccccccccc",
         R"({"cycles": 7, "energy_pj": {"mac": 0.1, "total": 0.2}, "speedup_iso_pe": 3,)"
         R"( "fp16dot_iso_pe": {"cycles": 9}})");
  const nibble::sweep::Merged m = nibble::sweep::merge_points(plan_, dir_);
  EXPECT_TRUE(m.missing.empty());
  EXPECT_EQ(m.ok, 2);
  EXPECT_EQ(m.failed, 1);
  const std::string expected =
      "point,workload,array.rows,array.dataflow,status,pe_area_um2,pe_array_area_mm2,cycles,"
      "utilization,energy_pj.mac,energy_pj.total,speedup_iso_pe,fp16dot_iso_pe.cycles,error\n"
      "aaaaaaaaaaaa,\"net, small.trace\",8,os,ok,2117.04,0.13549056,100,0.5,1.5,2.25,1.25,,\n"
      "bbbbbbbbbbbb,\"net, small.trace\",16,ws,failed,,,,,,,,,"
      "\"nibble run: error: t.trace:2: too \"\"big\"\"\"\n"
      "cccccccccccc,\"net, small.trace\",32,is,ok,2117.04,0.13549056,7,,0.1,0.2,3,9,\n";
  EXPECT_EQ(m.csv, expected);
  EXPECT_NE(m.json.find("\"failed\": 1"), std::string::npos) << m.json;
  EXPECT_NE(m.json.find("\"run\": \"points/cccccccccccc\""), std::string::npos) << m.json;
  EXPECT_NE(m.json.find("\"error\": \"nibble run: error: t.trace:2: too \\\"big\\\"\""),
            std::string::npos)
      << m.json;
}

TEST_F(SweepMerge, APointNotRunLeavesNothing) {
  report("aaaaaaaaaaaa", R"({"cycles": 100})");
  report("cccccccccccc", R"({"cycles": 7})");
  const nibble::sweep::Merged m = nibble::sweep::merge_points(plan_, dir_);
  EXPECT_EQ(m.missing, (std::vector<size_t>{1}));
  EXPECT_TRUE(m.csv.empty());
  EXPECT_TRUE(m.json.empty());
}

TEST_F(SweepMerge, AFinishedPointWinsOverAnOldFailure) {
  report("aaaaaaaaaaaa", R"({"cycles": 100})");
  report("bbbbbbbbbbbb", R"({"cycles": 50})");
  write(dir_ / "failed" / "bbbbbbbbbbbb.txt", "an earlier failure\n");
  report("cccccccccccc", R"({"cycles": 7})");
  const nibble::sweep::Merged m = nibble::sweep::merge_points(plan_, dir_);
  EXPECT_EQ(m.failed, 0);
  EXPECT_EQ(m.csv.find("earlier"), std::string::npos) << m.csv;
}

}  // namespace
