#include "model/numerics/fp8.h"

#include <cmath>
#include <stdexcept>

#include "model/numerics/quantize_many.h"

namespace nibble::num {

const FloatFormat& fp8_format(Fp8Kind kind) {
  return kind == Fp8Kind::kE4M3 ? kOfp8E4M3 : kOfp8E5M2;
}

double fp8_decode(Fp8Kind kind, uint8_t code) { return decode_to_double(fp8_format(kind), code); }

uint8_t fp8_quantize(Fp8Kind kind, double x, double scale, Rounding mode, Rng* rng,
                     Overflow overflow) {
  if (!(scale > 0.0) || !std::isfinite(scale)) {
    throw std::invalid_argument("fp8 quantizer: scale must be positive and finite");
  }
  return static_cast<uint8_t>(encode_double(fp8_format(kind), x / scale, mode, overflow, rng));
}

void fp8_quantize_many(Fp8Kind kind, const double* x, size_t n, const ScaleSpan& scales,
                       Rounding mode, Rng* rng, uint8_t* out, Overflow overflow) {
  if (n == 0) {
    return;  // nothing to quantize, no scale read (an empty tensor)
  }
  check_scales(scales, "fp8 quantizer");
  encode_doubles(fp8_format(kind), x, n, scales, mode, overflow, rng, out);
}

}  // namespace nibble::num
