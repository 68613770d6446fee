// SCALE-Sim v2's three report files, written byte for byte as SCALE-Sim writes them: ", "
// between fields, a trailing comma on every line, integers as integers, cycles of the detailed
// report and every ratio as Python floats (pyfloat.h). Column meanings: docs/timing.md.
#ifndef NIBBLE_MODEL_REPORT_SCALESIM_REPORTS_H_
#define NIBBLE_MODEL_REPORT_SCALESIM_REPORTS_H_

#include <string>
#include <vector>

#include "model/timing/scalesim_compat.h"

namespace nibble::report {

std::string compute_report_csv(const std::vector<timing::CompatLayer>& layers);
std::string bandwidth_report_csv(const std::vector<timing::CompatLayer>& layers);
std::string detailed_access_report_csv(const std::vector<timing::CompatLayer>& layers);

}  // namespace nibble::report

#endif  // NIBBLE_MODEL_REPORT_SCALESIM_REPORTS_H_
