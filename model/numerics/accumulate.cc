#include "model/numerics/accumulate.h"

namespace nibble::num {

Fp16 accumulate_fp16(Fp16 init, const Fp16* products, size_t k_len) {
  Fp16 acc = init;
  for (size_t k = 0; k < k_len; ++k) {
    acc = fp16_add(acc, products[k]);
  }
  return acc;
}

Fp16 dot4_fp16(const Operand4& fa, const Code4* a, size_t a_stride, const Operand4& fb,
               const Code4* b, size_t b_stride, size_t k_len, Fp16 init) {
  validate_pair(fa, fb);
  Fp16 acc = init;
  for (size_t k = 0; k < k_len; ++k) {
    acc = fp16_add(acc, product_fp16(fa, a[k * a_stride], fb, b[k * b_stride]));
  }
  return acc;
}

}  // namespace nibble::num
