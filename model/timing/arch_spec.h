// The parsed, immutable description of the accelerator: array, PE rates, scratchpads, DRAM and
// the timing mode. Read from a native YAML config (model/frontend/config.h, docs/config.md) or
// from a SCALE-Sim .cfg (model/frontend/scalesim_input.h); consumed by model/timing, model/sc and
// model/energy. Units are in the field names: cycles, bytes, KiB.
#ifndef NIBBLE_MODEL_TIMING_ARCH_SPEC_H_
#define NIBBLE_MODEL_TIMING_ARCH_SPEC_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/numerics/format.h"

namespace nibble::timing {

// Which operand stays in the PEs: output (os), weight (ws) or input (is) stationary.
enum class Dataflow { kOs, kWs, kIs };
const char* dataflow_name(Dataflow d);  // "os", "ws", "is"
std::optional<Dataflow> parse_dataflow(std::string_view name);

// compat: SCALE-Sim v2's stall-free (CALC) cycle counts, exactly. realistic: double buffering,
// overlapped fill/drain, DRAM bandwidth and latency (docs/timing.md).
enum class TimingMode { kCompat, kRealistic };
const char* timing_mode_name(TimingMode m);  // "compat", "realistic"
std::optional<TimingMode> parse_timing_mode(std::string_view name);

// How realistic mode cuts a GEMM into tiles (docs/timing.md, "The tile mapper"): search the
// documented candidate tilings for the fewest cycles, then the least energy, then the fewest
// DRAM bytes; greedy takes the largest streamed block that fits the buffers.
enum class Tiling { kSearch, kGreedy };
const char* tiling_name(Tiling t);  // "search", "greedy"
std::optional<Tiling> parse_tiling(std::string_view name);

// The tile mapper's settings. action_pj: the energy of one action of each count of
// timing::ActionCounts, in pJ, in the order of timing::count_fields (docs/energy.md gives the
// row of each), filled in by model/energy for the array's PE (energy::set_mapper_energy); empty
// when no energy table is known, and then candidates of equal cycles are ranked by DRAM bytes.
struct TilingSpec {
  Tiling mode = Tiling::kSearch;
  std::vector<double> action_pj;
};

struct ArraySpec {
  int64_t rows = 32;  // R: PEs per column (SCALE-Sim ArrayHeight)
  int64_t cols = 32;  // C: PEs per row (SCALE-Sim ArrayWidth)
  Dataflow dataflow = Dataflow::kWs;
};

// The PE: L lanes, each taking one k of a dot product per cycle (docs/timing.md, "Lanes"), so a
// PE completes L 4-bit MACs per cycle. A GEMM whose wider operand is FP8 runs at
// fp8_macs_per_cycle per lane, FP16 at fp16_macs_per_cycle per lane (the lanes fused into
// wider multipliers), so L * rate MACs per PE-cycle.
// The defaults are the PE IBM describes (docs/results.md, "The default PE"): 4 lanes, FP8 and
// FP16 at RaPiD's rates (docs/timing.md, "Lanes").
struct PeSpec {
  int64_t lanes = 4;
  double fp8_macs_per_cycle = 0.25;
  double fp16_macs_per_cycle = 0.125;
};

struct SramSpec {
  int64_t ifmap_kib = 256;   // operand A buffer (SCALE-Sim IfmapSramSzkB)
  int64_t filter_kib = 256;  // operand B buffer (FilterSramSzkB)
  int64_t ofmap_kib = 256;   // output / partial-sum buffer (OfmapSramSzkB)
  int64_t banks = 1;         // SCALE-Sim MemoryBanks
  bool double_buffered = true;
};

struct DramSpec {
  double bandwidth_bytes_per_cycle = 64.0;
  int64_t latency_cycles = 100;
};

// The FP16 dot-product baseline (docs/energy.md, "FP16 baseline and comparisons"): the FP16
// arrays nibble compares against besides the one-FMA arrays have PEs of fp16_dot_lanes lanes,
// each an FP16 multiplier feeding an FP32 adder tree and one FP32 accumulate per cycle.
struct BaselineSpec {
  int64_t fp16_dot_lanes = 4;
};

// SCALE-Sim-only settings kept so a .cfg round-trips and its reports can be reproduced.
struct ScaleSimSpec {
  std::string run_name = "nibble";
  int64_t ifmap_offset = 0;
  int64_t filter_offset = 10000000;
  int64_t ofmap_offset = 20000000;
  int64_t bandwidth_words = 10;  // [architecture_presets] Bandwidth (words/cycle, USER mode)
  bool interface_bandwidth_calc = true;  // [run_presets] InterfaceBandwidth: CALC (true) | USER
  int interface_bandwidth_line = 0;      // its line in the .cfg, for messages (0: not read)
  int64_t word_bytes = 1;                // SCALE-Sim counts every element as one word
};

struct ArchSpec {
  ArraySpec array;
  PeSpec pe;
  SramSpec sram;
  DramSpec dram;
  TimingMode mode = TimingMode::kRealistic;
  TilingSpec tiling;
  BaselineSpec baseline;
  double clock_ghz = 1.0;  // only to turn cycles into seconds in reports
  ScaleSimSpec scalesim;
};

}  // namespace nibble::timing

#endif  // NIBBLE_MODEL_TIMING_ARCH_SPEC_H_
