// The parsed, immutable description of a workload: a list of GEMMs. Every frontend (nibble
// traces, SCALE-Sim topologies) produces these; the timing, SystemC and energy models consume
// them and never look at the text they came from.
//
// Convention (as SCALE-Sim's GEMM form): C[M x N] = A[M x K] * B[K x N]. For a convolution
// lowered to a GEMM, M = output pixels (times batch), N = filters, K = Fh * Fw * Cin.
#ifndef NIBBLE_MODEL_WORKLOAD_GEMM_SPEC_H_
#define NIBBLE_MODEL_WORKLOAD_GEMM_SPEC_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/numerics/format.h"

namespace nibble::workload {

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

// A convolution as SCALE-Sim describes it (no padding, batch 1), kept next to its GEMM lowering
// because SCALE-Sim's access counts and start/stop cycles depend on which im2col entries fall
// outside the image. A GEMM row of SCALE-Sim's `-i gemm` form is the conv
// {H = M, W = K, Fh = 1, Fw = K, C = 1, N, 1, 1}.
struct ConvShape {
  int64_t ifmap_h = 1;
  int64_t ifmap_w = 1;
  int64_t filter_h = 1;
  int64_t filter_w = 1;
  int64_t channels = 1;
  int64_t num_filters = 1;
  int64_t stride_h = 1;
  int64_t stride_w = 1;

  // Output size as SCALE-Sim computes it: ceil((H - Fh + S) / S), no padding.
  int64_t out_h() const { return (ifmap_h - filter_h + stride_h + stride_h - 1) / stride_h; }
  int64_t out_w() const { return (ifmap_w - filter_w + stride_w + stride_w - 1) / stride_w; }
  int64_t gemm_m() const { return out_h() * out_w(); }
  int64_t gemm_n() const { return num_filters; }
  int64_t gemm_k() const { return filter_h * filter_w * channels; }
  // True when every im2col entry lies inside the image (always true for GEMM rows).
  bool all_windows_inside() const {
    return (out_h() - 1) * stride_h + filter_h <= ifmap_h &&
           (out_w() - 1) * stride_w + filter_w <= ifmap_w;
  }
  static ConvShape from_gemm(int64_t m, int64_t n, int64_t k) { return {m, k, 1, k, 1, n, 1, 1}; }
};

// The data commands of a trace that concern one GEMM (docs/trace-format.md, "Data commands"),
// used by the SystemC engine's functional and detailed modes; timing ignores them.
struct GemmData {
  std::string a_file;  // load a=: A (M x K) codes, one byte per element; path as resolved
  std::string b_file;  // load b=: B (K x N)
  SourceLocation load_where;
  std::optional<double> scale;  // scale value=: one FP16 scale for the whole output
  std::string scale_file;       // scale file=: N little-endian binary16 scales, one per column
  SourceLocation scale_where;
  std::optional<uint32_t> expect_crc;  // expect crc=: the output's CRC-32
  SourceLocation expect_where;
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
  // Set for layers read from a SCALE-Sim topology; m, n, k equal its GEMM lowering.
  std::optional<ConvShape> conv;
  GemmData data;

  int64_t macs() const { return m * n * k; }  // per repeat
};

// "file:line: gemm 'name'", the prefix of every error message about one GEMM.
std::string gemm_where(const GemmSpec& g);

// The most GEMMs one workload may hold (a trace's GEMM lines, a topology's layers after depthwise
// expansion, a lowering's GEMMs). Reports keep every GEMM of every array in memory, about 35 KB
// each with the six baselines, so this bounds a run to about 3.5 GB (docs/trace-format.md).
inline constexpr int64_t kMaxGemms = 100000;

struct Workload {
  std::string name;
  std::vector<GemmSpec> gemms;
  uint64_t seed = 0;  // `seed` command: generates the tensors no `load` names (functional mode)
  SourceLocation seed_where;
};

// m * n * k * repeat of g, or nullopt when it exceeds int64.
std::optional<int64_t> checked_total_macs(const GemmSpec& g);

// The sum of m * n * k * repeat over w's GEMMs, or INT64_MAX when it exceeds int64: for progress
// displays (the models report an overflow as an error, naming the GEMM).
int64_t total_macs_saturated(const Workload& w);

}  // namespace nibble::workload

#endif  // NIBBLE_MODEL_WORKLOAD_GEMM_SPEC_H_
