// Work limits of the engines that walk every tile, value or cycle (docs/cli.md, "Work limits"):
// the SystemC engine (timing-only, functional, detailed), `nibble cosim` and the DRAM columns
// of `nibble scalesim`. Their work is estimated before they start, from the analytic timing
// (which costs the same whatever the GEMM's size), and a run estimated above the limits is
// refused with one line saying what it would cost, unless --allow-long.
#ifndef NIBBLE_MODEL_CLI_WORK_LIMIT_H_
#define NIBBLE_MODEL_CLI_WORK_LIMIT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "model/energy/baseline.h"
#include "model/sc/engine.h"
#include "model/timing/scalesim_compat.h"
#include "model/workload/gemm_spec.h"

namespace nibble::cli {

// The limits: estimated wall time on one core, and memory. Above either, a run needs
// --allow-long.
inline constexpr double kWorkLimitSeconds = 600;
inline constexpr double kMemoryLimitBytes = 8.0 * (int64_t{1} << 30);

// What a walking run would do. Counts are doubles: a refused run may exceed 64 bits.
struct WorkEstimate {
  double seconds = 0;    // estimated wall time, one core, at the rates of docs/cli.md
  double bytes = 0;      // estimated peak memory of the data the run holds at once
  std::string what;      // the work, for the error line ("1.2e+13 MACs of values, 4.1e+06 tiles")
  std::string heaviest;  // the GEMM or layer of most estimated time: "file:line: gemm 'name'"
};

// The SystemC engine on these jobs (the 4-bit array first, in `mode`; the baselines
// timing-only), from their analytic timings (one entry per job and GEMM).
WorkEstimate estimate_systemc(const std::vector<energy::ArrayJob>& jobs,
                              const energy::JobTimings& analytic, sc::EngineMode mode);

// nibble cosim: the RTL array's cycles on R x C PEs of L lanes, one GEMM after another.
WorkEstimate estimate_cosim(const workload::Workload& w, const timing::ArchSpec& arch);

// nibble scalesim's DRAM columns: the streaming model visits every SRAM access of each layer
// (`layers` are compat_compute_and_sram's results, in workload order).
WorkEstimate estimate_scalesim_dram(const workload::Workload& w,
                                    const std::vector<timing::CompatLayer>& layers);

// Throws UsageError ("<command>: <what>: about <time> ... pass --allow-long") when the
// estimate is above a limit and allow_long is false.
void check_work(const WorkEstimate& e, const std::string& engine, bool allow_long);

// "42 s", "3.5 minutes", "7.1 hours", "12 days", "3.4e+05 years".
std::string duration_text(double seconds);

}  // namespace nibble::cli

#endif  // NIBBLE_MODEL_CLI_WORK_LIMIT_H_
