#include "model/workload/gemm_spec.h"

#include <limits>
#include <stdexcept>

#include "model/numerics/fp4.h"
#include "model/numerics/product.h"

namespace nibble::workload {
namespace {

constexpr Pass kAllPasses[] = {Pass::kNone, Pass::kFwd, Pass::kDgrad, Pass::kWgrad};

bool is_fp8(num::Format f) { return f == num::Format::kFp8E4M3 || f == num::Format::kFp8E5M2; }

}  // namespace

const char* pass_name(Pass p) {
  switch (p) {
    case Pass::kNone:
      return "-";
    case Pass::kFwd:
      return "fwd";
    case Pass::kDgrad:
      return "dgrad";
    case Pass::kWgrad:
      return "wgrad";
  }
  return "?";
}

std::optional<Pass> parse_pass(std::string_view name) {
  for (Pass p : kAllPasses) {
    if (name == pass_name(p)) {
      return p;
    }
  }
  return std::nullopt;
}

std::string gemm_where(const GemmSpec& g) {
  return g.where.file + ":" + std::to_string(g.where.line) + ": gemm '" + g.name + "'";
}

std::string format_spec_name(const FormatSpec& f) {
  std::string name = num::format_name(f.format);
  // A phase that is out of range, or set on a format other than fp4, is printed too, so that an
  // invalid spec never prints as a valid one (it fails to parse back instead).
  if (f.format == num::Format::kFp4 || f.tpr_phase != 0) {
    name += ":p" + std::to_string(f.tpr_phase);
  }
  return name;
}

std::optional<FormatSpec> parse_format_spec(std::string_view text) {
  const size_t colon = text.find(':');
  const std::optional<num::Format> format = num::parse_format(text.substr(0, colon));
  if (!format) {
    return std::nullopt;
  }
  if (colon == std::string_view::npos) {
    return FormatSpec{*format, 0};
  }
  // Only fp4 carries a suffix: the TPR phase of its grid.
  const std::string_view suffix = text.substr(colon + 1);
  if (*format != num::Format::kFp4) {
    return std::nullopt;
  }
  if (suffix == "p0") {
    return FormatSpec{*format, 0};
  }
  if (suffix == "p1") {
    return FormatSpec{*format, 1};
  }
  return std::nullopt;
}

std::optional<std::string> operand_pair_error(const FormatSpec& a, const FormatSpec& b) {
  if (num::is_4bit(a.format) && num::is_4bit(b.format)) {
    // The numerics library is the one authority on which 4-bit products a PE computes.
    try {
      num::Operand4 oa{a.format, num::Fp4Spec{num::kFp4DefaultBias, a.tpr_phase}};
      num::Operand4 ob{b.format, num::Fp4Spec{num::kFp4DefaultBias, b.tpr_phase}};
      num::validate_pair(oa, ob);
      return std::nullopt;
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
  }
  if (is_fp8(a.format) && is_fp8(b.format)) {
    return std::nullopt;
  }
  if (a.format == num::Format::kFp16 && b.format == num::Format::kFp16) {
    return std::nullopt;
  }
  return "the array multiplies a 4-bit pair (int4/uint4 with int4/uint4/fp4, not fp4 x fp4), "
         "fp8 x fp8 or fp16 x fp16";
}

std::optional<int64_t> checked_total_macs(const GemmSpec& g) {
  int64_t mn = 0, mnk = 0, macs = 0;
  if (__builtin_mul_overflow(g.m, g.n, &mn) || __builtin_mul_overflow(mn, g.k, &mnk) ||
      __builtin_mul_overflow(mnk, g.repeat, &macs)) {
    return std::nullopt;
  }
  return macs;
}

int64_t total_macs_saturated(const Workload& w) {
  int64_t total = 0;
  for (const GemmSpec& g : w.gemms) {
    const std::optional<int64_t> macs = checked_total_macs(g);
    if (!macs || __builtin_add_overflow(total, *macs, &total)) {
      return std::numeric_limits<int64_t>::max();
    }
  }
  return total;
}

}  // namespace nibble::workload
