// Throughput of the datapath model (model/datapath) on a 16 x 16 array: how fast functional and
// detailed mode compute a GEMM. Each benchmark runs a whole GEMM's tile schedule
// (timing::for_each_tile) and reports items_per_second in MACs/s:
//  - BM_ComputeTile/<df>:      compute_tile over every tile       -> MACs/s (functional mode)
//  - BM_RunTileDetailed/<df>:  run_tile_detailed over every tile  -> MACs/s (detailed mode)
//  - BM_GemmKernel/<pair>/<kernel>/<lanes>: the functional kernels (gemm_kernel.h) on a
//    training-shaped GEMM (ResNet-18 layer3 conv2 at batch 2: M = 392, N = 256, K = 2304, and
//    its dgrad/wgrad pairs), one thread -> MACs/s
// The tile GEMM is 256 x 256 x 256 INT4 x UINT4 with random codes from a fixed seed, so every
// run measures the same operands. Run through tools/bench (Release build).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <exception>
#include <random>
#include <vector>

#include "model/datapath/datapath.h"
#include "model/datapath/gemm_kernel.h"
#include "model/timing/arch_spec.h"
#include "model/timing/realistic.h"
#include "model/workload/gemm_spec.h"

namespace {

namespace dp = nibble::datapath;
namespace num = nibble::num;
namespace timing = nibble::timing;
namespace workload = nibble::workload;

constexpr int64_t kSize = 256;  // M = N = K
constexpr int64_t kArray = 16;  // R = C

struct Setup {
  workload::GemmSpec spec;
  timing::ArchSpec arch;
  timing::TilePlan plan;
  std::vector<num::Code4> a, b;
};

Setup make_setup(timing::Dataflow df) {
  Setup s;
  s.spec.name = "bench";
  s.spec.m = s.spec.n = s.spec.k = kSize;
  s.spec.a = workload::FormatSpec{num::Format::kInt4, 0};
  s.spec.b = workload::FormatSpec{num::Format::kUint4, 0};
  s.arch.array.rows = s.arch.array.cols = kArray;
  s.arch.array.dataflow = df;
  s.plan = timing::plan_tiles(s.spec, s.arch);
  std::mt19937 gen(7);
  std::uniform_int_distribution<int> nibble(0, 15);
  s.a.resize(static_cast<size_t>(kSize * kSize));
  s.b.resize(static_cast<size_t>(kSize * kSize));
  for (num::Code4& c : s.a) c = static_cast<num::Code4>(nibble(gen));
  for (num::Code4& c : s.b) c = static_cast<num::Code4>(nibble(gen));
  return s;
}

void run(benchmark::State& state, timing::Dataflow df, bool detailed) {
  const Setup s = make_setup(df);
  try {
    const dp::GemmOperands ops = dp::operands_for(s.spec, dp::MatrixView{s.a.data(), kSize, kSize},
                                                  dp::MatrixView{s.b.data(), kSize, kSize}, 1);
    dp::Accumulators acc{kSize, kSize, std::vector<num::Fp16>(static_cast<size_t>(kSize * kSize))};
    for (auto _ : state) {
      int64_t first = 1;
      timing::for_each_tile(s.spec, s.arch, s.plan, [&](const timing::Tile& t) {
        if (detailed) {
          const int64_t preload = first != 0 ? s.plan.preload_cycles : 0;
          benchmark::DoNotOptimize(dp::run_tile_detailed(ops, s.arch, s.plan, t, preload, acc));
        } else {
          dp::compute_tile(ops, df, t, acc);
        }
        first = 0;
      });
      benchmark::DoNotOptimize(acc.values.data());
    }
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * s.spec.macs());
  state.SetLabel("MACs");
}

void BM_ComputeTile(benchmark::State& state, timing::Dataflow df) { run(state, df, false); }
void BM_RunTileDetailed(benchmark::State& state, timing::Dataflow df) { run(state, df, true); }

BENCHMARK_CAPTURE(BM_ComputeTile, ws, timing::Dataflow::kWs)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ComputeTile, is, timing::Dataflow::kIs)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ComputeTile, os, timing::Dataflow::kOs)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_RunTileDetailed, ws, timing::Dataflow::kWs)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_RunTileDetailed, is, timing::Dataflow::kIs)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_RunTileDetailed, os, timing::Dataflow::kOs)->Unit(benchmark::kMillisecond);

}  // namespace

namespace {

// One training-shaped GEMM through one kernel: A (M x K) in format fa, B (K x N) in fb.
void BM_GemmKernel(benchmark::State& state, num::Operand4 fa, num::Operand4 fb, dp::Kernel kernel) {
  const int lanes = static_cast<int>(state.range(0));
  if (!dp::kernel_available(kernel)) {
    state.SkipWithError("kernel not available on this CPU");
    return;
  }
  const int64_t m = 392, n = 256, k = 2304;
  std::mt19937 gen(11);
  std::uniform_int_distribution<int> code(0, 15);
  std::vector<num::Code4> a(static_cast<size_t>(m * k)), b(static_cast<size_t>(k * n));
  for (num::Code4& c : a) c = static_cast<num::Code4>(code(gen));
  for (num::Code4& c : b) c = static_cast<num::Code4>(code(gen));
  const dp::GemmOperands g{fa, fb, dp::MatrixView{a.data(), m, k}, dp::MatrixView{b.data(), k, n},
                           lanes};
  dp::Accumulators acc{m, n, std::vector<num::Fp16>(static_cast<size_t>(m * n))};
  dp::Block blk;
  blk.m_len = m;
  blk.n_len = n;
  blk.k_len = k;
  for (auto _ : state) {
    dp::gemm_block(kernel, g, blk, acc);
    benchmark::DoNotOptimize(acc.values.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * m * n * k);
  state.SetLabel("MACs");
}

num::Operand4 operand(num::Format f, int phase = 0) {
  num::Operand4 o;
  o.format = f;
  o.fp4.phase = phase;
  return o;
}

}  // namespace

BENCHMARK_CAPTURE(BM_GemmKernel, fwd_uint4_int4_avx2, operand(num::Format::kUint4),
                  operand(num::Format::kInt4), dp::Kernel::kAvx2)
    ->Arg(1)
    ->Arg(4)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_GemmKernel, dgrad_fp4_int4_avx2, operand(num::Format::kFp4, 0),
                  operand(num::Format::kInt4), dp::Kernel::kAvx2)
    ->Arg(1)
    ->Arg(4)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_GemmKernel, wgrad_uint4_fp4_avx2, operand(num::Format::kUint4),
                  operand(num::Format::kFp4, 1), dp::Kernel::kAvx2)
    ->Arg(1)
    ->Arg(4)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_GemmKernel, fwd_uint4_int4_portable, operand(num::Format::kUint4),
                  operand(num::Format::kInt4), dp::Kernel::kPortable)
    ->Arg(1)
    ->Arg(4)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_GemmKernel, dgrad_fp4_int4_portable, operand(num::Format::kFp4, 0),
                  operand(num::Format::kInt4), dp::Kernel::kPortable)
    ->Arg(1)
    ->Arg(4)
    ->Unit(benchmark::kMillisecond);
