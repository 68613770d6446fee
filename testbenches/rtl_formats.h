// How the testbenches drive the RTL's format ports: the C++ side of rtl/nibble_pkg.sv.
//
// nibble_pkg::fmt_e numbers int4, uint4, fp4 as num::Format does (0, 1, 2) and fp16 as 3;
// operand_fmt_t and output_fmt_t are packed {fmt[1:0], phase}, so a port holds
// fmt << 1 | phase.
#ifndef NIBBLE_TESTBENCHES_RTL_FORMATS_H_
#define NIBBLE_TESTBENCHES_RTL_FORMATS_H_

#include <cstdint>
#include <stdexcept>
#include <string>

#include "model/numerics/format.h"
#include "model/numerics/product.h"
#include "model/numerics/scale_unit.h"

namespace nibble::tb {

// nibble_pkg::fmt_e of a format the RTL knows.
inline uint8_t rtl_fmt(num::Format f) {
  switch (f) {
    case num::Format::kInt4:
      return 0;
    case num::Format::kUint4:
      return 1;
    case num::Format::kFp4:
      return 2;
    case num::Format::kFp16:
      return 3;
    default:
      throw std::invalid_argument(std::string("not an RTL format: ") + num::format_name(f));
  }
}

// The operand_fmt_t port value of an operand.
inline uint8_t rtl_operand_fmt(const num::Operand4& op) {
  const int phase = op.format == num::Format::kFp4 ? op.fp4.phase : 0;
  return static_cast<uint8_t>(rtl_fmt(op.format) << 1 | phase);
}

// The output_fmt_t port value of a scale-unit output.
inline uint8_t rtl_output_fmt(const num::OutputSpec& spec) {
  const int phase = spec.format == num::Format::kFp4 ? spec.fp4.phase : 0;
  return static_cast<uint8_t>(rtl_fmt(spec.format) << 1 | phase);
}

// The four operand kinds of a PE with the default bias: int4, uint4, fp4 phase 0, fp4 phase 1.
inline num::Operand4 operand(num::Format f, int phase = 0, int bias = num::kFp4DefaultBias) {
  num::Operand4 op;
  op.format = f;
  op.fp4.bias = bias;
  op.fp4.phase = phase;
  return op;
}

}  // namespace nibble::tb

#endif  // NIBBLE_TESTBENCHES_RTL_FORMATS_H_
