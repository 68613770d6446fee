// The baselines: the same workload on FP16 and HFP8 arrays, and the comparisons nibble reports
// (docs/energy.md, "FP16 baseline and comparisons", "The HFP8 baseline").
//  - FP16 workload: every GEMM as a = b = out = fp16, FP32 accumulation; same shapes, passes
//    and repeats.
//  - HFP8 workload (Sun et al., NeurIPS 2019): every 4-bit operand as its 8-bit counterpart,
//    weights and activations (int4, uint4) as fp8_e4m3, gradients (fp4) as fp8_e5m2; FP16
//    accumulation; FP8 and FP16 operands as written.
//  - Baseline arrays: same SRAM sizes, DRAM, dataflow, clock; PEs of one of three kinds:
//    the one-FMA FP16 PE (one lane, one FP16 MAC per cycle), the FP16 dot-product PE
//    (baseline.fp16_dot_lanes lanes, one FP16 MAC per lane per cycle; realistic mode only) and
//    the HFP8 PE (one lane, one FP8 MAC per cycle).
//  - iso-PE: the baseline array has the 4-bit array's R x C.
//  - iso-area: the baseline array gets as many PEs as fit in the 4-bit array's PE area, keeping
//    its aspect ratio: R' = floor(R * s), C' = floor(C * s), s = sqrt(area_4bit / area_pe)
//    (area_4bit: the L-lane 4-bit PE's, derived from its parts; area_pe: the baseline PE's),
//    at least 1 x 1 (rounding down keeps its area at or below the 4-bit array's).
#ifndef NIBBLE_MODEL_ENERGY_BASELINE_H_
#define NIBBLE_MODEL_ENERGY_BASELINE_H_

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "model/energy/energy.h"
#include "model/timing/arch_spec.h"
#include "model/timing/realistic.h"
#include "model/workload/gemm_spec.h"

namespace nibble::energy {

// The workload a baseline PE runs: kFp16 and kFp16Dot the FP16 workload, kHfp8 the HFP8 one
// (std::invalid_argument for kInt4).
workload::Workload baseline_workload(const workload::Workload& w, PeKind kind);

// The PE of a baseline and its array at iso-PE or iso-area.
enum class Fit { kIsoPe, kIsoArea };
PeDesign baseline_pe(PeKind kind, const timing::ArchSpec& four_bit);
timing::ArchSpec baseline_array(const timing::ArchSpec& four_bit, PeKind kind, Fit fit,
                                const AreaTable& area);

// One array running one workload: per-GEMM timing and energy, in workload order.
struct ArrayRun {
  std::string name;  // report.json's key and the SystemC instance: int4_fp4, or Baseline::key()
  timing::ArchSpec arch;
  PeDesign pe;
  double pe_area_um2 = 0;    // one PE (pe_area_um2 of energy.h)
  double sram_area_um2 = 0;  // the three scratchpads (sram_buffer_um2 of energy.h)
  std::vector<timing::GemmTiming> timings;
  std::vector<EnergyBreakdown> energy;
};

// One array to time: a workload on an accelerator.
struct ArrayJob {
  std::string name;  // as ArrayRun::name
  const workload::Workload* workload = nullptr;
  timing::ArchSpec arch;
};
using JobTimings = std::vector<std::vector<timing::GemmTiming>>;  // [job][gemm]

// Times a set of jobs; the result has one entry per job and GEMM, in order. time_analytic
// (timing::time_gemm per GEMM) is the default; the CLI passes the SystemC engine (model/sc),
// which simulates all jobs in one elaboration. An overflow names the GEMM's file:line.
// time_analytic_reporting calls on_gemm_done after each GEMM with its MACs times its repeat
// (progress).
using WorkloadTimer = std::function<JobTimings(const std::vector<ArrayJob>&)>;
JobTimings time_analytic(const std::vector<ArrayJob>& jobs);
JobTimings time_analytic_reporting(const std::vector<ArrayJob>& jobs,
                                   const std::function<void(int64_t macs)>& on_gemm_done);

// Energy of one array's already-timed workload.
ArrayRun price_array(const workload::Workload& w, const timing::ArchSpec& arch, PeKind kind,
                     std::vector<timing::GemmTiming> timings, const EnergyTable& table,
                     const AreaTable& area);

// The 4-bit array's name in the reports and the SystemC model: its PE multiplies INT4 (and
// UINT4) by INT4 and FP4 by INT4.
inline constexpr const char* kFourBitName = "int4_fp4";

// One baseline: which PE and fit, its names in the reports (docs/reports.md), its run.
struct Baseline {
  PeKind kind = PeKind::kFp16;
  Fit fit = Fit::kIsoPe;
  ArrayRun run;

  // report.json and layers.csv: "fp16_iso_pe", "fp16_iso_area", "fp16dot_iso_pe",
  // "fp16dot_iso_area", "hfp8_iso_pe", "hfp8_iso_area".
  std::string key() const;
  // The ratios' suffix (speedup_<suffix>, energy_ratio_<suffix>): "iso_pe", "iso_area",
  // "dot_iso_pe", "dot_iso_area", "hfp8_iso_pe", "hfp8_iso_area".
  std::string ratio_suffix() const;
  // For people: "FP16 iso-PE", "FP16 iso-area", "FP16-dot iso-PE", "FP16-dot iso-area",
  // "HFP8 iso-PE", "HFP8 iso-area".
  std::string label() const;
  // The stdout table's column names (spd-<name>, E-<name>): "PE", "area", "dPE", "darea",
  // "hPE", "harea".
  std::string short_name() const;
};

// The baselines nibble compares with, in report order: the one-FMA FP16 arrays, then (realistic
// mode only: compat timing has one MAC per PE) the FP16 dot-product arrays, then the HFP8
// arrays; iso-PE before iso-area.
std::vector<std::pair<PeKind, Fit>> baselines_for(const timing::ArchSpec& four_bit);

// The 4-bit array and its baselines on one workload. The timer gets the jobs in this order: the
// 4-bit array, then each baseline of baselines_for.
struct Comparison {
  ArrayRun four_bit;
  std::vector<Baseline> baselines;
  // The baseline of that kind and fit; nullptr when this run has none (compat mode: no
  // dot-product arrays).
  const Baseline* find(PeKind kind, Fit fit) const;
};

Comparison compare_with_baselines(const workload::Workload& w, const timing::ArchSpec& four_bit,
                                  const EnergyTable& table, const AreaTable& area,
                                  const WorkloadTimer& timer = time_analytic);

}  // namespace nibble::energy

#endif  // NIBBLE_MODEL_ENERGY_BASELINE_H_
