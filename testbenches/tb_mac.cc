// tb_mac: rtl/nibble_mac.sv against num::product_fp16 + num::fp16_add: 10^6 seeded random
// accumulate steps in chains (dot products over random operand formats and codes, with
// bypassed steps), and the bypass (mac_en_i = 0) for every partial sum.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>

#include "Vnibble_mac.h"
#include "model/numerics/fp16.h"
#include "model/numerics/product.h"
#include "testbenches/rtl_formats.h"
#include "verilated.h"

namespace nibble::tb {
namespace {

using num::Format;
using num::Fp16;
using num::Operand4;

// A random PE operand pair (default bias): never FP4 x FP4.
void random_pair(std::mt19937_64& gen, Operand4* fa, Operand4* fb) {
  const Operand4 kinds[] = {operand(Format::kInt4), operand(Format::kUint4),
                            operand(Format::kFp4, 0), operand(Format::kFp4, 1)};
  do {
    *fa = kinds[gen() % 4];
    *fb = kinds[gen() % 4];
  } while (fa->format == Format::kFp4 && fb->format == Format::kFp4);
}

TEST(TbMac, MillionRandomAccumulateSteps) {
  VerilatedContext context;
  Vnibble_mac dut{&context};
  std::mt19937_64 gen(0x6d6163ULL);  // fixed seed: "mac"
  constexpr int64_t kSteps = 1'000'000;
  int64_t steps = 0;
  int64_t active = 0;
  int64_t chains = 0;
  int64_t overflowed = 0;
  while (steps < kSteps) {
    Operand4 fa;
    Operand4 fb;
    random_pair(gen, &fa, &fb);
    num::validate_pair(fa, fb);
    // A chain starts at +0 or at a carried-in partial sum: a random finite binary16, one of
    // magnitude >= 2^14 (so that some chains overflow), or -0.
    Fp16 psum = num::kFp16Zero;
    switch (gen() % 4) {
      case 0:
        psum = Fp16::from_bits(static_cast<uint16_t>(gen() % 0x7C00 | (gen() & 0x8000)));
        break;
      case 1:
        psum = Fp16::from_bits(static_cast<uint16_t>((0x7400 + gen() % 0x800) | (gen() & 0x8000)));
        break;
      case 2:
        if (gen() % 4 == 0) {
          psum = num::kFp16NegZero;  // a -0 carry-in: a +0 product must make it +0
        }
        break;
      default:
        break;
    }
    const int length = 1 + static_cast<int>(gen() % 512);
    for (int k = 0; k < length; ++k) {
      const auto a = static_cast<num::Code4>(gen() & 0xF);
      const auto b = static_cast<num::Code4>(gen() & 0xF);
      const bool mac_en = gen() % 8 != 0;
      dut.fmt_a_i = rtl_operand_fmt(fa);
      dut.fmt_b_i = rtl_operand_fmt(fb);
      dut.a_i = a;
      dut.b_i = b;
      dut.mac_en_i = mac_en;
      dut.psum_i = psum.bits();
      dut.eval();
      const Fp16 want = mac_en ? num::fp16_add(psum, num::product_fp16(fa, a, fb, b)) : psum;
      ASSERT_EQ(dut.psum_o, want.bits())
          << "chain " << chains << " step " << k << ": psum " << std::hex << psum.bits() << " + "
          << num::format_name(fa.format) << " " << int(a) << " x " << num::format_name(fb.format)
          << " " << int(b) << ", mac_en " << mac_en;
      psum = want;
      ++steps;
      active += mac_en ? 1 : 0;
    }
    overflowed += psum.is_inf() ? 1 : 0;
    ++chains;
  }
  EXPECT_GE(steps, kSteps);
  EXPECT_GT(active, kSteps / 2);
  EXPECT_GT(chains, 1000);
  EXPECT_GT(overflowed, 0);  // some chains reach Inf, and keep it
  dut.final();
}

// mac_en_i = 0 passes every partial sum through unchanged, -0 and NaN payloads included.
TEST(TbMac, BypassPassesEveryPartialSum) {
  VerilatedContext context;
  Vnibble_mac dut{&context};
  dut.fmt_a_i = rtl_operand_fmt(operand(Format::kFp4, 1));
  dut.fmt_b_i = rtl_operand_fmt(operand(Format::kInt4));
  dut.a_i = 0x7;
  dut.b_i = 0x3;
  dut.mac_en_i = 0;
  for (uint32_t bits = 0; bits <= 0xFFFF; ++bits) {
    dut.psum_i = static_cast<uint16_t>(bits);
    dut.eval();
    ASSERT_EQ(dut.psum_o, bits);
  }
  // The same step enabled adds 2 * 3 = 6: -0 + 6 = 6 (0x4600).
  dut.mac_en_i = 1;
  dut.psum_i = 0x8000;
  dut.eval();
  EXPECT_EQ(dut.psum_o, 0x4600);
  dut.final();
}

}  // namespace
}  // namespace nibble::tb
