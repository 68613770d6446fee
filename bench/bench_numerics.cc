// Throughput of the bit-exact numerics model (model/numerics): how fast the simulator can do
// the arithmetic of one PE. Each benchmark reports items_per_second; the label names the item:
//  - BM_Fp16AccumulateSteps:  fp16_add of an accumulator and one product        -> adds/s
//  - BM_AccumulateFp16:       the same stream through accumulate_fp16 (K = 4096) -> adds/s
//  - BM_ProductConversion:    product_fp16 of two 4-bit codes                   -> conversions/s
//  - BM_Dot4:                 dot4_fp16, K = 4096                                -> MACs/s
//  - BM_Fp16MacFp32:          fp16_mac_fp32, the FP16 baseline MAC               -> MACs/s
// Inputs are generated once, outside the timed loop, from fixed seeds: every run measures the
// same operands. Run through tools/bench (Release build).
#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <random>
#include <vector>

#include "model/numerics/accumulate.h"
#include "model/numerics/format.h"
#include "model/numerics/fp16.h"
#include "model/numerics/fp16_mac.h"
#include "model/numerics/fp4.h"
#include "model/numerics/int4.h"
#include "model/numerics/product.h"

namespace {

namespace num = nibble::num;

constexpr size_t kK = 4096;  // reduction length of one stream / dot product

// The operand pairs a 4-bit PE multiplies that the benchmarks cover.
enum class Pair { kInt4xInt4, kFp4xInt4Phase0, kFp4xInt4Phase1 };

struct Operands {
  num::Operand4 a;
  num::Operand4 b;
};

Operands operands(Pair pair) {
  const num::Operand4 int4{num::Format::kInt4, {}};
  switch (pair) {
    case Pair::kInt4xInt4:
      return {int4, int4};
    case Pair::kFp4xInt4Phase0:
      return {num::Operand4{num::Format::kFp4, num::Fp4Spec{num::kFp4DefaultBias, 0}}, int4};
    case Pair::kFp4xInt4Phase1:
      return {num::Operand4{num::Format::kFp4, num::Fp4Spec{num::kFp4DefaultBias, 1}}, int4};
  }
  return {int4, int4};
}

// n uniformly random 4-bit codes (all 16 patterns, including the FP4 zeros 0x0 and 0x8).
std::vector<num::Code4> random_codes(size_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> nibble(0, 15);
  std::vector<num::Code4> codes(n);
  for (num::Code4& c : codes) {
    c = static_cast<num::Code4>(nibble(gen));
  }
  return codes;
}

bool finite(num::Fp16 x) { return !x.is_nan() && !x.is_inf(); }

// kK products of random codes of `pair`, all finite; empty (after SkipWithError) on failure.
std::vector<num::Fp16> random_products(benchmark::State& state, Pair pair) {
  const Operands ops = operands(pair);
  const std::vector<num::Code4> a = random_codes(kK, 1);
  const std::vector<num::Code4> b = random_codes(kK, 2);
  std::vector<num::Fp16> products(kK);
  try {
    num::validate_pair(ops.a, ops.b);
    for (size_t k = 0; k < kK; ++k) {
      products[k] = num::product_fp16(ops.a, a[k], ops.b, b[k]);
    }
    // The accumulator must stay finite over the stream, or the timed adds would hit the
    // special-value path instead of alignment and rounding.
    num::Fp16 acc = num::kFp16Zero;
    for (const num::Fp16 p : products) {
      if (!finite(p)) {
        state.SkipWithError("non-finite product");
        return {};
      }
      acc = num::fp16_add(acc, p);
    }
    if (!finite(acc)) {
      state.SkipWithError("accumulator of the product stream is not finite");
      return {};
    }
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return {};
  }
  return products;
}

// One fp16_add per step, each depending on the previous one: the PE's accumulation chain.
void BM_Fp16AccumulateSteps(benchmark::State& state, Pair pair) {
  const std::vector<num::Fp16> products = random_products(state, pair);
  if (products.empty()) {
    return;
  }
  for (auto _ : state) {
    num::Fp16 acc = num::kFp16Zero;  // restart each pass so the sum stays in range
    for (const num::Fp16 p : products) {
      acc = num::fp16_add(acc, p);
    }
    benchmark::DoNotOptimize(acc);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(products.size()));
  state.SetLabel("adds");
}
BENCHMARK_CAPTURE(BM_Fp16AccumulateSteps, int4_x_int4, Pair::kInt4xInt4);
BENCHMARK_CAPTURE(BM_Fp16AccumulateSteps, fp4_x_int4_phase0, Pair::kFp4xInt4Phase0);

// The same stream through the library's accumulate_fp16 (K = 4096 per call).
void BM_AccumulateFp16(benchmark::State& state, Pair pair) {
  const std::vector<num::Fp16> products = random_products(state, pair);
  if (products.empty()) {
    return;
  }
  for (auto _ : state) {
    num::Fp16 acc = num::accumulate_fp16(num::kFp16Zero, products.data(), products.size());
    benchmark::DoNotOptimize(acc);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(products.size()));
  state.SetLabel("adds");
}
BENCHMARK_CAPTURE(BM_AccumulateFp16, int4_x_int4, Pair::kInt4xInt4);
BENCHMARK_CAPTURE(BM_AccumulateFp16, fp4_x_int4_phase0, Pair::kFp4xInt4Phase0);

// product_fp16 of independent code pairs: the multiplier plus the conversion to binary16.
void BM_ProductConversion(benchmark::State& state, Pair pair) {
  const Operands ops = operands(pair);
  try {
    num::validate_pair(ops.a, ops.b);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  const std::vector<num::Code4> a = random_codes(kK, 3);
  const std::vector<num::Code4> b = random_codes(kK, 4);
  for (auto _ : state) {
    for (size_t k = 0; k < kK; ++k) {
      num::Fp16 p = num::product_fp16(ops.a, a[k], ops.b, b[k]);
      benchmark::DoNotOptimize(p);
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(kK));
  state.SetLabel("conversions");
}
BENCHMARK_CAPTURE(BM_ProductConversion, int4_x_int4, Pair::kInt4xInt4);
BENCHMARK_CAPTURE(BM_ProductConversion, fp4_x_int4_phase0, Pair::kFp4xInt4Phase0);
BENCHMARK_CAPTURE(BM_ProductConversion, fp4_x_int4_phase1, Pair::kFp4xInt4Phase1);

// dot4_fp16 over K = 4096: product, conversion and accumulation, one MAC per k.
void BM_Dot4(benchmark::State& state, Pair pair) {
  const Operands ops = operands(pair);
  const std::vector<num::Code4> a = random_codes(kK, 5);
  const std::vector<num::Code4> b = random_codes(kK, 6);
  try {
    const num::Fp16 check = num::dot4_fp16(ops.a, a.data(), 1, ops.b, b.data(), 1, kK, 1);
    if (!finite(check)) {
      state.SkipWithError("dot product is not finite");
      return;
    }
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  for (auto _ : state) {
    num::Fp16 acc = num::dot4_fp16(ops.a, a.data(), 1, ops.b, b.data(), 1, kK, 1);
    benchmark::DoNotOptimize(acc);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(kK));
  state.SetLabel("MACs");
}
BENCHMARK_CAPTURE(BM_Dot4, int4_x_int4, Pair::kInt4xInt4);
BENCHMARK_CAPTURE(BM_Dot4, fp4_x_int4_phase0, Pair::kFp4xInt4Phase0);

// fp16_mac_fp32 chain over K = 4096: the FP16 baseline PE the 4-bit array is compared with.
// Operands are N(0, 1) samples rounded to binary16 (activations and weights of typical scale).
void BM_Fp16MacFp32(benchmark::State& state) {
  std::vector<num::Fp16> a(kK);
  std::vector<num::Fp16> b(kK);
  std::mt19937 gen(7);
  std::normal_distribution<double> normal(0.0, 1.0);
  for (size_t k = 0; k < kK; ++k) {
    a[k] = num::Fp16::from_double(normal(gen));
    b[k] = num::Fp16::from_double(normal(gen));
    if (!finite(a[k]) || !finite(b[k])) {
      state.SkipWithError("non-finite FP16 operand");
      return;
    }
  }
  for (auto _ : state) {
    num::Fp32 acc = num::kFp32Zero;
    for (size_t k = 0; k < kK; ++k) {
      acc = num::fp16_mac_fp32(acc, a[k], b[k]);
    }
    benchmark::DoNotOptimize(acc);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(kK));
  state.SetLabel("MACs");
}
BENCHMARK(BM_Fp16MacFp32);

}  // namespace
