// Quantizing many values at once. out[i] is the code the element quantizer gives for x[i] and
// its scale, for i = 0 .. n - 1 in that order (a stochastic rounding draws from rng in that
// order), so each function equals n calls of quantize_int4, quantize_uint4, quantize_fp4,
// fp8_quantize or Fp16::from_double(x / scale). Each is the same per-element rule in a loop,
// compiled beside that rule so that the compiler inlines it: nothing here rounds on its own
// (tests/unit/numerics/test_quantize_many.cc shows the equality). The Python module's quantize
// calls these.
#ifndef NIBBLE_MODEL_NUMERICS_QUANTIZE_MANY_H_
#define NIBBLE_MODEL_NUMERICS_QUANTIZE_MANY_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "model/numerics/fp4.h"
#include "model/numerics/fp8.h"
#include "model/numerics/minifloat.h"
#include "model/numerics/rounding.h"

namespace nibble::num {

// The scales of n elements: element i has scale values[(i / inner) % count]: count == 1 is one
// scale for all; a C-order tensor with one scale per index along an axis has inner = the
// product of the dimensions after that axis. Every value must be finite and > 0 (the functions
// below throw std::invalid_argument otherwise, before writing anything; with n = 0 they do
// nothing and read no scale).
struct ScaleSpan {
  const double* values = nullptr;
  size_t count = 1;
  size_t inner = 1;
};

// Calls f(i, x[i] / scale_i) for i = 0 .. n - 1 in order (one binary64 division each, as the
// element quantizers divide).
template <class F>
inline void for_each_scaled(const double* x, size_t n, const ScaleSpan& s, F&& f) {
  if (s.count == 1) {
    const double scale = s.values[0];
    for (size_t i = 0; i < n; ++i) {
      f(i, x[i] / scale);
    }
    return;
  }
  size_t channel = 0;
  for (size_t i = 0; i < n;) {
    const double scale = s.values[channel];
    for (const size_t end = std::min(n, i + s.inner); i < end; ++i) {
      f(i, x[i] / scale);
    }
    channel = channel + 1 == s.count ? 0 : channel + 1;
  }
}

// Throws std::invalid_argument (naming `who`) unless s has at least one value, inner >= 1 and
// every value is finite and > 0.
void check_scales(const ScaleSpan& s, const char* who);

void quantize_int4_many(const double* x, size_t n, const ScaleSpan& scales, Rounding mode, Rng* rng,
                        Code4* out);
void quantize_uint4_many(const double* x, size_t n, const ScaleSpan& scales, Rounding mode,
                         Rng* rng, Code4* out);
void quantize_fp4_many(const double* x, size_t n, const Fp4Spec& spec, const ScaleSpan& scales,
                       Rounding mode, Rng* rng, Code4* out);
void fp8_quantize_many(Fp8Kind kind, const double* x, size_t n, const ScaleSpan& scales,
                       Rounding mode, Rng* rng, uint8_t* out,
                       Overflow overflow = Overflow::kSaturate);
// Fp16::from_double(x / scale) (overflow to infinity), as binary16 bits.
void fp16_from_doubles(const double* x, size_t n, const ScaleSpan& scales, Rounding mode, Rng* rng,
                       uint16_t* out);

// The same loop for any minifloat format, as its encoding (fp8_quantize_many and
// fp16_from_doubles call it).
void encode_doubles(const FloatFormat& fmt, const double* x, size_t n, const ScaleSpan& scales,
                    Rounding mode, Overflow overflow, Rng* rng, uint8_t* out);
void encode_doubles(const FloatFormat& fmt, const double* x, size_t n, const ScaleSpan& scales,
                    Rounding mode, Overflow overflow, Rng* rng, uint16_t* out);

}  // namespace nibble::num

#endif  // NIBBLE_MODEL_NUMERICS_QUANTIZE_MANY_H_
