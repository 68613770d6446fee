// INT4 (signed two's complement, [-8, 7], weights) and UINT4 ([0, 15], post-ReLU activations).
//
// Contract (docs/numerics.md, "INT4 and UINT4"): a code is the 4-bit pattern in the low bits
// of a uint8_t. Quantization: v = x / scale in binary64 (correctly rounded), then v is rounded
// to an integer (RNE or stochastic, rounding.h), then saturated to the range. NaN gives 0.
#ifndef NIBBLE_MODEL_NUMERICS_INT4_H_
#define NIBBLE_MODEL_NUMERICS_INT4_H_

#include <cstdint>

#include "model/numerics/rounding.h"

namespace nibble::num {

using Code4 = uint8_t;  // a 4-bit code in the low nibble; the high nibble must be zero

inline constexpr int kInt4Min = -8;
inline constexpr int kInt4Max = 7;
inline constexpr int kUint4Max = 15;

// Value of a signed code: sign-extends bit 3.
constexpr int int4_value(Code4 code) { return (code & 0x8) ? int(code & 0xF) - 16 : int(code); }
constexpr int uint4_value(Code4 code) { return int(code & 0xF); }
// Code of an in-range integer (v in [-8, 7]); std::out_of_range otherwise.
Code4 int4_code(int v);
Code4 uint4_code(int v);

// Codes of x / scale (scale > 0 and finite, else std::invalid_argument).
Code4 quantize_int4(double x, double scale = 1.0, Rounding mode = Rounding::kNearestEven,
                    Rng* rng = nullptr);
Code4 quantize_uint4(double x, double scale = 1.0, Rounding mode = Rounding::kNearestEven,
                     Rng* rng = nullptr);

}  // namespace nibble::num

#endif  // NIBBLE_MODEL_NUMERICS_INT4_H_
