// The quantizers of many values (quantize_many.h) against the element quantizers they loop
// over: the same code for every value, scale and rounding mode, and in stochastic mode the same
// random words drawn in the same order (the same Rng sequence afterwards). Values: zeros of
// both signs, NaN, infinities, every format's ties and saturation edges, subnormals, and 2^16
// random values over 80 binary orders of magnitude; one scale, and one per channel.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <stdexcept>
#include <vector>

#include "model/numerics/fp16.h"
#include "model/numerics/fp4.h"
#include "model/numerics/fp8.h"
#include "model/numerics/int4.h"
#include "model/numerics/quantize_many.h"

namespace nibble::num {
namespace {

std::vector<double> test_values() {
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> v = {0.0,
                           -0.0,
                           std::nan(""),
                           inf,
                           -inf,
                           0.5,
                           -0.5,
                           1.5,
                           2.5,
                           -2.5,
                           7.5,
                           -8.5,
                           14.5,
                           15.5,
                           16.0,
                           -9.0,
                           448.0,
                           464.0,
                           480.0,
                           57344.0,
                           61440.0,
                           65504.0,
                           65520.0,
                           65536.0,
                           5.960464477539063e-08,
                           2.980232238769531e-08,
                           1e-300,
                           -1e-300,
                           4.9e-324};
  for (int e = 0; e < 7; ++e) {  // FP4 thresholds and magnitudes, both phases, default bias
    for (int phase = 0; phase < 2; ++phase) {
      v.push_back(fp4_threshold(e, Fp4Spec{kFp4DefaultBias, phase}));
      v.push_back(-fp4_threshold(e, Fp4Spec{kFp4DefaultBias, phase}));
    }
  }
  Rng rng(20261205);
  for (int i = 0; i < (1 << 16); ++i) {
    const double mantissa = rng.next_unit() * 2 - 1;
    const int exp2 = static_cast<int>(rng.next_u64() % 80) - 50;
    v.push_back(std::ldexp(mantissa, exp2));
  }
  return v;
}

// The element quantizer of one format, and its many-value form, as byte codes.
struct Quantizer {
  const char* name;
  std::function<uint32_t(double, double, Rounding, Rng*)> one;
  std::function<void(const double*, size_t, const ScaleSpan&, Rounding, Rng*, uint32_t*)> many;
};

template <class Code, class F>
std::function<void(const double*, size_t, const ScaleSpan&, Rounding, Rng*, uint32_t*)> widen(F f) {
  return [f](const double* x, size_t n, const ScaleSpan& s, Rounding m, Rng* r, uint32_t* out) {
    std::vector<Code> codes(n);
    f(x, n, s, m, r, codes.data());
    for (size_t i = 0; i < n; ++i) {
      out[i] = codes[i];
    }
  };
}

std::vector<Quantizer> quantizers() {
  const Fp4Spec p1{kFp4DefaultBias, 1};
  const Fp4Spec b3{3, 0};
  return {
      {"int4", [](double x, double s, Rounding m, Rng* r) { return quantize_int4(x, s, m, r); },
       widen<Code4>(quantize_int4_many)},
      {"uint4", [](double x, double s, Rounding m, Rng* r) { return quantize_uint4(x, s, m, r); },
       widen<Code4>(quantize_uint4_many)},
      {"fp4:p1",
       [p1](double x, double s, Rounding m, Rng* r) { return quantize_fp4(x, p1, s, m, r); },
       widen<Code4>([p1](const double* x, size_t n, const ScaleSpan& s, Rounding m, Rng* r,
                         Code4* o) { quantize_fp4_many(x, n, p1, s, m, r, o); })},
      {"fp4 bias 3",
       [b3](double x, double s, Rounding m, Rng* r) { return quantize_fp4(x, b3, s, m, r); },
       widen<Code4>([b3](const double* x, size_t n, const ScaleSpan& s, Rounding m, Rng* r,
                         Code4* o) { quantize_fp4_many(x, n, b3, s, m, r, o); })},
      {"fp8_e4m3",
       [](double x, double s, Rounding m, Rng* r) {
         return fp8_quantize(Fp8Kind::kE4M3, x, s, m, r);
       },
       widen<uint8_t>([](const double* x, size_t n, const ScaleSpan& s, Rounding m, Rng* r,
                         uint8_t* o) { fp8_quantize_many(Fp8Kind::kE4M3, x, n, s, m, r, o); })},
      {"fp8_e5m2",
       [](double x, double s, Rounding m, Rng* r) {
         return fp8_quantize(Fp8Kind::kE5M2, x, s, m, r);
       },
       widen<uint8_t>([](const double* x, size_t n, const ScaleSpan& s, Rounding m, Rng* r,
                         uint8_t* o) { fp8_quantize_many(Fp8Kind::kE5M2, x, n, s, m, r, o); })},
      {"fp16",
       [](double x, double s, Rounding m, Rng* r) { return Fp16::from_double(x / s, m, r).bits(); },
       widen<uint16_t>(fp16_from_doubles)},
  };
}

TEST(QuantizeMany, EqualsTheElementQuantizerOnEveryValueScaleAndMode) {
  const std::vector<double> x = test_values();
  const std::vector<double> unit = {1.0};  // the ties listed above are ties at scale 1
  const std::vector<double> one = {0.375};
  const std::vector<double> channels = {1.0, 0.25, 3.0, 1e-3, 7.0};  // 5 channels of 7
  const std::vector<ScaleSpan> spans = {
      {unit.data(), 1, 1}, {one.data(), 1, 1}, {channels.data(), 5, 7}};
  for (const Quantizer& q : quantizers()) {
    for (const Rounding mode : {Rounding::kNearestEven, Rounding::kStochastic}) {
      for (const ScaleSpan& span : spans) {
        SCOPED_TRACE(std::string(q.name) + " " + rounding_name(mode) + " " +
                     std::to_string(span.count) + " scales");
        Rng r_one(77);
        Rng r_many(77);
        std::vector<uint32_t> got(x.size());
        q.many(x.data(), x.size(), span, mode, &r_many, got.data());
        size_t differ = 0;
        for (size_t i = 0; i < x.size(); ++i) {
          const double scale = span.values[(i / span.inner) % span.count];
          if (q.one(x[i], scale, mode, &r_one) != got[i] && ++differ < 5) {
            ADD_FAILURE() << "x[" << i << "] = " << x[i] << " scale " << scale;
          }
        }
        EXPECT_EQ(differ, 0U);
        EXPECT_EQ(r_one.next_u64(), r_many.next_u64());  // as many words drawn
      }
    }
  }
}

TEST(QuantizeMany, RejectsBadScalesBeforeWriting) {
  const double x[2] = {1.0, 2.0};
  uint8_t out[2] = {0xAA, 0xAA};
  const double bad[2] = {1.0, -1.0};
  EXPECT_THROW(quantize_int4_many(x, 2, {bad, 2, 1}, Rounding::kNearestEven, nullptr, out),
               std::invalid_argument);
  const double zero = 0.0;
  EXPECT_THROW(
      fp8_quantize_many(Fp8Kind::kE4M3, x, 2, {&zero, 1, 1}, Rounding::kNearestEven, nullptr, out),
      std::invalid_argument);
  const double one = 1.0;
  EXPECT_THROW(
      quantize_fp4_many(x, 2, Fp4Spec{1, 0}, {&one, 1, 1}, Rounding::kNearestEven, nullptr, out),
      std::invalid_argument);
  EXPECT_THROW(quantize_uint4_many(x, 2, {&one, 1, 1}, Rounding::kStochastic, nullptr, out),
               std::invalid_argument);
  EXPECT_EQ(out[0], 0xAA);
  EXPECT_EQ(out[1], 0xAA);
  // An empty tensor reads no scale (a per-channel axis of length 0 has none).
  EXPECT_NO_THROW(quantize_int4_many(x, 0, {nullptr, 0, 0}, Rounding::kNearestEven, nullptr, out));
  EXPECT_NO_THROW(
      fp16_from_doubles(x, 0, {nullptr, 0, 0}, Rounding::kNearestEven, nullptr, nullptr));
}

}  // namespace
}  // namespace nibble::num
