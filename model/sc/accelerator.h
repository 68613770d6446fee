// Accelerator: the top of one job. Instantiates the modules, binds the DMA's initiator socket
// to the DRAM's target socket (dma2dram), owns the wave signals and traces them into the VCD
// (names prefixed by the instance name, the array's: int4_fp4.array_busy, ...). docs/systemc.md has
// the block diagram.
#ifndef NIBBLE_MODEL_SC_ACCELERATOR_H_
#define NIBBLE_MODEL_SC_ACCELERATOR_H_

#include <exception>
#include <memory>
#include <systemc>
#include <vector>

#include "model/sc/controller.h"
#include "model/sc/dma.h"
#include "model/sc/dram.h"
#include "model/sc/engine.h"
#include "model/sc/mac_array.h"
#include "model/sc/scale_unit.h"
#include "model/sc/scratchpad.h"
#include "model/sc/timed_signal.h"

namespace nibble::sc {

class Accelerator : public sc_core::sc_module {
 public:
  // trace: the VCD file, or nullptr for no waves (the wave signals are then never written).
  // index: the job's index in run_engine's list.
  Accelerator(const sc_core::sc_module_name& name, const EngineJob& job, size_t index,
              const EngineOptions& options, sc_core::sc_trace_file* trace);

  const Controller& controller() const { return *controller_; }
  Controller& controller() { return *controller_; }
  std::exception_ptr dma_error() const { return dma_->error(); }

 private:
  std::unique_ptr<TimedSignal<bool>> array_busy_, array_stall_, dram_busy_, scale_busy_;
  std::unique_ptr<TimedSignal<int>> gemm_index_;
  std::unique_ptr<Scratchpad> ifmap_, filter_, ofmap_;
  std::unique_ptr<Dram> dram_;
  std::unique_ptr<Dma> dma_;
  std::unique_ptr<MacArray> array_;
  std::unique_ptr<ScaleUnit> scale_;
  std::unique_ptr<Controller> controller_;
};

}  // namespace nibble::sc

#endif  // NIBBLE_MODEL_SC_ACCELERATOR_H_
