// The scale unit on the array's output path: out = quantize(acc * scale).
//
// Contract (docs/numerics.md, "Scale unit"):
//  - acc and scale are binary16; their product is exact in binary64 (and in binary32).
//  - The exact product is rounded once to the output format: INT4/UINT4 (round_saturate),
//    FP4 phase 0 or 1 (quantize_fp4, scale 1), or FP16 (RNE or stochastic; overflow gives
//    +-Inf, NaN stays the canonical NaN).
//  - NaN accumulators give code 0 in the 4-bit formats; +-Inf saturate.
//  - A tensor is M x N row-major; the scale is one value (per tensor) or N values (per output
//    channel n). Elements are processed in row-major order, which fixes the order of Rng draws
//    in stochastic mode.
#ifndef NIBBLE_MODEL_NUMERICS_SCALE_UNIT_H_
#define NIBBLE_MODEL_NUMERICS_SCALE_UNIT_H_

#include <cstddef>
#include <cstdint>

#include "model/numerics/format.h"
#include "model/numerics/fp16.h"
#include "model/numerics/fp4.h"

namespace nibble::num {

struct OutputSpec {
  Format format = Format::kInt4;  // int4, uint4, fp4 or fp16
  Fp4Spec fp4{};                  // grid when format is fp4
  Rounding rounding = Rounding::kNearestEven;
};

// Throws std::invalid_argument for an output format the unit cannot produce.
void validate(const OutputSpec& spec);

// One element: a 4-bit code in the low nibble, or FP16 bits.
uint16_t scale_element(Fp16 acc, Fp16 scale, const OutputSpec& spec, Rng* rng);

// acc[m * n_cols + n] for m < rows, n < cols; scales has 1 entry (per tensor) or n_cols entries
// (per channel); out has rows * cols entries.
void scale_tensor(const Fp16* acc, size_t rows, size_t cols, const Fp16* scales, size_t n_scales,
                  const OutputSpec& spec, Rng* rng, uint16_t* out);

}  // namespace nibble::num

#endif  // NIBBLE_MODEL_NUMERICS_SCALE_UNIT_H_
