// A sweep on Slurm: one job array whose task i runs chunk i of the plan (`nibble sweep
// run-chunk DIR --index i`). The sweep folder is the only shared state (a shared filesystem);
// nibble runs no service of its own. docs/sweep.md gives the recipe for a cluster.
#ifndef NIBBLE_MODEL_SWEEP_SLURM_H_
#define NIBBLE_MODEL_SWEEP_SLURM_H_

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "model/sweep/plan.h"

namespace nibble::sweep {

// Slurm's default MaxArraySize is 1001: task ids 0..1000. Chunks are sized to stay below.
constexpr int64_t kMaxArrayTasks = 1000;

struct SlurmOptions {
  std::vector<std::string> sbatch_options;  // --slurm-opt, each an #SBATCH line
  int64_t throttle = 0;  // --throttle: at most this many tasks at once; 0: no limit
};

// The chunks that still hold a point not finished: not run, or failed (a resubmission runs
// failed points again, as a local rerun does).
std::vector<int64_t> unfinished_chunks(const Plan& plan, const std::filesystem::path& dir);

// The points of chunk `index`, as indices into plan.points.
std::vector<size_t> chunk_points(const Plan& plan, int64_t index);

// sbatch's --array value for these task ids: ranges where consecutive ("0-9", "2,5-7"), then
// "%throttle" when throttle > 0.
std::string array_value(const std::vector<int64_t>& tasks, int64_t throttle);

// DIR/sweep.sbatch: the job array over every chunk; `program` is the nibble executable and dir
// the sweep folder, both absolute. Task logs go to DIR/slurm/.
std::string sbatch_script(const Plan& plan, const std::filesystem::path& dir,
                          const std::string& program, const SlurmOptions& options);

// The sbatch command line that submits `tasks` of DIR/sweep.sbatch.
std::vector<std::string> sbatch_command(const std::filesystem::path& dir,
                                        const std::vector<int64_t>& tasks, int64_t throttle);

}  // namespace nibble::sweep

#endif  // NIBBLE_MODEL_SWEEP_SLURM_H_
