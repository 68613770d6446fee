#include "model/numerics/grad_scale.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace nibble::num {

int grad_scale_update(int current_exp, double max_abs_grad, const GradScaleParams& params) {
  validate(Fp4Spec{params.fp4_bias, 0});
  if (params.min_exp > params.max_exp) {
    throw std::invalid_argument("GradScale: min_exp " + std::to_string(params.min_exp) +
                                " above max_exp " + std::to_string(params.max_exp));
  }
  if (!(max_abs_grad > 0.0) || !std::isfinite(max_abs_grad)) {
    return current_exp;
  }
  // top = 2^t with t = 2 * (7 - bias). With g = f * 2^e, f in [0.5, 1), ceil(log2 g) is e - 1
  // when f == 0.5 (g a power of two) and e otherwise; s' = t - ceil(log2 g) puts g * 2^s' in
  // (2^(t-1), 2^t]. The window is exact: no rounding happens anywhere in this function.
  const int t = 2 * (7 - params.fp4_bias);
  int e = 0;
  const double f = std::frexp(max_abs_grad, &e);
  const int ceil_log2 = f == 0.5 ? e - 1 : e;
  return std::clamp(t - ceil_log2, params.min_exp, params.max_exp);
}

Fp16 grad_scale_factor(int exp) {
  if (exp < -24 || exp > 15) {
    throw std::out_of_range("gradient scale 2^" + std::to_string(exp) + " is not a binary16 value");
  }
  return Fp16::from_double(std::ldexp(1.0, exp));
}

void GradScaleObservation::observe(Fp16 value) {
  if (value.is_nan()) {
    saw_nan_ = true;
  } else {
    max_abs_ = std::max(max_abs_, std::fabs(value.to_double()));
  }
}

double GradScaleObservation::max_abs() const {
  return saw_nan_ ? std::numeric_limits<double>::quiet_NaN() : max_abs_;
}

int GradScaleState::exp(const std::string& layer) const {
  const auto it = exp_.find(layer);
  return it == exp_.end() ? 0 : it->second;
}

void GradScaleState::update(const std::string& layer, const GradScaleObservation& g,
                            const GradScaleParams& params) {
  exp_[layer] = grad_scale_update(exp(layer), g.max_abs(), params);
}

}  // namespace nibble::num
