#include "model/cli/work_limit.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "model/cli/command.h"
#include "model/report/progress.h"
#include "model/timing/realistic.h"

namespace nibble::cli {
namespace {

// Rates measured on the reference machine (docs/cli.md, "Work limits", gives the runs): one
// core of a 2-core x86-64 VM with AVX2, Release build.
constexpr double kTilesPerSecond = 2.0e6;             // SystemC: tiles replayed, any array
constexpr double kValueMacsPerSecond = 2.0e9;         // functional: MACs of values
constexpr double kValueElementsPerSecond = 5.0e7;     // functional: A, B and output elements
constexpr double kDetailedPeStepsPerSecond = 1.5e7;   // detailed: PE-cycles
constexpr double kRtlPeLaneCyclesPerSecond = 1.2e7;   // cosim: RTL cycles x PEs x lanes
constexpr double kScalesimAccessesPerSecond = 3.0e8;  // scalesim: SRAM accesses streamed
// Memory per element held: an A or B code (the tensor, its copies in DRAM and a scratchpad)
// and an output (FP16 accumulator, output and staging copies); scalesim: its im2col tables.
constexpr double kBytesPerOperandElement = 5;
constexpr double kBytesPerOutputElement = 8;
constexpr double kScalesimBytesPerTableEntry = 24;

double d(int64_t v) { return static_cast<double>(v); }

// The GEMM of most estimated time, as "file:line: gemm 'name'".
struct Heaviest {
  double seconds = -1;
  std::string where;
  void offer(double s, const std::string& w) {
    if (s > seconds) {
      seconds = s;
      where = w;
    }
  }
};

std::string bytes_text(double b) {
  char buf[32];
  if (b >= 1 << 30) {
    std::snprintf(buf, sizeof buf, "%.1f GiB", b / (1 << 30));
  } else {
    std::snprintf(buf, sizeof buf, "%.0f MiB", b / (1 << 20));
  }
  return buf;
}

}  // namespace

std::string duration_text(double seconds) {
  char buf[48];
  if (seconds < 90) {
    std::snprintf(buf, sizeof buf, "%.0f s", seconds);
  } else if (seconds < 90 * 60) {
    std::snprintf(buf, sizeof buf, "%.1f minutes", seconds / 60);
  } else if (seconds < 48 * 3600) {
    std::snprintf(buf, sizeof buf, "%.1f hours", seconds / 3600);
  } else if (seconds < 2 * 365.25 * 86400) {
    std::snprintf(buf, sizeof buf, "%.0f days", seconds / 86400);
  } else {
    std::snprintf(buf, sizeof buf, "%.2g years", seconds / (365.25 * 86400));
  }
  return buf;
}

WorkEstimate estimate_systemc(const std::vector<energy::ArrayJob>& jobs,
                              const energy::JobTimings& analytic, sc::EngineMode mode) {
  WorkEstimate e;
  double tiles = 0, macs = 0, elements = 0, pe_steps = 0;
  Heaviest heaviest;
  for (size_t j = 0; j < jobs.size(); ++j) {
    const workload::Workload& w = *jobs[j].workload;
    const timing::ArchSpec& arch = jobs[j].arch;
    for (size_t i = 0; i < w.gemms.size(); ++i) {
      const workload::GemmSpec& g = w.gemms[i];
      const timing::GemmTiming& t = analytic.at(j).at(i);
      const double repeat = d(g.repeat);
      double s = d(t.tiles) * repeat / kTilesPerSecond;
      tiles += d(t.tiles) * repeat;
      if (j == 0 && mode != sc::EngineMode::kTimingOnly) {
        const double operands = d(g.m) * d(g.k) + d(g.k) * d(g.n);
        const double outputs = d(g.m) * d(g.n);
        e.bytes = std::max(e.bytes,
                           operands * kBytesPerOperandElement + outputs * kBytesPerOutputElement);
        if (mode == sc::EngineMode::kFunctional) {
          const double gemm_macs = d(g.m) * d(g.n) * d(g.k) * repeat;
          macs += gemm_macs;
          elements += (operands + outputs) * repeat;
          s += gemm_macs / kValueMacsPerSecond +
               (operands + outputs) * repeat / kValueElementsPerSecond;
        } else {
          const double steps = d(t.cycles) * d(arch.array.rows) * d(arch.array.cols);
          pe_steps += steps;
          s += steps / kDetailedPeStepsPerSecond;
        }
      }
      e.seconds += s;
      heaviest.offer(s, workload::gemm_where(g));
    }
  }
  e.what = report::si_text(tiles) + " tiles";
  if (mode == sc::EngineMode::kFunctional) {
    e.what += ", " + report::si_text(macs) + " MACs and " + report::si_text(elements) +
              " elements of values";
  } else if (mode == sc::EngineMode::kDetailed) {
    e.what += ", " + report::si_text(pe_steps) + " PE-cycles one by one";
  }
  e.heaviest = heaviest.where;
  return e;
}

WorkEstimate estimate_cosim(const workload::Workload& w, const timing::ArchSpec& arch) {
  WorkEstimate e;
  double cycles = 0;
  double out_bytes = 0;
  Heaviest heaviest;
  const double pes = d(arch.array.rows) * d(arch.array.cols) * d(arch.pe.lanes);
  for (const workload::GemmSpec& g : w.gemms) {
    // The array's own schedule, every repeat (the analytic timing's compute_cycles, whose cost
    // does not grow with the GEMM; array_schedule_cycles would walk every tile).
    const double c = d(timing::time_realistic(g, arch).compute_cycles);
    cycles += c;
    const double operands = d(g.m) * d(g.k) + d(g.k) * d(g.n);
    const double outputs = d(g.m) * d(g.n);
    // Every GEMM's operands are made before the first runs; outputs one GEMM at a time.
    e.bytes += operands * kBytesPerOperandElement;
    out_bytes = std::max(out_bytes, outputs * kBytesPerOutputElement);
    const double s = c * pes / kRtlPeLaneCyclesPerSecond +
                     d(g.m) * d(g.n) * d(g.k) * d(g.repeat) / kValueMacsPerSecond;
    e.seconds += s;
    heaviest.offer(s, workload::gemm_where(g));
  }
  e.bytes += out_bytes;
  e.what = report::si_text(cycles) + " RTL cycles on " + report::si_text(pes) + " PE lanes";
  e.heaviest = heaviest.where;
  return e;
}

WorkEstimate estimate_scalesim_dram(const workload::Workload& w,
                                    const std::vector<timing::CompatLayer>& layers) {
  WorkEstimate e;
  double accesses = 0;
  Heaviest heaviest;
  for (size_t i = 0; i < w.gemms.size() && i < layers.size(); ++i) {
    const workload::GemmSpec& g = w.gemms[i];
    const timing::CompatLayer& l = layers[i];
    const double a = d(l.sram_ifmap.count) + d(l.sram_filter.count) + d(l.sram_ofmap.count);
    accesses += a;
    const double s = a / kScalesimAccessesPerSecond;
    e.seconds += s;
    e.bytes = std::max(e.bytes, (d(g.m) + d(g.k)) * kScalesimBytesPerTableEntry);
    heaviest.offer(s, workload::gemm_where(g));
  }
  e.what = report::si_text(accesses) + " SRAM accesses streamed for the DRAM columns";
  e.heaviest = heaviest.where;
  return e;
}

void check_work(const WorkEstimate& e, const std::string& engine, bool allow_long) {
  const bool slow = e.seconds > kWorkLimitSeconds;
  const bool big = e.bytes > kMemoryLimitBytes;
  if (allow_long || (!slow && !big)) {
    return;
  }
  std::string line = engine + " would take about " + duration_text(e.seconds) + " (" + e.what + ")";
  if (big) {
    line += " and about " + bytes_text(e.bytes) + " of memory";
  }
  line += "; the limits are " + duration_text(kWorkLimitSeconds) + " and " +
          bytes_text(kMemoryLimitBytes) + " (docs/cli.md, \"Work limits\")";
  if (!e.heaviest.empty()) {
    line += "; most of it: " + e.heaviest;
  }
  throw UsageError(line + "; pass --allow-long to run it anyway");
}

}  // namespace nibble::cli
