// Runs a sweep's points: each one `nibble run` in a child process of its own, at most `jobs` at
// a time. A point is finished when its run folder exists: `nibble run` publishes the folder
// whole or not at all, so a sweep killed at any moment resumes by running the points whose
// folder is missing. A point whose run fails gets failed/ID.txt (its error line, written
// whole) and does not stop the others; a run stopped from outside (SIGTERM, SIGINT, SIGHUP)
// is no failure of the point, which stays not run.
#ifndef NIBBLE_MODEL_SWEEP_RUNNER_H_
#define NIBBLE_MODEL_SWEEP_RUNNER_H_

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "model/sweep/plan.h"

namespace nibble::sweep {

struct RunOptions {
  std::string program;  // the nibble executable the points run with (`program run ...`)
  int jobs = 1;         // points run at once
  bool quiet = false;   // no progress on stderr
};

struct RunSummary {
  int64_t skipped = 0;      // already finished before this run
  int64_t ran = 0;          // run now, successfully
  int64_t failed = 0;       // run now, failed
  int64_t interrupted = 0;  // stopped by SIGTERM, SIGINT or SIGHUP: left not run
};

bool is_finished(const std::filesystem::path& dir, const Point& p);

// Runs the points plan.points[i], i in `indices`, that are not finished. Progress (points done
// of total, failures, elapsed time, ETA) goes to stderr unless options.quiet.
RunSummary run_points(const Plan& plan, const std::filesystem::path& dir,
                      const std::vector<size_t>& indices, const RunOptions& options);

// The nibble executable running now (/proc/self/exe).
std::string this_program();

}  // namespace nibble::sweep

#endif  // NIBBLE_MODEL_SWEEP_RUNNER_H_
