#include "model/timing/realistic.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <exception>
#include <iterator>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

#include "model/timing/int_math.h"
#include "model/timing/scalesim_compat.h"

namespace nibble::timing {

namespace detail {

int64_t bits_to_bytes(int64_t bits) { return (bits + 7) / 8; }

int64_t element_bits(const workload::FormatSpec& f) { return num::format_bits(f.format); }

int64_t accumulator_bits(const workload::GemmSpec& gemm) {
  const bool fp16 = gemm.a.format == num::Format::kFp16 || gemm.b.format == num::Format::kFp16;
  return fp16 ? 32 : 16;  // FP16 x FP16 accumulates in FP32; 4- and 8-bit products in FP16
}

int64_t compute_cycles(int64_t waves, double macs_per_cycle) {
  // A PE at rate r < 1 needs 1/r cycles per wave; as for transfers, a quotient within 1e-9 of
  // an integer counts as that integer (a rate of 0.7 means exactly 7/10).
  return checked_ceil(static_cast<double>(waves) / macs_per_cycle - 1e-9);
}

}  // namespace detail

namespace {

double rate_for(const workload::GemmSpec& g, const PeSpec& pe) {
  const auto wide = [&](num::Format f) { return g.a.format == f || g.b.format == f; };
  if (wide(num::Format::kFp16) || wide(num::Format::kFp32)) {
    return pe.fp16_macs_per_cycle;
  }
  if (wide(num::Format::kFp8E4M3) || wide(num::Format::kFp8E5M2)) {
    return pe.fp8_macs_per_cycle;
  }
  return 1.0;
}

// Usable bits of one SRAM buffer: half of it when double-buffered (the other half fills).
int64_t buffer_bits(int64_t kib, bool double_buffered) {
  const int64_t bits = kib * 1024 * 8;
  return double_buffered ? bits / 2 : bits;
}

}  // namespace

int64_t DramChannel::transfer_cycles(int64_t bytes) const {
  return std::max<int64_t>(
      1, checked_ceil(static_cast<double>(bytes) / spec_.bandwidth_bytes_per_cycle - 1e-9));
}

int64_t DramChannel::transfer(int64_t ready, int64_t bytes, bool read) {
  if (bytes == 0) {
    return ready;
  }
  const int64_t start = std::max(free_at_, ready);
  const int64_t cycles = transfer_cycles(bytes);
  free_at_ = checked_add(start, cycles);
  busy_ = checked_add(busy_, cycles);
  return read ? checked_add(free_at_, spec_.latency_cycles) : free_at_;
}

void DramChannel::advance(int64_t cycles, int64_t busy) {
  free_at_ = checked_add(free_at_, cycles);
  busy_ = checked_add(busy_, busy);
}

ArrayIssue::ArrayIssue(const ArchSpec& arch, const TilePlan& plan)
    : dataflow_(arch.array.dataflow),
      double_buffered_(arch.sram.double_buffered),
      rows_(arch.array.rows),
      preload_(plan.preload_cycles) {}

int64_t ArrayIssue::issue(const Tile& t, int64_t loaded) {
  if (dataflow_ == Dataflow::kOs) {
    // No preload; a tile completing outputs lets its last wave in no earlier than R cycles
    // after the previous completing tile's, when that tile's drain has left the shift chain.
    int64_t first = std::max(loaded, done_);
    if (t.completes_outputs && drained_any_) {
      first = std::max(first, checked_add(drained_, rows_) - t.compute_cycles);
    }
    first_ = first;
    done_ = checked_add(first_, t.compute_cycles);
    if (t.completes_outputs) {
      drained_any_ = true;
      drained_ = done_;
    }
  } else {
    // The R-cycle preload starts when the operands are in SRAM and the shadow registers are
    // free: at the previous tile's first wave (double-buffered) or done (not); the first wave
    // follows the preload and the previous tile's last wave.
    const int64_t preload_ready = issued_ == 0 ? 0 : double_buffered_ ? first_ : done_;
    first_ = std::max(checked_add(std::max(loaded, preload_ready), preload_), done_);
    done_ = checked_add(first_, t.compute_cycles);
  }
  ++issued_;
  return done_;
}

int ArrayIssue::times(int64_t* out) const {
  out[0] = first_;
  out[1] = done_;
  // The last drain bounds a later tile's first wave by drained + R - compute_cycles, while the
  // previous done bounds it by done; once drained + R <= done the drain can no longer matter
  // (done only grows until the next completing tile replaces it), so it is not state.
  if (drained_any_ && drained_ > done_ - rows_) {
    out[2] = drained_;
    return 3;
  }
  return 2;
}

void ArrayIssue::advance(int64_t cycles, int64_t tiles) {
  first_ = checked_add(first_, cycles);
  done_ = checked_add(done_, cycles);
  if (drained_any_) {
    drained_ = checked_add(drained_, cycles);
  }
  issued_ = checked_add(issued_, tiles);
}

int64_t output_latency(const TilePlan& plan, const ArchSpec& arch, const Tile& t) {
  return plan.pipeline_latency - (arch.array.cols - t.cols_used);
}

int64_t array_schedule_cycles(const workload::GemmSpec& g, const ArchSpec& arch) {
  const TilePlan p = plan_tiles(g, arch);
  ArrayIssue ideal(arch, p);
  int64_t end = 0;
  for_each_tile(g, arch, p, [&](const Tile& t) {
    end = std::max(end, checked_add(ideal.issue(t, 0), output_latency(p, arch, t)));
  });
  return end;
}

std::array<int64_t*, kActionCountFields> count_fields(ActionCounts& a) {
  static_assert(sizeof(ActionCounts) == kActionCountFields * sizeof(int64_t),
                "count_fields lists every count");
  return {&a.macs_int4,         &a.macs_fp4,        &a.macs_fp8,         &a.macs_fp16,
          &a.acc_adds_fp16,     &a.acc_adds_fp32,   &a.chunk_sums,       &a.scale_ops,
          &a.pe_move_bits,      &a.ifmap_read_bits, &a.ifmap_write_bits, &a.filter_read_bits,
          &a.filter_write_bits, &a.ofmap_read_bits, &a.ofmap_write_bits, &a.dram_read_bits,
          &a.dram_write_bits,   &a.pe_busy_cycles,  &a.pe_idle_cycles};
}

std::array<int64_t, kActionCountFields> count_values(const ActionCounts& a) {
  ActionCounts copy = a;
  std::array<int64_t, kActionCountFields> out{};
  const auto fields = count_fields(copy);
  for (size_t i = 0; i < fields.size(); ++i) {
    out[i] = *fields[i];
  }
  return out;
}

void add_counts(ActionCounts& into, const ActionCounts& a, int64_t times) {
  const auto to = count_fields(into);
  const auto from = count_values(a);
  for (size_t i = 0; i < from.size(); ++i) {
    *to[i] = checked_add(*to[i], checked_mul(from[i], times));
  }
}

void add_tile_actions(const workload::GemmSpec& g, Dataflow df, const Tile& t, ActionCounts& a) {
  const int64_t bits_a = detail::element_bits(g.a);
  const int64_t bits_b = detail::element_bits(g.b);
  const int64_t bits_acc = detail::accumulator_bits(g);
  const auto mul = checked_mul;
  const auto add = checked_add;
  switch (df) {
    case Dataflow::kWs:  // A hops across the columns (one value a MAC), partial sums down the
                         // rows (one a PE-step)
      a.pe_move_bits = add(a.pe_move_bits, add(add(mul(t.macs, bits_a), mul(t.pe_steps, bits_acc)),
                                               mul(t.preload_move_elems, bits_b)));
      break;
    case Dataflow::kIs:  // B hops across the columns, partial sums down the rows
      a.pe_move_bits = add(a.pe_move_bits, add(add(mul(t.macs, bits_b), mul(t.pe_steps, bits_acc)),
                                               mul(t.preload_move_elems, bits_a)));
      break;
    case Dataflow::kOs:  // A across, B down; results shift out at the end
      a.pe_move_bits =
          add(a.pe_move_bits, add(mul(t.macs, bits_a + bits_b), mul(t.drain_move_elems, bits_acc)));
      break;
  }
  a.ifmap_read_bits = add(a.ifmap_read_bits, mul(t.sram_read_a_elems, bits_a));
  a.filter_read_bits = add(a.filter_read_bits, mul(t.sram_read_b_elems, bits_b));
  a.ofmap_read_bits =
      add(a.ofmap_read_bits, add(mul(t.sram_read_psum_elems, bits_acc), mul(t.store_bytes, 8)));
  a.ifmap_write_bits = add(a.ifmap_write_bits, mul(t.load_a_bytes, 8));
  a.filter_write_bits = add(a.filter_write_bits, mul(t.load_b_bytes, 8));
  a.ofmap_write_bits = add(a.ofmap_write_bits, mul(t.sram_write_out_elems, bits_acc));
  a.dram_read_bits = add(a.dram_read_bits, mul(t.load_a_bytes + t.load_b_bytes, 8));
  a.dram_write_bits = add(a.dram_write_bits, mul(t.store_bytes, 8));
  a.pe_busy_cycles = add(a.pe_busy_cycles, mul(mul(t.rows_used, t.cols_used), t.compute_cycles));
  int64_t& adds = detail::accumulator_bits(g) == 32 ? a.acc_adds_fp32 : a.acc_adds_fp16;
  adds = add(adds, t.pe_steps);
  if (num::is_4bit(g.a.format) && num::is_4bit(g.b.format)) {
    a.chunk_sums = add(a.chunk_sums, t.pe_steps);
  }
}

namespace {

// Per-GEMM counts: MACs by operand pair, accumulator adds, scale-unit outputs, idle PE-cycles.
// `times` scales the per-tile counts, which were gathered for one repeat.
void finish_counts(const workload::GemmSpec& g, int64_t macs, int64_t cycles, int64_t pes,
                   int64_t times, ActionCounts& a) {
  for (int64_t* v :
       {&a.pe_move_bits, &a.ifmap_read_bits, &a.ifmap_write_bits, &a.filter_read_bits,
        &a.filter_write_bits, &a.ofmap_read_bits, &a.ofmap_write_bits, &a.dram_read_bits,
        &a.dram_write_bits, &a.pe_busy_cycles, &a.acc_adds_fp16, &a.acc_adds_fp32, &a.chunk_sums}) {
    *v = checked_mul(*v, times);
  }
  const auto has = [&](num::Format f) { return g.a.format == f || g.b.format == f; };
  if (has(num::Format::kFp16) || has(num::Format::kFp32)) {
    a.macs_fp16 = macs;
  } else if (has(num::Format::kFp8E4M3) || has(num::Format::kFp8E5M2)) {
    a.macs_fp8 = macs;
  } else if (has(num::Format::kFp4)) {
    a.macs_fp4 = macs;
  } else {
    a.macs_int4 = macs;
  }
  a.scale_ops = checked_mul(checked_mul(g.m, g.n), g.repeat);
  a.pe_idle_cycles = std::max<int64_t>(0, checked_mul(cycles, pes) - a.pe_busy_cycles);
}

}  // namespace

const char* bound_name(Bound b) { return b == Bound::kCompute ? "compute" : "memory"; }

TilePlan greedy_tiles(const workload::GemmSpec& g, const ArchSpec& arch) {
  const int64_t r = arch.array.rows;
  const int64_t c = arch.array.cols;
  const bool db = arch.sram.double_buffered;
  const int64_t ifmap = buffer_bits(arch.sram.ifmap_kib, db);
  const int64_t filter = buffer_bits(arch.sram.filter_kib, db);
  const int64_t ofmap = buffer_bits(arch.sram.ofmap_kib, db);
  const int64_t bits_a = detail::element_bits(g.a);
  const int64_t bits_b = detail::element_bits(g.b);
  const int64_t bits_acc = detail::accumulator_bits(g);

  const int64_t lanes = arch.pe.lanes;
  const int64_t k_chunks = ceil_div(g.k, lanes);  // PE rows (ws/is) or waves (os) that K takes
  TilePlan p;
  p.lanes = lanes;
  p.macs_per_cycle = rate_for(g, arch.pe);
  p.pipeline_latency = r + c - 2;
  int64_t block_limit = 0;
  switch (arch.array.dataflow) {
    case Dataflow::kWs:
    case Dataflow::kIs: {
      // The same rule with A and B swapped: ws keeps B (K x N) in the PEs and streams A's M
      // rows from the ifmap buffer; is keeps A (K x M) and streams B's N columns from the
      // filter buffer. A streamed block (block x R) sits in its buffer, its partial sums
      // (block x C) in the ofmap one.
      const bool ws = arch.array.dataflow == Dataflow::kWs;
      const int64_t streamed = ws ? g.m : g.n;
      const int64_t across = ws ? g.n : g.m;
      const int64_t stream_bits = ws ? bits_a : bits_b;
      const int64_t stationary_bits = ws ? bits_b : bits_a;
      const int64_t stream_buffer = ws ? ifmap : filter;
      const int64_t stationary_buffer = ws ? filter : ifmap;
      p.spatial_rows = k_chunks, p.spatial_cols = across, p.temporal = streamed;
      block_limit = std::min(stream_buffer / (std::min(r * lanes, g.k) * stream_bits),
                             ofmap / (std::min(c, across) * bits_acc));
      p.stream_resident = product_fits(streamed, g.k, stream_bits, stream_buffer);
      p.stationary_resident =
          product_fits(g.k, std::min(c, across), stationary_bits, stationary_buffer);
      p.preload_cycles = r;
      break;
    }
    case Dataflow::kOs:
      p.spatial_rows = g.m, p.spatial_cols = g.n, p.temporal = k_chunks;
      // A block (R x block * L) and B block (block * L x C); partial sums stay in the PEs.
      block_limit = std::min(ifmap / (std::min(r, g.m) * bits_a * lanes),
                             filter / (std::min(c, g.n) * bits_b * lanes));
      p.stream_resident = product_fits(g.m, g.k, bits_a, ifmap);
      p.stationary_resident = product_fits(g.k, std::min(c, g.n), bits_b, filter);
      // Results shift out of the R rows of PEs after the last K chunk.
      p.pipeline_latency += r;
      p.preload_cycles = 0;
      break;
  }
  p.row_folds = ceil_div(p.spatial_rows, r);
  p.col_folds = ceil_div(p.spatial_cols, c);
  return with_block(p, std::clamp<int64_t>(block_limit, 1, p.temporal));
}

TilePlan with_block(TilePlan p, int64_t block) {
  if (block < 1 || block > p.temporal) {
    throw std::invalid_argument("tile block " + std::to_string(block) + " outside [1, " +
                                std::to_string(p.temporal) + "]");
  }
  p.block = block;
  p.blocks = ceil_div(p.temporal, block);
  return p;
}

std::vector<int64_t> candidate_blocks(int64_t temporal, int64_t largest) {
  std::vector<int64_t> out;
  for (int64_t n = 1; n <= temporal; n += n < 32 ? 1 : ceil_div(n, 8)) {
    const int64_t b = ceil_div(temporal, n);
    if (b <= largest && (out.empty() || out.back() != b)) {
      out.push_back(b);
    }
  }
  if (out.empty() || out.back() != 1) {
    out.push_back(1);  // n = temporal
  }
  return out;
}

double mapper_energy_pj(const ActionCounts& counts, const ArchSpec& arch) {
  const std::vector<double>& pj = arch.tiling.action_pj;
  if (pj.empty()) {
    return 0;
  }
  if (pj.size() != static_cast<size_t>(kActionCountFields)) {
    throw std::invalid_argument("tiling.action_pj has " + std::to_string(pj.size()) +
                                " entries, not one per action count");
  }
  const auto n = count_values(counts);
  double sum = 0;
  for (size_t i = 0; i < n.size(); ++i) {
    sum += static_cast<double>(n[i]) * pj[i];
  }
  return sum;
}

namespace {

// choose_tiling's memo: a trace often repeats a GEMM shape (ResNet-50's 162 GEMMs have 63), and
// every engine asks for the plan of each GEMM. The key holds everything the timing of a tile
// plan reads: the shape, the operand formats and the ArchSpec fields of realistic mode.
class PlanMemo {
 public:
  static std::string key(const workload::GemmSpec& g, const ArchSpec& a) {
    std::ostringstream k;
    k << std::hexfloat << g.m << ' ' << g.n << ' ' << g.k << ' ' << static_cast<int>(g.a.format)
      << ' ' << static_cast<int>(g.b.format) << ' ' << static_cast<int>(g.out.format) << ' '
      << a.array.rows << ' ' << a.array.cols << ' ' << static_cast<int>(a.array.dataflow) << ' '
      << a.pe.lanes << ' ' << a.pe.fp8_macs_per_cycle << ' ' << a.pe.fp16_macs_per_cycle << ' '
      << a.sram.ifmap_kib << ' ' << a.sram.filter_kib << ' ' << a.sram.ofmap_kib << ' '
      << a.sram.double_buffered << ' ' << a.dram.bandwidth_bytes_per_cycle << ' '
      << a.dram.latency_cycles;
    for (const double pj : a.tiling.action_pj) {
      k << ' ' << pj;
    }
    return k.str();
  }
  bool find(const std::string& key, TilePlan& out) {
    const std::lock_guard<std::mutex> lock(mutex_);
    const auto it = plans_.find(key);
    if (it == plans_.end()) {
      return false;
    }
    out = it->second;
    return true;
  }
  void put(const std::string& key, const TilePlan& p) {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (plans_.size() >= kMaxPlans) {
      plans_.clear();  // bounded: a long-lived process may time many designs
    }
    plans_.emplace(key, p);
  }

