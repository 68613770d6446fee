// MacArray: the R x C array of 4-bit PEs. The controller hands it one tile at a time; it is
// busy for the tile's exposed preload + compute cycles (timing::Tile, timing::ArrayIssue), and in
// functional / detailed mode it also computes the tile's values from the scratchpads
// (datapath::compute_tile, or datapath::run_tile_detailed PE by PE, cycle by cycle). In compat
// mode it runs SCALE-Sim's folds instead. Waves: array_busy, array_stall (docs/systemc.md).
#ifndef NIBBLE_MODEL_SC_MAC_ARRAY_H_
#define NIBBLE_MODEL_SC_MAC_ARRAY_H_

#include <cstdint>
#include <optional>
#include <systemc>

#include "model/datapath/datapath.h"
#include "model/sc/dma.h"
#include "model/sc/engine.h"
#include "model/sc/scratchpad.h"
#include "model/sc/timed_signal.h"
#include "model/timing/arch_spec.h"
#include "model/timing/realistic.h"
#include "model/workload/gemm_spec.h"

namespace nibble::sc {

class MacArray : public sc_core::sc_module {
 public:
  // threads: the functional kernel's threads for a tile's values (EngineOptions::threads).
  MacArray(const sc_core::sc_module_name& name, const timing::ArchSpec& arch, EngineMode mode,
           Scratchpad* ifmap, Scratchpad* filter, Scratchpad* ofmap, TimedSignal<bool>* busy,
           TimedSignal<bool>* stall, int threads = 1);

  int64_t rows() const { return arch_.array.rows; }
  int64_t cols() const { return arch_.array.cols; }

  // A new GEMM (realistic mode) with its tile plan.
  void begin_gemm(const workload::GemmSpec& g, const timing::TilePlan& plan);
  // Stalls (array_stall high) until a tile's operands have arrived.
  void wait_operands(const DmaRequest& load);
  // Runs one tile from now: computes its values (functional / detailed) and stays busy for
  // preload + t.compute_cycles cycles, where preload is the wait from now to the tile's first
  // wave that timing::ArrayIssue gives (the exposed part of the stationary preload for ws/is,
  // of the previous tile's drain for os). Called from the controller's thread.
  void run_tile(const timing::Tile& t, int64_t preload);
  // compat mode: one fold of SCALE-Sim's schedule, busy for `cycles` (its demand rows).
  void run_fold(int64_t cycles);

 private:
  void busy_for(int64_t cycles);

  timing::ArchSpec arch_;
  EngineMode mode_;
  int threads_;
  Scratchpad* ifmap_;
  Scratchpad* filter_;
  Scratchpad* ofmap_;
  TimedSignal<bool>* busy_;
  TimedSignal<bool>* stall_;
  const workload::GemmSpec* gemm_ = nullptr;
  timing::TilePlan plan_;
};

}  // namespace nibble::sc

#endif  // NIBBLE_MODEL_SC_MAC_ARRAY_H_
