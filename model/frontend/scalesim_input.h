// Readers of SCALE-Sim v2's input files: the architecture `.cfg` (an INI file) and the topology
// CSV in its conv form (the default) and its GEMM form (SCALE-Sim's `-i gemm`). docs/scalesim.md
// is the specification: every key, every quirk kept from SCALE-Sim, and every place where nibble
// reports an error where SCALE-Sim would go on silently (or crash later). This code implements
// exactly that page.
#ifndef NIBBLE_MODEL_FRONTEND_SCALESIM_INPUT_H_
#define NIBBLE_MODEL_FRONTEND_SCALESIM_INPUT_H_

#include <cstdint>
#include <iosfwd>
#include <string>

#include "model/timing/arch_spec.h"
#include "model/workload/gemm_spec.h"

namespace nibble::frontend {

// Limits of the topology reader: every integer field of a row lies in [1, kScaleSimMaxField]
// (int32, as SCALE-Sim's address matrices); a workload holds at most kScaleSimMaxLayers layers
// after depthwise expansion (workload::kMaxGemms).
inline constexpr int64_t kScaleSimMaxField = 2147483647;  // 2^31 - 1
inline constexpr int64_t kScaleSimMaxLayers = workload::kMaxGemms;

// Reads a SCALE-Sim .cfg. source names the text in errors. Sets the array (rows, cols,
// dataflow), the SRAM sizes and banks, the scalesim block (run_name, offsets, bandwidth,
// interface mode) and mode = TimingMode::kCompat; every other field keeps its ArchSpec default.
// Throws InputError on the first problem: a syntax error, an unknown section or key, a duplicate,
// a bad value (with its line and the offending text), or a missing required key (naming key
// and section; the line is the section header's, or 0 if the section is absent).
// InterfaceBandwidth USER is read (interface_bandwidth_calc = false); whether a consumer supports
// it is the consumer's business.
timing::ArchSpec parse_scalesim_cfg(std::istream& in, const std::string& source);

// Opens path and parses it. A file that cannot be opened is an InputError with line 0.
timing::ArchSpec read_scalesim_cfg(const std::string& path);

// The two layouts of a topology CSV: conv rows `name, H, W, Fh, Fw, C, N, S[, Sw]` or GEMM rows
// `name, M, N, K` (SCALE-Sim's `-i gemm`).
enum class TopologyForm { kConv, kGemm };

// Reads a topology. source names the text in errors and in each GemmSpec::where; the workload
// is named after its stem ("alexnet" for "topologies/alexnet.csv"). Each layer becomes one
// GemmSpec with conv set to its ConvShape, m, n, k its GEMM lowering, a = b = int4, out = fp16,
// pass kNone, repeat 1 (SCALE-Sim has no number formats; compat timing counts words and ignores
// them). A conv row whose name contains "DP" is expanded into one layer per channel, as
// SCALE-Sim does. Throws InputError on the first problem, with its line and the offending field.
workload::Workload parse_scalesim_topology(std::istream& in, const std::string& source,
                                           TopologyForm form);

// Opens path and parses it. A file that cannot be opened is an InputError with line 0.
workload::Workload read_scalesim_topology(const std::string& path, TopologyForm form);

}  // namespace nibble::frontend

#endif  // NIBBLE_MODEL_FRONTEND_SCALESIM_INPUT_H_
