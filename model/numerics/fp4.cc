#include "model/numerics/fp4.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include "model/numerics/quantize_many.h"

namespace nibble::num {
namespace {

// Magnitude of exponent field e (1..7) on the spec's grid.
double magnitude(int e, const Fp4Spec& spec) {
  return std::ldexp(1.0, 2 * (e - spec.bias) + spec.phase);
}

int floor_div2(int v) { return v >= 0 ? v / 2 : -((1 - v) / 2); }

}  // namespace

void validate(const Fp4Spec& spec) {
  if (spec.bias < kFp4MinBias || spec.bias > kFp4MaxBias) {
    throw std::invalid_argument("fp4 bias " + std::to_string(spec.bias) + " outside [" +
                                std::to_string(kFp4MinBias) + ", " + std::to_string(kFp4MaxBias) +
                                "]");
  }
  if (spec.phase != 0 && spec.phase != 1) {
    throw std::invalid_argument("fp4 two-phase-rounding phase must be 0 or 1, got " +
                                std::to_string(spec.phase));
  }
}

double fp4_value(Code4 code, const Fp4Spec& spec) {
  const double m = fp4_is_zero(code) ? 0.0 : magnitude(code & 0x7, spec);
  return fp4_negative(code) ? -m : m;
}

double fp4_max(const Fp4Spec& spec) { return magnitude(7, spec); }
double fp4_min(const Fp4Spec& spec) { return magnitude(1, spec); }

double fp4_threshold(int e, const Fp4Spec& spec) {
  if (e < 0 || e > 6) {
    throw std::out_of_range("fp4 threshold index outside [0, 6]: " + std::to_string(e));
  }
  const double lo = e == 0 ? 0.0 : magnitude(e, spec);
  return (lo + magnitude(e + 1, spec)) / 2;  // arithmetic midpoint, exact in binary64
}

namespace {

// The code of v = x / scale on a validated spec's grid: the rule of quantize_fp4.
Code4 fp4_code_of(double v, const Fp4Spec& spec, double top, double bottom, Rounding mode,
                  Rng* rng) {
  const uint64_t word = draw_for(mode, rng);
  if (std::isnan(v)) {
    return 0;
  }
  const double a = std::fabs(v);
  int field = 7;
  if (a < top) {
    // e_lo: the largest field whose magnitude is <= a (0 below the smallest magnitude).
    const int e_lo = a < bottom ? 0 : floor_div2(std::ilogb(a) - spec.phase) + spec.bias;
    const double lo = e_lo == 0 ? 0.0 : magnitude(e_lo, spec);
    const double hi = magnitude(e_lo + 1, spec);
    bool up = false;
    if (mode == Rounding::kStochastic) {
      up = unit_from_word(word) < (a - lo) / (hi - lo);  // a - lo and hi - lo are exact
    } else {
      up = a >= (lo + hi) / 2;  // a tie goes away from zero
    }
    field = e_lo + (up ? 1 : 0);
  }
  if (field == 0) {
    return 0;
  }
  return static_cast<Code4>((v < 0 ? 0x8 : 0x0) | field);
}

}  // namespace

Code4 quantize_fp4(double x, const Fp4Spec& spec, double scale, Rounding mode, Rng* rng) {
  validate(spec);
  if (!(scale > 0.0) || !std::isfinite(scale)) {
    throw std::invalid_argument("fp4 quantizer: scale must be positive and finite");
  }
  return fp4_code_of(x / scale, spec, fp4_max(spec), fp4_min(spec), mode, rng);
}

void quantize_fp4_many(const double* x, size_t n, const Fp4Spec& spec, const ScaleSpan& scales,
                       Rounding mode, Rng* rng, Code4* out) {
  validate(spec);
  if (n == 0) {
    return;  // nothing to quantize, no scale read (an empty tensor)
  }
  check_scales(scales, "fp4 quantizer");
  const double top = fp4_max(spec);
  const double bottom = fp4_min(spec);
  for_each_scaled(x, n, scales, [&](size_t i, double v) {
    out[i] = fp4_code_of(v, spec, top, bottom, mode, rng);
  });
}

}  // namespace nibble::num
