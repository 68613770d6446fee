// The RTL side of the co-simulation (docs/cosim.md): rtl/nibble_mac_array.sv, Verilated, driven
// cycle by cycle by a C++ controller that plays the accelerator's controller and scratchpads
// with every operand already in SRAM; and rtl/nibble_scale_unit.sv on the results.
//
// The controller walks the timing model's tiles (timing::for_each_tile) and issues, each cycle,
// at most one wave and one preload beat, as early as the array's rules allow (docs/rtl.md, "The
// array"): ws/is: a tile's preload takes R beats and starts no earlier than the previous tile's
// first wave (double-buffered) or after its last wave (not double-buffered); a tile's first
// wave waits for its preload. os: the last wave of an output-completing tile comes at least R
// cycles after the previous one's. The RTL asserts these rules (verilator --assert); the cycle
// count is the RTL's own: from the first input to the last result leaving the array.
#ifndef NIBBLE_TESTBENCHES_COSIM_RTL_ARRAY_H_
#define NIBBLE_TESTBENCHES_COSIM_RTL_ARRAY_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "model/datapath/datapath.h"
#include "model/functional/tensors.h"
#include "model/numerics/fp16.h"
#include "model/numerics/random.h"
#include "model/numerics/scale_unit.h"
#include "model/timing/arch_spec.h"
#include "model/workload/gemm_spec.h"
#include "testbenches/cosim/waves.h"

namespace nibble::cosim {

// Test hooks: a controller that breaks one rule of the array's schedule (docs/rtl.md, "The
// array"), which one of the RTL's assertions must catch.
enum class ScheduleFault {
  kNone,
  kEarlyPreload,       // ws/is: a preload starts before the previous tile's first wave
  kWaveBeforePreload,  // ws/is: waves do not wait for their tile's preload
  kPsumLate,           // ws/is: the partial-sum lanes run one cycle behind the row lanes
  kEarlyDrain,         // os: a completing tile's last wave does not wait for the last drain
  kColumnLate,         // os: B's lanes run one cycle behind A's
};

struct RtlOptions {
  // Waves (docs/cosim.md, "Waves"). waves_path: empty, none; else the wave file, in
  // waves_format; an FST is converted from a VCD written beside it (waves_path + ".vcd") when
  // finish_waves() is called. Only cycles c (clock edges since the array was built, all GEMMs
  // counted) with waves_from <= c < waves_to (-1: no end) of GEMMs named waves_gemm (empty:
  // every GEMM) are dumped.
  std::string waves_path;
  WaveFormat waves_format = WaveFormat::kVcd;
  int64_t waves_from = 0, waves_to = -1;
  std::string waves_gemm;
  // Test hooks. stall_probability: res_ready_i is low in a cycle with this probability (seeded
  // by stall_seed), so the whole array stalls; results must not change. fault: the controller
  // breaks one schedule rule, which the RTL's assertions must catch.
  double stall_probability = 0;
  uint64_t stall_seed = 1;
  ScheduleFault fault = ScheduleFault::kNone;
  // Nonzero: every register of the array starts from random bits drawn with this seed
  // (Verilator's random reset) instead of zero, so that only the reset can clear them.
  int random_init_seed = 0;
  // Test hook: flips bit `flip_bit` (0-15) of result C[flip_m][flip_n] as it leaves the array
  // (each time it does), so the co-simulation sees an RTL output that differs; -1: none.
  int64_t flip_m = -1, flip_n = -1;
  int flip_bit = 0;
  // Progress of a long GEMM: if set, called every kProgressCycles clock cycles of a GEMM's run
  // with the fraction of its tiles issued so far, in [0, 1].
  std::function<void(double tiles_issued)> on_progress;
  static constexpr int64_t kProgressCycles = 65536;
};

struct RtlGemm {
  datapath::Accumulators acc;  // M x N binary16 results of one repeat
  int64_t cycles = 0;          // clock cycles of one repeat, first input to last result
  int64_t stall_cycles = 0;    // cycles the array waited for res_ready_i
  // Per element of C (row-major), where its final result came from: the tile (its index in
  // timing::for_each_tile's order) and the cycle it left the array, counted as `cycles` is
  // (0: the cycle of the first input).
  std::vector<int64_t> tile, cycle;
  int64_t tiles = 0;  // the GEMM's tiles
};

// The arrays built into nibble (Verilator needs NumRows, NumCols and Lanes at build time):
// rows x cols PEs of `lanes` lanes each (pe.lanes).
bool rtl_array_built(int64_t rows, int64_t cols, int64_t lanes = 1);
std::string rtl_array_sizes();  // "8x8, 16x16, 8x8x4, ..." (rows x cols [x lanes, when not 1])
// The one-line error for an array not built in: the arrays that are, and how to build another.
std::string rtl_array_not_built(int64_t rows, int64_t cols, int64_t lanes);

class RtlArray {
 public:
  // Throws std::invalid_argument unless rtl_array_built(rows, cols, lanes); std::runtime_error
  // if the wave file cannot be opened.
  RtlArray(int64_t rows, int64_t cols, int64_t lanes, const RtlOptions& options = {});
  RtlArray(int64_t rows, int64_t cols, const RtlOptions& options = {});  // one lane
  ~RtlArray();
  RtlArray(const RtlArray&) = delete;
  RtlArray& operator=(const RtlArray&) = delete;

  // One repeat of GEMM g on this array, tiled as arch (realistic mode: plan_tiles and
  // for_each_tile) with t's operands. Throws std::invalid_argument if arch's array (rows, cols,
  // pe.lanes) is not this one, the operands are not a 4-bit PE pair or do not match g's shape;
  // std::logic_error if an RTL assertion fails or a result is unexpected or missing.
  RtlGemm run(const workload::GemmSpec& g, const timing::ArchSpec& arch, const fn::GemmTensors& t);

  // Closes the wave file and, for FST, converts it (std::runtime_error if that fails). Without
  // this call, the destructor closes a VCD and leaves no FST (nor its VCD) behind.
  void finish_waves();

  class Port;  // the Verilated model behind a size-independent interface (rtl_array.cc)

 private:
  std::unique_ptr<Port> port_;
  RtlOptions options_;
  num::Rng stall_rng_;  // the stall draws (SplitMix64, num::Rng)
};

// rtl/nibble_scale_unit.sv (Verilated) over M x N accumulators: element (m, n) is
// quantize(acc * scale) in spec's format, scale = scales[0] or scales[n].
class RtlScaleUnit {
 public:
  RtlScaleUnit();
  ~RtlScaleUnit();
  RtlScaleUnit(const RtlScaleUnit&) = delete;
  RtlScaleUnit& operator=(const RtlScaleUnit&) = delete;

  std::vector<uint16_t> convert(const datapath::Accumulators& acc, const num::OutputSpec& spec,
                                const std::vector<num::Fp16>& scales);

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace nibble::cosim

#endif  // NIBBLE_TESTBENCHES_COSIM_RTL_ARRAY_H_
