// The co-simulation's RTL side (testbenches/cosim): a Verilated nibble_mac_array driven by its
// C++ controller, on one 256x256x256 int4 GEMM per dataflow: the 16x16 array with one lane per
// PE, and the default array, 32x32 with 4 lanes. Counters: simulated RTL clock cycles per
// second of wall time, and MACs per second. An array not in NIBBLE_RTL_ARRAYS is skipped.
// tools/bench (group cosim) adds the wall time of a whole `nibble cosim` of that GEMM (RTL and
// SystemC model).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>

#include "model/functional/tensors.h"
#include "model/timing/arch_spec.h"
#include "testbenches/cosim/rtl_array.h"

namespace {

using nibble::timing::Dataflow;

// Args: array size (rows = cols), lanes per PE, dataflow.
void BM_RtlArrayGemm256(benchmark::State& state) {
  const int64_t size = state.range(0);
  const int64_t lanes = state.range(1);
  const auto df = static_cast<Dataflow>(state.range(2));
  const std::string label = std::to_string(size) + "x" + std::to_string(size) + " L" +
                            std::to_string(lanes) + " " + nibble::timing::dataflow_name(df);
  if (!nibble::cosim::rtl_array_built(size, size, lanes)) {
    state.SkipWithError((label + ": not built (NIBBLE_RTL_ARRAYS)").c_str());
    return;
  }
  nibble::workload::Workload w;
  w.seed = 1;
  nibble::workload::GemmSpec g;
  g.name = "g";
  g.m = g.n = g.k = 256;
  w.gemms.push_back(g);
  const nibble::fn::GemmTensors t = nibble::fn::make_gemm_tensors(w, 0);
  nibble::timing::ArchSpec arch;
  arch.array.rows = size;
  arch.array.cols = size;
  arch.array.dataflow = df;
  arch.pe.lanes = lanes;
  nibble::cosim::RtlArray array(size, size, lanes);
  int64_t cycles = 0;
  for (auto _ : state) {
    const nibble::cosim::RtlGemm r = array.run(w.gemms[0], arch, t);
    cycles += r.cycles;
    benchmark::DoNotOptimize(r.acc.values.data());
  }
  state.SetLabel(label);
  state.counters["rtl_cycles_per_s"] =
      benchmark::Counter(static_cast<double>(cycles), benchmark::Counter::kIsRate);
  state.counters["macs_per_s"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * 256.0 * 256.0 * 256.0, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_RtlArrayGemm256)
    ->Args({16, 1, static_cast<int>(Dataflow::kWs)})
    ->Args({16, 1, static_cast<int>(Dataflow::kOs)})
    ->Args({32, 4, static_cast<int>(Dataflow::kWs)})
    ->Args({32, 4, static_cast<int>(Dataflow::kOs)})
    ->Unit(benchmark::kMillisecond);

}  // namespace
