// The functional-mode cases shared by the sc_functional and sc_detailed benches, and the
// independent reference GEMM they are checked against. The reference calls only
// model/numerics (product_fp16, chunk_fp16, fp16_add, scale_element, grad_scale_*) and
// fn::output_crc: no datapath, scratchpad or model/sc code. Per output (m, n), with L lanes:
//   acc = +0; for k = 0 .. K-1 ascending: acc = fp16_add(acc, product_fp16(A[m][k], B[k][n]))
//   when L = 1; else for each chunk of L consecutive k from k = 0:
//   acc = fp16_add(acc, chunk_fp16(A[m][chunk], B[chunk][n]));
//   out = scale_element(acc, scale, out format), scale = the column's (or the tensor's) scale,
//   or, for FP4 outputs, 2^s with the GradScale exponent s of the GEMM's name: 0 at first,
//   after each repeat s = grad_scale_update(s, max |acc| of that repeat).
#ifndef NIBBLE_TESTS_SC_FUNCTIONAL_CASES_H_
#define NIBBLE_TESTS_SC_FUNCTIONAL_CASES_H_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "model/functional/tensors.h"
#include "model/numerics/fp16.h"
#include "model/numerics/grad_scale.h"
#include "model/numerics/lanes.h"
#include "model/numerics/product.h"
#include "model/numerics/scale_unit.h"
#include "model/timing/arch_spec.h"
#include "model/workload/gemm_spec.h"

namespace nibble::testing {

inline num::Operand4 operand(const workload::FormatSpec& f) {
  return {f.format, num::Fp4Spec{num::kFp4DefaultBias, f.tpr_phase}};
}

struct RefOutput {
  std::vector<uint16_t> elements;
  uint32_t crc = 0;
};

// Keeps the GradScale exponents per GEMM name across the GEMMs of one workload.
class ReferenceGemm {
 public:
  RefOutput run(const workload::GemmSpec& g, const fn::GemmTensors& t, int64_t lanes = 1) {
    const num::Operand4 fa = operand(g.a);
    const num::Operand4 fb = operand(g.b);
    num::OutputSpec spec;
    spec.format = g.out.format;
    spec.fp4 = num::Fp4Spec{num::kFp4DefaultBias, g.out.tpr_phase};
    spec.rounding = num::Rounding::kNearestEven;
    const bool fp4 = g.out.format == num::Format::kFp4;
    std::vector<num::Fp16> acc(static_cast<size_t>(g.m * g.n), num::kFp16Zero);
    for (int64_t m = 0; m < g.m; ++m) {
      for (int64_t n = 0; n < g.n; ++n) {
        num::Fp16 a = num::kFp16Zero;
        if (lanes == 1) {
          for (int64_t k = 0; k < g.k; ++k) {
            a = num::fp16_add(a, num::product_fp16(fa, t.a.at(m, k), fb, t.b.at(k, n)));
          }
        } else {
          for (int64_t c = 0; c < g.k; c += lanes) {
            std::vector<num::Code4> ca, cb;
            for (int64_t k = c; k < std::min(c + lanes, g.k); ++k) {
              ca.push_back(t.a.at(m, k));
              cb.push_back(t.b.at(k, n));
            }
            a = num::fp16_add(a, num::chunk_fp16(fa, ca.data(), 1, fb, cb.data(), 1, ca.size()));
          }
        }
        acc[static_cast<size_t>(m * g.n + n)] = a;
      }
    }
    RefOutput out;
    for (int64_t rep = 0; rep < g.repeat; ++rep) {
      int& s = exp_[g.name];
      out.elements.clear();
      double max_abs = 0;
      bool nan = false;
      for (int64_t m = 0; m < g.m; ++m) {
        for (int64_t n = 0; n < g.n; ++n) {
          const num::Fp16 a = acc[static_cast<size_t>(m * g.n + n)];
          const num::Fp16 scale =
              fp4 ? num::grad_scale_factor(s) : t.scales[t.scales.size() == 1 ? 0 : size_t(n)];
          out.elements.push_back(num::scale_element(a, scale, spec, nullptr));
          nan |= a.is_nan();
          if (!a.is_nan()) {
            max_abs = std::max(max_abs, std::fabs(a.to_double()));
          }
        }
      }
      if (fp4) {
        s = num::grad_scale_update(s, nan ? std::nan("") : max_abs, {});
      }
    }
    out.crc = fn::output_crc(out.elements, g.out);
    return out;
  }
  int exponent(const std::string& name) const {
    const auto it = exp_.find(name);
    return it == exp_.end() ? 0 : it->second;
  }

 private:
  std::map<std::string, int> exp_;
};

inline fn::Tensor4 random_tensor(std::mt19937_64& rng, int64_t rows, int64_t cols) {
  fn::Tensor4 t;
  t.rows = rows;
  t.cols = cols;
  for (int64_t i = 0; i < rows * cols; ++i) {
    t.codes.push_back(static_cast<num::Code4>(rng() & 0xF));
  }
  return t;
}

// Scales that keep some 4-bit outputs in range and saturate others.
inline std::vector<num::Fp16> random_scales(std::mt19937_64& rng, int64_t n, bool per_column) {
  const double choices[] = {1.0, 0.5, 0.0625, 0.01, 3.0, 1.0 / 256};
  std::vector<num::Fp16> s;
  for (int64_t i = 0; i < (per_column ? n : 1); ++i) {
    s.push_back(num::Fp16::from_double(choices[rng() % std::size(choices)]));
  }
  return s;
}

// One functional job: an accelerator and a workload of GEMMs with their tensors.
struct FunctionalCase {
  std::string name;
  timing::ArchSpec arch;
  workload::Workload workload;
  std::vector<fn::GemmTensors> tensors;  // one per GEMM
};

inline workload::FormatSpec fmt(num::Format f, int phase = 0) { return {f, phase}; }

inline void add_gemm(FunctionalCase& c, std::mt19937_64& rng, const std::string& name, int64_t m,
                     int64_t n, int64_t k, workload::FormatSpec a, workload::FormatSpec b,
                     workload::FormatSpec out, int64_t repeat = 1, bool per_column = false) {
  workload::GemmSpec g;
  g.name = name;
  g.m = m;
  g.n = n;
  g.k = k;
  g.a = a;
  g.b = b;
  g.out = out;
  g.repeat = repeat;
  g.where = {c.name, static_cast<int>(c.workload.gemms.size()) + 1};
  c.workload.gemms.push_back(g);
  c.tensors.push_back(
      {random_tensor(rng, m, k), random_tensor(rng, k, n), random_scales(rng, n, per_column)});
}

inline timing::ArchSpec small_arch(int64_t r, int64_t c, timing::Dataflow df, int64_t kib,
                                   bool db = true, int64_t lanes = 1) {
  timing::ArchSpec a;
  a.pe.lanes = lanes;
  a.array = {r, c, df};
  a.sram.ifmap_kib = a.sram.filter_kib = a.sram.ofmap_kib = kib;
  a.sram.double_buffered = db;
  a.dram.bandwidth_bytes_per_cycle = 8;
  a.dram.latency_cycles = 20;
  return a;
}

}  // namespace nibble::testing

#endif  // NIBBLE_TESTS_SC_FUNCTIONAL_CASES_H_
