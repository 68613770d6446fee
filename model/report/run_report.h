// The report of `nibble run`: report.json (totals, per pass, per GEMM), layers.csv (one row per
// GEMM) and a short table for stdout. Every column and unit is documented in docs/reports.md.
// Formatting only: the numbers come from model/timing.
#ifndef NIBBLE_MODEL_REPORT_RUN_REPORT_H_
#define NIBBLE_MODEL_REPORT_RUN_REPORT_H_

#include <string>
#include <vector>

#include "model/timing/arch_spec.h"
#include "model/timing/realistic.h"
#include "model/workload/gemm_spec.h"

namespace nibble::report {

struct RunResult {
  std::string trace_path;
  workload::Workload workload;
  timing::ArchSpec arch;
  std::vector<timing::GemmTiming> timings;  // one per workload GEMM, same order
};

// Sums of GEMM timings (a pass, or the whole run).
struct Totals {
  int64_t gemms = 0;
  int64_t macs = 0;
  int64_t cycles = 0;
  int64_t compute_cycles = 0;
  int64_t stall_cycles = 0;
  int64_t dram_read_bytes = 0;
  int64_t dram_write_bytes = 0;
  int64_t memory_bound_gemms = 0;
  double utilization = 0;  // macs / sum over GEMMs of (cycles * PEs * that GEMM's MAC rate)
};

Totals totals_of(const RunResult& r, const workload::Pass* only_pass);

std::string run_report_json(const RunResult& r);
std::string layers_csv(const RunResult& r);
std::string summary_table(const RunResult& r);

// The layers.csv header, one name per column (docs/reports.md lists each with its unit).
const std::vector<std::string>& layers_csv_columns();

}  // namespace nibble::report

#endif  // NIBBLE_MODEL_REPORT_RUN_REPORT_H_
