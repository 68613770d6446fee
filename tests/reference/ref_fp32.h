// Test-only reference of the FP16 x FP16 -> FP32 multiply-accumulate (fp16_mac.h contract).
//
// The exact value acc + a*b is formed without any float arithmetic: the product is exact in
// double (two 11-bit significands), Knuth's TwoSum splits acc + product into hi + lo exactly,
// and hi is rounded to binary32 by the generic reference rounding, with lo breaking the tie
// when hi is exactly a binary32 midpoint.
#ifndef NIBBLE_TESTS_REFERENCE_REF_FP32_H_
#define NIBBLE_TESTS_REFERENCE_REF_FP32_H_

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "tests/reference/ref_binary16.h"

namespace nibble::ref {

inline constexpr uint32_t kRefFp32NaN = 0x7FC00000u;

inline double ref_decode_binary32(uint32_t bits) { return ref_decode(kRefBinary32, bits); }

// Exact x + y (x, y finite doubles, no overflow) as hi + lo with hi = fl(x + y).
struct RefTwoSum {
  double hi;
  double lo;
};
inline RefTwoSum ref_two_sum(double x, double y) {
  const double s = x + y;
  const double y_virtual = s - x;
  const double x_virtual = s - y_virtual;
  const double lo = (x - x_virtual) + (y - y_virtual);
  return {s, lo};
}

inline uint32_t ref_mac_fp32(uint32_t acc, uint16_t a, uint16_t b) {
  const double x = ref_decode_binary32(acc);
  const double pa = ref_decode_binary16(a);
  const double pb = ref_decode_binary16(b);
  if (std::isnan(x) || std::isnan(pa) || std::isnan(pb)) return kRefFp32NaN;
  if ((std::isinf(pa) && pb == 0.0) || (std::isinf(pb) && pa == 0.0)) return kRefFp32NaN;
  const double p = pa * pb;  // exact: at most 22 significant bits, exponents within double range
  if (std::isinf(x) && std::isinf(p)) {
    return std::signbit(x) == std::signbit(p) ? acc : kRefFp32NaN;
  }
  if (std::isinf(x)) return acc;
  if (std::isinf(p)) return ref_inf_bits(kRefBinary32, std::signbit(p));
  const RefTwoSum sum = ref_two_sum(x, p);
  if (sum.hi == 0.0 && sum.lo == 0.0) {
    return (std::signbit(x) && std::signbit(p)) ? 0x80000000u : 0u;
  }
  return ref_round(kRefBinary32, sum.hi, RefOverflow::kInfinity, sum.lo);
}

// Sequential dot product: acc = ref_mac_fp32(acc, a[k * sa], b[k * sb]) for k = 0 .. n-1.
inline uint32_t ref_dot_fp32(uint32_t init, const uint16_t* a, size_t a_stride, const uint16_t* b,
                             size_t b_stride, size_t n) {
  uint32_t acc = init;
  for (size_t k = 0; k < n; ++k) acc = ref_mac_fp32(acc, a[k * a_stride], b[k * b_stride]);
  return acc;
}

}  // namespace nibble::ref

#endif  // NIBBLE_TESTS_REFERENCE_REF_FP32_H_
