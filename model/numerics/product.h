// Products of two 4-bit operands, converted to binary16: what one 4-bit PE multiplies.
//
// Contract (docs/numerics.md, "4-bit products"):
//  - INT4 x INT4, INT4 x UINT4, UINT4 x UINT4: an integer in [-120, 225], exact in binary16.
//  - FP4 x INT4 / FP4 x UINT4: the integer operand shifted by the FP4 code's power of two,
//    2 * (e - bias) + phase; sign = XOR of signs. Exact in binary16 for every admitted bias
//    (fp4.h): the magnitude lies in [2^-24, 30720] and has at most 4 significant bits.
//  - A zero operand (including FP4 -0) gives +0. FP4 x FP4 is not a PE operation.
//  - The conversion goes through fp16_from_scaled_int, which rounds (RNE, overflow to Inf) if a
//    value ever is not exact; for the admitted formats it never rounds.
#ifndef NIBBLE_MODEL_NUMERICS_PRODUCT_H_
#define NIBBLE_MODEL_NUMERICS_PRODUCT_H_

#include "model/numerics/format.h"
#include "model/numerics/fp16.h"
#include "model/numerics/fp4.h"
#include "model/numerics/int4.h"

namespace nibble::num {

// One 4-bit operand: its format (int4, uint4 or fp4) and, for fp4, the TPR grid.
struct Operand4 {
  Format format = Format::kInt4;
  Fp4Spec fp4{};
};

// Throws std::invalid_argument unless the pair is a 4-bit PE operation (not fp4 x fp4, no
// non-4-bit formats) and any fp4 spec is valid.
void validate_pair(const Operand4& a, const Operand4& b);

// The exact product of codes a and b as an integer times a power of two.
struct ScaledInt {
  int64_t mantissa;
  int exp2;
};
ScaledInt product_exact(const Operand4& fa, Code4 a, const Operand4& fb, Code4 b);

// The product converted to binary16. Callers validate the pair once (validate_pair).
Fp16 product_fp16(const Operand4& fa, Code4 a, const Operand4& fb, Code4 b);

}  // namespace nibble::num

#endif  // NIBBLE_MODEL_NUMERICS_PRODUCT_H_
