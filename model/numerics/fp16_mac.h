// FP16 x FP16 multiply with FP32 (IEEE 754 binary32) accumulation: the datapath of the FP16
// baseline array that the 4-bit array is compared against.
//
// Contract (docs/numerics.md, "FP16 baseline MAC"):
//  - The product of two binary16 values is exact in binary32 (11 x 11 significand bits fit in
//    24; exponents 2^-48 .. 2^32 are normal binary32), so acc + a*b is rounded exactly once,
//    to nearest, ties to even: a fused and an unfused MAC give the same result.
//  - Subnormals kept (no flush-to-zero, no denormals-are-zero). Overflow gives +-Inf.
//  - Any NaN operand, Inf * 0, or Inf - Inf gives the canonical NaN 0x7FC00000.
//  - An exact zero result follows IEEE: +0 unless both acc and the product are -0.
#ifndef NIBBLE_MODEL_NUMERICS_FP16_MAC_H_
#define NIBBLE_MODEL_NUMERICS_FP16_MAC_H_

#include <cstddef>
#include <cstdint>

#include "model/numerics/fp16.h"

namespace nibble::num {

class Fp32 {
 public:
  constexpr Fp32() = default;
  static constexpr Fp32 from_bits(uint32_t bits) { return Fp32(bits); }
  static Fp32 from_float(float f);  // bit copy; a NaN is kept as given
  constexpr uint32_t bits() const { return bits_; }
  float to_float() const;
  bool is_nan() const { return (bits_ & 0x7F800000u) == 0x7F800000u && (bits_ & 0x007FFFFFu); }

  friend constexpr bool operator==(Fp32 a, Fp32 b) { return a.bits_ == b.bits_; }
  friend constexpr bool operator!=(Fp32 a, Fp32 b) { return a.bits_ != b.bits_; }

 private:
  constexpr explicit Fp32(uint32_t bits) : bits_(bits) {}
  uint32_t bits_ = 0;
};

inline constexpr Fp32 kFp32Zero = Fp32::from_bits(0);
inline constexpr Fp32 kFp32NaN = Fp32::from_bits(0x7FC00000u);

// acc + a * b, one rounding (RNE).
Fp32 fp16_mac_fp32(Fp32 acc, Fp16 a, Fp16 b);

// acc = init; for k = 0 .. k_len-1: acc = fp16_mac_fp32(acc, a[k * a_stride], b[k * b_stride]).
Fp32 fp16_dot_fp32(Fp32 init, const Fp16* a, size_t a_stride, const Fp16* b, size_t b_stride,
                   size_t k_len);

}  // namespace nibble::num

#endif  // NIBBLE_MODEL_NUMERICS_FP16_MAC_H_
