// A sweep's plan: the design points a sweep spec expands into (docs/sweep.md), each one `nibble
// run` of one resolved config on one workload, with a stable id. The plan is read from the spec
// by read_spec (sweep/spec.h), written to DIR/plan.json, and read back by the Slurm array tasks
// and by `nibble sweep merge`, so every step of a sweep works from the same list.
#ifndef NIBBLE_MODEL_SWEEP_PLAN_H_
#define NIBBLE_MODEL_SWEEP_PLAN_H_

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace nibble::sweep {

// One design point: the arguments of one `nibble run`.
struct Point {
  // 12 lower-case hex digits: a hash of the resolved config, the engine, the tables' contents
  // and the workload's label and content (point_id). It names the point's run folder.
  std::string id;
  std::string workload;      // the workload as the spec writes it: a trace path, or "builtin"
  std::string trace_path;    // the trace, absolute; empty for the built-in workload
  std::string engine;        // "analytic" or "systemc"
  std::string energy_table;  // absolute path; empty: the built-in table
  std::string area_table;    // likewise
  // `--set` arguments, KEY=VALUE, applied after Plan::base_config: the spec's `set`, then the
  // point's axis values.
  std::vector<std::string> overrides;
  std::vector<std::string> values;  // the value of each Plan::axes key, as the CSV prints it
};

struct Plan {
  std::string base_config;        // absolute path of the spec's `base`; empty: the defaults
  std::vector<std::string> axes;  // the swept keys, in the spec's order
  bool point_plots = false;       // the spec's `point_plots`: PNGs in every run folder
  std::vector<Point> points;      // in the spec's order: axes as nested loops, workloads inside
  int64_t chunk_size = 1;         // points per Slurm array task (chunk i: points [i*c, (i+1)*c))
};

// The hash behind Point::id: FNV-1a, 64 bits, of `text`, as 16 hex digits.
std::string fnv1a_hex(const std::string& text);

// Number of chunks of plan.chunk_size points.
int64_t chunk_count(const Plan& plan);
// The chunk size for n points on Slurm when the user gives none: about sqrt(n) points per task
// (so tasks and points per task grow alike), at most max_tasks tasks.
int64_t default_chunk_size(int64_t n, int64_t max_tasks);

// The files of a sweep folder.
std::filesystem::path plan_path(const std::filesystem::path& dir);                  // DIR/plan.json
std::filesystem::path point_dir(const std::filesystem::path& dir, const Point& p);  // points/ID
std::filesystem::path failure_path(const std::filesystem::path& dir, const Point& p);
// failed/ID.txt: the error line of a point whose run failed

// plan.json: the plan as JSON; parse_plan reads it back (InputError naming source on a file that
// is not a plan).
std::string plan_json(const Plan& plan);
Plan parse_plan(const std::string& text, const std::string& source);
Plan read_plan(const std::filesystem::path& dir);

// The `nibble run` arguments (without the program and "run") that run point p into its folder.
std::vector<std::string> run_arguments(const Plan& plan, const Point& p,
                                       const std::filesystem::path& dir);

}  // namespace nibble::sweep

#endif  // NIBBLE_MODEL_SWEEP_PLAN_H_