 private:
  static constexpr size_t kMaxPlans = 1 << 14;
  std::mutex mutex_;
  std::map<std::string, TilePlan> plans_;
};

PlanMemo& plan_memo() {
  static PlanMemo memo;
  return memo;
}

}  // namespace

TilePlan choose_tiling(const workload::GemmSpec& g, const ArchSpec& arch, int64_t* tried) {
  const std::string key = PlanMemo::key(g, arch);
  TilePlan memo;
  if (tried == nullptr && plan_memo().find(key, memo)) {
    return memo;
  }
  const TilePlan greedy = greedy_tiles(g, arch);
  workload::GemmSpec once = g;
  once.repeat = 1;  // repeats run the same tiles from empty buffers: one ranks them all
  TilePlan best;
  GemmTiming best_t;
  double best_pj = 0;
  bool have = false;
  int64_t n = 0;
  std::exception_ptr overflow;
  for (const int64_t block : candidate_blocks(greedy.temporal, greedy.block)) {
    const TilePlan p = with_block(greedy, block);
    ++n;
    GemmTiming t;
    try {
      t = time_plan(once, arch, p);
    } catch (const std::overflow_error&) {
      // Its cycles or counts do not fit in 64 bits: not a tiling to run. When none fits, the
      // GEMM's error is the last candidate's.
      overflow = std::current_exception();
      continue;
    }
    const double pj = mapper_energy_pj(t.actions, arch);
    // Candidates come largest block first, so keeping the first of equal rank keeps the
    // largest block.
    const int64_t bytes = checked_add(t.dram_read_bytes, t.dram_write_bytes);
    const int64_t best_bytes = best_t.dram_read_bytes + best_t.dram_write_bytes;
    const bool better =
        !have || t.cycles < best_t.cycles ||
        (t.cycles == best_t.cycles && (pj < best_pj || (pj == best_pj && bytes < best_bytes)));
    if (better) {
      best = p, best_t = t, best_pj = pj, have = true;
    }
  }
  if (!have) {
    std::rethrow_exception(overflow);
  }
  if (tried != nullptr) {
    *tried = n;
  }
  plan_memo().put(key, best);
  return best;
}

TilePlan plan_tiles(const workload::GemmSpec& g, const ArchSpec& arch) {
  return arch.tiling.mode == Tiling::kGreedy ? greedy_tiles(g, arch) : choose_tiling(g, arch);
}

TileExtent tile_extent(const workload::GemmSpec& g, const ArchSpec& arch, const TilePlan& p) {
  const int64_t r = arch.array.rows;
  const int64_t c = arch.array.cols;
  const int64_t k_rows = std::min(r * p.lanes, g.k);
  switch (arch.array.dataflow) {
    case Dataflow::kWs:
      return {p.block, std::min(c, g.n), k_rows};
    case Dataflow::kIs:
      return {std::min(c, g.m), p.block, k_rows};
    case Dataflow::kOs:
      break;
  }
  return {std::min(r, g.m), std::min(c, g.n), std::min(p.block * p.lanes, g.k)};
}

GemmTiming finish_realistic(const workload::GemmSpec& g, const ArchSpec& arch, const TilePlan& p,
                            const TileRunTotals& totals, int64_t times) {
  GemmTiming out;
  out.cycles = checked_mul(totals.cycles, times);
  out.compute_cycles = checked_mul(totals.compute_cycles, times);
  out.dram_busy_cycles = checked_mul(totals.dram_busy_cycles, times);
  out.macs = checked_mul(totals.macs, times);
  out.dram_read_bytes = checked_mul(totals.dram_read_bytes, times);
  out.dram_write_bytes = checked_mul(totals.dram_write_bytes, times);
  out.tiles = totals.tiles;
  out.stall_cycles = out.cycles - out.compute_cycles;
  if (out.stall_cycles < 0) {
    // A run's tiles never go faster than the ideal schedule, and the run lasts at least until
    // its last tile's done: a negative stall is a bug of the caller's schedule.
    throw std::logic_error("realistic timing: " + std::to_string(out.cycles) +
                           " cycles, fewer than the array's schedule of " +
                           std::to_string(out.compute_cycles));
  }
  out.actions = totals.actions;
  out.plan = p;
  finish_counts(g, out.macs, out.cycles, arch.array.rows * arch.array.cols, times, out.actions);
  out.bound = out.dram_busy_cycles > out.compute_cycles ? Bound::kMemory : Bound::kCompute;
  out.macs_per_cycle = p.macs_per_cycle * static_cast<double>(p.lanes);
  const double peak = static_cast<double>(arch.array.rows * arch.array.cols) * out.macs_per_cycle;
  out.utilization =
      out.cycles > 0 ? static_cast<double>(out.macs) / (static_cast<double>(out.cycles) * peak) : 0;
  return out;
}

namespace {

// A tile's shape for the fast-forward: every field the recurrence and the counts read; its
// position (row0, col0, t0, k0) left out.
bool same_shape(const Tile& a, const Tile& b) {
  return a.k_len == b.k_len && a.first_partial == b.first_partial &&
         a.completes_outputs == b.completes_outputs && a.rows_used == b.rows_used &&
         a.cols_used == b.cols_used && a.waves == b.waves && a.macs == b.macs &&
         a.compute_cycles == b.compute_cycles && a.load_a_bytes == b.load_a_bytes &&
         a.load_b_bytes == b.load_b_bytes && a.store_bytes == b.store_bytes &&
         a.sram_read_a_elems == b.sram_read_a_elems && a.sram_read_b_elems == b.sram_read_b_elems &&
         a.sram_write_out_elems == b.sram_write_out_elems &&
         a.sram_read_psum_elems == b.sram_read_psum_elems &&
         a.preload_move_elems == b.preload_move_elems && a.pe_steps == b.pe_steps &&
         a.drain_move_elems == b.drain_move_elems;
}

// The recurrence's state before a group, for the fast-forward. Fixed sizes: at most two
// tiles wait (double buffering).
struct Snapshot {
  int64_t run_left = 0;  // 0: none taken
  int64_t real[7] = {};  // the real run: channel free, end, array (<= 3), loads in flight (<= 2)
  int n_real = 0;
  int64_t ideal[3] = {};  // the ideal schedule's array
  int n_ideal = 0;
  Tile pending[2];
  int n_pending = 0;
  bool drained[2] = {false, false};
  int64_t tiles = 0, busy = 0, macs = 0, read_bytes = 0, write_bytes = 0;
  ActionCounts actions;
};

// The longest period, in groups, a steady state is looked for with.
constexpr int kSteadyPeriods = 8;

// d such that after[i] = before[i] + d for each of the n values.
bool common_shift(const int64_t* before, const int64_t* after, int n, int64_t& d) {
  if (n == 0) {
    return false;
  }
  d = after[0] - before[0];
  for (int i = 1; i < n; ++i) {
    if (after[i] - before[i] != d) {
      return false;
    }
  }
  return true;
}

}  // namespace

GemmTiming time_realistic(const workload::GemmSpec& g, const ArchSpec& arch, bool fast_forward,
                          int64_t* walked) {
  return time_plan(g, arch, plan_tiles(g, arch), fast_forward, walked);
}

GemmTiming time_plan(const workload::GemmSpec& g, const ArchSpec& arch, const TilePlan& p,
                     bool fast_forward, int64_t* walked) {
  const int64_t depth = arch.sram.double_buffered ? 2 : 1;  // tiles whose inputs are in SRAM
  if (walked != nullptr) {
    *walked = 0;
  }

  // The recurrence of docs/timing.md, streamed: tiles arrive from for_each_tile in order and
  // only the last `depth` are held. Channel order: L0 .. L(depth-1), then per tile i:
  // L(i + depth), S(i) (if the tile completes outputs): a load is ready when tile i ends, its
  // store output_latency (>= 0) cycles later, so the load goes first. L(j) needs tile j - depth
  // finished (its buffer half is free); tile i's waves enter when ArrayIssue lets them (its
  // inputs arrived, its preload is done, tile i-1's last wave entered).
  DramChannel ch(arch.dram);
  struct Pending {
    Tile tile;
    int64_t loaded;
  };
  std::deque<Pending> pending;  // tiles whose load was issued, not yet computed (<= depth)
  TileRunTotals run;
  ArrayIssue array(arch, p);  // the tiles as they run
  ArrayIssue ideal(arch, p);  // the same tiles with every operand in SRAM: compute_cycles
  int64_t end = 0;
  // L(j) is ready when tile j - depth is done (0 for the first `depth` tiles).
  const auto load = [&](const Tile& t, int64_t ready) {
    pending.push_back({t, ch.transfer(ready, t.load_a_bytes + t.load_b_bytes, true)});
  };
  const auto compute_front = [&]() {
    const Pending head = pending.front();
    pending.pop_front();
    const Tile& t = head.tile;
    ideal.issue(t, 0);
    return std::make_pair(t, array.issue(t, head.loaded));
  };
  const auto finish = [&](const Tile& t, int64_t done) {
    // The tile's last result leaves the array output_latency cycles after its done.
    const int64_t outputs_ready = checked_add(done, output_latency(p, arch, t));
    end = std::max(end, ch.transfer(outputs_ready, t.store_bytes, false));
    end = std::max(end, outputs_ready);
    run.macs = checked_add(run.macs, t.macs);
    run.dram_read_bytes = checked_add(run.dram_read_bytes, t.load_a_bytes + t.load_b_bytes);
    run.dram_write_bytes = checked_add(run.dram_write_bytes, t.store_bytes);
    add_tile_actions(g, arch.array.dataflow, t, run.actions);
  };
  int64_t n = 0;
  // The fast-forward. Every step of the recurrence is a max or a sum of cycles with constants,
  // so moving every cycle of its state by d moves every later cycle by d. When the state
  // before a group equals the state before the previous, identical, group moved by d (the
  // ideal schedule's cycles by their own d'), each further identical group moves it by d again
  // and adds the same counts: the rest of the run is added at once.
  const auto snapshot = [&](int64_t run_left, Snapshot& s) {
    s.run_left = run_left;
    s.real[0] = ch.free_at();
    s.real[1] = end;
    s.n_real = 2 + array.times(s.real + 2);
    s.n_pending = 0;
    for (const Pending& q : pending) {
      s.real[s.n_real++] = q.loaded;
      s.pending[s.n_pending++] = q.tile;
    }
    s.n_ideal = ideal.times(s.ideal);
    s.drained[0] = array.drained_any();
    s.drained[1] = ideal.drained_any();
    s.tiles = n, s.busy = ch.busy_cycles(), s.macs = run.macs;
    s.read_bytes = run.dram_read_bytes, s.write_bytes = run.dram_write_bytes;
    s.actions = run.actions;
  };
  // Per level (for_each_tile's group_run_left, inner_run_left): the states before the last
  // kSteadyPeriods + 1 groups of that level, the newest in buf[level][at[level]]. A steady
  // state repeats after `period` groups: one, or more where the channel's loads and stores
  // interleave in a longer pattern (with double buffering the loads alternate halves).
  Snapshot buf[3][kSteadyPeriods + 1];
  int at[3] = {0, 0, 0};
  constexpr int kRing = kSteadyPeriods + 1;
  const auto at_group = [&](int level, int64_t run_left) -> int64_t {
    if (!fast_forward) {
      return 0;
    }
    at[level] = (at[level] + 1) % kRing;
    Snapshot& now = buf[level][at[level]];
    snapshot(run_left, now);
    for (int period = 1; period <= kSteadyPeriods && period <= run_left; ++period) {
      const Snapshot& before = buf[level][(at[level] + kRing - period) % kRing];
      int64_t d = 0;
      int64_t d_ideal = 0;
      bool steady = before.run_left == run_left + period && before.tiles > depth &&
                    before.drained[0] == now.drained[0] && before.drained[1] == now.drained[1] &&
                    before.n_pending == now.n_pending && before.n_real == now.n_real &&
                    before.n_ideal == now.n_ideal &&
                    common_shift(before.real, now.real, now.n_real, d) &&
                    common_shift(before.ideal, now.ideal, now.n_ideal, d_ideal);
      for (int i = 0; steady && i < now.n_pending; ++i) {
        steady = same_shape(before.pending[i], now.pending[i]);
      }
      if (!steady) {
        continue;
      }
      // The groups left in this run repeat the last `period` ones: m more periods.
      const int64_t m = run_left / period;
      const int64_t tiles = checked_mul(now.tiles - before.tiles, m);
      ch.advance(checked_mul(d, m), checked_mul(now.busy - before.busy, m));
      array.advance(checked_mul(d, m), tiles);
      ideal.advance(checked_mul(d_ideal, m), tiles);
      for (Pending& q : pending) {
        q.loaded = checked_add(q.loaded, checked_mul(d, m));
      }
      end = checked_add(end, checked_mul(d, m));
      n = checked_add(n, tiles);
      run.macs = checked_add(run.macs, checked_mul(now.macs - before.macs, m));
      run.dram_read_bytes =
          checked_add(run.dram_read_bytes, checked_mul(now.read_bytes - before.read_bytes, m));
      run.dram_write_bytes =
          checked_add(run.dram_write_bytes, checked_mul(now.write_bytes - before.write_bytes, m));
      ActionCounts delta = now.actions;
      add_counts(delta, before.actions, -1);
      add_counts(run.actions, delta, m);
      for (Snapshot& s : buf[level]) {
        s.run_left = 0;  // the run is accounted for: nothing to compare the next group with
      }
      return checked_mul(m, period);
    }
    return 0;
  };
  for_each_tile(
      g, arch, p,
      [&](const Tile& t) {
        ++n;
        if (walked != nullptr) {
          ++*walked;
        }
        if (n <= depth) {
          load(t, 0);  // the first `depth` loads go out before anything computes
          return;
        }
        const auto [head, done] = compute_front();
        load(t, done);  // L(i + depth) right after tile i, before S(i)
        finish(head, done);
      },
      at_group);
  while (!pending.empty()) {
    const auto [head, done] = compute_front();
    finish(head, done);
  }
  run.cycles = end;
  run.compute_cycles = ideal.done();
  run.dram_busy_cycles = ch.busy_cycles();
  run.tiles = n;
  // Repeats run back to back, each from empty buffers.
  return finish_realistic(g, arch, p, run, g.repeat);
}

GemmTiming time_compat(const workload::GemmSpec& g, const ArchSpec& arch) {
  if (arch.pe.lanes != 1) {
    throw std::invalid_argument("compat timing has one MAC per PE; pe.lanes is " +
                                std::to_string(arch.pe.lanes));
  }
  const workload::ConvShape shape =
      g.conv ? *g.conv : workload::ConvShape::from_gemm(g.m, g.n, g.k);
  const CompatLayer c = compat_compute_and_sram(shape, arch);
  // Cycles may leave 64 bits where the MACs do not (a fold's rows are R + C more than its
  // MACs need): every product is checked.
  const int64_t macs = checked_mul(checked_mul(g.m, g.n), g.k);
  GemmTiming out;
  out.cycles = checked_mul(c.total_cycles, g.repeat);
  out.compute_cycles = out.cycles;
  out.macs = checked_mul(macs, g.repeat);
  out.tiles = compat_geometry(shape, arch.array).folds;
  // SCALE-Sim's SRAM counts (words) at the GEMM's element widths; every PE busy for each MAC,
  // as SCALE-Sim's utilization assumes.
  ActionCounts& a = out.actions;
  a.ifmap_read_bits = checked_mul(c.sram_ifmap.count, detail::element_bits(g.a));
  a.filter_read_bits = checked_mul(c.sram_filter.count, detail::element_bits(g.b));
  a.ofmap_write_bits = checked_mul(c.sram_ofmap.count, detail::accumulator_bits(g));
  a.pe_busy_cycles = macs;
  (detail::accumulator_bits(g) == 32 ? a.acc_adds_fp32 : a.acc_adds_fp16) = macs;
  if (num::is_4bit(g.a.format) && num::is_4bit(g.b.format)) {
    a.chunk_sums = macs;
  }
  finish_counts(g, out.macs, out.cycles, arch.array.rows * arch.array.cols, g.repeat, a);
  out.utilization = c.overall_util_pct / 100;
  out.bound = Bound::kCompute;  // SCALE-Sim's CALC mode never stalls on memory
  return out;
}

GemmTiming time_gemm(const workload::GemmSpec& g, const ArchSpec& arch) {
  return arch.mode == TimingMode::kRealistic ? time_realistic(g, arch) : time_compat(g, arch);
}

}  // namespace nibble::timing
