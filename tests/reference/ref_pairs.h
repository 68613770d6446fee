// Test-only enumeration of the 4-bit operand pairs a PE multiplies, and their exact values.
//
// The pairs (docs/numerics.md): INT4 and UINT4 with each other, and FP4 with either, in both
// operand orders, FP4 at the given biases and both TPR phases. A code's value comes from the
// textbook decoders of ref_quant4.h, not from model/numerics; model/numerics supplies only the
// names of the operand descriptions (num::Operand4) the code under test takes.
#ifndef NIBBLE_TESTS_REFERENCE_REF_PAIRS_H_
#define NIBBLE_TESTS_REFERENCE_REF_PAIRS_H_

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "model/numerics/format.h"
#include "model/numerics/fp4.h"
#include "model/numerics/product.h"
#include "tests/reference/ref_quant4.h"

namespace nibble::ref {

using OperandPair = std::pair<num::Operand4, num::Operand4>;

// The exact value of code c of operand op (a 4-bit format).
inline double ref_operand_value(const num::Operand4& op, num::Code4 c) {
  switch (op.format) {
    case num::Format::kInt4:
      return ref_int4_value(c);
    case num::Format::kUint4:
      return ref_uint4_value(c);
    case num::Format::kFp4:
      return ref_fp4_value(c, op.fp4.bias, op.fp4.phase);
    default:
      throw std::invalid_argument("ref_operand_value: not a 4-bit operand");
  }
}

// Every FP4 bias the format admits, kFp4MinBias..kFp4MaxBias.
inline std::vector<int> ref_all_fp4_biases() {
  std::vector<int> biases;
  for (int bias = num::kFp4MinBias; bias <= num::kFp4MaxBias; ++bias) {
    biases.push_back(bias);
  }
  return biases;
}

// The PE's operand pairs with FP4 at each of `fp4_biases`: 4 integer pairs, then per bias and
// phase FP4 x INT4, INT4 x FP4, FP4 x UINT4, UINT4 x FP4.
inline std::vector<OperandPair> ref_pe_pairs(const std::vector<int>& fp4_biases) {
  const num::Operand4 i4{num::Format::kInt4, {}};
  const num::Operand4 u4{num::Format::kUint4, {}};
  std::vector<OperandPair> pairs = {{i4, i4}, {i4, u4}, {u4, i4}, {u4, u4}};
  for (int bias : fp4_biases) {
    for (int phase = 0; phase <= 1; ++phase) {
      const num::Operand4 f4{num::Format::kFp4, {bias, phase}};
      pairs.push_back({f4, i4});
      pairs.push_back({i4, f4});
      pairs.push_back({f4, u4});
      pairs.push_back({u4, f4});
    }
  }
  return pairs;
}

// "fp4(bias 7, phase 0)", "int4": an operand in a test's failure message.
inline std::string ref_operand_name(const num::Operand4& op) {
  std::string s = num::format_name(op.format);
  if (op.format == num::Format::kFp4) {
    s += "(bias " + std::to_string(op.fp4.bias) + ", phase " + std::to_string(op.fp4.phase) + ")";
  }
  return s;
}

}  // namespace nibble::ref

#endif  // NIBBLE_TESTS_REFERENCE_REF_PAIRS_H_
