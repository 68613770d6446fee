// The L-lane PE's chunk rule: the fixed-point form of 4-bit products, the exact adder tree that
// sums L of them, and its one rounding to binary16 (docs/numerics.md, "Lanes: the chunk rule").
//
// Contract:
//  - Every product of an operand pair (fa, fb) is an integer multiple of 2^tree_lsb_exp2(fa, fb):
//    0 for INT4/UINT4 x INT4/UINT4; for FP4 x INT4/UINT4, the smallest power of two of a nonzero
//    FP4 code, 2 * (1 - bias) + phase. product_fixed is that integer (a shift of the integer
//    operand by 2 * (e - 1) for FP4; the small multiplier's product otherwise).
//  - A chunk of up to L products is summed exactly in a two's complement adder tree of
//    tree_width_bits(L) bits (enough for every admitted pair and FP4 bias: kProductBits + the
//    tree's ceil(log2 L) levels), then rounded once to binary16 by fp16_from_scaled_int (RNE,
//    overflow to +-Inf). An exact zero sum is +0.
//  - One product alone is exact in binary16 (product.h), so a chunk of one is product_fp16.
#ifndef NIBBLE_MODEL_NUMERICS_LANES_H_
#define NIBBLE_MODEL_NUMERICS_LANES_H_

#include <cstddef>
#include <cstdint>

#include "model/numerics/fp16.h"
#include "model/numerics/product.h"

namespace nibble::num {

// Lanes a PE may have (pe.lanes).
inline constexpr int kMinLanes = 1;
inline constexpr int kMaxLanes = 64;

// Two's complement bits of the widest product in fixed point, over every admitted pair and bias:
// FP4 x UINT4 reaches +-15 * 2^12 (shift 0..12), which needs 17 bits.
inline constexpr int kProductBits = 17;

// Throws std::invalid_argument unless lanes is in [kMinLanes, kMaxLanes].
void validate_lanes(int lanes);

// The tree's levels for L inputs: ceil(log2 L) (0 for L = 1).
int tree_levels(int lanes);
// Width of the adder tree's output for L lanes: kProductBits + tree_levels(L).
int tree_width_bits(int lanes);
// Width a pair's own products need (two's complement), before the tree: 8 for INT4 x INT4 and
// INT4 x UINT4, 9 for UINT4 x UINT4, 17 for FP4 x INT4/UINT4.
int product_width_bits(const Operand4& fa, const Operand4& fb);

// Weight of the tree's least significant bit for the pair: the product p is
// product_fixed(...) * 2^tree_lsb_exp2(fa, fb) exactly.
int tree_lsb_exp2(const Operand4& fa, const Operand4& fb);
// The product as an integer in units of 2^tree_lsb_exp2. Callers validate the pair.
int32_t product_fixed(const Operand4& fa, Code4 a, const Operand4& fb, Code4 b);

// The tree's exact sum (in units of 2^tree_lsb_exp2(fa, fb)) rounded once to binary16.
Fp16 round_chunk(int64_t fixed_sum, const Operand4& fa, const Operand4& fb);

// One chunk: the exact sum of a[i * a_stride] * b[i * b_stride], i = 0 .. len-1 (len <= L),
// rounded once to binary16. Callers validate the pair.
Fp16 chunk_fp16(const Operand4& fa, const Code4* a, size_t a_stride, const Operand4& fb,
                const Code4* b, size_t b_stride, size_t len);

}  // namespace nibble::num

#endif  // NIBBLE_MODEL_NUMERICS_LANES_H_
