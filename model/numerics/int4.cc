#include "model/numerics/int4.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include "model/numerics/quantize_many.h"

namespace nibble::num {
namespace {

void check_scale(double scale, const char* who) {
  if (!(scale > 0.0) || !std::isfinite(scale)) {
    throw std::invalid_argument(std::string(who) + ": scale must be positive and finite");
  }
}

}  // namespace

Code4 int4_code(int v) {
  if (v < kInt4Min || v > kInt4Max) {
    throw std::out_of_range("int4 value out of [-8, 7]: " + std::to_string(v));
  }
  return static_cast<Code4>(v & 0xF);
}

Code4 uint4_code(int v) {
  if (v < 0 || v > kUint4Max) {
    throw std::out_of_range("uint4 value out of [0, 15]: " + std::to_string(v));
  }
  return static_cast<Code4>(v);
}

Code4 quantize_int4(double x, double scale, Rounding mode, Rng* rng) {
  check_scale(scale, "int4 quantizer");
  return int4_code(round_saturate(x / scale, kInt4Min, kInt4Max, mode, rng));
}

Code4 quantize_uint4(double x, double scale, Rounding mode, Rng* rng) {
  check_scale(scale, "uint4 quantizer");
  return uint4_code(round_saturate(x / scale, 0, kUint4Max, mode, rng));
}

void quantize_int4_many(const double* x, size_t n, const ScaleSpan& scales, Rounding mode, Rng* rng,
                        Code4* out) {
  if (n == 0) {
    return;  // nothing to quantize, no scale read (an empty tensor)
  }
  check_scales(scales, "int4 quantizer");
  for_each_scaled(x, n, scales, [&](size_t i, double v) {
    out[i] = int4_code(round_saturate(v, kInt4Min, kInt4Max, mode, rng));
  });
}

void quantize_uint4_many(const double* x, size_t n, const ScaleSpan& scales, Rounding mode,
                         Rng* rng, Code4* out) {
  if (n == 0) {
    return;  // nothing to quantize, no scale read (an empty tensor)
  }
  check_scales(scales, "uint4 quantizer");
  for_each_scaled(x, n, scales, [&](size_t i, double v) {
    out[i] = uint4_code(round_saturate(v, 0, kUint4Max, mode, rng));
  });
}

void check_scales(const ScaleSpan& s, const char* who) {
  if (s.values == nullptr || s.count == 0 || s.inner == 0) {
    throw std::invalid_argument(std::string(who) + ": no scales");
  }
  for (size_t c = 0; c < s.count; ++c) {
    check_scale(s.values[c], who);
  }
}

}  // namespace nibble::num
