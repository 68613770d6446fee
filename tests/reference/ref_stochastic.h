// Test-only helper: draws N stochastic roundings of one value and summarises them, so a test
// can check that every result is one of the two neighbours and that the mean is unbiased.
#ifndef NIBBLE_TESTS_REFERENCE_REF_STOCHASTIC_H_
#define NIBBLE_TESTS_REFERENCE_REF_STOCHASTIC_H_

#include <cmath>

namespace nibble::ref {

struct StochasticSample {
  double x;      // the value rounded
  double lo;     // its lower neighbour on the grid
  double hi;     // its upper neighbour
  long n;        // draws
  long ups;      // results equal to hi
  long outside;  // results equal to neither neighbour (must be 0)

  double p_up() const { return (x - lo) / (hi - lo); }
  double mean() const { return lo + (hi - lo) * static_cast<double>(ups) / static_cast<double>(n); }
  // Standard error of the mean of n two-point draws: gap * sqrt(p (1 - p) / n).
  double standard_error() const {
    const double p = p_up();
    return (hi - lo) * std::sqrt(p * (1.0 - p) / static_cast<double>(n));
  }
  // |mean - x| in standard errors.
  double z() const { return std::fabs(mean() - x) / standard_error(); }
};

// `round_once` returns the dequantized value of one stochastic rounding of x.
template <typename RoundOnce>
StochasticSample sample_stochastic(double x, double lo, double hi, long n, RoundOnce round_once) {
  StochasticSample s{x, lo, hi, n, 0, 0};
  for (long i = 0; i < n; ++i) {
    const double v = round_once();
    if (v == hi) {
      ++s.ups;
    } else if (v != lo) {
      ++s.outside;
    }
  }
  return s;
}

}  // namespace nibble::ref

#endif  // NIBBLE_TESTS_REFERENCE_REF_STOCHASTIC_H_
