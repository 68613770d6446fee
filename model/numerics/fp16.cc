#include "model/numerics/fp16.h"

#include <cstdlib>

#include "model/numerics/quantize_many.h"

namespace nibble::num {
namespace {

// A finite binary16 value as a signed integer count of 2^-24, the subnormal quantum: every
// finite binary16 value is such a multiple, below 2^40 in magnitude, so the sum of two is
// exact in int64 and rounding happens once, afterwards.
int64_t to_fixed(uint16_t bits) {
  const int field = (bits >> 10) & 0x1F;
  const int64_t mantissa = bits & 0x3FF;
  const int64_t magnitude = field == 0 ? mantissa : (mantissa | 0x400) << (field - 1);
  return (bits & 0x8000) != 0 ? -magnitude : magnitude;
}

constexpr int kFixedExp2 = -24;

}  // namespace

Fp16 Fp16::from_double(double x, Rounding mode, Rng* rng, Overflow overflow) {
  return Fp16::from_bits(static_cast<uint16_t>(encode_double(kBinary16, x, mode, overflow, rng)));
}

void fp16_from_doubles(const double* x, size_t n, const ScaleSpan& scales, Rounding mode, Rng* rng,
                       uint16_t* out) {
  if (n == 0) {
    return;  // nothing to quantize, no scale read (an empty tensor)
  }
  check_scales(scales, "fp16 quantizer");
  encode_doubles(kBinary16, x, n, scales, mode, Overflow::kInfinity, rng, out);
}

double Fp16::to_double() const { return decode_to_double(kBinary16, bits_); }
bool Fp16::is_nan() const { return num::is_nan(kBinary16, bits_); }
bool Fp16::is_inf() const { return num::is_inf(kBinary16, bits_); }

Fp16 fp16_add(Fp16 a, Fp16 b) {
  const bool a_special = (a.bits() & 0x7C00) == 0x7C00;
  const bool b_special = (b.bits() & 0x7C00) == 0x7C00;
  if (a_special || b_special) {
    if (a.is_nan() || b.is_nan()) {
      return kFp16NaN;
    }
    if (a_special && b_special) {
      return a.sign() == b.sign() ? a : kFp16NaN;  // Inf + -Inf is invalid
    }
    return a_special ? a : b;
  }
  const int64_t sum = to_fixed(a.bits()) + to_fixed(b.bits());
  if (sum == 0) {
    return a.sign() && b.sign() ? kFp16NegZero : kFp16Zero;
  }
  return Fp16::from_bits(static_cast<uint16_t>(
      round_pack_with(kBinary16, sum < 0, static_cast<uint64_t>(std::llabs(sum)), kFixedExp2,
                      Rounding::kNearestEven, Overflow::kInfinity, 0)));
}

Fp16 fp16_from_scaled_int(int64_t p, int exp2) {
  if (p == 0) {
    return kFp16Zero;
  }
  const uint64_t magnitude =
      p < 0 ? uint64_t{0} - static_cast<uint64_t>(p) : static_cast<uint64_t>(p);
  return Fp16::from_bits(static_cast<uint16_t>(round_pack_with(
      kBinary16, p < 0, magnitude, exp2, Rounding::kNearestEven, Overflow::kInfinity, 0)));
}

}  // namespace nibble::num
