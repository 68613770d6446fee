// The report of `nibble run`: report.json (totals, per pass, per GEMM), layers.csv (one row per
// GEMM) and a short table for stdout. Every column and unit is documented in docs/reports.md.
// Formatting only: the numbers come from model/timing.
#ifndef NIBBLE_MODEL_REPORT_RUN_REPORT_H_
#define NIBBLE_MODEL_REPORT_RUN_REPORT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/energy/baseline.h"
#include "model/timing/arch_spec.h"
#include "model/timing/realistic.h"
#include "model/workload/gemm_spec.h"

namespace nibble::report {

struct RunResult {
  std::string trace_path;         // as given, or the built-in file's repository path
  std::string energy_table_path;  // likewise
  std::string area_table_path;
  workload::Workload workload;
  // The 4-bit array (comparison.four_bit, built from the configured ArchSpec) and its FP16
  // baselines on the same workload.
  energy::Comparison comparison;
  // Which engine timed the arrays: "analytic" (model/timing) or "systemc" (model/sc), and the
  // SystemC engine's mode: "timing-only", "functional" or "detailed" (always "timing-only" for
  // the analytic engine).
  std::string engine = "analytic";
  std::string engine_mode = "timing-only";
  // Per GEMM of the 4-bit array: the CRC-32 of its output (functional and detailed modes);
  // empty, or nullopt entries, when values were not computed.
  std::vector<std::optional<uint32_t>> output_crcs;

  const timing::ArchSpec& arch() const { return comparison.four_bit.arch; }
  const std::vector<timing::GemmTiming>& timings() const { return comparison.four_bit.timings; }
};

// Sums over GEMMs of one array's run (a pass, or the whole run).
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
  energy::EnergyBreakdown energy;
};

// only_pass == nullptr: every GEMM.
Totals totals_of(const workload::Workload& w, const energy::ArrayRun& run,
                 const workload::Pass* only_pass);

// "0x" and 8 lower-case hex digits, as traces write `expect crc=`.
std::string crc_text(uint32_t crc);

// Whether GEMM i's output matched its `expect crc=`: nullopt when no CRC was computed or the
// trace expects none.
std::optional<bool> crc_match(const RunResult& r, size_t i);

std::string run_report_json(const RunResult& r);
std::string layers_csv(const RunResult& r);
std::string summary_table(const RunResult& r);

// What the summary's columns, mem-bnd and the FP16 arrays mean (four lines), printed
// under the stdout table and in report.md.
std::string legend(const RunResult& r);

// The paper's claim beside this run's iso-area speedup, and where the difference is explained.
std::string paper_claim(const RunResult& r);
// report.md: a readable summary (arrays, totals, passes, energy by component, the GEMMs with
// the lowest speedup and why) that embeds the plots tools/plot_report.py draws.
std::string report_markdown(const RunResult& r);

// The layers.csv header, one name per column (docs/reports.md lists each with its unit).
const std::vector<std::string>& layers_csv_columns();

}  // namespace nibble::report

#endif  // NIBBLE_MODEL_REPORT_RUN_REPORT_H_
