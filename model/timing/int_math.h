// Integer helpers of the timing model: the one ceil_div, and multiplications that refuse to
// overflow. A workload or config so large that a count leaves int64 is reported as an error
// (std::overflow_error, which the CLI turns into one line and exit code 2), never as a wrong
// number.
#ifndef NIBBLE_MODEL_TIMING_INT_MATH_H_
#define NIBBLE_MODEL_TIMING_INT_MATH_H_

#include <cmath>
#include <cstdint>
#include <stdexcept>

namespace nibble::timing {

inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

inline int64_t checked_mul(int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r)) {
    throw std::overflow_error("a count exceeds 64 bits: the workload or the config is too large");
  }
  return r;
}

inline int64_t checked_add(int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) {
    throw std::overflow_error("a count exceeds 64 bits: the workload or the config is too large");
  }
  return r;
}

// a * b * c <= cap, for non-negative values, computed without overflow.
inline bool product_fits(int64_t a, int64_t b, int64_t c, int64_t cap) {
  __extension__ typedef __int128 Int128;
  return static_cast<Int128>(a) * b * c <= cap;
}

// ceil(x) of a non-negative double as int64, refusing values beyond 2^62.
inline int64_t checked_ceil(double x) {
  const double c = std::ceil(x);
  if (!(c < 4611686018427387904.0)) {
    throw std::overflow_error(
        "a cycle count exceeds 2^62: the config's rates or bandwidth are "
        "too small for this workload");
  }
  return static_cast<int64_t>(c);
}

}  // namespace nibble::timing

#endif  // NIBBLE_MODEL_TIMING_INT_MATH_H_
