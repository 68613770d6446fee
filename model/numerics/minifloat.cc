#include "model/numerics/minifloat.h"

#include <cmath>
#include <cstring>

#include "model/numerics/quantize_many.h"

namespace nibble::num {
namespace {

int bit_length(uint64_t v) { return 64 - __builtin_clzll(v); }

// floor(rem * 2^(64 - d)) for rem < 2^d: the stochastic threshold for d dropped bits.
uint64_t stochastic_threshold(uint64_t rem, int d) {
  if (d < 64) {
    return rem << (64 - d);
  }
  if (d - 64 >= 64) {
    return 0;
  }
  return rem >> (d - 64);
}

// The bodies of round_pack_with and encode_double, inline here so that encode_doubles' loop
// inlines them.
inline uint32_t round_pack_core(const FloatFormat& fmt, bool negative, uint64_t sig, int exp2,
                                Rounding mode, Overflow overflow, uint64_t random_word) {
  const uint32_t sign = negative ? fmt.sign_bit() : 0;
  if (sig == 0) {
    return sign;
  }
  const int lead = exp2 + bit_length(sig) - 1;  // exponent of the leading one
  const int emin = fmt.min_normal_exp();
  const bool subnormal = lead < emin;
  const int quantum = (subnormal ? emin : lead) - fmt.man_bits;  // exponent of the result's LSB
  const int drop = quantum - exp2;

  uint64_t keep = 0;  // significand in units of 2^quantum, hidden bit included
  if (drop <= 0) {
    keep = sig << -drop;  // exact; at most man_bits + 1 bits
  } else {
    const uint64_t rem = drop >= 64 ? sig : sig & ((uint64_t{1} << drop) - 1);
    keep = drop >= 64 ? 0 : sig >> drop;
    if (rem != 0) {
      bool up = false;
      if (mode == Rounding::kStochastic) {
        up = random_word < stochastic_threshold(rem, drop);
      } else if (drop <= 64) {
        const uint64_t half = uint64_t{1} << (drop - 1);
        up = rem > half || (rem == half && (keep & 1) != 0);
      }  // drop > 64: rem < 2^64 <= half, so nearest rounds down
      keep += up ? 1 : 0;
    }
  }

  // Subnormal: field 0 and mantissa keep; keep == 2^man_bits lands exactly on the smallest
  // normal encoding. Normal: (field - 1) << man_bits plus keep with its hidden bit, so a carry
  // out of the significand increments the exponent field.
  const uint64_t magnitude =
      subnormal ? keep : (static_cast<uint64_t>(lead + fmt.bias - 1) << fmt.man_bits) + keep;
  if (magnitude > fmt.max_finite_bits()) {
    if (overflow == Overflow::kSaturate) {
      return sign | fmt.max_finite_bits();
    }
    return fmt.has_inf ? sign | fmt.inf_bits() : fmt.canonical_nan();
  }
  return sign | static_cast<uint32_t>(magnitude);
}

inline uint32_t encode_double_core(const FloatFormat& fmt, double x, Rounding mode,
                                   Overflow overflow, Rng* rng) {
  const uint64_t word = draw_for(mode, rng);
  if (std::isnan(x)) {
    return fmt.canonical_nan();
  }
  const bool negative = std::signbit(x);
  const uint32_t sign = negative ? fmt.sign_bit() : 0;
  if (std::isinf(x)) {
    if (overflow == Overflow::kSaturate) {
      return sign | fmt.max_finite_bits();
    }
    return fmt.has_inf ? sign | fmt.inf_bits() : fmt.canonical_nan();
  }
  uint64_t bits = 0;
  std::memcpy(&bits, &x, sizeof bits);
  const int field = static_cast<int>((bits >> 52) & 0x7FF);
  const uint64_t fraction = bits & ((uint64_t{1} << 52) - 1);
  const uint64_t sig = field == 0 ? fraction : fraction | (uint64_t{1} << 52);
  const int exp2 = (field == 0 ? 1 : field) - 1075;
  return round_pack_core(fmt, negative, sig, exp2, mode, overflow, word);
}

template <class Code>
void encode_doubles_to(const FloatFormat& fmt, const double* x, size_t n, const ScaleSpan& scales,
                       Rounding mode, Overflow overflow, Rng* rng, Code* out) {
  check_scales(scales, fmt.name);
  for_each_scaled(x, n, scales, [&](size_t i, double v) {
    out[i] = static_cast<Code>(encode_double_core(fmt, v, mode, overflow, rng));
  });
}

}  // namespace

uint32_t round_pack_with(const FloatFormat& fmt, bool negative, uint64_t sig, int exp2,
                         Rounding mode, Overflow overflow, uint64_t random_word) {
  return round_pack_core(fmt, negative, sig, exp2, mode, overflow, random_word);
}

void encode_doubles(const FloatFormat& fmt, const double* x, size_t n, const ScaleSpan& scales,
                    Rounding mode, Overflow overflow, Rng* rng, uint8_t* out) {
  encode_doubles_to(fmt, x, n, scales, mode, overflow, rng, out);
}

void encode_doubles(const FloatFormat& fmt, const double* x, size_t n, const ScaleSpan& scales,
                    Rounding mode, Overflow overflow, Rng* rng, uint16_t* out) {
  encode_doubles_to(fmt, x, n, scales, mode, overflow, rng, out);
}

uint32_t round_pack(const FloatFormat& fmt, bool negative, uint64_t sig, int exp2, Rounding mode,
                    Overflow overflow, Rng* rng) {
  return round_pack_with(fmt, negative, sig, exp2, mode, overflow, draw_for(mode, rng));
}

uint32_t encode_double(const FloatFormat& fmt, double x, Rounding mode, Overflow overflow,
                       Rng* rng) {
  return encode_double_core(fmt, x, mode, overflow, rng);
}

double decode_to_double(const FloatFormat& fmt, uint32_t bits) {
  const bool negative = (bits & fmt.sign_bit()) != 0;
  const uint32_t magnitude = bits & fmt.magnitude_mask();
  if (is_nan(fmt, bits)) {
    return std::nan("");
  }
  if (is_inf(fmt, bits)) {
    return negative ? -HUGE_VAL : HUGE_VAL;
  }
  const int field = static_cast<int>(magnitude >> fmt.man_bits);
  const uint32_t mantissa = magnitude & ((uint32_t{1} << fmt.man_bits) - 1);
  const double value =
      field == 0 ? std::ldexp(static_cast<double>(mantissa), fmt.min_normal_exp() - fmt.man_bits)
                 : std::ldexp(static_cast<double>(mantissa | (uint32_t{1} << fmt.man_bits)),
                              field - fmt.bias - fmt.man_bits);
  return negative ? -value : value;
}

bool is_nan(const FloatFormat& fmt, uint32_t bits) {
  const uint32_t magnitude = bits & fmt.magnitude_mask();
  if (fmt.has_inf) {
    return magnitude > fmt.inf_bits();
  }
  return magnitude == fmt.magnitude_mask();
}

bool is_inf(const FloatFormat& fmt, uint32_t bits) {
  return fmt.has_inf && (bits & fmt.magnitude_mask()) == fmt.inf_bits();
}

}  // namespace nibble::num
