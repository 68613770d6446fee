#include "model/numerics/lanes.h"

#include <stdexcept>
#include <string>

#include "model/numerics/fp4.h"

namespace nibble::num {
namespace {

// One operand's code as a signed integer in units of its format's least significant weight:
// the value for INT4/UINT4; for FP4, +-2^(2 * (e - 1)), its magnitude relative to the smallest
// nonzero code (0 for the zero codes), which the shifter applies to the other operand.
int32_t fixed_operand(const Operand4& f, Code4 code) {
  switch (f.format) {
    case Format::kInt4:
      return int4_value(code);
    case Format::kUint4:
      return uint4_value(code);
    case Format::kFp4: {
      if (fp4_is_zero(code)) {
        return 0;
      }
      const int32_t magnitude = int32_t{1} << (2 * (int(code & 0x7) - 1));
      return fp4_negative(code) ? -magnitude : magnitude;
    }
    default:
      throw std::invalid_argument(std::string("not a 4-bit operand format: ") +
                                  format_name(f.format));
  }
}

int operand_lsb_exp2(const Operand4& f) {
  return f.format == Format::kFp4 ? 2 * (1 - f.fp4.bias) + f.fp4.phase : 0;
}

}  // namespace

void validate_lanes(int lanes) {
  if (lanes < kMinLanes || lanes > kMaxLanes) {
    throw std::invalid_argument("lanes " + std::to_string(lanes) + " outside [" +
                                std::to_string(kMinLanes) + ", " + std::to_string(kMaxLanes) +
                                "]");
  }
}

int tree_levels(int lanes) {
  validate_lanes(lanes);
  int levels = 0;
  while ((1 << levels) < lanes) {
    ++levels;
  }
  return levels;
}

int tree_width_bits(int lanes) { return kProductBits + tree_levels(lanes); }

int product_width_bits(const Operand4& fa, const Operand4& fb) {
  validate_pair(fa, fb);
  if (fa.format == Format::kFp4 || fb.format == Format::kFp4) {
    return kProductBits;
  }
  return fa.format == Format::kUint4 && fb.format == Format::kUint4 ? 9 : 8;
}

int tree_lsb_exp2(const Operand4& fa, const Operand4& fb) {
  return operand_lsb_exp2(fa) + operand_lsb_exp2(fb);
}

int32_t product_fixed(const Operand4& fa, Code4 a, const Operand4& fb, Code4 b) {
  return fixed_operand(fa, a) * fixed_operand(fb, b);
}

Fp16 round_chunk(int64_t fixed_sum, const Operand4& fa, const Operand4& fb) {
  return fp16_from_scaled_int(fixed_sum, tree_lsb_exp2(fa, fb));
}

Fp16 chunk_fp16(const Operand4& fa, const Code4* a, size_t a_stride, const Operand4& fb,
                const Code4* b, size_t b_stride, size_t len) {
  int64_t sum = 0;
  for (size_t i = 0; i < len; ++i) {
    sum += product_fixed(fa, a[i * a_stride], fb, b[i * b_stride]);
  }
  return round_chunk(sum, fa, fb);
}

}  // namespace nibble::num
