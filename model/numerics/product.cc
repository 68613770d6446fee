#include "model/numerics/product.h"

#include <stdexcept>
#include <string>

namespace nibble::num {
namespace {

// A 4-bit operand as an integer times a power of two.
ScaledInt decompose(const Operand4& f, Code4 code) {
  switch (f.format) {
    case Format::kInt4:
      return {int4_value(code), 0};
    case Format::kUint4:
      return {uint4_value(code), 0};
    case Format::kFp4:
      if (fp4_is_zero(code)) {
        return {0, 0};
      }
      return {fp4_negative(code) ? -1 : 1, fp4_exp2(code, f.fp4)};
    default:
      throw std::invalid_argument(std::string("not a 4-bit operand format: ") +
                                  format_name(f.format));
  }
}

}  // namespace

void validate_pair(const Operand4& a, const Operand4& b) {
  for (const Operand4* op : {&a, &b}) {
    if (!is_4bit(op->format)) {
      throw std::invalid_argument(std::string("a 4-bit PE cannot multiply ") +
                                  format_name(op->format));
    }
    if (op->format == Format::kFp4) {
      validate(op->fp4);
    }
  }
  if (a.format == Format::kFp4 && b.format == Format::kFp4) {
    throw std::invalid_argument("fp4 x fp4 is not a PE operation (one operand must be integer)");
  }
}

ScaledInt product_exact(const Operand4& fa, Code4 a, const Operand4& fb, Code4 b) {
  const ScaledInt x = decompose(fa, a);
  const ScaledInt y = decompose(fb, b);
  return {x.mantissa * y.mantissa, x.exp2 + y.exp2};
}

Fp16 product_fp16(const Operand4& fa, Code4 a, const Operand4& fb, Code4 b) {
  const ScaledInt p = product_exact(fa, a, fb, b);
  return fp16_from_scaled_int(p.mantissa, p.exp2);
}

}  // namespace nibble::num
