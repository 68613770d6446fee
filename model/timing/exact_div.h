// Correctly rounded quotient of two non-negative integers, as Python's int / int true division
// computes it: SCALE-Sim's percentages and bandwidths are such quotients, and compat mode
// reproduces them to the last bit.
#ifndef NIBBLE_MODEL_TIMING_EXACT_DIV_H_
#define NIBBLE_MODEL_TIMING_EXACT_DIV_H_

#include <cfloat>
#include <cmath>
#include <cstdint>

namespace nibble::timing {

__extension__ typedef unsigned __int128 Uint128;

// num / den rounded once to the nearest double (ties to even). den == 0 gives +inf (NaN when
// num is 0 too): SCALE-Sim itself stops with a division by zero there.
double exact_ratio(Uint128 num, Uint128 den);

// What `for _ in range(times): s = unit(s)` leaves in s, bit for bit, where unit(s) adds a fixed
// sequence of non-negative finite doubles to s one by one, each sum rounded to nearest even
// (SCALE-Sim's left-to-right sum() of per-fold values). Cost: a few calls of unit per binade s
// crosses, whatever `times` is.
//
// Why it may skip: while s and s + x lie in one binade of ulp u and s is a multiple of u, s + x
// rounds to s + u * round(x / u), a tie (x an odd multiple of u / 2) to the even multiple, so a
// step's increment depends on s only through the parity of s / u. Within a binade a pair of
// units maps that parity by g(g(p)) for some map g of {0, 1} into itself, and g(g(.)) is never
// a swap, so its value is a fixed point of it: after one pair inside a binade, every later
// pair in it starts at the same parity and adds the same increment. Runs of such pairs are
// added at once, exactly (s stays a multiple of u below the binade's end).
template <typename Unit>
double repeat_units(double s, int64_t times, Unit&& unit) {
  const auto binade = [](double v) {
    int e = 0;
    std::frexp(v, &e);
    return e;  // v in [2^(e-1), 2^e)
  };
  const auto in_ulps = [](double v, int e) {  // v / ulp for ulp 2^(e - 53): an integer < 2^53
    return static_cast<int64_t>(std::ldexp(v, 53 - e));
  };
  bool have_prev = false;
  double prev = 0;
  while (times >= 2) {
    const double next = unit(unit(s));
    times -= 2;
    if (next == s) {
      times &= 1;  // unit is a function of s alone: every later pair leaves s as it is too
      break;
    }
    const int e = binade(s);
    const bool steady = have_prev && prev >= DBL_MIN && std::isfinite(next) && binade(prev) == e &&
                        binade(next) == e;
    if (steady) {
      const int64_t step = in_ulps(next, e) - in_ulps(s, e);  // > 0: next != s
      const int64_t at = in_ulps(next, e);
      const int64_t end = int64_t{1} << 53;  // 2^e in ulps
      const int64_t jumps = std::min((end - 1 - at) / step, times / 2);
      s = std::ldexp(static_cast<double>(at + jumps * step), e - 53);
      times -= 2 * jumps;
      have_prev = false;
      continue;
    }
    prev = s;
    s = next;
    have_prev = true;
  }
  while (times-- > 0) {
    s = unit(s);
  }
  return s;
}

}  // namespace nibble::timing

#endif  // NIBBLE_MODEL_TIMING_EXACT_DIV_H_
