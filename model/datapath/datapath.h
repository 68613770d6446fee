// The MAC array's datapath in plain C++ (no SystemC): what one PE computes, a tile's outputs
// computed at once (functional mode), and a tile run cycle by cycle through the systolic array
// (detailed mode). Every arithmetic step calls model/numerics (the chunk rule of L lanes:
// chunk_fp16 or its fixed-point parts, and fp16_add) in the accumulation order of
// docs/numerics.md; the SystemC mac_array (model/sc) wraps this, and the
// RTL (rtl/) mirrors it. docs/datapath.md states the cycle-level schedule.
#ifndef NIBBLE_MODEL_DATAPATH_DATAPATH_H_
#define NIBBLE_MODEL_DATAPATH_DATAPATH_H_

#include <cstdint>
#include <vector>

#include "model/numerics/fp16.h"
#include "model/numerics/int4.h"
#include "model/numerics/product.h"
#include "model/timing/arch_spec.h"
#include "model/timing/realistic.h"
#include "model/workload/gemm_spec.h"

namespace nibble::datapath {

// Row-major view of a matrix of 4-bit codes.
struct MatrixView {
  const num::Code4* data = nullptr;
  int64_t rows = 0;
  int64_t cols = 0;
  num::Code4 at(int64_t r, int64_t c) const { return data[r * cols + c]; }
};

// One GEMM's operands: C[M x N] = A[M x K] * B[K x N], on PEs of `lanes` lanes.
struct GemmOperands {
  num::Operand4 fa, fb;  // validated 4-bit PE pair
  MatrixView a;          // M x K
  MatrixView b;          // K x N
  int lanes = 1;         // L: k values a PE adds per step (num::dot4_fp16's chunk rule)
};

// The operand formats of a GEMM spec on PEs of `lanes` lanes; throws std::invalid_argument
// unless a 4-bit PE pair and an admitted lane count.
GemmOperands operands_for(const workload::GemmSpec& g, MatrixView a, MatrixView b, int lanes);

// The accumulators of one GEMM: M x N binary16 values, row-major (the ofmap buffer's content).
struct Accumulators {
  int64_t rows = 0, cols = 0;
  std::vector<num::Fp16> values;
  num::Fp16& at(int64_t m, int64_t n) { return values[static_cast<size_t>(m * cols + n)]; }
};

// What one PE does in one cycle of ws/is, for the partial sum passing through it, with the
// `len` (<= L) k values its lanes hold this cycle:
//   psum_o = mac_en ? fp16_add(psum_i, chunk_fp16(a[0 .. len-1], b[0 .. len-1])) : psum_i.
// An unused (bypassed) PE has mac_en = 0 and passes psum_i through unchanged: adding a +0
// chunk would turn a -0 partial sum into +0. The os PE does the same into its own register.
num::Fp16 pe_step(const num::Operand4& fa, const num::Code4* a, const num::Operand4& fb,
                  const num::Code4* b, int len, num::Fp16 psum_i, bool mac_en);

// Functional mode: applies one tile of the schedule (timing::for_each_tile, in the dataflow's
// geometry) to acc. For each output (m, n) the tile covers:
//   acc(m, n) = dot4_fp16(A[m][k0 ..], B[k0 .. ][n], tile.k_len, g.lanes, acc_init)
// (chunks of L from the tile's k0, a multiple of L), where acc_init = +0 if
// tile.first_partial, else acc(m, n).
// Throws std::invalid_argument if the tile lies outside the operands or acc is not M x N.
// With threads > 1 a large tile's rows are split among threads (gemm_kernel.h,
// gemm_block_parallel): the same values.
void compute_tile(const GemmOperands& g, timing::Dataflow df, const timing::Tile& tile,
                  Accumulators& acc, int threads = 1);

// Detailed mode: the same tile run cycle by cycle through an R x C systolic array (operands
// and partial sums moving one PE per cycle, skewed injection, bypassed unused PEs); the result
// is bit-identical to compute_tile. Returns the cycles from the tile's start until the last
// token has left the whole array, bubbles of unused columns included: preload_cycles + waves +
// plan.pipeline_latency, which the tests check (a tile using fewer than C columns has its last
// result out earlier, timing::output_latency). The dataflow is arch.array.dataflow.
// preload_cycles is the wait from the tile's start to its first wave that timing::ArrayIssue
// gives: the exposed part of the stationary preload for ws/is (plan.preload_cycles when none
// of it hid behind the previous tile's waves, 0 when all of it did, or in between), the wait
// for the previous tile's drain for os. docs/datapath.md states the schedule cycle by cycle.
// Throws std::invalid_argument as compute_tile does, or if the tile does not fit the array or
// plan.macs_per_cycle is not 1.
struct DetailedStats {
  int64_t cycles = 0;            // start to the last token out of the array
  int64_t pe_active_cycles = 0;  // sum over cycles of PEs doing a MAC
};
DetailedStats run_tile_detailed(const GemmOperands& g, const timing::ArchSpec& arch,
                                const timing::TilePlan& plan, const timing::Tile& tile,
                                int64_t preload_cycles, Accumulators& acc);

}  // namespace nibble::datapath

#endif  // NIBBLE_MODEL_DATAPATH_DATAPATH_H_
