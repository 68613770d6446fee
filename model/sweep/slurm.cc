#include "model/sweep/slurm.h"

#include <algorithm>

#include "model/sweep/runner.h"
#include "model/sweep/shell.h"

namespace nibble::sweep {

namespace fs = std::filesystem;

std::vector<size_t> chunk_points(const Plan& plan, int64_t index) {
  std::vector<size_t> out;
  const size_t first = static_cast<size_t>(index * plan.chunk_size);
  const size_t last = std::min(plan.points.size(), first + static_cast<size_t>(plan.chunk_size));
  for (size_t i = first; i < last; ++i) {
    out.push_back(i);
  }
  return out;
}

std::vector<int64_t> unfinished_chunks(const Plan& plan, const fs::path& dir) {
  std::vector<int64_t> out;
  for (int64_t c = 0; c < chunk_count(plan); ++c) {
    for (size_t i : chunk_points(plan, c)) {
      if (!is_finished(dir, plan.points[i])) {
        out.push_back(c);
        break;
      }
    }
  }
  return out;
}

std::string array_value(const std::vector<int64_t>& tasks, int64_t throttle) {
  std::string out;
  for (size_t i = 0; i < tasks.size();) {
    size_t j = i;
    while (j + 1 < tasks.size() && tasks[j + 1] == tasks[j] + 1) {
      ++j;
    }
    out += (out.empty() ? "" : ",") + std::to_string(tasks[i]) +
           (j > i ? "-" + std::to_string(tasks[j]) : "");
    i = j + 1;
  }
  if (throttle > 0) {
    out += "%" + std::to_string(throttle);
  }
  return out;
}

std::string sbatch_script(const Plan& plan, const fs::path& dir, const std::string& program,
                          const SlurmOptions& options) {
  const int64_t chunks = chunk_count(plan);
  std::vector<int64_t> all;
  for (int64_t c = 0; c < chunks; ++c) {
    all.push_back(c);
  }
  std::string s = "#!/bin/sh\n";
  s += "# nibble sweep on Slurm: " + std::to_string(plan.points.size()) + " points in " +
       std::to_string(chunks) + " array tasks of up to " + std::to_string(plan.chunk_size) +
       " points.\n";
  s += "# Written by `nibble sweep --slurm`; see docs/sweep.md. After the tasks: nibble sweep "
       "merge DIR.\n";
  s += "#SBATCH --job-name=nibble-sweep\n";
  s += "#SBATCH --array=" + array_value(all, options.throttle) + "\n";
  s += "#SBATCH --ntasks=1\n";
  s += "#SBATCH --output=" + (dir / "slurm" / "%A_%a.out").string() + "\n";
  for (const std::string& o : options.sbatch_options) {
    s += "#SBATCH " + o + "\n";
  }
  s += "exec " + shell_word(program) + " sweep run-chunk " + shell_word(dir.string()) +
       " --index \"$SLURM_ARRAY_TASK_ID\"\n";
  return s;
}

std::vector<std::string> sbatch_command(const fs::path& dir, const std::vector<int64_t>& tasks,
                                        int64_t throttle) {
  return {"sbatch", "--parsable", "--array=" + array_value(tasks, throttle),
          (dir / "sweep.sbatch").string()};
}

}  // namespace nibble::sweep
