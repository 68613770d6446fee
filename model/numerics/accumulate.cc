#include "model/numerics/accumulate.h"

#include <algorithm>

#include "model/numerics/lanes.h"

namespace nibble::num {

Fp16 accumulate_fp16(Fp16 init, const Fp16* products, size_t k_len) {
  Fp16 acc = init;
  for (size_t k = 0; k < k_len; ++k) {
    acc = fp16_add(acc, products[k]);
  }
  return acc;
}

Fp16 dot4_fp16(const Operand4& fa, const Code4* a, size_t a_stride, const Operand4& fb,
               const Code4* b, size_t b_stride, size_t k_len, int lanes, Fp16 init) {
  validate_pair(fa, fb);
  validate_lanes(lanes);
  const size_t l = static_cast<size_t>(lanes);
  Fp16 acc = init;
  for (size_t c = 0; c < k_len; c += l) {
    const size_t len = std::min(l, k_len - c);
    acc = fp16_add(acc, chunk_fp16(fa, a + c * a_stride, a_stride, fb, b + c * b_stride, b_stride,
                                   len));
  }
  return acc;
}

}  // namespace nibble::num
