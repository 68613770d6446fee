#include "model/numerics/format.h"

namespace nibble::num {

const char* format_name(Format f) {
  switch (f) {
    case Format::kInt4:
      return "int4";
    case Format::kUint4:
      return "uint4";
    case Format::kFp4:
      return "fp4";
    case Format::kFp8E4M3:
      return "fp8_e4m3";
    case Format::kFp8E5M2:
      return "fp8_e5m2";
    case Format::kFp16:
      return "fp16";
    case Format::kFp32:
      return "fp32";
  }
  return "?";
}

std::optional<Format> parse_format(std::string_view name) {
  for (Format f : kAllFormats) {
    if (name == format_name(f)) {
      return f;
    }
  }
  return std::nullopt;
}

int format_bits(Format f) {
  switch (f) {
    case Format::kInt4:
    case Format::kUint4:
    case Format::kFp4:
      return 4;
    case Format::kFp8E4M3:
    case Format::kFp8E5M2:
      return 8;
    case Format::kFp16:
      return 16;
    case Format::kFp32:
      return 32;
  }
  return 0;
}

bool is_4bit(Format f) { return format_bits(f) == 4; }

}  // namespace nibble::num
