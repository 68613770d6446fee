// The FP16 baseline: the same workload on an FP16 array, and the two comparisons nibble reports
// (docs/energy.md, "FP16 baseline and comparisons").
//  - Baseline workload: every GEMM as a = b = out = fp16, FP32 accumulation; same shapes,
//    passes and repeats.
//  - Baseline array: FP16 PEs of one lane, one FP16 MAC per cycle; same SRAM sizes, DRAM,
//    dataflow, clock.
//  - iso-PE: the FP16 array has the 4-bit array's R x C.
//  - iso-area: the FP16 array gets as many PEs as fit in the 4-bit array's PE area, keeping
//    its aspect ratio: R' = floor(R * s), C' = floor(C * s), s = sqrt(area_4bit / area_fp16)
//    (area_4bit: the L-lane 4-bit PE's, derived from its parts),
//    at least 1 x 1 (rounding down keeps its area at or below the 4-bit array's).
#ifndef NIBBLE_MODEL_ENERGY_BASELINE_H_
#define NIBBLE_MODEL_ENERGY_BASELINE_H_

#include <functional>
#include <vector>

#include "model/energy/energy.h"
#include "model/timing/arch_spec.h"
#include "model/timing/realistic.h"
#include "model/workload/gemm_spec.h"

namespace nibble::energy {

workload::Workload fp16_baseline_workload(const workload::Workload& w);

timing::ArchSpec fp16_array_iso_pe(const timing::ArchSpec& four_bit);
timing::ArchSpec fp16_array_iso_area(const timing::ArchSpec& four_bit, const AreaTable& area);

// One array running one workload: per-GEMM timing and energy, in workload order.
struct ArrayRun {
  timing::ArchSpec arch;
  PeDesign pe;
  double pe_area_um2 = 0;  // one PE (pe_area_um2 of energy.h)
  std::vector<timing::GemmTiming> timings;
  std::vector<EnergyBreakdown> energy;
};

// One array to time: a workload on an accelerator.
struct ArrayJob {
  const workload::Workload* workload = nullptr;
  timing::ArchSpec arch;
};
using JobTimings = std::vector<std::vector<timing::GemmTiming>>;  // [job][gemm]

// Times a set of jobs; the result has one entry per job and GEMM, in order. time_analytic
// (timing::time_gemm per GEMM) is the default; the CLI passes the SystemC engine (model/sc),
// which simulates all jobs in one elaboration. An overflow names the GEMM's file:line.
using WorkloadTimer = std::function<JobTimings(const std::vector<ArrayJob>&)>;
JobTimings time_analytic(const std::vector<ArrayJob>& jobs);

// Energy of one array's already-timed workload.
ArrayRun price_array(const workload::Workload& w, const timing::ArchSpec& arch, PeKind kind,
                     std::vector<timing::GemmTiming> timings, const EnergyTable& table,
                     const AreaTable& area);


// The 4-bit array and both FP16 baselines on one workload. The timer gets three jobs in this
// order: the 4-bit array, the iso-PE and the iso-area FP16 arrays.
struct Comparison {
  ArrayRun four_bit;
  ArrayRun fp16_iso_pe;
  ArrayRun fp16_iso_area;
  double pe_area_4bit_um2 = 0;
  double pe_area_fp16_um2 = 0;
};

Comparison compare_with_fp16(const workload::Workload& w, const timing::ArchSpec& four_bit,
                             const EnergyTable& table, const AreaTable& area,
                             const WorkloadTimer& timer = time_analytic);

}  // namespace nibble::energy

#endif  // NIBBLE_MODEL_ENERGY_BASELINE_H_
