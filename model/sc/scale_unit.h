// ScaleUnit: the output path between the array and the store DMA. For each tile that completes
// outputs it turns their FP16 accumulators into output elements, out = quantize(acc * scale),
// with num::scale_element in the GEMM's output format (functional / detailed modes).
//  - Scales: the GEMM's tensors give one (per tensor) or N (per output column).
//  - FP4 outputs (gradients) use GradScale instead (docs/numerics.md, "GradScale"): a
//    num::GradScaleState keyed by GEMM name gives each repeat's scale; after each repeat it is
//    updated with the num::GradScaleObservation of every accumulator that passed through the
//    unit in that repeat.
// Timing: the unit is pipelined on the output path and adds no cycles (the timing model has
// none); its wave scale_busy shows when a tile's outputs pass through it.
#ifndef NIBBLE_MODEL_SC_SCALE_UNIT_H_
#define NIBBLE_MODEL_SC_SCALE_UNIT_H_

#include <cstdint>
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

 private:
  TimedSignal<bool>* busy_;
  const workload::GemmSpec* gemm_ = nullptr;
  num::OutputSpec spec_;
  std::vector<num::Fp16> scales_;
  num::GradScaleState grad_state_;
  bool grad_scaled_ = false;
  num::Fp16 grad_factor_ = num::kFp16One;
  num::GradScaleObservation observed_;
};

}  // namespace nibble::sc

#endif  // NIBBLE_MODEL_SC_SCALE_UNIT_H_
