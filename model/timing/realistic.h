// realistic mode: the per-tile timing of one GEMM on the array, with double buffering,
// overlapped fill/drain and a DRAM channel of finite bandwidth and latency (docs/timing.md,
// "realistic mode", states every formula). The tile list is the one description of the
// schedule: the analytic recurrence here and the SystemC controller (model/sc) both walk it.
#ifndef NIBBLE_MODEL_TIMING_REALISTIC_H_
#define NIBBLE_MODEL_TIMING_REALISTIC_H_

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "model/timing/arch_spec.h"
#include "model/timing/int_math.h"
#include "model/workload/gemm_spec.h"

namespace nibble::timing {

// How a GEMM is cut into tiles; derived from the array, the dataflow and the SRAM sizes.
struct TilePlan {
  // Spatial extent on array rows / cols and the temporal (streamed) extent, per dataflow:
  // ws (K, N, M), is (K, M, N), os (M, N, K) as in SCALE-Sim, with K counted in chunks of L
  // (ceil(K / L)): a PE row holds L consecutive k (ws/is), an os wave brings L of them.
  int64_t spatial_rows = 0, spatial_cols = 0, temporal = 0;
  int64_t lanes = 1;  // L (arch.pe.lanes)
  int64_t row_folds = 0, col_folds = 0;
  int64_t block = 0;                 // streamed extent of one tile (the last block may be shorter)
  int64_t blocks = 0;                // ceil(temporal / block)
  bool stream_resident = false;      // the whole streamed operand stays in SRAM across col folds
  bool stationary_resident = false;  // a col fold's stationary slice stays in SRAM across blocks
  double macs_per_cycle = 1.0;       // per lane, for this GEMM's operand formats
  // Cycles from a tile's done (its last wave entered) until the array's last token of that
  // tile has left all R x C PEs, bubbles of unused columns included: ws/is R + C - 2, os
  // 2R + C - 2 (the drain shifts out R rows). A tile's last result is ready earlier when it
  // uses fewer columns: output_latency.
  int64_t pipeline_latency = 0;
  int64_t preload_cycles = 0;  // ws/is: R, shifting a stationary tile in (ArrayIssue); os: 0
};

// One tile: one fold of the array over one streamed block.
struct Tile {
  // Where the tile lies in the GEMM, in the dataflow's geometry (TilePlan): spatial rows
  // [row0, row0 + rows_used), spatial cols [col0, col0 + cols_used), streamed [t0, t0 + waves).
  // ws: rows = K chunks, cols = N, streamed = M; is: rows = K chunks, cols = M, streamed = N;
  // os: rows = M, cols = N, streamed = K chunks. A K chunk is L consecutive k (the last one of
  // the GEMM may be shorter).
  int64_t row0 = 0, col0 = 0, t0 = 0;
  // The tile's k values: [k0, k0 + k_len), k0 a multiple of L (ws/is: row0 * L; os: t0 * L).
  int64_t k0 = 0, k_len = 0;
  bool first_partial = false;      // no partial sum to carry in (ws/is: K fold 0; os: K block 0)
  bool completes_outputs = false;  // its outputs are final (ws/is: last K fold; os: last K block)
  int64_t rows_used = 0;           // array rows holding data
  int64_t cols_used = 0;           // array cols holding data
  int64_t waves = 0;               // streamed vectors (os: K chunks)
  int64_t macs = 0;                // k_len * (ws: cols_used * waves; is: the same; os: rows * cols)
  int64_t compute_cycles = 0;
  int64_t load_a_bytes = 0;  // DRAM -> SRAM before the tile can run
  int64_t load_b_bytes = 0;
  int64_t store_bytes = 0;        // SRAM -> DRAM after the tile (completed outputs only)
  int64_t sram_read_a_elems = 0;  // SRAM -> array
  int64_t sram_read_b_elems = 0;
  int64_t sram_write_out_elems = 0;  // array -> SRAM (partial sums included)
  int64_t sram_read_psum_elems = 0;  // partial sums read back to accumulate (ws/is, K fold > 0)
  int64_t preload_move_elems = 0;    // element hops to shift the stationary tile in (ws/is)
  // PE-cycles that compute: each adds one chunk (up to L products) to one accumulator, the
  // rows_used * cols_used * waves of the dataflow's geometry.
  int64_t pe_steps = 0;
  int64_t drain_move_elems = 0;  // element hops to shift results out of the PEs (os)
};

// Chunk c of a tile's k values on a PE of `lanes` lanes (ws/is: PE row c; os: wave c):
// k in [first, end), first = k0 + c * lanes, end = min(first + lanes, k0 + k_len). The last
// chunk of a tile may be shorter than `lanes`; the cycle-level datapath and the RTL
// co-simulation take a chunk's k values from here.
struct KChunk {
  int64_t first = 0, end = 0;
  int64_t len() const { return end - first; }
};
inline KChunk tile_chunk(const Tile& t, int64_t c, int64_t lanes) {
  const int64_t first = t.k0 + c * lanes;
  return {first, std::min(first + lanes, t.k0 + t.k_len)};
}

// The GEMM's tiling in arch.tiling.mode: greedy_tiles, or the one choose_tiling picks.
// Every engine (the analytic recurrence, the SystemC controller, the RTL co-simulation) takes
// its tiles from here.
TilePlan plan_tiles(const workload::GemmSpec& gemm, const ArchSpec& arch);

// The greedy rule (docs/timing.md, "Tiling"): the largest streamed block that fits the buffers
// (at least 1, at most the streamed extent).
TilePlan greedy_tiles(const workload::GemmSpec& gemm, const ArchSpec& arch);

// `plan` with its streamed block set to `block` (1 <= block <= plan.temporal).
TilePlan with_block(TilePlan plan, int64_t block);

// The blocks the tile mapper tries (docs/timing.md, "The tile mapper"): ceil(T / n), the
// smallest block that cuts T into n blocks or fewer, for n = 1, 2, .., 32, then n + ceil(n / 8)
// up to T; kept when at most `largest` (the greedy block); 1 always; without repeats, largest
// first. The set for a larger `largest` contains the
// set for a smaller one, so more buffer never removes a candidate.
std::vector<int64_t> candidate_blocks(int64_t temporal, int64_t largest);

// Cycles from a tile's done (its last wave entered) until its last result has left the array,
// plan.pipeline_latency - (C - t.cols_used) (docs/timing.md, "Per-tile recurrence"). Column j's
// results leave j cycles after column 0's, and the C - cols_used columns beyond the tile's
// carry only bubbles, so its last result is column cols_used - 1's. Unused rows change
// nothing: partial sums (ws/is) cross all R rows, and the os drain shifts all R rows out.
// Every place that needs a tile's outputs (the store's ready cycle, the end of the run, the
// array schedule) uses it.
int64_t output_latency(const TilePlan& plan, const ArchSpec& arch, const Tile& t);

// Calls fn(tile) for every tile of one repeat of the GEMM, in execution order.
template <typename Fn>
void for_each_tile(const workload::GemmSpec& gemm, const ArchSpec& arch, const TilePlan& plan,
                   Fn&& fn);

// The array's issue rule (docs/timing.md, "Per-tile recurrence"): the cycle each tile's first
// wave may enter the array, given the cycle its operands are in SRAM. The analytic recurrence,
// the SystemC controller and array_schedule_cycles all use it. One instance per repeat: issue
// the repeat's tiles in for_each_tile order.
//  - ws/is: a tile's stationary operand shifts into the PEs' shadow registers in R cycles. That
//    preload needs the tile's operands in SRAM and may begin only when the previous tile's first
//    wave enters (double-buffered: earlier it would overwrite shadow registers that tile has not
//    swapped in yet) or, without double buffering, when the previous tile is done. The tile's
//    first wave enters once its preload is complete and the previous tile's last wave has
//    entered.
//  - os: a tile that completes outputs drains them through each column's shift chain in R
//    cycles, so its last wave enters at least R cycles after that of the repeat's previous
//    output-completing tile.
class ArrayIssue {
 public:
  // plan: the GEMM's tiling (its preload_cycles is the ws/is preload's length).
  ArrayIssue(const ArchSpec& arch, const TilePlan& plan);
  // The next tile, whose operands are in SRAM from cycle `loaded`; returns its done cycle: its
  // first wave enters at first(), its last at done - 1, done = first() + t.compute_cycles.
  int64_t issue(const Tile& t, int64_t loaded);
  int64_t first() const { return first_; }  // the last issued tile's first wave (0 before any)
  int64_t done() const { return done_; }    // the last issued tile's done (0 before any)
  // For time_realistic's fast-forward: the cycles the state holds (first, done, and the last
  // drain while it can still delay a tile), written to out[0..] (at most 3), their number
  // returned; and the
  // same state `cycles` later, after `tiles` more tiles.
  int times(int64_t* out) const;
  bool drained_any() const { return drained_any_; }
  void advance(int64_t cycles, int64_t tiles);

