#include "model/sc/scale_unit.h"

#include <stdexcept>
#include <string>
#include <utility>

namespace nibble::sc {

num::OutputSpec output_spec(const workload::FormatSpec& out) {
  num::OutputSpec spec;
  spec.format = out.format;
  spec.fp4 = num::Fp4Spec{num::kFp4DefaultBias, out.tpr_phase};
  spec.rounding = num::Rounding::kNearestEven;
  return spec;
}

ScaleUnit::ScaleUnit(const sc_core::sc_module_name& name, TimedSignal<bool>* busy)
    : sc_core::sc_module(name), busy_(busy) {}

void ScaleUnit::begin_gemm(const workload::GemmSpec& g, std::vector<num::Fp16> scales) {
  if (scales.size() != 1 && scales.size() != static_cast<size_t>(g.n)) {
    throw std::invalid_argument("gemm '" + g.name + "': " + std::to_string(scales.size()) +
                                " output scales for N = " + std::to_string(g.n) +
                                " (expected 1 or N)");
  }
  gemm_ = &g;
  spec_ = output_spec(g.out);
  num::validate(spec_);
  scales_ = std::move(scales);
  grad_scaled_ = g.out.format == num::Format::kFp4;
}

void ScaleUnit::begin_repeat() {
  observed_ = {};
  if (grad_scaled_) {
    grad_factor_ = grad_state_.factor(gemm_->name);
  }
}

std::vector<uint16_t> ScaleUnit::convert(const datapath::Accumulators& acc, const Region& r) {
  std::vector<uint16_t> out;
  out.reserve(static_cast<size_t>(r.elements()));
  for (int64_t m = r.row0; m < r.row0 + r.rows; ++m) {
    for (int64_t n = r.col0; n < r.col0 + r.cols; ++n) {
      const num::Fp16 a = acc.values[static_cast<size_t>(m * acc.cols + n)];
      observed_.observe(a);
      const num::Fp16 scale =
          grad_scaled_ ? grad_factor_ : scales_[scales_.size() == 1 ? 0 : static_cast<size_t>(n)];
      out.push_back(num::scale_element(a, scale, spec_, nullptr));
    }
  }
  return out;
}

void ScaleUnit::end_repeat() {
  if (!grad_scaled_) {
    return;
  }
  num::GradScaleParams params;
  params.fp4_bias = spec_.fp4.bias;
  grad_state_.update(gemm_->name, observed_, params);
}

void ScaleUnit::mark_busy(int64_t from, int64_t to) {
  busy_->set_at(from, true);
  busy_->set_at(to, false);
}

}  // namespace nibble::sc
