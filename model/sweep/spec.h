// The sweep spec (YAML, docs/sweep.md): a base config, fixed overrides, the workloads, the
// engine and tables, and the axes (lists, linear ranges, powers of two; a full grid, with zipped
// axes varying together). read_spec checks all of it, resolves every point's config as `nibble
// run` would and reads every workload and table, so a sweep that starts has no bad input left.
#ifndef NIBBLE_MODEL_SWEEP_SPEC_H_
#define NIBBLE_MODEL_SWEEP_SPEC_H_

#include <cstdint>
#include <string>
#include <vector>

#include "model/sweep/plan.h"

namespace nibble::sweep {

// More points than this is an error: a spec whose grid is larger than intended.
constexpr int64_t kMaxPoints = 1000000;

// The keys an axis may sweep besides the config keys: engine and tables.
const std::vector<std::string>& extra_axis_keys();

// Every top-level spec key, and every key of an axis entry, in docs/sweep.md's order.
const std::vector<std::string>& spec_top_keys();
const std::vector<std::string>& spec_axis_keys();

// Reads the spec file at path into a plan (chunk_size 1). Throws frontend::InputError naming
// path and the line of the first problem.
Plan read_spec(const std::string& path);

// The same, from the spec's text; relative paths are read from base_dir.
Plan parse_spec(const std::string& text, const std::string& source, const std::string& base_dir);

}  // namespace nibble::sweep

#endif  // NIBBLE_MODEL_SWEEP_SPEC_H_
