// The SystemC engine's speed (model/sc, docs/systemc.md). SystemC elaborates once per process,
// so each measurement runs in its own process:
//   nibble_bench_sc resnet18    timing-only: the ResNet-18 training step (batch 32,
//                               traces/resnet18_train_b32.trace) on the default accelerator;
//                               prints the wall time of run_engine and the tiles per second
//   nibble_bench_sc functional  functional mode: one 256x256x256 INT4 x INT4 GEMM (FP16 out) on
//                               the default 32x32 array; prints the wall time and MACs/s
//   nibble_bench_sc             both, each in a child process (this program run again)
// Plain main, not Google Benchmark: one simulation per process cannot be iterated.
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <random>
#include <string>

#include "model/frontend/trace.h"
#include "model/functional/tensors.h"
#include "model/sc/engine.h"
#include "model/timing/realistic.h"

namespace {

using nibble::sc::EngineJob;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

int bench_resnet18() {
  const nibble::workload::Workload w = nibble::frontend::read_trace_file(
      std::string(NIBBLE_SOURCE_DIR) + "/traces/resnet18_train_b32.trace");
  EngineJob job;
  job.workload = &w;
  int64_t tiles = 0;
  for (const nibble::workload::GemmSpec& g : w.gemms) {
    tiles += nibble::timing::time_realistic(g, job.arch).tiles * g.repeat;
  }
  const auto t0 = Clock::now();
  const auto results = nibble::sc::run_engine({job});
  const double s = seconds_since(t0);
  int64_t cycles = 0;
  for (const auto& g : results.front()) {
    cycles += g.timing.cycles;
  }
  std::cout << "sc timing-only  ResNet-18 step b32, default 32x32 ws: " << w.gemms.size()
            << " GEMMs, " << tiles << " tiles, " << cycles << " cycles simulated in " << s << " s ("
            << static_cast<double>(tiles) / s << " tiles/s)\n";
  return 0;
}

int bench_functional() {
  nibble::workload::Workload w;
  nibble::workload::GemmSpec g;
  g.name = "g256";
  g.m = g.n = g.k = 256;
  g.out = {nibble::num::Format::kFp16, 0};
  g.where = {"bench", 1};
  w.gemms.push_back(g);
  std::mt19937_64 rng(1);
  nibble::fn::GemmTensors t;
  for (nibble::fn::Tensor4* m : {&t.a, &t.b}) {
    m->rows = m->cols = 256;
    for (int i = 0; i < 256 * 256; ++i) {
      m->codes.push_back(static_cast<nibble::num::Code4>(rng() & 0xF));
    }
  }
  t.scales = {nibble::num::kFp16One};
  EngineJob job;
  job.workload = &w;
  job.mode = nibble::sc::EngineMode::kFunctional;
  job.tensors = [&t](size_t) { return t; };
  const auto t0 = Clock::now();
  const auto results = nibble::sc::run_engine({job});
  const double s = seconds_since(t0);
  const double macs = 256.0 * 256 * 256;
  std::cout << "sc functional   256x256x256 int4 GEMM, default 32x32 ws: " << s << " s, "
            << macs / s << " MACs/s (CRC " << std::hex << *results.front().front().output_crc
            << std::dec << ")\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string what = argc > 1 ? argv[1] : "";
  try {
    if (what == "resnet18") {
      return bench_resnet18();
    }
    if (what == "functional") {
      return bench_functional();
    }
    if (what.empty()) {
      const std::string self = argv[0];
      const int a = std::system(("'" + self + "' resnet18").c_str());
      const int b = std::system(("'" + self + "' functional").c_str());
      return a == 0 && b == 0 ? 0 : 1;
    }
  } catch (const std::exception& e) {
    std::cerr << "nibble_bench_sc: " << e.what() << '\n';
    return 1;
  }
  std::cerr << "usage: nibble_bench_sc [resnet18 | functional]\n";
  return 2;
}
