// format.h: the format table (names, widths, 4-bit predicate).
#include <gtest/gtest.h>

#include <iterator>
#include <optional>
#include <string>
#include <string_view>

#include "model/numerics/format.h"

namespace nibble::num {
namespace {

struct Expected {
  Format format;
  const char* name;
  int bits;
  bool four_bit;
};

constexpr Expected kTable[] = {
    {Format::kInt4, "int4", 4, true},         {Format::kUint4, "uint4", 4, true},
    {Format::kFp4, "fp4", 4, true},           {Format::kFp8E4M3, "fp8_e4m3", 8, false},
    {Format::kFp8E5M2, "fp8_e5m2", 8, false}, {Format::kFp16, "fp16", 16, false},
    {Format::kFp32, "fp32", 32, false},
};

TEST(Format, NamesWidthsAndFourBitPredicate) {
  for (const Expected& e : kTable) {
    SCOPED_TRACE(e.name);
    EXPECT_STREQ(format_name(e.format), e.name);
    EXPECT_EQ(format_bits(e.format), e.bits);
    EXPECT_EQ(is_4bit(e.format), e.four_bit);
  }
}

TEST(Format, AllFormatsListsEveryFormatOnce) {
  ASSERT_EQ(std::size(kAllFormats), std::size(kTable));
  for (size_t i = 0; i < std::size(kTable); ++i) EXPECT_EQ(kAllFormats[i], kTable[i].format);
}

TEST(Format, NamesRoundTripThroughParse) {
  for (Format f : kAllFormats) {
    const std::optional<Format> parsed = parse_format(format_name(f));
    ASSERT_TRUE(parsed.has_value()) << format_name(f);
    EXPECT_EQ(*parsed, f);
  }
  // A string_view that is not NUL-terminated must still parse by its length.
  const std::string padded = "fp16x";
  EXPECT_EQ(parse_format(std::string_view(padded).substr(0, 4)), Format::kFp16);
}

TEST(Format, UnknownNamesGiveNullopt) {
  for (const char* name : {"", "int8", "fp8", "bf16", "fp64", "int4 ", " int4", "fp16x", "uint",
                           "fp8_e4m3fn", "fp8-e4m3", "int"}) {
    EXPECT_EQ(parse_format(name), std::nullopt) << '"' << name << '"';
  }
}

}  // namespace
}  // namespace nibble::num
