#include "model/report/scalesim_reports.h"

#include <cstdint>
#include <string>

#include "model/report/pyfloat.h"

namespace nibble::report {
namespace {

using timing::AccessWindow;
using timing::CompatLayer;

// One SCALE-Sim report line: "<id>, <f1>, ..., <fn>,\n".
class Line {
 public:
  explicit Line(size_t id) : text_(std::to_string(id)) {}
  Line& integer(int64_t v) { return field(std::to_string(v)); }
  Line& real(double v) { return field(python_float_repr(v)); }
  // SCALE-Sim keeps the detailed report's cycles in a float array.
  Line& cycle(int64_t v) { return real(static_cast<double>(v)); }
  Line& window(const AccessWindow& w) { return cycle(w.start).cycle(w.stop).integer(w.count); }
  std::string end() const { return text_ + ",\n"; }

 private:
  Line& field(const std::string& s) {
    text_ += ", " + s;
    return *this;
  }
  std::string text_;
};

}  // namespace

std::string compute_report_csv(const std::vector<CompatLayer>& layers) {
  std::string out =
      "LayerID, Total Cycles, Stall Cycles, Overall Util %, Mapping Efficiency %, "
      "Compute Util %,\n";
  for (size_t i = 0; i < layers.size(); ++i) {
    const CompatLayer& l = layers[i];
    out += Line(i)
               .integer(l.total_cycles)
               .integer(l.stall_cycles)
               .real(l.overall_util_pct)
               .real(l.mapping_efficiency_pct)
               .real(l.compute_util_pct)
               .end();
  }
  return out;
}

std::string bandwidth_report_csv(const std::vector<CompatLayer>& layers) {
  std::string out =
      "LayerID, Avg IFMAP SRAM BW, Avg FILTER SRAM BW, Avg OFMAP SRAM BW, Avg IFMAP DRAM BW, "
      "Avg FILTER DRAM BW, Avg OFMAP DRAM BW,\n";
  for (size_t i = 0; i < layers.size(); ++i) {
    const CompatLayer& l = layers[i];
    out += Line(i)
               .real(l.sram_ifmap_bw)
               .real(l.sram_filter_bw)
               .real(l.sram_ofmap_bw)
               .real(l.dram_ifmap_bw)
               .real(l.dram_filter_bw)
               .real(l.dram_ofmap_bw)
               .end();
  }
  return out;
}

std::string detailed_access_report_csv(const std::vector<CompatLayer>& layers) {
  std::string out =
      "LayerID, SRAM IFMAP Start Cycle, SRAM IFMAP Stop Cycle, SRAM IFMAP Reads, "
      "SRAM Filter Start Cycle, SRAM Filter Stop Cycle, SRAM Filter Reads, "
      "SRAM OFMAP Start Cycle, SRAM OFMAP Stop Cycle, SRAM OFMAP Writes, "
      "DRAM IFMAP Start Cycle, DRAM IFMAP Stop Cycle, DRAM IFMAP Reads, "
      "DRAM Filter Start Cycle, DRAM Filter Stop Cycle, DRAM Filter Reads, "
      "DRAM OFMAP Start Cycle, DRAM OFMAP Stop Cycle, DRAM OFMAP Writes,\n";
  for (size_t i = 0; i < layers.size(); ++i) {
    const CompatLayer& l = layers[i];
    out += Line(i)
               .window(l.sram_ifmap)
               .window(l.sram_filter)
               .window(l.sram_ofmap)
               .window(l.dram_ifmap)
               .window(l.dram_filter)
               .window(l.dram_ofmap)
               .end();
  }
  return out;
}

}  // namespace nibble::report
