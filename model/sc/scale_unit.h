// ScaleUnit: the output path between the array and the store DMA. For each tile that completes
// outputs it turns their FP16 accumulators into output elements, out = quantize(acc * scale),
// with num::scale_element in the GEMM's output format (functional / detailed modes).
//  - Scales: the GEMM's tensors give one (per tensor) or N (per output column).
//  - FP4 outputs (gradients) use GradScale instead (docs/numerics.md, "GradScale"): a state per
//    GEMM name, the exponent s (0 at first); the scale is num::grad_scale_factor(s); after each
//    repeat, s = num::grad_scale_update(s, g) with g the largest |accumulator| that passed
//    through the unit in that repeat (NaN if any accumulator was NaN, which holds s).
// Timing: the unit is pipelined on the output path and adds no cycles (the timing model has
// none); its wave scale_busy shows when a tile's outputs pass through it.
#ifndef NIBBLE_MODEL_SC_SCALE_UNIT_H_
#define NIBBLE_MODEL_SC_SCALE_UNIT_H_

#include <cstdint>
#include <map>
#include <string>
#include <systemc>
#include <vector>

#include "model/datapath/datapath.h"
#include "model/numerics/fp16.h"
#include "model/numerics/grad_scale.h"
#include "model/numerics/scale_unit.h"
#include "model/sc/gather_scatter.h"
#include "model/sc/timed_signal.h"
#include "model/workload/gemm_spec.h"

namespace nibble::sc {

// The output format the scale unit produces for a GEMM's `out` spec (default FP4 bias).
num::OutputSpec output_spec(const workload::FormatSpec& out);

class ScaleUnit : public sc_core::sc_module {
 public:
  ScaleUnit(const sc_core::sc_module_name& name, TimedSignal<bool>* busy);

  // A new GEMM: its output format and scales (1 or n entries; std::invalid_argument otherwise).
  void begin_gemm(const workload::GemmSpec& g, std::vector<num::Fp16> scales);
  void begin_repeat();
  // The output elements of region r of acc, row-major within r.
  std::vector<uint16_t> convert(const datapath::Accumulators& acc, const Region& r);
  // End of a repeat: the GradScale update (FP4 outputs).
  void end_repeat();
  // The wave: the tile's outputs pass through during [from, to).
  void mark_busy(int64_t from, int64_t to);

  // GradScale exponent of the GEMMs named `name` (0 if none ran yet).
  int grad_scale_exp(const std::string& name) const;

 private:
  TimedSignal<bool>* busy_;
  const workload::GemmSpec* gemm_ = nullptr;
  num::OutputSpec spec_;
  std::vector<num::Fp16> scales_;
  std::map<std::string, int> grad_exp_;
  bool grad_scaled_ = false;
  num::Fp16 grad_factor_ = num::kFp16One;
  double max_abs_ = 0;
  bool saw_nan_ = false;
};

}  // namespace nibble::sc

#endif  // NIBBLE_MODEL_SC_SCALE_UNIT_H_
