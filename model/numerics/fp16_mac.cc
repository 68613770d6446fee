#include "model/numerics/fp16_mac.h"

#include <cmath>
#include <cstring>

namespace nibble::num {

Fp32 Fp32::from_float(float f) {
  uint32_t bits = 0;
  std::memcpy(&bits, &f, sizeof bits);
  return Fp32(bits);
}

float Fp32::to_float() const {
  float f = 0;
  std::memcpy(&f, &bits_, sizeof f);
  return f;
}

Fp32 fp16_mac_fp32(Fp32 acc, Fp16 a, Fp16 b) {
  // binary16 -> binary32 is exact, and so is the product (see the header). The one rounding is
  // the binary32 addition, done by the host's IEEE 754 unit in its default mode
  // (round-to-nearest-even, no flush-to-zero: nibble is never built with -ffast-math).
  const auto product = static_cast<float>(a.to_double()) * static_cast<float>(b.to_double());
  const float sum = acc.to_float() + product;
  if (std::isnan(sum)) {
    return kFp32NaN;
  }
  return Fp32::from_float(sum);
}

Fp32 fp16_dot_fp32(Fp32 init, const Fp16* a, size_t a_stride, const Fp16* b, size_t b_stride,
                   size_t k_len) {
  Fp32 acc = init;
  for (size_t k = 0; k < k_len; ++k) {
    acc = fp16_mac_fp32(acc, a[k * a_stride], b[k * b_stride]);
  }
  return acc;
}

}  // namespace nibble::num
