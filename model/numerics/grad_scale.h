// GradScale (Sun et al., NeurIPS 2020): a per-layer power-of-two scale that aligns a layer's
// gradients to the radix-4 FP4 range before they are quantized. A pure function of the state
// and one observation, so the scale unit, the SystemC model and tests all agree.
//
// Contract (docs/numerics.md, "GradScale"):
//  - State: the exponent s of the scale 2^s applied to the gradient tensor (an FP16 value, so
//    s is kept within [min_exp, max_exp], default the binary16 normal range [-14, 15]).
//  - Observation: g = the layer's max |gradient| before scaling.
//  - Target window: the scaled max m = g * 2^s should lie in (top / 2, top], top = the largest
//    phase-0 FP4 magnitude 4^(7 - bias). Lowered when m > top (it would saturate), raised when
//    m <= top / 2 (the top of the grid goes unused and small gradients underflow to zero for
//    nothing). The new exponent is the unique s' with g * 2^s' in (top / 2, top], clamped.
//  - g == 0, NaN or Inf: the exponent is held (no information; Inf/NaN are counted elsewhere).
#ifndef NIBBLE_MODEL_NUMERICS_GRAD_SCALE_H_
#define NIBBLE_MODEL_NUMERICS_GRAD_SCALE_H_

#include <map>
#include <string>

#include "model/numerics/fp16.h"
#include "model/numerics/fp4.h"

namespace nibble::num {

struct GradScaleParams {
  int fp4_bias = kFp4DefaultBias;
  int min_exp = -14;
  int max_exp = 15;
};

// The next exponent, given the current one and the observed max |gradient|. Throws
// std::invalid_argument if the bias is outside [2, 13] or min_exp > max_exp.
int grad_scale_update(int current_exp, double max_abs_grad, const GradScaleParams& params = {});

// The scale 2^exp as binary16 (exact for exp in [-24, 15]; std::out_of_range otherwise).
Fp16 grad_scale_factor(int exp);

// One pass's observation g for grad_scale_update: the largest |value| among the FP16 values
// seen (+0 when none), or NaN once any value was NaN, so a NaN anywhere holds the exponent.
class GradScaleObservation {
 public:
  void observe(Fp16 value);
  double max_abs() const;

 private:
  double max_abs_ = 0.0;
  bool saw_nan_ = false;
};

// GradScale across a run: one exponent per layer, keyed by name (nibble: the GEMM's name),
// 0 before its first update. Every user (the SystemC scale unit, the RTL co-simulation) keeps
// its state here, so they scale the same repeat of the same layer by the same factor.
class GradScaleState {
 public:
  int exp(const std::string& layer) const;
  Fp16 factor(const std::string& layer) const { return grad_scale_factor(exp(layer)); }
  // After a pass over the layer: exp(layer) = grad_scale_update(exp(layer), g, params).
  void update(const std::string& layer, const GradScaleObservation& g,
              const GradScaleParams& params);

 private:
  std::map<std::string, int> exp_;
};

}  // namespace nibble::num

#endif  // NIBBLE_MODEL_NUMERICS_GRAD_SCALE_H_
