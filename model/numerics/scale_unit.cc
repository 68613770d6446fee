#include "model/numerics/scale_unit.h"

#include <stdexcept>
#include <string>

#include "model/numerics/int4.h"

namespace nibble::num {

void validate(const OutputSpec& spec) {
  switch (spec.format) {
    case Format::kInt4:
    case Format::kUint4:
    case Format::kFp16:
      return;
    case Format::kFp4:
      validate(spec.fp4);
      return;
    default:
      throw std::invalid_argument(std::string("the scale unit cannot output ") +
                                  format_name(spec.format));
  }
}

uint16_t scale_element(Fp16 acc, Fp16 scale, const OutputSpec& spec, Rng* rng) {
  const double v = acc.to_double() * scale.to_double();  // exact: 11 x 11 significand bits
  switch (spec.format) {
    case Format::kInt4:
      return int4_code(round_saturate(v, kInt4Min, kInt4Max, spec.rounding, rng));
    case Format::kUint4:
      return uint4_code(round_saturate(v, 0, kUint4Max, spec.rounding, rng));
    case Format::kFp4:
      return quantize_fp4(v, spec.fp4, 1.0, spec.rounding, rng);
    case Format::kFp16:
      return Fp16::from_double(v, spec.rounding, rng).bits();
    default:
      validate(spec);  // throws
      return 0;
  }
}

void scale_tensor(const Fp16* acc, size_t rows, size_t cols, const Fp16* scales, size_t n_scales,
                  const OutputSpec& spec, Rng* rng, uint16_t* out) {
  validate(spec);
  if (n_scales != 1 && n_scales != cols) {
    throw std::invalid_argument("scale unit: " + std::to_string(n_scales) + " scales for " +
                                std::to_string(cols) + " channels (need 1 or one per channel)");
  }
  for (size_t m = 0; m < rows; ++m) {
    for (size_t n = 0; n < cols; ++n) {
      const Fp16 scale = scales[n_scales == 1 ? 0 : n];
      out[m * cols + n] = scale_element(acc[m * cols + n], scale, spec, rng);
    }
  }
}

}  // namespace nibble::num
