#include "model/sc/mac_array.h"

#include <stdexcept>
#include <string>

#include "model/sc/cycles.h"
#include "model/sc/gather_scatter.h"
#include "model/timing/int_math.h"

namespace nibble::sc {

MacArray::MacArray(const sc_core::sc_module_name& name, const timing::ArchSpec& arch,
                   EngineMode mode, Scratchpad* ifmap, Scratchpad* filter, Scratchpad* ofmap,
                   TimedSignal<bool>* busy, TimedSignal<bool>* stall, int threads)
    : sc_core::sc_module(name),
      arch_(arch),
      mode_(mode),
      threads_(threads),
      ifmap_(ifmap),
      filter_(filter),
      ofmap_(ofmap),
      busy_(busy),
      stall_(stall) {}

void MacArray::begin_gemm(const workload::GemmSpec& g, const timing::TilePlan& plan) {
  gemm_ = &g;
  plan_ = plan;
}

void MacArray::wait_operands(const DmaRequest& load) {
  if (load.issued && load.done <= now_cycles()) {
    return;
  }
  stall_->set_at(now_cycles(), true);
  Dma::wait_done(load);
  stall_->set_at(now_cycles(), false);
}

void MacArray::run_tile(const timing::Tile& t, int64_t preload) {
  if (preload < 0) {
    throw std::logic_error("a tile's first wave scheduled " + std::to_string(-preload) +
                           " cycles before the array is free");
  }
  const int64_t cycles = timing::checked_add(preload, t.compute_cycles);
  if (mode_ != EngineMode::kTimingOnly) {
    const TileRegions r = tile_regions(arch_.array.dataflow, t);
    ifmap_->require(r.a);
    filter_->require(r.b);
    const datapath::GemmOperands ops = datapath::operands_for(
        *gemm_, ifmap_->view(), filter_->view(), static_cast<int>(arch_.pe.lanes));
    if (mode_ == EngineMode::kFunctional) {
      datapath::compute_tile(ops, arch_.array.dataflow, t, ofmap_->accumulators(), threads_);
    } else {
      const datapath::DetailedStats s =
          datapath::run_tile_detailed(ops, arch_, plan_, t, preload, ofmap_->accumulators());
      // The detailed array runs until its last token has left all R x C PEs, bubbles of unused
      // columns included: plan.pipeline_latency after the done, not timing::output_latency.
      if (s.cycles != cycles + plan_.pipeline_latency) {
        throw std::logic_error("detailed datapath took " + std::to_string(s.cycles) +
                               " cycles for a tile the timing model gives " +
                               std::to_string(cycles) + " + " +
                               std::to_string(plan_.pipeline_latency) + " (pipeline)");
      }
    }
  }
  busy_for(cycles);
}

void MacArray::run_fold(int64_t cycles) { busy_for(cycles); }

void MacArray::busy_for(int64_t cycles) {
  const int64_t now = now_cycles();
  busy_->set_at(now, true);
  busy_->set_at(timing::checked_add(now, cycles), false);
  wait_cycles(cycles);
}

}  // namespace nibble::sc
