// Test-only reference of the L-lane chunk rule (docs/numerics.md, "Lanes: the chunk rule"):
// a chunk's products summed as an exact rational, then rounded once to binary16.
//
// Written apart from model/numerics: operand values come from the textbook decoders of
// ref_quant4.h as doubles; the sum is kept exactly as an integer count of 2^-kRefChunkFracBits
// (every 4-bit product of an admitted pair is a multiple of 2^-24, FP4 bias 13 phase 0 times an
// integer, and at most 15 * 2^11 in magnitude, so 64 of them fit an int64 with room to spare);
// any product that is not such a multiple aborts the test instead of being rounded.
#ifndef NIBBLE_TESTS_REFERENCE_REF_CHUNK_H_
#define NIBBLE_TESTS_REFERENCE_REF_CHUNK_H_

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "tests/reference/ref_binary16.h"

namespace nibble::ref {

inline constexpr int kRefChunkFracBits = 30;

// The exact value x (a product of two decoded 4-bit codes) in units of 2^-kRefChunkFracBits.
inline int64_t ref_to_units(double x) {
  const double scaled = std::ldexp(x, kRefChunkFracBits);
  if (scaled != std::trunc(scaled) || std::fabs(scaled) > std::ldexp(1.0, 52)) std::abort();
  return static_cast<int64_t>(scaled);
}

// A chunk's exact sum, given in units of 2^-kRefChunkFracBits, rounded once to binary16; an
// exact zero is +0.
inline uint16_t ref_round_units_binary16(int64_t units) {
  if (units == 0) return 0x0000;
  // |units| < 2^53, so the conversion is exact; the scaling by a power of two is exact too.
  return ref_round_binary16(std::ldexp(static_cast<double>(units), -kRefChunkFracBits));
}

// One chunk: the exact sum of products[i], rounded once to binary16; an exact zero is +0.
inline uint16_t ref_chunk_binary16(const std::vector<double>& products) {
  int64_t units = 0;
  for (double p : products) units += ref_to_units(p);
  return ref_round_units_binary16(units);
}

// The chunked dot product: acc = init; for each chunk of `lanes` consecutive products from the
// first: acc = round16(acc + round16(exact chunk sum)).
inline uint16_t ref_chunked_dot(const std::vector<double>& products, int lanes, uint16_t init) {
  uint16_t acc = init;
  for (size_t c = 0; c < products.size(); c += static_cast<size_t>(lanes)) {
    std::vector<double> chunk;
    for (size_t i = c; i < products.size() && i < c + static_cast<size_t>(lanes); ++i) {
      chunk.push_back(products[i]);
    }
    acc = ref_add_binary16(acc, ref_chunk_binary16(chunk));
  }
  return acc;
}

}  // namespace nibble::ref

#endif  // NIBBLE_TESTS_REFERENCE_REF_CHUNK_H_
