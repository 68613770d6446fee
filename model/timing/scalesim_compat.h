// compat mode: SCALE-Sim v2's stall-free (InterfaceBandwidth CALC) reports, reproduced exactly
// from closed forms (docs/timing.md, "compat mode"). The one place nibble computes SCALE-Sim's
// numbers; the analytic engine, the SystemC model and `nibble scalesim` all call it.
//
// Reproduces scalesim-project/scale-sim-v2 at commit 22f88b1 (package 2.0.2): every column of
// COMPUTE_REPORT.csv, DETAILED_ACCESS_REPORT.csv and BANDWIDTH_REPORT.csv. SCALE-Sim's geometry
// per dataflow: (spatial rows Sr, spatial cols Sc, temporal T) = os (M, N, K), ws (K, N, M),
// is (K, M, N); folds Fr = ceil(Sr/R), Fc = ceil(Sc/C), visited column fold outer.
//
// Precondition: the address offsets of arch.scalesim are >= 0 (the .cfg reader enforces it).
// SCALE-Sim treats an address of exactly -1 as "no access"; only a negative offset can create
// one, and only compat_dram models that case.
#ifndef NIBBLE_MODEL_TIMING_SCALESIM_COMPAT_H_
#define NIBBLE_MODEL_TIMING_SCALESIM_COMPAT_H_

#include <cstdint>

#include "model/timing/arch_spec.h"
#include "model/workload/gemm_spec.h"

namespace nibble::timing {

// One operand's SRAM or DRAM activity: first and last cycle with an access, and the count
// (reads for ifmap/filter, writes for ofmap). SCALE-Sim prints the cycles as floats.
struct AccessWindow {
  int64_t start = 0;
  int64_t stop = 0;
  int64_t count = 0;
};

struct CompatLayer {
  // COMPUTE_REPORT
  int64_t total_cycles = 0;
  int64_t stall_cycles = 0;
  double overall_util_pct = 0;
  double mapping_efficiency_pct = 0;
  double compute_util_pct = 0;
  // DETAILED_ACCESS_REPORT
  AccessWindow sram_ifmap, sram_filter, sram_ofmap;
  AccessWindow dram_ifmap, dram_filter, dram_ofmap;
  // BANDWIDTH_REPORT, words per cycle
  double sram_ifmap_bw = 0, sram_filter_bw = 0, sram_ofmap_bw = 0;
  double dram_ifmap_bw = 0, dram_filter_bw = 0, dram_ofmap_bw = 0;
};

// The geometry SCALE-Sim folds over, derived once per layer and dataflow.
struct CompatGeometry {
  int64_t sr = 0, sc = 0, t = 0;  // spatial rows, spatial cols, temporal extent
  int64_t fr = 0, fc = 0, folds = 0;
  int64_t rows_per_fold = 0;         // P: demand rows (cycles) per fold
  int64_t ru_last = 0, cu_last = 0;  // rows / cols used in the last row / column fold
};
CompatGeometry compat_geometry(const workload::ConvShape& layer, const ArraySpec& array);

// SCALE-Sim's Total Cycles of a layer whose folds ran back to back for `elapsed_cycles` cycles
// (folds * rows_per_fold): the index of the last demand row, one less than the elapsed cycles.
// The SystemC model replays the folds and reports its elapsed time through this.
int64_t compat_total_cycles(int64_t elapsed_cycles);

// COMPUTE_REPORT and the SRAM columns (closed forms). Cheap: O(folds) at most.
CompatLayer compat_compute_and_sram(const workload::ConvShape& layer, const ArchSpec& arch);

// The DRAM columns (streaming model of SCALE-Sim's read and write buffers), filled into an
// existing result from compat_compute_and_sram. Cost: O(SRAM accesses of the layer).
void compat_dram(const workload::ConvShape& layer, const ArchSpec& arch, CompatLayer& result);

// Everything: compat_compute_and_sram then compat_dram.
CompatLayer simulate_compat(const workload::ConvShape& layer, const ArchSpec& arch);

}  // namespace nibble::timing

#endif  // NIBBLE_MODEL_TIMING_SCALESIM_COMPAT_H_
