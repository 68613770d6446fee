// The parsed, immutable description of a workload: a list of GEMMs. Every frontend (nibble
// traces, SCALE-Sim topologies) produces these; the timing, SystemC and energy models consume
// them and never look at the text they came from.
//
// Convention (as SCALE-Sim's GEMM form): C[M x N] = A[M x K] * B[K x N]. For a convolution
// lowered to a GEMM, M = output pixels (times batch), N = filters, K = Fh * Fw * Cin.
#ifndef NIBBLE_MODEL_FRONTEND_GEMM_SPEC_H_
#define NIBBLE_MODEL_FRONTEND_GEMM_SPEC_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/numerics/format.h"

namespace nibble::frontend {

// Which training GEMM a line is. kNone for inference-only or SCALE-Sim layers.
enum class Pass { kNone, kFwd, kDgrad, kWgrad };

const char* pass_name(Pass p);  // "-", "fwd", "dgrad", "wgrad"
std::optional<Pass> parse_pass(std::string_view name);

// One operand or result format; tpr_phase is meaningful for fp4 only (0 or 1).
struct FormatSpec {
  num::Format format = num::Format::kInt4;
  int tpr_phase = 0;

  friend bool operator==(const FormatSpec& a, const FormatSpec& b) {
    return a.format == b.format && a.tpr_phase == b.tpr_phase;
  }
};

// Text form: "int4", "uint4", "fp4:p0", "fp4:p1", "fp8_e4m3", "fp8_e5m2", "fp16", "fp32".
// Plain "fp4" means phase 0.
std::string format_spec_name(const FormatSpec& f);
std::optional<FormatSpec> parse_format_spec(std::string_view text);

// Why the array cannot multiply A in format a by B in format b, or nullopt if it can. Allowed:
// a 4-bit PE pair (num::validate_pair: int4/uint4 with int4/uint4/fp4, not fp4 x fp4), fp8 x fp8
// (E4M3 and E5M2 in any mix), fp16 x fp16 (the baseline).
std::optional<std::string> operand_pair_error(const FormatSpec& a, const FormatSpec& b);

// Where a spec came from, for error messages and reports.
struct SourceLocation {
  std::string file;
  int line = 0;
};

struct GemmSpec {
  std::string name;
  int64_t m = 0;
  int64_t n = 0;
  int64_t k = 0;
  FormatSpec a;                           // A[M x K]: activations / gradients
  FormatSpec b;                           // B[K x N]: weights / gradients
  FormatSpec out{num::Format::kFp16, 0};  // C as written back (after the scale unit)
  Pass pass = Pass::kNone;
  int64_t repeat = 1;  // identical GEMMs run back to back
  SourceLocation where;

  int64_t macs() const { return m * n * k; }  // per repeat
};

struct Workload {
  std::string name;
  std::vector<GemmSpec> gemms;
};

}  // namespace nibble::frontend

#endif  // NIBBLE_MODEL_FRONTEND_GEMM_SPEC_H_
