#include "model/sc/controller.h"

#include <algorithm>
#include <deque>
#include <stdexcept>
#include <string>
#include <utility>

#include "model/functional/tensors.h"
#include "model/sc/asan_stacks.h"
#include "model/sc/cycles.h"
#include "model/sc/gather_scatter.h"
#include "model/timing/int_math.h"
#include "model/timing/scalesim_compat.h"

namespace nibble::sc {

namespace {

using timing::checked_add;

// A repeat's totals added to the GEMM's (tiles: of one repeat, not summed).
void add_totals(timing::TileRunTotals& into, const timing::TileRunTotals& r) {
  into.cycles = checked_add(into.cycles, r.cycles);
  into.compute_cycles = checked_add(into.compute_cycles, r.compute_cycles);
  into.dram_busy_cycles = checked_add(into.dram_busy_cycles, r.dram_busy_cycles);
  into.tiles = r.tiles;
  into.macs = checked_add(into.macs, r.macs);
  into.dram_read_bytes = checked_add(into.dram_read_bytes, r.dram_read_bytes);
  into.dram_write_bytes = checked_add(into.dram_write_bytes, r.dram_write_bytes);
  timing::add_counts(into.actions, r.actions);
}

}  // namespace

void stop_simulation() {
  static bool stopped = false;
  if (!stopped) {
    stopped = true;
    sc_core::sc_stop();
  }
}

Controller::Controller(const sc_core::sc_module_name& name, const EngineJob& job,
                       const EngineOptions& options, size_t index, ControllerPorts ports)
    : sc_core::sc_module(name),
      job_(job),
      data_(job.mode != EngineMode::kTimingOnly),
      keep_outputs_(options.keep_outputs),
      on_gemm_done_(options.on_gemm_done
                        ? std::function<void(int64_t)>(
                              [f = options.on_gemm_done, index](int64_t macs) { f(index, macs); })
                        : std::function<void(int64_t)>()),
      p_(ports) {
  SC_THREAD(run);
}

void Controller::run() {
  const ProcessStackForLsan lsan_root;  // this stack holds the locals while suspended
  try {
    const std::vector<workload::GemmSpec>& gemms = job_.workload->gemms;
    results_.reserve(gemms.size());
    for (current_ = 0; current_ < gemms.size(); ++current_) {
      results_.push_back(run_gemm(gemms[current_], current_));
      if (on_gemm_done_) {
        on_gemm_done_(gemms[current_].macs() * gemms[current_].repeat);
      }
    }
  } catch (...) {
    error_ = std::current_exception();
    stop_simulation();
  }
  finished_ = true;
  p_.dma->close();
}

GemmResult Controller::run_gemm(const workload::GemmSpec& g, size_t index) {
  const timing::ArchSpec& arch = job_.arch;
  p_.gemm_index->set_at(now_cycles(), static_cast<int>(index));
  GemmResult result;
  if (arch.mode == timing::TimingMode::kCompat) {
    int64_t cycles = 0;
    for (int64_t rep = 0; rep < g.repeat; ++rep) {
      cycles = checked_add(cycles, run_compat_repeat(g));
    }
    result.timing = timing::time_compat(g, arch);
    result.timing.cycles = cycles;
    result.timing.compute_cycles = cycles;
    result.timing.stall_cycles = 0;
    return result;
  }

  const timing::TilePlan plan = timing::plan_tiles(g, arch);
  if (data_) {
    fn::GemmTensors t = job_.tensors(index);
    if (t.a.rows != g.m || t.a.cols != g.k || t.b.rows != g.k || t.b.cols != g.n ||
        t.a.codes.size() != static_cast<size_t>(g.m * g.k) ||
        t.b.codes.size() != static_cast<size_t>(g.k * g.n)) {
      throw std::invalid_argument("gemm '" + g.name + "': tensors of the wrong shape (A " +
                                  std::to_string(t.a.rows) + "x" + std::to_string(t.a.cols) +
                                  ", B " + std::to_string(t.b.rows) + "x" +
                                  std::to_string(t.b.cols) + ")");
    }
    p_.scale->begin_gemm(g, t.scales);
    p_.dram->load_gemm(std::move(t), g.m, g.n);
  }
  p_.ifmap->begin_gemm(static_cast<int>(timing::detail::element_bits(g.a)), g.m, g.k, data_);
  p_.filter->begin_gemm(static_cast<int>(timing::detail::element_bits(g.b)), g.k, g.n, data_);
  p_.ofmap->begin_gemm(static_cast<int>(timing::detail::accumulator_bits(g)), g.m, g.n, data_);
  for (Scratchpad* s : {p_.ifmap, p_.filter, p_.ofmap}) {
    s->reset_counts();
  }
  p_.array->begin_gemm(g, plan);

  timing::TileRunTotals totals;
  for (int64_t rep = 0; rep < g.repeat; ++rep) {
    if (data_) {
      p_.ifmap->begin_repeat();
      p_.filter->begin_repeat();
      p_.dram->begin_repeat();
      p_.scale->begin_repeat();
    }
    add_totals(totals, run_repeat(g, plan));
    if (data_) {
      p_.dram->check_outputs_written();
      p_.scale->end_repeat();
    }
  }
  result.timing = timing::finish_realistic(g, arch, plan, totals, 1);
  result.sram_ifmap = p_.ifmap->counts();
  result.sram_filter = p_.filter->counts();
  result.sram_ofmap = p_.ofmap->counts();
  if (data_) {
    result.output_crc = fn::output_crc(p_.dram->output(), g.out);
    if (keep_outputs_) {
      result.output = p_.dram->output();
    }
  }
  return result;
}

// One repeat of a realistic-mode GEMM: the pipeline of timing::time_realistic, with events.
// Channel order is L0 .. L(depth-1), then per tile i: L(i + depth) (ready when tile i is done),
// S(i) (ready timing::output_latency cycles later, only if the tile completes outputs).
timing::TileRunTotals Controller::run_repeat(const workload::GemmSpec& g,
                                             const timing::TilePlan& plan) {
  const timing::ArchSpec& arch = job_.arch;
  const timing::Dataflow df = arch.array.dataflow;
  const int64_t depth = arch.sram.double_buffered ? 2 : 1;
  const int64_t start = now_cycles();
  const int64_t busy_before = p_.dram->busy_cycles();
  const int out_bits = static_cast<int>(timing::detail::element_bits(g.out));

  struct Pending {
    timing::Tile tile;
    DmaRequest* load;
  };
  std::deque<Pending> pending;     // tiles whose load was posted, not yet computed (<= depth)
  std::deque<DmaRequest*> stores;  // posted stores not yet seen complete
  timing::TileRunTotals run;
  // The analytic recurrence's issue rule: `array` for the tiles as they run (absolute cycles,
  // the repeat starting at `start`), `ideal` for the same tiles with every operand in SRAM from
  // the repeat's start (relative cycles; its last done is the repeat's compute cycles).
  timing::ArrayIssue array(arch, plan);
  timing::ArrayIssue ideal(arch, plan);
  int64_t end = start;

  // Stores complete in posting order (one channel); the ones seen complete go back to the DMA.
  const auto release_done_stores = [&]() {
    const int64_t now = now_cycles();
    while (!stores.empty() && stores.front()->issued && stores.front()->done <= now) {
      end = std::max(end, stores.front()->done);
      p_.dma->release(*stores.front());
      stores.pop_front();
    }
  };
  const auto post_load = [&](const timing::Tile& t) {
    DmaRequest& r = p_.dma->make_request();
    r.load = true;
    r.bytes = t.load_a_bytes + t.load_b_bytes;
    r.ready = now_cycles();
    if (data_) {
      const TileRegions regions = tile_regions(df, t);
      if (t.load_a_bytes > 0) {
        r.slices.push_back({TensorId::kA, regions.a, 4});
      }
      if (t.load_b_bytes > 0) {
        r.slices.push_back({TensorId::kB, regions.b, 4});
      }
    }
    p_.dma->post(r);
    pending.push_back({t, &r});
  };
  // Tile i: waits for its operands (the array is free: this thread ran tile i - 1), then runs
  // it until the done cycle ArrayIssue gives it. The array is busy from now (tile i - 1 done,
  // operands here) to that done: the exposed part of the preload (ws/is) or of the wait for
  // the previous drain (os), then the waves. Returns the tile and its first wave's cycle.
  const auto run_head = [&]() {
    const Pending head = pending.front();
    pending.pop_front();
    p_.array->wait_operands(*head.load);
    const int64_t loaded = head.load->done;
    p_.dma->release(*head.load);
    const timing::Tile& t = head.tile;
    const int64_t done = array.issue(t, loaded);
    ideal.issue(t, 0);
    p_.array->run_tile(t, done - t.compute_cycles - now_cycles());
    return std::make_pair(t, array.first());
  };
  // After tile i (now = its done cycle): its last result leaves the array output_latency later.
  const auto finish = [&](const timing::Tile& t, int64_t first_wave) {
    const int64_t done = now_cycles();
    const int64_t latency = timing::output_latency(plan, arch, t);
    const int64_t outputs_ready = checked_add(done, latency);
    if (t.store_bytes > 0) {
      DmaRequest& s = p_.dma->make_request();
      s.load = false;
      s.bytes = t.store_bytes;
      s.ready = outputs_ready;
      if (data_) {
        const Region out = tile_regions(df, t).out;
        s.elements = p_.scale->convert(p_.ofmap->accumulators(), out);
        s.slices.push_back({TensorId::kOut, out, out_bits});
      }
      p_.dma->post(s);
      stores.push_back(&s);
    }
    if (t.completes_outputs) {
      p_.scale->mark_busy(checked_add(first_wave, latency), outputs_ready);
    }
    end = std::max(end, outputs_ready);
    run.macs = checked_add(run.macs, t.macs);
    run.dram_read_bytes = checked_add(run.dram_read_bytes, t.load_a_bytes + t.load_b_bytes);
    run.dram_write_bytes = checked_add(run.dram_write_bytes, t.store_bytes);
    timing::add_tile_actions(g, df, t, run.actions);
    // Element accesses: operands to the array and DMA fills; partial sums and results.
    const int64_t loaded_a = t.load_a_bytes > 0 ? tile_regions(df, t).a.elements() : 0;
    const int64_t loaded_b = t.load_b_bytes > 0 ? tile_regions(df, t).b.elements() : 0;
    const int64_t stored = t.store_bytes > 0 ? tile_regions(df, t).out.elements() : 0;
    p_.ifmap->count(t.sram_read_a_elems, loaded_a);
    p_.filter->count(t.sram_read_b_elems, loaded_b);
    p_.ofmap->count(t.sram_read_psum_elems + stored, t.sram_write_out_elems);
    release_done_stores();
  };

  int64_t n = 0;
  timing::for_each_tile(g, arch, plan, [&](const timing::Tile& t) {
    ++n;
    if (n <= depth) {
      post_load(t);  // the first `depth` loads go out before anything computes
      return;
    }
    const auto [head, first_wave] = run_head();
    post_load(t);  // L(i + depth) right after tile i, before S(i)
    finish(head, first_wave);
  });
  while (!pending.empty()) {
    const auto [head, first_wave] = run_head();
    finish(head, first_wave);
  }
  // The repeat ends when its last store has left and its last outputs are out of the array.
  if (!stores.empty()) {
    Dma::wait_done(*stores.back());
    release_done_stores();
  }
  wait_until(end);
  run.cycles = end - start;
  run.compute_cycles = ideal.done();
  run.dram_busy_cycles = p_.dram->busy_cycles() - busy_before;
  run.tiles = n;
  return run;
}

// One repeat of a compat-mode GEMM: SCALE-Sim's folds back to back, each busy for its demand
// rows, no memory stalls (CALC mode). SCALE-Sim's Total Cycles is one less than the elapsed
// time (timing::compat_total_cycles).
int64_t Controller::run_compat_repeat(const workload::GemmSpec& g) {
  const workload::ConvShape shape =
      g.conv ? *g.conv : workload::ConvShape::from_gemm(g.m, g.n, g.k);
  const timing::CompatGeometry geo = timing::compat_geometry(shape, job_.arch.array);
  const int64_t start = now_cycles();
  for (int64_t f = 0; f < geo.folds; ++f) {
    p_.array->run_fold(geo.rows_per_fold);
  }
  return timing::compat_total_cycles(now_cycles() - start);
}

}  // namespace nibble::sc
