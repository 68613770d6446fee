// The co-simulation of `nibble cosim` (docs/cosim.md): every GEMM of a trace through the RTL
// (rtl/nibble_mac_array.sv and rtl/nibble_scale_unit.sv, Verilated, driven by RtlArray) and
// through the SystemC model (functional mode), compared output by output (CRC-32) and cycle by
// cycle (the RTL's cycles against the timing model's array schedule,
// timing::array_schedule_cycles).
#ifndef NIBBLE_TESTBENCHES_COSIM_COSIM_H_
#define NIBBLE_TESTBENCHES_COSIM_COSIM_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "model/numerics/grad_scale.h"
#include "model/timing/arch_spec.h"
#include "model/workload/gemm_spec.h"
#include "testbenches/cosim/rtl_array.h"

namespace nibble::cosim {

// Where the RTL's output of a GEMM first differs from the model's (docs/cosim.md, "When outputs
// differ"): row-major first element, both codes in the output format, and where the RTL made it.
struct FirstDiff {
  int64_t m = 0, n = 0;         // C[m][n]
  uint16_t model = 0, rtl = 0;  // output codes (4-bit codes, or binary16 bits)
  int64_t tile = 0, tiles = 0;  // its tile, in timing::for_each_tile's order, of `tiles`
  int64_t cycle = 0;            // the cycle its result left the array (as rtl_cycles counts)
};

// One GEMM of the co-simulation: a row of cosim.csv (docs/cosim.md defines each column).
struct CosimRow {
  const workload::GemmSpec* gemm = nullptr;
  uint32_t rtl_crc = 0;
  uint32_t model_crc = 0;
  int64_t rtl_cycles = 0;          // RTL cycles of one repeat, times repeat
  int64_t model_cycles = 0;        // array schedule of one repeat, times repeat
  int64_t model_total_cycles = 0;  // the SystemC model's cycles, DRAM included
  int64_t differing = 0;           // output elements that differ, RTL against model
  FirstDiff first;                 // the first of them (when differing > 0)
  // Both output tensors, M x N row-major, as codes of the output format (fn::output_npy).
  std::vector<uint16_t> rtl_output, model_output;
  bool match() const { return rtl_crc == model_crc && differing == 0; }
  double error_pct() const;  // 100 * (rtl_cycles - model_cycles) / model_cycles
};

// Throws std::invalid_argument naming the trace line if the co-simulation cannot run a GEMM
// of w (operands not a 4-bit PE pair; an output the RTL scale unit does not produce), or
// naming the configuration keys if arch cannot be co-simulated (timing.mode compat; an
// array.rows x array.cols x pe.lanes not built).
void check_cosim_input(const workload::Workload& w, const timing::ArchSpec& arch);

// Runs every GEMM (check_cosim_input first) on its tensors (tensors[i] of w.gemms[i], from
// fn::make_gemm_tensors). The SystemC engine runs once per process, so this may be called once.
// on_rtl_progress, if set, is called after each GEMM's RTL run and during a long one (every
// RtlOptions::kProgressCycles cycles) with the GEMMs done and the MACs (times their repeat)
// done: the finished GEMMs' and the running GEMM's share of its tiles issued.
std::vector<CosimRow> run_cosim(
    const workload::Workload& w, const timing::ArchSpec& arch,
    const std::vector<fn::GemmTensors>& tensors, const RtlOptions& rtl_options,
    const std::function<void(int64_t gemms, int64_t macs)>& on_rtl_progress = {});

// The GEMM's output elements through the RTL scale unit after `repeat` repeats: the scales of
// the tensors, or for FP4 outputs GradScale (docs/numerics.md), read from and updated in
// *grad after each repeat as the SystemC model's scale unit does.
std::vector<uint16_t> rtl_outputs(RtlScaleUnit& unit, const workload::GemmSpec& g,
                                  const datapath::Accumulators& acc,
                                  const std::vector<num::Fp16>& scales, num::GradScaleState* grad);

// cosim.csv: a header line and one line per row.
std::string cosim_csv(const std::vector<CosimRow>& rows, const timing::ArchSpec& arch);

// mismatch.txt and mismatch.json (docs/cosim.md, "When outputs differ"): per GEMM whose
// outputs differ, the first differing element, both values, its tile and cycle, and how many
// elements differ; a run without any says so.
std::string mismatch_text(const std::vector<CosimRow>& rows);
std::string mismatch_json(const std::vector<CosimRow>& rows);

// An output code of format `out` as a number: the 4-bit code's value, or the binary16 value.
double output_value(const workload::FormatSpec& out, uint16_t code);

}  // namespace nibble::cosim

#endif  // NIBBLE_TESTBENCHES_COSIM_COSIM_H_
