#include "model/sc/scale_unit.h"

#include <cmath>
#include <limits>
#include <stdexcept>
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
  max_abs_ = 0;
  saw_nan_ = false;
  if (grad_scaled_) {
    grad_factor_ = num::grad_scale_factor(grad_scale_exp(gemm_->name));
  }
}

std::vector<uint16_t> ScaleUnit::convert(const datapath::Accumulators& acc, const Region& r) {
  std::vector<uint16_t> out;
  out.reserve(static_cast<size_t>(r.elements()));
  for (int64_t m = r.row0; m < r.row0 + r.rows; ++m) {
    for (int64_t n = r.col0; n < r.col0 + r.cols; ++n) {
      const num::Fp16 a = acc.values[static_cast<size_t>(m * acc.cols + n)];
      if (a.is_nan()) {
        saw_nan_ = true;
      } else {
        max_abs_ = std::max(max_abs_, std::fabs(a.to_double()));
      }
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
  const double observed = saw_nan_ ? std::numeric_limits<double>::quiet_NaN() : max_abs_;
  grad_exp_[gemm_->name] = num::grad_scale_update(grad_scale_exp(gemm_->name), observed, params);
}

void ScaleUnit::mark_busy(int64_t from, int64_t to) {
  busy_->set_at(from, true);
  busy_->set_at(to, false);
}

int ScaleUnit::grad_scale_exp(const std::string& name) const {
  const auto it = grad_exp_.find(name);
  return it == grad_exp_.end() ? 0 : it->second;
}

}  // namespace nibble::sc
