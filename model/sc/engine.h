// The SystemC engine: elaborates one Accelerator (model/sc/accelerator.h) per job and runs
// each job's workload through it, GEMM after GEMM, returning the same GemmTiming the analytic
// engine (timing::time_gemm) computes, measured from the simulation (docs/systemc.md).
//
// SystemC elaborates once per process: run_engine may be called once; a second call throws
// std::logic_error. All jobs (the 4-bit array and the FP16 baselines of `nibble run`, or many
// configurations in a test) are elaborated together and simulated concurrently; they do not
// interact.
#ifndef NIBBLE_MODEL_SC_ENGINE_H_
#define NIBBLE_MODEL_SC_ENGINE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/functional/tensors.h"
#include "model/timing/arch_spec.h"
#include "model/timing/realistic.h"
#include "model/workload/gemm_spec.h"

namespace nibble::sc {

// timing-only: tile-level events, no values. functional: also every output value, bit-exact,
// one tile at a time (datapath::compute_tile). detailed: values computed PE by PE, cycle by
// cycle (datapath::run_tile_detailed); meant for small arrays.
enum class EngineMode { kTimingOnly, kFunctional, kDetailed };
const char* engine_mode_name(EngineMode m);  // "timing-only", "functional", "detailed"

// Gives the tensors of GEMM number i of the job's workload (functional and detailed modes).
using TensorSource = std::function<fn::GemmTensors(size_t gemm_index)>;

struct EngineJob {
  // The array's name: its SystemC instance and VCD scope (e.g. int4_fp4, fp16_iso_pe; letters,
  // digits and '_', unique among the jobs); empty: job<index>.
  std::string name;
  const workload::Workload* workload = nullptr;
  timing::ArchSpec arch;
  EngineMode mode = EngineMode::kTimingOnly;
  TensorSource tensors;  // required unless timing-only
};

struct EngineOptions {
  std::string vcd_path;  // empty: no waves; else the VCD file to write (GTKWave)
  // Test hook: also return each GEMM's output elements (functional and detailed modes).
  bool keep_outputs = false;
  // Threads that compute a tile's values in functional mode (>= 1; docs/systemc.md,
  // "Threads"). Simulated time stays on the one SystemC thread; results do not depend on it.
  int threads = 1;
  // Called on the SystemC thread after each GEMM of any job (all its repeats) with the job's
  // index and the GEMM's MACs times its repeat: the progress of a long run.
  std::function<void(size_t job, int64_t macs)> on_gemm_done;
};

// Element accesses one scratchpad counted during a GEMM (all repeats; realistic mode).
struct SramCounts {
  int64_t reads = 0;   // to the array, partial sums read back, outputs to the store DMA
  int64_t writes = 0;  // DMA fills, results and partial sums from the array
};

struct GemmResult {
  timing::GemmTiming timing;
  std::optional<uint32_t> output_crc;  // functional and detailed modes: CRC-32 of the output
                                       // in DRAM after the last repeat (docs/functional.md)
  std::vector<uint16_t> output;        // with keep_outputs: that output, M x N row-major
  SramCounts sram_ifmap, sram_filter, sram_ofmap;
};

// Runs every job; result[j][i] is GEMM i of job j. Throws std::invalid_argument for a job the
// engine cannot run (functional or detailed mode needs realistic timing and 4-bit operand
// pairs), std::overflow_error (naming the GEMM's file:line) for counts beyond 64 bits.
std::vector<std::vector<GemmResult>> run_engine(const std::vector<EngineJob>& jobs,
                                                const EngineOptions& options = {});

}  // namespace nibble::sc

#endif  // NIBBLE_MODEL_SC_ENGINE_H_
