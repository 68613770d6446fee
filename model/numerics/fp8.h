// FP8 E4M3 and E5M2 (OCP OFP8 rev 1.0): for the layers that a 4-bit training step keeps at
// 8 bits (Sun et al. 2020 keep e.g. ResNet's 1x1 convolutions at higher precision).
//
// Contract (docs/numerics.md, "FP8"): encodings and rounding from minifloat.h. The quantizer
// divides by the scale in binary64 (x / scale, correctly rounded), then rounds once to the
// format, saturating by default: finite overflow and +-Inf give +-max finite (448 for E4M3,
// 57344 for E5M2); NaN gives the canonical NaN (E4M3 0x7F, E5M2 0x7E).
#ifndef NIBBLE_MODEL_NUMERICS_FP8_H_
#define NIBBLE_MODEL_NUMERICS_FP8_H_

#include <cstdint>

#include "model/numerics/minifloat.h"

namespace nibble::num {

enum class Fp8Kind { kE4M3, kE5M2 };

const FloatFormat& fp8_format(Fp8Kind kind);

// Exact value of an 8-bit code.
double fp8_decode(Fp8Kind kind, uint8_t code);

// Code of x / scale (scale > 0 and finite, else std::invalid_argument).
uint8_t fp8_quantize(Fp8Kind kind, double x, double scale = 1.0,
                     Rounding mode = Rounding::kNearestEven, Rng* rng = nullptr,
                     Overflow overflow = Overflow::kSaturate);

}  // namespace nibble::num

#endif  // NIBBLE_MODEL_NUMERICS_FP8_H_
