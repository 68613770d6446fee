// Energy and area: per-action energies and per-PE areas read from tables (configs/energy/,
// configs/area/; docs/energy.md), multiplied by the action counts of model/timing. The tables
// are the only source of numbers; this code holds no energy or area constant.
#ifndef NIBBLE_MODEL_ENERGY_ENERGY_H_
#define NIBBLE_MODEL_ENERGY_ENERGY_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "model/timing/realistic.h"

namespace nibble::energy {

// One table row: energy of one action of one component, with its source.
struct EnergyRow {
  std::string component;
  std::string action;
  double energy_pj = 0;
  std::string source;
  int line = 0;  // in the table file, for messages
};

// An Accelergy-ERT-like table: CSV `component,action,energy_pj,source` (RFC 4180 quoting).
class EnergyTable {
 public:
  // Throws frontend::InputError(path, line, ...) on a malformed file: wrong header, wrong field
  // count, bad or negative number, duplicate (component, action), a row the model needs missing.
  static EnergyTable read_file(const std::string& path);
  static EnergyTable parse(const std::string& text, const std::string& source);

  // pJ of (component, action); std::out_of_range if absent.
  double pj(const std::string& component, const std::string& action) const;
  const std::vector<EnergyRow>& rows() const { return rows_; }
  // The rows energy_of never reads (documentation, e.g. idle_cycle_ungated), in file order: the
  // reader accepts them, and a report can list them (docs/energy.md, "Table files").
  std::vector<EnergyRow> unused_rows() const;

 private:
  std::vector<EnergyRow> rows_;
  std::map<std::pair<std::string, std::string>, size_t> index_;
};

// CSV `component,area_um2,source`, read like EnergyTable; needs rows pe_int4 and pe_fp16.
class AreaTable {
 public:
  // Throws frontend::InputError(path, line, ...) on a malformed file, as EnergyTable.
  static AreaTable read_file(const std::string& path);
  static AreaTable parse(const std::string& text, const std::string& source);
  // Area of a component; std::out_of_range if absent.
  double um2(const std::string& component) const;
  // The components pe_area_um2 never reads (the parts a PE's area is derived from), sorted.
  std::vector<std::string> unused_components() const;

 private:
  std::map<std::string, double> area_;
};

// Which PE datapath an array is built from: selects the idle-cycle row (pe_int4 / pe_fp16).
enum class PeKind { kInt4, kFp16 };

// Energy of one GEMM (or a sum of GEMMs) by component, in pJ. Components, as in the report:
// mac, accumulate, scale_unit, pe_register, sram, dram, pe_idle.
struct EnergyBreakdown {
  double mac_pj = 0;
  double accumulate_pj = 0;
  double scale_unit_pj = 0;
  double pe_register_pj = 0;
  double sram_pj = 0;
  double dram_pj = 0;
  double pe_idle_pj = 0;

  double total_pj() const;
  EnergyBreakdown& operator+=(const EnergyBreakdown& o);
};

// sum over actions of count * table energy (docs/energy.md gives the row of each count).
EnergyBreakdown energy_of(const timing::ActionCounts& counts, const EnergyTable& table, PeKind pe);

// Area of one PE of the given datapath (rows pe_int4 / pe_fp16 of the area table).
double pe_area_um2(const AreaTable& table, PeKind pe);

}  // namespace nibble::energy

#endif  // NIBBLE_MODEL_ENERGY_ENERGY_H_
