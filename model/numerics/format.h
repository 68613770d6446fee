// The format table: every number format nibble knows, its name and its storage width. Traces,
// configs, the timing model (bytes moved) and the RTL package (rtl/) all take widths from here.
#ifndef NIBBLE_MODEL_NUMERICS_FORMAT_H_
#define NIBBLE_MODEL_NUMERICS_FORMAT_H_

#include <optional>
#include <string_view>

namespace nibble::num {

enum class Format { kInt4, kUint4, kFp4, kFp8E4M3, kFp8E5M2, kFp16, kFp32 };

inline constexpr Format kAllFormats[] = {Format::kInt4,    Format::kUint4,   Format::kFp4,
                                         Format::kFp8E4M3, Format::kFp8E5M2, Format::kFp16,
                                         Format::kFp32};

// Canonical name: int4, uint4, fp4, fp8_e4m3, fp8_e5m2, fp16, fp32.
const char* format_name(Format f);
std::optional<Format> parse_format(std::string_view name);
// Bits one element occupies in SRAM, DRAM and on a bus.
int format_bits(Format f);
// True for the 4-bit operand formats a 4-bit PE multiplies (int4, uint4, fp4).
bool is_4bit(Format f);

}  // namespace nibble::num

#endif  // NIBBLE_MODEL_NUMERICS_FORMAT_H_
