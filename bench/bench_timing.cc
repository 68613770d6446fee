// Speed of the timing model (model/timing) on whole workloads, inputs parsed outside the timed
// loop, so the figures are the model alone (no file reading, no report writing):
//  - BM_TimeResNet50Step/realistic: time_gemm over every GEMM of
//      traces/resnet50_train_b32.trace (one training step, batch 32), realistic mode
//      with the default tile mapper (timing.tiling: search), its plans remembered across
//      iterations as within one nibble run
//  - BM_TimeResNet50Step/greedy:    the same with timing.tiling: greedy (no search)
//  - BM_TimeResNet50Step/search_cold: the same with every GEMM's search done afresh
//      (choose_tiling, nothing remembered), counter candidates: the tilings timed
//  - BM_TimeResNet50Step/compat:    the same in compat mode (SCALE-Sim's Total Cycles)
//  - BM_CompatAlexNetOs:            simulate_compat (every column of SCALE-Sim's three reports)
//      over SCALE-Sim's shipped AlexNet topology on its 32x32 os config
//      (tests/data/scalesim/topologies/alexnet.csv, configs/sa32x32_os.cfg)
// items_per_second counts GEMMs (layers); the counters give the simulated cycles of one pass
// and, for realistic mode, the tiles walked. Run through tools/bench (Release build).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>

#include "model/frontend/scalesim_input.h"
#include "model/frontend/trace.h"
#include "model/timing/arch_spec.h"
#include "model/timing/realistic.h"
#include "model/timing/scalesim_compat.h"
#include "model/workload/gemm_spec.h"

namespace {

namespace timing = nibble::timing;
namespace frontend = nibble::frontend;

const std::string kSource = NIBBLE_SOURCE_DIR;

enum class Run { kSearch, kGreedy, kSearchCold, kCompat };

void BM_TimeResNet50Step(benchmark::State& state, Run run) {
  const nibble::workload::Workload w =
      frontend::read_trace_file(kSource + "/traces/resnet50_train_b32.trace");
  timing::ArchSpec arch;  // the defaults: 32x32 ws, 256 KiB buffers, 64 B/cycle DRAM
  arch.mode = run == Run::kCompat ? timing::TimingMode::kCompat : timing::TimingMode::kRealistic;
  arch.tiling.mode = run == Run::kGreedy ? timing::Tiling::kGreedy : timing::Tiling::kSearch;
  if (run == Run::kCompat) {
    arch.pe.lanes = 1;  // SCALE-Sim counts one MAC per PE
  }
  int64_t cycles = 0, tiles = 0, candidates = 0;
  for (auto _ : state) {
    cycles = 0;
    tiles = 0;
    candidates = 0;
    for (const nibble::workload::GemmSpec& g : w.gemms) {
      timing::GemmTiming t;
      if (run == Run::kSearchCold) {
        int64_t tried = 0;
        t = timing::time_plan(g, arch, timing::choose_tiling(g, arch, &tried));
        candidates += tried;
      } else {
        t = timing::time_gemm(g, arch);
      }
      cycles += t.cycles;
      tiles += t.tiles;
    }
    benchmark::DoNotOptimize(cycles);
  }
  if (run == Run::kSearchCold) {
    state.counters["candidates"] = static_cast<double>(candidates);
  }
  const auto gemms = static_cast<int64_t>(w.gemms.size());
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * gemms);
  state.SetLabel("GEMMs");
  state.counters["sim_cycles"] = static_cast<double>(cycles);
  state.counters["tiles"] = static_cast<double>(tiles);
}
BENCHMARK_CAPTURE(BM_TimeResNet50Step, realistic, Run::kSearch)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_TimeResNet50Step, greedy, Run::kGreedy)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_TimeResNet50Step, search_cold, Run::kSearchCold)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_TimeResNet50Step, compat, Run::kCompat)->Unit(benchmark::kMicrosecond);

void BM_CompatAlexNetOs(benchmark::State& state) {
  const std::string data = kSource + "/tests/data/scalesim";
  const timing::ArchSpec arch = frontend::read_scalesim_cfg(data + "/configs/sa32x32_os.cfg");
  const nibble::workload::Workload w = frontend::read_scalesim_topology(
      data + "/topologies/alexnet.csv", frontend::TopologyForm::kConv);
  int64_t cycles = 0;
  for (auto _ : state) {
    cycles = 0;
    for (const nibble::workload::GemmSpec& g : w.gemms) {
      const timing::CompatLayer layer = timing::simulate_compat(*g.conv, arch);
      cycles += layer.total_cycles;
      benchmark::DoNotOptimize(layer.dram_ofmap.count);
    }
    benchmark::DoNotOptimize(cycles);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(w.gemms.size()));
  state.SetLabel("layers");
  state.counters["sim_cycles"] = static_cast<double>(cycles);
}
BENCHMARK(BM_CompatAlexNetOs)->Unit(benchmark::kMillisecond);

}  // namespace