 private:
  Dataflow dataflow_;
  bool double_buffered_;
  int64_t rows_;     // os: a drain shifts R results out of a column
  int64_t preload_;  // ws/is: a preload takes plan.preload_cycles (R)
  int64_t issued_ = 0;
  int64_t first_ = 0;
  int64_t done_ = 0;
  bool drained_any_ = false;  // os: a tile of this repeat has completed outputs
  int64_t drained_ = 0;       // os: the done of the last such tile
};

// One repeat's cycles of the array's own schedule, every operand already in SRAM: ArrayIssue
// gets every tile with loaded = 0, and the schedule ends when the last result of any tile has
// left the array, the largest done + output_latency over the tiles (an earlier tile using more
// columns may finish after the last one). No DRAM, no stall; the RTL co-simulation of the
// array compares its cycles to this (docs/timing.md, "Array schedule").
int64_t array_schedule_cycles(const workload::GemmSpec& gemm, const ArchSpec& arch);

// What the hardware did during a GEMM, counted per action: the energy model
// (model/energy) multiplies each count by its energy per action. docs/energy.md defines each
// count; all cover every repeat.
struct ActionCounts {
  int64_t macs_int4 = 0;  // INT4/UINT4 x INT4/UINT4 multiplies
  int64_t macs_fp4 = 0;   // FP4 x INT4/UINT4 products (a shift)
  int64_t macs_fp8 = 0;   // FP8 x FP8 multiplies
  int64_t macs_fp16 = 0;  // FP16 x FP16 multiplies
  // Accumulator adds: one per PE-step, each adding a chunk of up to L products (one per MAC
  // when L = 1). Into FP16 for 4- and 8-bit operands, into FP32 for FP16 ones.
  int64_t acc_adds_fp16 = 0;
  int64_t acc_adds_fp32 = 0;
  // Chunks of 4-bit products summed in the PE's adder tree and rounded once to FP16: one per
  // PE-step of a GEMM whose operands are both 4-bit (int4, uint4, fp4).
  int64_t chunk_sums = 0;
  int64_t scale_ops = 0;     // output elements through the scale unit (M * N)
  int64_t pe_move_bits = 0;  // bits moved between neighbouring PEs
  // Bits read from and written into each scratchpad: the ifmap buffer holds A, the filter
  // buffer B, the ofmap buffer partial sums and outputs (docs/energy.md, "Action counts").
  int64_t ifmap_read_bits = 0;    // A to the array
  int64_t ifmap_write_bits = 0;   // A's DRAM fills
  int64_t filter_read_bits = 0;   // B to the array
  int64_t filter_write_bits = 0;  // B's DRAM fills
  int64_t ofmap_read_bits = 0;    // partial sums read back, outputs to the DRAM store
  int64_t ofmap_write_bits = 0;   // partial sums and outputs from the array
  int64_t dram_read_bits = 0;
  int64_t dram_write_bits = 0;
  int64_t pe_busy_cycles = 0;  // PE-cycles spent streaming (sum over tiles of ru*cu*cycles)
  int64_t pe_idle_cycles = 0;  // cycles * R * C - pe_busy_cycles
};

// The one list of ActionCounts' fields, in declaration order.
constexpr int kActionCountFields = 19;
std::array<int64_t*, kActionCountFields> count_fields(ActionCounts& a);
std::array<int64_t, kActionCountFields> count_values(const ActionCounts& a);

// into += times * a, count by count (checked).
void add_counts(ActionCounts& into, const ActionCounts& a, int64_t times = 1);

// The DRAM channel of realistic mode (docs/timing.md): one transfer at a time, in call order.
// A transfer starts when the channel and its data are both ready and occupies the channel for
// transfer_cycles(bytes); a read's data arrives latency cycles after its last byte, a write is
// posted (done when its last byte is sent). The analytic recurrence and the SystemC DRAM target
// (model/sc/dram.h) both use it.
class DramChannel {
 public:
  explicit DramChannel(const DramSpec& spec) : spec_(spec) {}
  // Whole cycles, at least one; a quotient within 1e-9 of an integer counts as that integer,
  // so a decimal bandwidth like 1.4 bytes/cycle means exactly 7/5.
  int64_t transfer_cycles(int64_t bytes) const;
  // Reserves the channel for a transfer ready at `ready`; returns when it is done (a read: its
  // data has arrived; a write: its last byte has left). Zero bytes: done at `ready`, no
  // reservation.
  int64_t transfer(int64_t ready, int64_t bytes, bool read);
  int64_t free_at() const { return free_at_; }
  int64_t busy_cycles() const { return busy_; }
  // For time_realistic's fast-forward: the channel `cycles` later, busy `busy` more cycles.
  void advance(int64_t cycles, int64_t busy);

