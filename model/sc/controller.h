// Controller: the sequencer of one job. An SC_THREAD runs the job's GEMMs in trace order and
// each repeat in turn (repeats are simulated, not multiplied). Realistic mode replays the tile
// list (timing::for_each_tile) with the pipeline of timing::time_realistic: `depth` tiles' loads
// in flight (2 double-buffered, else 1), a tile's waves enter when timing::ArrayIssue lets them
// (operands arrived, preload or drain done, the previous tile's waves in), its completed outputs
// go through the scale unit to a store. Compat mode replays SCALE-Sim's folds back to back.
// docs/systemc.md ("How one GEMM flows") is the specification.
#ifndef NIBBLE_MODEL_SC_CONTROLLER_H_
#define NIBBLE_MODEL_SC_CONTROLLER_H_

#include <cstddef>
#include <cstdint>
#include <exception>
#include <systemc>
#include <vector>

#include "model/sc/dma.h"
#include "model/sc/dram.h"
#include "model/sc/engine.h"
#include "model/sc/mac_array.h"
#include "model/sc/scale_unit.h"
#include "model/sc/scratchpad.h"
#include "model/sc/timed_signal.h"
#include "model/timing/realistic.h"

namespace nibble::sc {

// The modules a controller drives.
struct ControllerPorts {
  Dram* dram = nullptr;
  Dma* dma = nullptr;
  Scratchpad* ifmap = nullptr;
  Scratchpad* filter = nullptr;
  Scratchpad* ofmap = nullptr;
  MacArray* array = nullptr;
  ScaleUnit* scale = nullptr;
  TimedSignal<int>* gemm_index = nullptr;
};

class Controller : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(Controller);
  // index: the job's index in run_engine's list (for EngineOptions::on_gemm_done).
  Controller(const sc_core::sc_module_name& name, const EngineJob& job,
             const EngineOptions& options, size_t index, ControllerPorts ports);

  bool finished() const { return finished_; }
  // The exception that ended the thread, if any (the simulation was stopped).
  std::exception_ptr error() const { return error_; }
  size_t current_gemm() const { return current_; }
  std::vector<GemmResult>& results() { return results_; }

 private:
  void run();
  GemmResult run_gemm(const workload::GemmSpec& g, size_t index);
  timing::TileRunTotals run_repeat(const workload::GemmSpec& g, const timing::TilePlan& plan);
  int64_t run_compat_repeat(const workload::GemmSpec& g);

  const EngineJob& job_;
  bool data_;  // functional or detailed: values move with the transfers
  bool keep_outputs_;
  std::function<void(int64_t)> on_gemm_done_;  // bound to this job's index
  ControllerPorts p_;
  bool finished_ = false;
  std::exception_ptr error_;
  size_t current_ = 0;
  std::vector<GemmResult> results_;
};

// Stops the simulation (once; later calls do nothing).
void stop_simulation();

}  // namespace nibble::sc

#endif  // NIBBLE_MODEL_SC_CONTROLLER_H_
