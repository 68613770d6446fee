// Shared by the SystemC bench tests (tests/sc): the workloads they run and a field-by-field
// comparison of two GemmTiming results. Each bench is its own executable, because SystemC
// elaborates once per process: a bench builds all its jobs, calls sc::run_engine once and then
// checks the results in several TESTs.
#ifndef NIBBLE_TESTS_SC_SC_TEST_UTIL_H_
#define NIBBLE_TESTS_SC_SC_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "model/frontend/trace.h"
#include "model/timing/realistic.h"
#include "model/workload/gemm_spec.h"

namespace nibble::testing {

namespace fs = std::filesystem;

inline const fs::path kSourceDir = NIBBLE_SOURCE_DIR;

// traces/*.trace, sorted by name.
inline std::vector<workload::Workload> shipped_traces() {
  std::vector<fs::path> paths;
  for (const auto& e : fs::directory_iterator(kSourceDir / "traces")) {
    if (e.path().extension() == ".trace") {
      paths.push_back(e.path());
    }
  }
  std::sort(paths.begin(), paths.end());
  std::vector<workload::Workload> out;
  for (const fs::path& p : paths) {
    out.push_back(frontend::read_trace_file(p.string()));
  }
  return out;
}

// Every field of two timings, one EXPECT per field, labelled with `what`.
inline void expect_same_timing(const timing::GemmTiming& sc, const timing::GemmTiming& ref,
                               const std::string& what) {
  EXPECT_EQ(sc.cycles, ref.cycles) << what;
  EXPECT_EQ(sc.compute_cycles, ref.compute_cycles) << what;
  EXPECT_EQ(sc.dram_busy_cycles, ref.dram_busy_cycles) << what;
  EXPECT_EQ(sc.stall_cycles, ref.stall_cycles) << what;
  EXPECT_EQ(sc.tiles, ref.tiles) << what;
  EXPECT_EQ(sc.macs, ref.macs) << what;
  EXPECT_EQ(sc.dram_read_bytes, ref.dram_read_bytes) << what;
  EXPECT_EQ(sc.dram_write_bytes, ref.dram_write_bytes) << what;
  EXPECT_EQ(sc.macs_per_cycle, ref.macs_per_cycle) << what;  // same computation: exact
  EXPECT_EQ(sc.utilization, ref.utilization) << what;
  EXPECT_EQ(sc.bound, ref.bound) << what;
  const timing::ActionCounts& a = sc.actions;
  const timing::ActionCounts& b = ref.actions;
  EXPECT_EQ(a.macs_int4, b.macs_int4) << what;
  EXPECT_EQ(a.macs_fp4, b.macs_fp4) << what;
  EXPECT_EQ(a.macs_fp8, b.macs_fp8) << what;
  EXPECT_EQ(a.macs_fp16, b.macs_fp16) << what;
  EXPECT_EQ(a.acc_adds_fp16, b.acc_adds_fp16) << what;
  EXPECT_EQ(a.acc_adds_fp32, b.acc_adds_fp32) << what;
  EXPECT_EQ(a.chunk_sums, b.chunk_sums) << what;
  EXPECT_EQ(a.scale_ops, b.scale_ops) << what;
  EXPECT_EQ(a.pe_move_bits, b.pe_move_bits) << what;
  EXPECT_EQ(a.ifmap_read_bits, b.ifmap_read_bits) << what;
  EXPECT_EQ(a.ifmap_write_bits, b.ifmap_write_bits) << what;
  EXPECT_EQ(a.filter_read_bits, b.filter_read_bits) << what;
  EXPECT_EQ(a.filter_write_bits, b.filter_write_bits) << what;
  EXPECT_EQ(a.ofmap_read_bits, b.ofmap_read_bits) << what;
  EXPECT_EQ(a.ofmap_write_bits, b.ofmap_write_bits) << what;
  EXPECT_EQ(a.dram_read_bits, b.dram_read_bits) << what;
  EXPECT_EQ(a.dram_write_bits, b.dram_write_bits) << what;
  EXPECT_EQ(a.pe_busy_cycles, b.pe_busy_cycles) << what;
  EXPECT_EQ(a.pe_idle_cycles, b.pe_idle_cycles) << what;
}

inline std::string label(const workload::GemmSpec& g, const std::string& config) {
  return config + " " + g.where.file + ":" + std::to_string(g.where.line) + " " + g.name + " (" +
         std::to_string(g.m) + "x" + std::to_string(g.n) + "x" + std::to_string(g.k) + ")";
}

}  // namespace nibble::testing

#endif  // NIBBLE_TESTS_SC_SC_TEST_UTIL_H_