 private:
  DramSpec spec_;
  int64_t free_at_ = 0;
  int64_t busy_ = 0;
};

enum class Bound { kCompute, kMemory };
const char* bound_name(Bound b);  // "compute", "memory"

struct GemmTiming {
  int64_t cycles = 0;  // all repeats
  // The array's own schedule (ArrayIssue, every operand already in SRAM) up to the last
  // tile's done, per repeat, times the repeats.
  int64_t compute_cycles = 0;
  int64_t dram_busy_cycles = 0;  // DRAM channel busy (all repeats)
  int64_t stall_cycles = 0;      // cycles - compute_cycles
  int64_t tiles = 0;             // per repeat
  int64_t macs = 0;              // all repeats
  int64_t dram_read_bytes = 0;   // all repeats
  int64_t dram_write_bytes = 0;
  double macs_per_cycle = 1;  // per PE: L x the per-lane rate of this GEMM's formats (1 in compat)
  double utilization = 0;     // macs / (cycles * R * C * macs_per_cycle)
  Bound bound = Bound::kCompute;
  ActionCounts actions;
  TilePlan plan;  // realistic mode: the tiling the GEMM ran with (compat: empty)
};

// A full tile's extent in the GEMM's dimensions, in elements: ws M = block, N = min(C, N),
// K = min(R L, K); is M = min(C, M), N = block, K = min(R L, K); os M = min(R, M),
// N = min(C, N), K = min(block L, K). report.json and layers.csv name each GEMM's tile by it.
struct TileExtent {
  int64_t m = 0, n = 0, k = 0;
};
TileExtent tile_extent(const workload::GemmSpec& gemm, const ArchSpec& arch, const TilePlan& plan);

// Adds one tile's per-tile action counts (PE moves, SRAM and DRAM bits, busy PE-cycles) to `a`
// (docs/energy.md, "Action counts").
void add_tile_actions(const workload::GemmSpec& gemm, Dataflow df, const Tile& t, ActionCounts& a);

// What a run of a GEMM's tiles measured, before the per-GEMM totals are derived.
struct TileRunTotals {
  int64_t cycles = 0;
  int64_t compute_cycles = 0;  // the ideal ArrayIssue schedule's last done, summed over repeats
  int64_t dram_busy_cycles = 0;
  int64_t tiles = 0;  // tiles of one repeat
  int64_t macs = 0;
  int64_t dram_read_bytes = 0;
  int64_t dram_write_bytes = 0;
  ActionCounts actions;  // the add_tile_actions sums
};

// The GemmTiming of a realistic-mode run: `totals` measured over `times` identical repeats
// (the analytic recurrence times one repeat and passes g.repeat; the SystemC model simulates
// every repeat and passes 1). Scales the totals, adds the per-GEMM counts (MACs by operand
// pair, accumulator adds, scale-unit outputs, idle PE-cycles), stall, bound and utilization.
GemmTiming finish_realistic(const workload::GemmSpec& gemm, const ArchSpec& arch,
                            const TilePlan& plan, const TileRunTotals& totals, int64_t times);

// The realistic-mode timing of a GEMM (the recurrence of docs/timing.md over its tiles).
// fast_forward: where a run of identical tile groups (TileGroups) reaches a steady state, in
// which each group moves every cycle of the recurrence's state by the same amount, the rest of
// the run is added at once instead of tile by tile (docs/timing.md, "Fast-forward"); the
// result is the same, which tests check against fast_forward = false.
// walked, when given, receives the number of tiles walked one by one (all of them without
// the fast-forward).
GemmTiming time_realistic(const workload::GemmSpec& gemm, const ArchSpec& arch,
                          bool fast_forward = true, int64_t* walked = nullptr);

// The same recurrence over the tiles of a given plan.
GemmTiming time_plan(const workload::GemmSpec& gemm, const ArchSpec& arch, const TilePlan& plan,
                     bool fast_forward = true, int64_t* walked = nullptr);

// The tile mapper (docs/timing.md, "The tile mapper"): times the greedy plan with each of
// candidate_blocks and keeps the one of fewest cycles, then least energy (the counts a tiling
// changes, at arch.tiling.action_pj; skipped when empty), then fewest DRAM bytes, then the
// largest block. `tried`, when given, receives the number of candidates timed.
TilePlan choose_tiling(const workload::GemmSpec& gemm, const ArchSpec& arch,
                       int64_t* tried = nullptr);

// The pJ arch.tiling.action_pj charges for `counts` (0 when it is empty): the mapper's energy.
double mapper_energy_pj(const ActionCounts& counts, const ArchSpec& arch);

// The compat-mode timing of a GEMM: SCALE-Sim's Total Cycles of the GEMM's shape (its
// ConvShape, or the GEMM form), formats ignored as SCALE-Sim counts words, times g.repeat.
GemmTiming time_compat(const workload::GemmSpec& gemm, const ArchSpec& arch);

// The timing of a GEMM in the spec's mode: time_realistic or time_compat.
GemmTiming time_gemm(const workload::GemmSpec& gemm, const ArchSpec& arch);

// ---------------------------------------------------------------------------------------------

namespace detail {
int64_t bits_to_bytes(int64_t bits);
int64_t element_bits(const workload::FormatSpec& f);
int64_t accumulator_bits(const workload::GemmSpec& gemm);
int64_t compute_cycles(int64_t waves, double macs_per_cycle);
}  // namespace detail

// Runs of identical tile groups, for the fast-forward (docs/timing.md). Level 0: the outer
// loop of for_each_tile (column folds) and level 1: its middle loop (ws/is: streamed blocks;
// os: row folds) each repeat one group of tiles; the groups from the second to the last full
// one are identical but for their position (same shapes, loads, stores and cycles). Level 2:
// the innermost loop (ws/is: row folds; os: K blocks), one tile a group; the tiles between the
// first and the last are identical. run_left of a group: how many groups from it (included)
// to the end of its run of identical groups (1 when it is alone in its kind).
inline int64_t group_run_left(int64_t index, int64_t count, bool last_short) {
  const int64_t last_full = last_short ? count - 2 : count - 1;
  return index == 0 || index > last_full ? 1 : last_full - index + 1;
}
inline int64_t inner_run_left(int64_t index, int64_t count) {
  return index >= 1 && index <= count - 2 ? count - 1 - index : 1;
}

template <typename Fn>
void for_each_tile(const workload::GemmSpec& gemm, const ArchSpec& arch, const TilePlan& p,
                   Fn&& fn) {
  for_each_tile(gemm, arch, p, fn, [](int, int64_t) { return int64_t{0}; });
}

template <typename Fn, typename GroupFn>
void for_each_tile(const workload::GemmSpec& gemm, const ArchSpec& arch, const TilePlan& p, Fn&& fn,
                   GroupFn&& at_group) {
  const int64_t r = arch.array.rows;
  const int64_t c = arch.array.cols;
  const bool ws = arch.array.dataflow == Dataflow::kWs;
  const bool os = arch.array.dataflow == Dataflow::kOs;
  const int64_t bits_a = detail::element_bits(gemm.a);
  const int64_t bits_b = detail::element_bits(gemm.b);
  const int64_t bits_out = detail::element_bits(gemm.out);
  const int64_t lanes = p.lanes;
  // The k values of chunks [c0, c0 + chunks): whole chunks of L, the GEMM's last one shorter.
  const auto k_range = [&](int64_t c0, int64_t chunks, Tile& t) {
    t.k0 = c0 * lanes;
    t.k_len = std::min(chunks * lanes, gemm.k - t.k0);
  };
  // Outer loop: column folds; middle: streamed blocks; inner: row folds (os: the streamed
  // blocks are K chunks, innermost, so each output block completes before the next).
  for (int64_t fc = 0; fc < p.col_folds; ++fc) {
    const int64_t skip_fc = at_group(0, group_run_left(fc, p.col_folds, p.spatial_cols % c != 0));
    if (skip_fc > 0) {
      fc += skip_fc - 1;
      continue;
    }
    const int64_t cu = std::min(c, p.spatial_cols - fc * c);
    const int64_t outer_b = os ? 1 : p.blocks;
    // at_group(level, run_left) is asked before each group and returns how many groups, from
    // this one on, the caller has accounted for without their tiles (0 .. run_left).
    for (int64_t ob = 0; ob < outer_b; ++ob) {
      if (!os) {
        const int64_t skip = at_group(1, group_run_left(ob, p.blocks, p.temporal % p.block != 0));
        if (skip > 0) {
          ob += skip - 1;
          continue;
        }
      }
      for (int64_t fr = 0; fr < p.row_folds; ++fr) {
        const int64_t skip_fr =
            os ? at_group(1, group_run_left(fr, p.row_folds, p.spatial_rows % r != 0))
               : at_group(2, inner_run_left(fr, p.row_folds));
        if (skip_fr > 0) {
          fr += skip_fr - 1;
          continue;
        }
        const int64_t ru = std::min(r, p.spatial_rows - fr * r);
        const int64_t inner_b = os ? p.blocks : 1;
        for (int64_t ib = 0; ib < inner_b; ++ib) {
          if (os) {
            const int64_t skip_ib = at_group(2, inner_run_left(ib, inner_b));
            if (skip_ib > 0) {
              ib += skip_ib - 1;
              continue;
            }
          }
          const int64_t b = os ? ib : ob;
          const int64_t waves = std::min(p.block, p.temporal - b * p.block);
          Tile t;
          t.row0 = fr * r;
          t.col0 = fc * c;
          t.t0 = b * p.block;
          t.first_partial = os ? ib == 0 : fr == 0;
          t.completes_outputs = os ? ib == inner_b - 1 : fr == p.row_folds - 1;
          t.rows_used = ru;
          t.cols_used = cu;
          t.waves = waves;
          t.pe_steps = checked_mul(ru * cu, waves);
          t.compute_cycles = detail::compute_cycles(waves, p.macs_per_cycle);
          if (os) {
            // Stationary outputs ru x cu; A streams ru x k_len, B k_len x cu.
            k_range(t.t0, waves, t);
            t.macs = checked_mul(ru * cu, t.k_len);
            const bool a_loaded = !(p.stream_resident && fc > 0);
            const bool b_loaded = !(p.stationary_resident && fr > 0);
            t.load_a_bytes = a_loaded ? detail::bits_to_bytes(ru * t.k_len * bits_a) : 0;
            t.load_b_bytes = b_loaded ? detail::bits_to_bytes(t.k_len * cu * bits_b) : 0;
            t.sram_read_a_elems = ru * t.k_len;
            t.sram_read_b_elems = t.k_len * cu;
            const bool last = t.completes_outputs;
            t.sram_write_out_elems = last ? ru * cu : 0;
            t.store_bytes = last ? detail::bits_to_bytes(ru * cu * bits_out) : 0;
            // Each column's ru results shift down and out: 1 + 2 + ... + ru hops.
            t.drain_move_elems = last ? cu * ru * (ru + 1) / 2 : 0;
          } else {
            // ws: stationary B tile k_len x cu (K x N), A streams waves x k_len (M x K).
            // is: stationary A tile k_len x cu (K x M), B streams k_len x waves (K x N).
            k_range(t.row0, ru, t);
            t.macs = checked_mul(t.k_len * cu, waves);
            const int64_t stream_bits = ws ? bits_a : bits_b;
            const int64_t stationary_bits = ws ? bits_b : bits_a;
            const bool stream_loaded = !(p.stream_resident && fc > 0);
            const bool stationary_loaded = !(p.stationary_resident && ob > 0);
            const int64_t stream_bytes =
                stream_loaded ? detail::bits_to_bytes(waves * t.k_len * stream_bits) : 0;
            const int64_t stationary_bytes =
                stationary_loaded ? detail::bits_to_bytes(t.k_len * cu * stationary_bits) : 0;
            t.load_a_bytes = ws ? stream_bytes : stationary_bytes;
            t.load_b_bytes = ws ? stationary_bytes : stream_bytes;
            t.sram_read_a_elems = ws ? waves * t.k_len : t.k_len * cu;
            t.sram_read_b_elems = ws ? t.k_len * cu : waves * t.k_len;
            t.sram_write_out_elems = waves * cu;
            t.sram_read_psum_elems = fr > 0 ? waves * cu : 0;
            // The stationary tile shifts down from the top edge, L values a PE: PE row i (from
            // 1) is i hops down and holds L values, the last row the tile's remaining k.
            const int64_t last_row = t.k_len - (ru - 1) * lanes;
            t.preload_move_elems = cu * (lanes * (ru - 1) * ru / 2 + last_row * ru);
            t.store_bytes = t.completes_outputs ? detail::bits_to_bytes(waves * cu * bits_out) : 0;
          }
          fn(t);
        }
      }
    }
  }
}

}  // namespace nibble::timing

#endif  // NIBBLE_MODEL_TIMING_REALISTIC_H_
