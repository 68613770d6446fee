// repeat_units (model/timing/exact_div.h) against the loop it stands for: the same double, bit
// for bit, for sums of SCALE-Sim's per-fold values and for addends chosen to tie (odd multiples
// of half an ulp), from zero and from other starts, over runs long enough to cross many
// binades and to be skipped.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "model/timing/exact_div.h"

namespace {

using nibble::timing::exact_ratio;
using nibble::timing::repeat_units;
using nibble::timing::Uint128;

uint64_t bits(double v) {
  uint64_t b = 0;
  std::memcpy(&b, &v, sizeof b);
  return b;
}

double naive(double s, int64_t times, const std::vector<double>& unit) {
  for (int64_t i = 0; i < times; ++i) {
    for (const double x : unit) {
      s += x;
    }
  }
  return s;
}

TEST(RepeatUnits, EqualsTheLoopOnRandomUnits) {
  std::mt19937_64 rng(20261206);
  const auto pick = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  int skipped = 0;
  for (int i = 0; i < 3000; ++i) {
    std::vector<double> unit(static_cast<size_t>(pick(1, 3)));
    for (double& x : unit) {
      switch (pick(0, 3)) {
        case 0:  // a fold's share of the array, as the mapping efficiency has
          x = exact_ratio(static_cast<Uint128>(pick(1, 4096)), static_cast<Uint128>(4096));
          break;
        case 1:  // a compute utilization: used PEs x T over PEs x fold cycles
          x = exact_ratio(static_cast<Uint128>(pick(1, 1024)) * pick(1, 5000),
                          static_cast<Uint128>(1024) * pick(5000, 9000));
          break;
        case 2:  // an odd multiple of a power of two: ties once the sum is large enough
          x = std::ldexp(static_cast<double>(2 * pick(0, 50) + 1), static_cast<int>(pick(-30, 0)));
          break;
        default:  // tiny next to the sum: rounds to nothing or to a tie
          x = std::ldexp(1.0, static_cast<int>(pick(-60, -40)));
          break;
      }
    }
    const double start = pick(0, 3) == 0 ? std::ldexp(static_cast<double>(pick(1, 1000)), 10) : 0;
    const int64_t times = pick(0, 4) == 0 ? pick(0, 20) : pick(1000, 300000);
    int64_t calls = 0;
    const double got = repeat_units(start, times, [&](double s) {
      ++calls;
      for (const double x : unit) {
        s += x;
      }
      return s;
    });
    const double want = naive(start, times, unit);
    ASSERT_EQ(bits(got), bits(want)) << "case " << i << ": " << times << " units from " << start;
    skipped += calls < times ? 1 : 0;
  }
  // Most long runs were added without calling every unit.
  EXPECT_GT(skipped, 2000);
}

TEST(RepeatUnits, LongRunsCostCallsPerBinadeNotPerUnit) {
  // 2^40 additions of 0.75: the loop would take hours; a few calls per binade here. The value
  // follows by hand: exact while the sum stays below 2^52 (0.75 * 2^40 = 824633720832).
  int64_t calls = 0;
  const double got = repeat_units(0.0, int64_t{1} << 40, [&](double s) {
    ++calls;
    return s + 0.75;
  });
  EXPECT_EQ(got, 824633720832.0);
  EXPECT_LT(calls, 2000);
  // Past 2^53 an addend of 1 is a tie at every step and rounds to even: the sum stays at 2^53.
  const double stuck = repeat_units(std::ldexp(1.0, 53), 1000000, [](double s) { return s + 1; });
  EXPECT_EQ(stuck, std::ldexp(1.0, 53));
  // A unit that leaves the sum alone, at zero: one pair tells, whatever the count.
  calls = 0;
  EXPECT_EQ(repeat_units(0.0, int64_t{1} << 62,
                         [&](double s) {
                           ++calls;
                           return s + 0.0;
                         }),
            0.0);
  EXPECT_LE(calls, 2);
  // A sum that overflows to infinity stays there, as the loop's does.
  EXPECT_EQ(repeat_units(1e308, 1000, [](double s) { return s + 1e308; }),
            naive(1e308, 1000, {1e308}));
}

}  // namespace
