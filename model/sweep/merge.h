// One table of a sweep: sweep.csv and sweep.json from the points' run folders (docs/sweep.md).
// Rows follow the plan's order and cells are copied from each report.json as written, so the
// result is byte-identical whatever ran the points, in what order and how many at once.
#ifndef NIBBLE_MODEL_SWEEP_MERGE_H_
#define NIBBLE_MODEL_SWEEP_MERGE_H_

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "model/sweep/plan.h"

namespace nibble::sweep {

struct Merged {
  std::string csv;                   // sweep.csv
  std::string json;                  // sweep.json
  std::vector<std::string> columns;  // sweep.csv's header
  int64_t ok = 0;
  int64_t failed = 0;
  std::vector<size_t> missing;  // points neither finished nor failed (not run yet)
};

// The columns every sweep.csv starts with, before the axes; then come the axes, then
// kSecondColumns, then the report totals, then "error".
extern const std::vector<std::string> kFirstColumns;   // point, workload
extern const std::vector<std::string> kSecondColumns;  // status, pe_area_um2, pe_array_area_mm2

// Reads every point's report.json (or failure record). Throws frontend::InputError naming a
// report.json that cannot be read. When `missing` is not empty, csv and json are left empty.
Merged merge_points(const Plan& plan, const std::filesystem::path& dir);

}  // namespace nibble::sweep

#endif  // NIBBLE_MODEL_SWEEP_MERGE_H_
