// nibble formats: prints the number formats so a user can see them. Every value comes from
// model/numerics; this file only lays them out.
#include <cstdio>
#include <iostream>
#include <string>

#include "model/cli/command.h"
#include "model/cli/options.h"
#include "model/numerics/fp16.h"
#include "model/numerics/fp4.h"
#include "model/numerics/fp8.h"
#include "model/numerics/int4.h"
#include "model/numerics/minifloat.h"

namespace nibble::cli {
namespace {

namespace num = nibble::num;
namespace po = boost::program_options;

std::string exact(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);  // exact for every value printed here
  return buf;
}

std::string bits4(unsigned code) {
  std::string s;
  for (int b = 3; b >= 0; --b) {
    s += ((code >> b) & 1U) != 0 ? '1' : '0';
  }
  return s;
}

std::string pow2(int e) { return "2^" + std::to_string(e); }

void print_int4() {
  std::printf(
      "INT4 (signed, two's complement) and UINT4 (unsigned)\n"
      "  quantize(x, scale): v = x / scale in binary64, rounded to an integer (rne: ties to\n"
      "  even; stochastic: up with probability v - floor(v)), then saturated to [-8, 7] or\n"
      "  [0, 15]. NaN -> 0; +-Inf saturate.\n\n"
      "  code  bits  int4  uint4\n");
  for (unsigned c = 0; c < 16; ++c) {
    std::printf("  0x%X   %s  %4d  %5d\n", c, bits4(c).c_str(), num::int4_value(num::Code4(c)),
                num::uint4_value(num::Code4(c)));
  }
  std::printf("\n");
}

void print_fp4(int bias) {
  const num::Fp4Spec p0{bias, 0};
  const num::Fp4Spec p1{bias, 1};
  std::printf(
      "Radix-4 FP4 [sign 1, exponent 3, mantissa 0], bias %d, two-phase rounding (TPR)\n"
      "  exponent field 0 is zero; fields 1..7 are +-2^phase * 4^(e - bias).\n"
      "  phase 0 grid {4^k}, phase 1 grid {2 * 4^k}: same code, the factor 2 is in the scale.\n\n"
      "  code  bits  sign  exp  phase 0                   phase 1\n",
      bias);
  for (unsigned c = 0; c < 16; ++c) {
    const auto code = num::Code4(c);
    std::string v0 = "0";
    std::string v1 = "0";
    if (!num::fp4_is_zero(code)) {
      const char* s = num::fp4_negative(code) ? "-" : "+";
      v0 = s + pow2(num::fp4_exp2(code, p0)) + " = " + exact(num::fp4_value(code, p0));
      v1 = s + pow2(num::fp4_exp2(code, p1)) + " = " + exact(num::fp4_value(code, p1));
    } else if (num::fp4_negative(code)) {
      v0 = v1 = "-0 (input only)";
    }
    std::printf("  0x%X   %s  %s     %u    %-24s  %s\n", c, bits4(c).c_str(),
                num::fp4_negative(code) ? "-" : "+", c & 7U, v0.c_str(), v1.c_str());
  }
  std::printf(
      "\n  Nearest rounding of |x|: to the next field at and above the arithmetic midpoint of\n"
      "  two neighbours (ties away from zero). Thresholds:\n"
      "  fields   phase 0                    phase 1\n");
  for (int e = 0; e < 7; ++e) {
    std::printf("  %d -> %d   %-25s  %s\n", e, e + 1, exact(num::fp4_threshold(e, p0)).c_str(),
                exact(num::fp4_threshold(e, p1)).c_str());
  }
  std::printf(
      "  Underflow: |x| below the 0 -> 1 threshold gives +0. Overflow: |x| >= max (and Inf)\n"
      "  saturates to +-max. NaN gives +0. Stochastic: up with probability\n"
      "  (|x| - lo) / (hi - lo) between neighbours lo < hi.\n\n");
}

void print_fp16_rules() {
  std::printf(
      "FP16 accumulation (IEEE 754 binary16: sign 1, exponent 5, bias 15, mantissa 10)\n"
      "  products: a 4-bit x 4-bit product (INT4 x INT4, FP4 x INT4 = a shift) is converted\n"
      "            to binary16 exactly; zero products are +0.\n"
      "  order:    acc = +0 (or the carried-in partial sum);\n"
      "            for k = 0 .. K-1: acc = acc + product[k]\n"
      "  rounding: one rounding per add, to nearest, ties to even.\n"
      "  range:    max finite %s; smallest normal %s;\n"
      "            smallest subnormal %s; subnormals kept (no flush to zero);\n"
      "            overflow gives +-Inf.\n"
      "  specials: a NaN operand or Inf + (-Inf) gives the canonical NaN 0x7E00;\n"
      "            an exact zero sum is +0, except (-0) + (-0) = -0.\n\n",
      exact(num::kFp16Max.to_double()).c_str(), exact(num::kFp16MinNormal.to_double()).c_str(),
      exact(num::kFp16MinSubnormal.to_double()).c_str());
}

void print_other_formats() {
  std::printf(
      "FP8 (OCP OFP8): E4M3 bias 7, max %s, no Inf, NaN S.1111.111; E5M2 bias 15, max %s,\n"
      "  IEEE Inf/NaN. Quantizer: x / scale rounded once (rne or stochastic), saturating.\n"
      "FP16 baseline MAC: acc32 = acc32 + a16 * b16 in binary32, product exact, one rounding\n"
      "  (ties to even), subnormals kept, canonical NaN 0x7FC00000.\n",
      exact(num::fp8_decode(num::Fp8Kind::kE4M3, 0x7E)).c_str(),
      exact(num::fp8_decode(num::Fp8Kind::kE5M2, 0x7B)).c_str());
}

}  // namespace

int run_formats(const std::vector<std::string>& args) {
  po::options_description desc("Options");
  int bias = num::kFp4DefaultBias;
  desc.add_options()("fp4-bias", po::value<int>(&bias)->default_value(num::kFp4DefaultBias),
                     "FP4 exponent bias for the FP4 table, in [2, 13]");
  po::variables_map vm;
  if (!parse_options("formats", "[--fp4-bias N]", desc, args, vm)) {
    return 0;
  }
  if (bias < num::kFp4MinBias || bias > num::kFp4MaxBias) {
    throw UsageError("--fp4-bias " + std::to_string(bias) + " is outside [2, 13]");
  }
  print_int4();
  print_fp4(bias);
  print_fp16_rules();
  print_other_formats();
  return 0;
}

}  // namespace nibble::cli
