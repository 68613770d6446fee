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
//  - BM_HugeGemm/<case>: one GEMM far too large to walk tile by tile or fold by fold (issue
//      18's D6 shapes), timed the analytic way: realistic m = n = 10^6, k = 64 (default
//      array; the tile mapper's search done afresh each time) and m = n = 10^8, k = 64 (greedy),
//      compat (Total Cycles and the fold means) of m = n = 10^6, k = 64 and of the GEMM 64 x
//      1073741825 x 64, and the compute and SRAM columns on a 2147483647^2 array
// items_per_second counts GEMMs (layers); the counters give the simulated cycles of one pass
// and, for realistic mode, the tiles walked. Run through tools/bench (Release build).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <utility>
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

enum class Huge { kRealistic, kRealisticGiant, kCompat, kCompatWide, kCompatArray };

void BM_HugeGemm(benchmark::State& state, Huge which) {
  timing::ArchSpec arch;
  nibble::workload::GemmSpec g;
  g.name = "huge";
  g.m = 1000000, g.n = 1000000, g.k = 64;
  switch (which) {
    case Huge::kRealistic:
      break;
    case Huge::kRealisticGiant:
      g.m = 100000000, g.n = 100000000, g.k = 64;
      arch.tiling.mode = timing::Tiling::kGreedy;
      break;
    case Huge::kCompat:
    case Huge::kCompatWide:
    case Huge::kCompatArray:
      arch.mode = timing::TimingMode::kCompat;
      arch.pe.lanes = 1;
      if (which == Huge::kCompatWide) {
        g.m = 64, g.n = 1073741825, g.k = 64;
      }
      break;
  }
  int64_t cycles = 0;
  for (auto _ : state) {
    if (which == Huge::kCompatArray) {
      arch.array.rows = arch.array.cols = 2147483647;
      const timing::CompatLayer layer = timing::compat_compute_and_sram(
          nibble::workload::ConvShape::from_gemm(64, 1073741825, 64), arch);
      cycles = layer.total_cycles;
    } else if (which == Huge::kRealistic) {
      int64_t tried = 0;  // asked for the count: the search runs afresh, nothing remembered
      cycles = timing::time_plan(g, arch, timing::choose_tiling(g, arch, &tried)).cycles;
    } else {
      cycles = timing::time_gemm(g, arch).cycles;
    }
    benchmark::DoNotOptimize(cycles);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetLabel("GEMMs");
  state.counters["sim_cycles"] = static_cast<double>(cycles);
}
BENCHMARK_CAPTURE(BM_HugeGemm, realistic_1e6x1e6x64, Huge::kRealistic)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_HugeGemm, realistic_greedy_1e8x1e8x64, Huge::kRealisticGiant)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_HugeGemm, compat_1e6x1e6x64, Huge::kCompat)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_HugeGemm, compat_64x1073741825x64, Huge::kCompatWide)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_HugeGemm, compat_array_2147483647, Huge::kCompatArray)
    ->Unit(benchmark::kMicrosecond);

}  // namespace
