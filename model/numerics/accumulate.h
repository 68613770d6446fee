// Dot products of 4-bit operands accumulated in binary16: the order the PE and the RTL use.
//
// Contract (docs/numerics.md, "Accumulation order" and "Lanes: the chunk rule"):
//   acc = init (+0 unless a partial sum is carried in)
//   for c = 0, L, 2L, .. < K:  acc = fp16_add(acc, chunk_fp16(a[c .. c+L-1], b[c .. c+L-1]))
// where a chunk is the exact sum of its (at most L) products rounded once to binary16 (lanes.h).
// Two roundings per chunk (the chunk, the add), none in the products. With L = 1 a chunk is one
// product, exact in binary16, so the rule is acc = fp16_add(acc, product_fp16(a[k], b[k])).
// Splitting K into tiles keeps this order as long as every tile starts at a multiple of L and
// each tile's result is carried in as the next tile's init (what the array does).
#ifndef NIBBLE_MODEL_NUMERICS_ACCUMULATE_H_
#define NIBBLE_MODEL_NUMERICS_ACCUMULATE_H_

#include <cstddef>

#include "model/numerics/fp16.h"
#include "model/numerics/product.h"

namespace nibble::num {

// acc = init; acc = fp16_add(acc, p[k]) for k = 0 .. k_len-1.
Fp16 accumulate_fp16(Fp16 init, const Fp16* products, size_t k_len);

// Dot product of a[k * a_stride] and b[k * b_stride] for k = 0 .. k_len-1, in chunks of `lanes`
// consecutive k from k = 0 (the last chunk may be shorter), in that order. Validates the operand
// pair (product.h) and lanes (lanes.h); throws std::invalid_argument if either is invalid.
Fp16 dot4_fp16(const Operand4& fa, const Code4* a, size_t a_stride, const Operand4& fb,
               const Code4* b, size_t b_stride, size_t k_len, int lanes, Fp16 init = kFp16Zero);

}  // namespace nibble::num

#endif  // NIBBLE_MODEL_NUMERICS_ACCUMULATE_H_
