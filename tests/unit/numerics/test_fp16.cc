// fp16.h: binary16 decoding, conversion from double, fp16_add and fp16_from_scaled_int.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

#include "model/numerics/fp16.h"
#include "model/numerics/random.h"
#include "tests/reference/ref_binary16.h"
#include "tests/reference/ref_random.h"
#include "tests/reference/ref_stochastic.h"
#include "tests/reference/ref_sweep.h"

namespace nibble::num {
namespace {

using ref::ref_add_binary16;
using ref::ref_decode_binary16;
using ref::ref_round_binary16;

constexpr double kInf = std::numeric_limits<double>::infinity();

Fp16 h(uint16_t bits) { return Fp16::from_bits(bits); }

bool same_double(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return a == b && std::signbit(a) == std::signbit(b);
}

TEST(Fp16, NamedConstants) {
  EXPECT_EQ(kFp16Zero.bits(), 0x0000);
  EXPECT_EQ(kFp16NegZero.bits(), 0x8000);
  EXPECT_EQ(kFp16One.to_double(), 1.0);
  EXPECT_EQ(kFp16Max.to_double(), 65504.0);
  EXPECT_EQ(kFp16MinNormal.to_double(), 0x1p-14);
  EXPECT_EQ(kFp16MinSubnormal.to_double(), 0x1p-24);
  EXPECT_EQ(kFp16Inf.to_double(), kInf);
  EXPECT_EQ(kFp16NegInf.to_double(), -kInf);
  EXPECT_TRUE(kFp16NaN.is_nan());
  EXPECT_EQ(Fp16().bits(), 0x0000);
  EXPECT_TRUE(h(0x3C00) == kFp16One);
  EXPECT_TRUE(h(0x0000) != kFp16NegZero);  // equality is bitwise, not numeric
}

TEST(Fp16, DecodeEveryBitPattern) {
  int mismatches = 0;
  for (uint32_t b = 0; b <= 0xFFFF; ++b) {
    const Fp16 x = h(static_cast<uint16_t>(b));
    const double want = ref_decode_binary16(static_cast<uint16_t>(b));
    const uint32_t e = (b >> 10) & 0x1F;
    const uint32_t m = b & 0x3FF;
    const bool ok = same_double(x.to_double(), want) && x.is_nan() == (e == 31 && m != 0) &&
                    x.is_inf() == (e == 31 && m == 0) && x.sign() == ((b & 0x8000) != 0);
    if (!ok && ++mismatches <= 5) {
      ADD_FAILURE() << std::hex << "0x" << b << std::hexfloat << " want " << want << " got "
                    << x.to_double();
    }
  }
  EXPECT_EQ(mismatches, 0);
}

TEST(Fp16, DecodeHandPickedValues) {
  EXPECT_EQ(h(0x0001).to_double(), 0x1p-24);
  EXPECT_EQ(h(0x03FF).to_double(), 1023 * 0x1p-24);
  EXPECT_EQ(h(0x0400).to_double(), 0x1p-14);
  EXPECT_EQ(h(0x3555).to_double(), 0x1.554p-2);
  EXPECT_EQ(h(0xC000).to_double(), -2.0);
  EXPECT_EQ(h(0x7BFF).to_double(), 65504.0);
  EXPECT_EQ(h(0xFBFF).to_double(), -65504.0);
}

TEST(Fp16, FromDoubleRoundTripsEveryBitPattern) {
  int mismatches = 0;
  for (uint32_t b = 0; b <= 0xFFFF; ++b) {
    const double v = ref_decode_binary16(static_cast<uint16_t>(b));
    const uint16_t want = std::isnan(v) ? 0x7E00 : static_cast<uint16_t>(b);
    const uint16_t got = Fp16::from_double(v).bits();
    if (got != want && ++mismatches <= 5) {
      ADD_FAILURE() << std::hex << "0x" << b << " -> 0x" << got;
    }
  }
  EXPECT_EQ(mismatches, 0);
}

TEST(Fp16, FromDoubleAtEveryMidpointAndItsNeighbours) {
  for (Overflow o : {Overflow::kInfinity, Overflow::kSaturate}) {
    const ref::RefOverflow ro =
        o == Overflow::kSaturate ? ref::RefOverflow::kSaturate : ref::RefOverflow::kInfinity;
    int mismatches = 0;
    int ref_mismatches = 0;
    for (const ref::RefCase& c : ref::ref_rounding_cases(ref::kRefBinary16, ro)) {
      const uint16_t got = Fp16::from_double(c.x, Rounding::kNearestEven, nullptr, o).bits();
      ref_mismatches += ref::ref_round(ref::kRefBinary16, c.x, ro) != c.bits ? 1 : 0;
      if (got != c.bits && ++mismatches <= 5) {
        ADD_FAILURE() << std::hexfloat << "x " << c.x << std::hex << " want 0x" << c.bits
                      << " got 0x" << got;
      }
    }
    EXPECT_EQ(mismatches, 0);
    EXPECT_EQ(ref_mismatches, 0);
  }
}

TEST(Fp16, FromDoubleHandPickedEdges) {
  EXPECT_EQ(Fp16::from_double(65519.99).bits(), 0x7BFF);
  EXPECT_EQ(Fp16::from_double(65520.0).bits(), 0x7C00);  // tie to even overflows
  EXPECT_EQ(Fp16::from_double(-65520.0).bits(), 0xFC00);
  EXPECT_EQ(Fp16::from_double(1e9, Rounding::kNearestEven, nullptr, Overflow::kSaturate).bits(),
            0x7BFF);
  EXPECT_EQ(Fp16::from_double(-kInf, Rounding::kNearestEven, nullptr, Overflow::kSaturate).bits(),
            0xFBFF);
  EXPECT_EQ(Fp16::from_double(kInf).bits(), 0x7C00);
  EXPECT_EQ(Fp16::from_double(0x1p-25).bits(), 0x0000);    // tie with 0: even
  EXPECT_EQ(Fp16::from_double(0x1.8p-24).bits(), 0x0002);  // 1.5 quanta: even is 2
  EXPECT_EQ(Fp16::from_double(0x1.0000000000001p-25).bits(), 0x0001);
  EXPECT_EQ(Fp16::from_double(-0x1p-26).bits(), 0x8000);  // underflow keeps the sign
  EXPECT_EQ(Fp16::from_double(1.0 + 0x1p-11).bits(), 0x3C00);
  EXPECT_EQ(Fp16::from_double(1.0 + 0x3p-11).bits(), 0x3C02);
  EXPECT_EQ(Fp16::from_double(0.1).bits(), 0x2E66);
  EXPECT_EQ(Fp16::from_double(-0.0).bits(), 0x8000);
  EXPECT_EQ(Fp16::from_double(std::numeric_limits<double>::quiet_NaN()).bits(), 0x7E00);
  EXPECT_EQ(Fp16::from_double(-std::numeric_limits<double>::quiet_NaN()).bits(), 0x7E00);
}

TEST(Fp16, FromDoubleMatchesReferenceOnRandomDoubles) {
  std::mt19937_64 gen(4242);
  std::uniform_real_distribution<double> log_mag(-30.0, 17.0);
  int mismatches = 0;
  for (int i = 0; i < 1000000; ++i) {
    double x = std::exp2(log_mag(gen));
    if ((gen() & 1u) != 0) x = -x;
    const uint16_t want = ref_round_binary16(x);
    const uint16_t got = Fp16::from_double(x).bits();
    if (got != want && ++mismatches <= 5) {
      ADD_FAILURE() << std::hexfloat << "x " << x << std::hex << " want 0x" << want << " got 0x"
                    << got;
    }
  }
  EXPECT_EQ(mismatches, 0);
}

// --- fp16_add --------------------------------------------------------------------------------

TEST(Fp16Add, SpecialClassesPairwise) {
  const uint16_t kSpecials[] = {0x0000, 0x8000, 0x0001, 0x8001, 0x0155, 0x03FF, 0x0400, 0x3C00,
                                0xBC00, 0x7BFF, 0xFBFF, 0x7C00, 0xFC00, 0x7E00, 0x7C01, 0xFE00};
  for (uint16_t a : kSpecials) {
    for (uint16_t b : kSpecials) {
      EXPECT_EQ(fp16_add(h(a), h(b)).bits(), ref_add_binary16(a, b))
          << std::hex << "0x" << a << " + 0x" << b;
    }
  }
}

TEST(Fp16Add, HandPickedResults) {
  struct Case {
    uint16_t a, b, sum;
  };
  const Case kCases[] = {
      {0x0000, 0x8000, 0x0000},  // +0 + -0 = +0
      {0x8000, 0x0000, 0x0000},
      {0x8000, 0x8000, 0x8000},  // only (-0) + (-0) is -0
      {0x3C00, 0xBC00, 0x0000},  // exact cancellation gives +0
      {0x8001, 0x0001, 0x0000},
      {0x7C00, 0xFC00, 0x7E00},  // Inf - Inf
      {0x7C01, 0x3C00, 0x7E00},  // signalling pattern: canonical NaN, no payload
      {0xFE00, 0x0000, 0x7E00},  // negative NaN: canonical (positive) NaN
      {0x7FFF, 0xFFFF, 0x7E00},
      {0x7C00, 0x7BFF, 0x7C00},
      {0xFC00, 0x7BFF, 0xFC00},
      {0x7BFF, 0x7BFF, 0x7C00},  // overflow
      {0x7BFF, 0x4C00, 0x7C00},  // 65504 + 16 = 65520: tie, to even = overflow
      {0x7BFF, 0x4BFF, 0x7BFF},  // 65504 + 15.99: below the tie
      {0xFBFF, 0xCC00, 0xFC00},
      {0x03FF, 0x0001, 0x0400},  // largest subnormal + smallest =
                                 // smallest normal
      {0x0400, 0x8001, 0x03FF},  // back into the subnormals
      {0x0001, 0x0001, 0x0002},
      {0x3C00, 0x1000, 0x3C00},  // 1 + 2^-11: tie, to even (down)
      {0x3C01, 0x1000, 0x3C02},  // 1 + 2^-10 + 2^-11: tie, to even (up)
      {0x3C00, 0x1001, 0x3C01},  // just above the tie
      {0x6800, 0x3C00, 0x6800},  // 2048 + 1 = 2048
      {0x6800, 0x4200, 0x6802},  // 2048 + 3 = 2051 -> 2052
      {0xE800, 0xC200, 0xE802},
      {0x3C00, 0x8C00, 0x3C00},  // 1 - 2^-12: tie at the binade edge, to
                                 // even (1.0)
      {0x3C00, 0x8C01, 0x3BFF},  // just beyond that tie
      {0x3C00, 0x9000, 0x3BFF},  // 1 - 2^-11 is exact
      {0x3C00, 0x8800, 0x3C00},  // 1 - 2^-13 is below the tie
  };
  for (const Case& c : kCases) {
    EXPECT_EQ(fp16_add(h(c.a), h(c.b)).bits(), c.sum) << std::hex << "0x" << c.a << " + 0x" << c.b;
    EXPECT_EQ(ref_add_binary16(c.a, c.b), c.sum) << "reference: " << std::hex << c.a << " " << c.b;
  }
}

struct AddRunStats {
  long mismatches = 0;
  long ties = 0;
  long cancellations = 0;
  long asymmetric = 0;
};

// Checks fp16_add on n pairs from `next_pair` against the reference, without per-pair gtest
// assertions (the run is long); reports the first few mismatches.
template <typename NextPair>
AddRunStats run_random_adds(long n, NextPair next_pair) {
  std::vector<double> decode(65536);
  for (uint32_t b = 0; b <= 0xFFFF; ++b) decode[b] = ref_decode_binary16(static_cast<uint16_t>(b));
  AddRunStats s;
  for (long i = 0; i < n; ++i) {
    uint16_t a = 0, b = 0;
    next_pair(a, b);
    const uint16_t want = ref_add_binary16(a, b);
    const uint16_t got = fp16_add(h(a), h(b)).bits();
    if (got != want && ++s.mismatches <= 8) {
      ADD_FAILURE() << std::hex << "0x" << a << " + 0x" << b << ": want 0x" << want << " got 0x"
                    << got;
    }
    if ((i & 15) == 0 && fp16_add(h(b), h(a)).bits() != got) ++s.asymmetric;
    const double x = decode[a], y = decode[b];
    const double sum = x + y;  // exact (see ref_add_binary16)
    if (std::isfinite(sum) && sum != 0.0) {
      if (ref::ref_bracket(ref::kRefBinary16, std::fabs(sum)).frac == 0.5) ++s.ties;
      if (std::fabs(sum) < 0.25 * std::max(std::fabs(x), std::fabs(y))) ++s.cancellations;
    }
  }
  return s;
}

TEST(Fp16Add, TenMillionUniformRandomPairs) {
  std::mt19937_64 gen(0x5EED0001);
  uint64_t pool = 0;
  int left = 0;
  const AddRunStats s = run_random_adds(10000000, [&](uint16_t& a, uint16_t& b) {
    if (left == 0) {
      pool = gen();
      left = 2;
    }
    a = static_cast<uint16_t>(pool);
    b = static_cast<uint16_t>(pool >> 16);
    pool >>= 32;
    --left;
  });
  RecordProperty("ties", static_cast<int>(s.ties));
  RecordProperty("cancellations", static_cast<int>(s.cancellations));
  EXPECT_EQ(s.mismatches, 0);
  EXPECT_EQ(s.asymmetric, 0);
  EXPECT_GT(s.ties, 100000);  // the run must exercise ties at all
}

TEST(Fp16Add, TenMillionPairsWithCloseExponents) {
  // Exponents within +-2 (and often opposite signs) make cancellations and exact ties common.
  std::mt19937_64 gen(0x5EED0002);
  const AddRunStats s = run_random_adds(10000000, [&](uint16_t& a, uint16_t& b) {
    const uint64_t r = gen();
    a = static_cast<uint16_t>(r);
    const int ea = (a >> 10) & 0x1F;
    const int eb = std::min(std::max(ea + static_cast<int>((r >> 16) % 5) - 2, 0), 30);
    uint32_t mb = static_cast<uint32_t>(r >> 24) & 0x3FF;
    if (((r >> 40) & 3) == 0) mb = (a & 0x3FFu) ^ (static_cast<uint32_t>(r >> 42) & 0x7u);
    const uint32_t sb = ((r >> 45) & 3) != 0 ? (~a & 0x8000u) : (a & 0x8000u);
    b = static_cast<uint16_t>(sb | (static_cast<uint32_t>(eb) << 10) | mb);
  });
  RecordProperty("ties", static_cast<int>(s.ties));
  RecordProperty("cancellations", static_cast<int>(s.cancellations));
  EXPECT_EQ(s.mismatches, 0);
  EXPECT_EQ(s.asymmetric, 0);
  EXPECT_GT(s.ties, 500000);
  EXPECT_GT(s.cancellations, 500000);
}

// --- fp16_from_scaled_int --------------------------------------------------------------------

TEST(Fp16FromScaledInt, MatchesReferenceOnRandomExactValues) {
  std::mt19937_64 gen(17);
  int mismatches = 0;
  for (int i = 0; i < 300000; ++i) {
    const int width = static_cast<int>(gen() % 53);
    int64_t p = width == 0 ? 0 : static_cast<int64_t>(gen() >> (64 - width));
    if ((gen() & 1u) != 0) p = -p;
    const int exp2 = static_cast<int>(gen() % 90) - 70;
    const double x = std::ldexp(static_cast<double>(p), exp2);  // exact
    const uint16_t want = p == 0 ? uint16_t{0} : ref_round_binary16(x);
    const uint16_t got = fp16_from_scaled_int(p, exp2).bits();
    if (got != want && ++mismatches <= 5) {
      ADD_FAILURE() << "p " << p << " exp2 " << exp2 << std::hex << " want 0x" << want << " got 0x"
                    << got;
    }
  }
  EXPECT_EQ(mismatches, 0);
}

TEST(Fp16FromScaledInt, HandPickedValues) {
  const int64_t one = int64_t{1} << 62;
  EXPECT_EQ(fp16_from_scaled_int(0, 0).bits(), 0x0000);
  EXPECT_EQ(fp16_from_scaled_int(0, -30).bits(), 0x0000);
  EXPECT_EQ(fp16_from_scaled_int(-120, 0).bits(), 0xD780);
  EXPECT_EQ(fp16_from_scaled_int(225, 0).bits(), 0x5B08);
  EXPECT_EQ(fp16_from_scaled_int(15, 11).bits(), 0x7780);  // 30720
  EXPECT_EQ(fp16_from_scaled_int(1, -24).bits(), 0x0001);
  EXPECT_EQ(fp16_from_scaled_int(-1, -24).bits(), 0x8001);
  EXPECT_EQ(fp16_from_scaled_int(1, -25).bits(), 0x0000);  // tie with zero: even
  EXPECT_EQ(fp16_from_scaled_int(3, -25).bits(), 0x0002);
  EXPECT_EQ(fp16_from_scaled_int(1, 16).bits(), 0x7C00);
  EXPECT_EQ(fp16_from_scaled_int(-65520, 0).bits(), 0xFC00);
  EXPECT_EQ(fp16_from_scaled_int(65519, 0).bits(), 0x7BFF);
  EXPECT_EQ(fp16_from_scaled_int(one + 1, -62).bits(), 0x3C00);
  EXPECT_EQ(fp16_from_scaled_int(one + (int64_t{1} << 51), -62).bits(), 0x3C00);  // tie
  EXPECT_EQ(fp16_from_scaled_int(one + (int64_t{1} << 51) + 1, -62).bits(), 0x3C01);
  EXPECT_EQ(fp16_from_scaled_int(-(one + (int64_t{1} << 51) + 1), -62).bits(), 0xBC01);
  EXPECT_EQ(fp16_from_scaled_int(std::numeric_limits<int64_t>::min(), -63).bits(), 0xBC00);
  EXPECT_EQ(fp16_from_scaled_int(std::numeric_limits<int64_t>::max(), -63).bits(), 0x3C00);
  EXPECT_EQ(fp16_from_scaled_int(1, 200).bits(), 0x7C00);
  EXPECT_EQ(fp16_from_scaled_int(1, -200).bits(), 0x0000);
}

// --- stochastic rounding ---------------------------------------------------------------------

TEST(Fp16Stochastic, FromDoubleFollowsTheDrawRule) {
  std::mt19937_64 gen(3);
  std::uniform_real_distribution<double> log_mag(-27.0, 15.9);
  Rng rng(1234);
  ref::RefSplitMix64 ref(1234);
  int mismatches = 0;
  for (int i = 0; i < 200000; ++i) {
    double x = std::exp2(log_mag(gen));
    if (i % 4 == 0) x = ref_decode_binary16(static_cast<uint16_t>(gen() % 0x7C00));  // exact
    if ((gen() & 1u) != 0) x = -x;
    const uint64_t r = ref.next();  // one draw per value, exact or not (rounding.h)
    const uint32_t want = ref::ref_is_exact(ref::kRefBinary16, x)
                              ? ref_round_binary16(x)
                              : ref::ref_round_stochastic(ref::kRefBinary16, x, r);
    const uint16_t got = Fp16::from_double(x, Rounding::kStochastic, &rng).bits();
    if (got != want && ++mismatches <= 5) {
      ADD_FAILURE() << std::hexfloat << "x " << x << std::hex << " want 0x" << want << " got 0x"
                    << got;
    }
  }
  EXPECT_EQ(mismatches, 0);
  EXPECT_EQ(rng.next_u64(), ref.next()) << "draw count drifted";
}

TEST(Fp16Stochastic, UnbiasedAndAlwaysANeighbour) {
  // x, and its neighbours lo < hi on the binary16 grid.
  struct Case {
    double x, lo, hi;
  };
  const Case kCases[] = {
      {1.0 + 0x1p-12, 1.0, 1.0 + 0x1p-10},  // p = 1/4
      {0.1, 0x1.998p-4, 0x1.99cp-4},        // p = 0.4
      {0.15 * 0x1p-24, 0.0, 0x1p-24},       // below the smallest subnormal
      {-1000.3, -1000.5, -1000.0},          // negative, p(up in magnitude) = 0.6
      {65510.0, 65504.0, 65536.0},          // may round to the (overflowing) next value
  };
  for (const Case& c : kCases) {
    Rng rng(99);
    const ref::StochasticSample s = ref::sample_stochastic(c.x, c.lo, c.hi, 1000000, [&] {
      const Fp16 r = Fp16::from_double(c.x, Rounding::kStochastic, &rng);
      return r.is_inf() ? 65536.0 : r.to_double();
    });
    EXPECT_EQ(s.outside, 0) << c.x;
    EXPECT_LT(s.z(), 5.0) << "x " << c.x << " mean " << s.mean();
  }
}

TEST(Fp16Stochastic, ExactValuesUnchangedAndSameSeedSameSequence) {
  for (uint64_t seed = 0; seed < 200; ++seed) {
    Rng rng(seed);
    for (double x : {0.0, -0.0, 1.0, 65504.0, 0x1p-24, -0x1.554p-2, -kInf}) {
      ASSERT_EQ(Fp16::from_double(x, Rounding::kStochastic, &rng).bits(), ref_round_binary16(x));
    }
  }
  Rng a(6), b(6);
  for (int i = 0; i < 1000; ++i) {
    const double x = 1.0 + i * 0x1p-15;
    ASSERT_EQ(Fp16::from_double(x, Rounding::kStochastic, &a),
              Fp16::from_double(x, Rounding::kStochastic, &b));
  }
}

TEST(Fp16Stochastic, NullRngThrows) {
  EXPECT_THROW(Fp16::from_double(0.1, Rounding::kStochastic, nullptr), std::invalid_argument);
}

}  // namespace
}  // namespace nibble::num
