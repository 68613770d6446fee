// The co-simulation's RTL side (testbenches/cosim): the Verilated 16x16 nibble_mac_array driven
// by its C++ controller, on one 256x256x256 int4 GEMM per dataflow. Counters: simulated RTL
// clock cycles per second of wall time, and MACs per second. tools/bench (group cosim) adds
// the wall time of a whole `nibble cosim` of that GEMM (RTL and SystemC model).
#include <benchmark/benchmark.h>

#include <cstdint>

#include "model/functional/tensors.h"
#include "model/timing/arch_spec.h"
#include "testbenches/cosim/rtl_array.h"

namespace {

using nibble::timing::Dataflow;

void BM_RtlArray16x16Gemm256(benchmark::State& state) {
  const auto df = static_cast<Dataflow>(state.range(0));
  nibble::workload::Workload w;
  w.seed = 1;
  nibble::workload::GemmSpec g;
  g.name = "g";
  g.m = g.n = g.k = 256;
  w.gemms.push_back(g);
  const nibble::fn::GemmTensors t = nibble::fn::make_gemm_tensors(w, 0);
  nibble::timing::ArchSpec arch;
  arch.array.rows = 16;
  arch.array.cols = 16;
  arch.array.dataflow = df;
  nibble::cosim::RtlArray array(16, 16);
  int64_t cycles = 0;
  for (auto _ : state) {
    const nibble::cosim::RtlGemm r = array.run(w.gemms[0], arch, t);
    cycles += r.cycles;
    benchmark::DoNotOptimize(r.acc.values.data());
  }
  state.SetLabel(nibble::timing::dataflow_name(df));
  state.counters["rtl_cycles_per_s"] =
      benchmark::Counter(static_cast<double>(cycles), benchmark::Counter::kIsRate);
  state.counters["macs_per_s"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * 256.0 * 256.0 * 256.0, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_RtlArray16x16Gemm256)
    ->Arg(static_cast<int>(Dataflow::kWs))
    ->Arg(static_cast<int>(Dataflow::kOs))
    ->Unit(benchmark::kMillisecond);

}  // namespace
