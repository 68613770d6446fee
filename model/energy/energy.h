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

// A quantity that follows an SRAM bank's capacity (docs/energy.md, "SRAM by capacity"): the
// points of a table's `sram@<KiB>` rows, (KiB, value) by ascending KiB. Between two points the
// value is interpolated linearly in log(KiB) and log(value); above the last point the last
// segment's line continues; at or below the first point, and with one point, the value is the
// first point's.
struct CapacityCurve {
  std::vector<std::pair<double, double>> points;
  double at(double kib) const;
};

// An Accelergy-ERT-like table: CSV `component,action,energy_pj,source` (RFC 4180 quoting). The
// SRAM's rows are a curve by capacity: `sram@<KiB>,read_bit` and `sram@<KiB>,write_bit`, pJ
// per bit of a bank of that many KiB; plain `sram,read_bit` and `sram,write_bit` rows (the
// format before capacities) are one point, the same at every capacity.
class EnergyTable {
 public:
  // Throws frontend::InputError(path, line, ...) on a malformed file: wrong header, wrong field
  // count, bad or negative number, duplicate (component, action), a row the model needs missing.
  static EnergyTable read_file(const std::string& path);
  static EnergyTable parse(const std::string& text, const std::string& source);

  // pJ of (component, action); std::out_of_range if absent.
  double pj(const std::string& component, const std::string& action) const;
  // pJ per bit read ("read_bit") or written ("write_bit") in an SRAM bank of `kib` KiB.
  double sram_bit_pj(const std::string& action, double kib) const;
  const std::vector<EnergyRow>& rows() const { return rows_; }
  // The rows energy_of never reads (documentation rows), in file order: the
  // reader accepts them, and a report can list them (docs/energy.md, "Table files").
  std::vector<EnergyRow> unused_rows() const;

 private:
  std::vector<EnergyRow> rows_;
  std::map<std::pair<std::string, std::string>, size_t> index_;
  std::map<std::string, CapacityCurve> sram_;  // by action
  std::map<std::string, int> sram_line_;       // by action: the line of its first row
};

// CSV `component,area_um2,source`, read like EnergyTable; needs the rows pe_area_um2 reads and
// at least one `sram@<KiB>` row, the area of an SRAM bank of that many KiB (docs/energy.md,
// "SRAM by capacity").
class AreaTable {
 public:
  // Throws frontend::InputError(path, line, ...) on a malformed file, as EnergyTable.
  static AreaTable read_file(const std::string& path);
  static AreaTable parse(const std::string& text, const std::string& source);
  // Area of a component; std::out_of_range if absent.
  double um2(const std::string& component) const;
  // Area of one SRAM bank of `kib` KiB: kib times the curve of the sram@ rows' area per KiB.
  double sram_bank_um2(double kib) const;
  // The components pe_area_um2 never reads (documentation rows), sorted.
  std::vector<std::string> unused_components() const;

 private:
  std::map<std::string, double> area_;
  CapacityCurve sram_um2_per_kib_;
};

// One scratchpad of `kib` KiB in `banks` banks: every access reaches one bank of kib / banks
// KiB, and the buffer is `banks` such banks (docs/energy.md, "SRAM by capacity").
double sram_bit_pj(const EnergyTable& table, const std::string& action, int64_t kib, int64_t banks);
double sram_buffer_um2(const AreaTable& table, int64_t kib, int64_t banks);

// Which PE datapath an array is built from: the L-lane 4-bit PE, the one-FMA FP16 PE (one FP16
// multiplier, one FP32 adder), the FP16 dot-product PE (docs/energy.md, "The FP16
// dot-product PE": L16 lanes of a fused unit, an FP16 multiplier and one FP32 add per lane), or
// the HFP8 PE (docs/energy.md, "The HFP8 baseline": one FP8 multiplier, E4M3 or E5M2 operands,
// and one FP16 accumulate adder).
enum class PeKind { kInt4, kFp16, kFp16Dot, kHfp8 };
const char* pe_kind_name(PeKind kind);  // "int4", "fp16", "fp16dot", "hfp8"

// A PE: its datapath and its lanes (pe.lanes for the 4-bit PE, baseline.fp16_dot_lanes for the
// FP16 dot-product PE; the one-FMA FP16 PE has one).
struct PeDesign {
  PeKind kind = PeKind::kInt4;
  int64_t lanes = 1;
};

// The parts of an L-lane 4-bit PE (docs/energy.md, "The L-lane PE"), counted from L and the
// widths of model/numerics/lanes.h. Per lane: a 4 x 4 multiplier (INT4 x INT4), a binary
// shifter of kProductBits bits and 3 levels (FP4 x INT4: shifts by 0, 2, .., 12) and a
// kProductBits-bit conditional negate; per PE: the adder tree (L - 1 adders, level i of
// kProductBits + i bits), the rounder of its W = tree_width_bits(L) bit sum (absolute value and
// leading-one detect, two W-bit adders; a W-bit shifter of ceil(log2 W) levels; a 5-bit
// exponent adder and an 11-bit rounding increment), the FP16 accumulate adder, and the
// registers (per lane: stationary, shadow and forwarded 4-bit operands; one FP16 partial sum).
struct LanePeParts {
  int64_t lanes = 1;
  int64_t lane_shifter_bit_levels = 0;  // per lane
  int64_t lane_negate_adder_bits = 0;   // per lane
  int64_t tree_adder_bits = 0;          // all L - 1 tree adders
  int64_t rounder_adder_bits = 0;
  int64_t rounder_shifter_bit_levels = 0;
  int64_t register_bits = 0;
};
LanePeParts lane_pe_parts(int64_t lanes);

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

// Energy of one action of an L-lane 4-bit PE, from the table's primitive rows
// (docs/energy.md, "The L-lane PE").
double lane_shift_pj(const EnergyTable& table);            // one FP4 x INT4 product into the tree
double chunk_pj(const EnergyTable& table, int64_t lanes);  // one chunk: the tree and the rounder

// sum over actions of count * energy (docs/energy.md gives the row of each count). On the FP16
// dot-product PE every FP16 product costs the rows (dot_fp16, multiply) and (dot_fp16, add):
// a chunk of n products takes n - 1 tree adds and one accumulate. It runs FP16 GEMMs only
// (std::invalid_argument otherwise). The HFP8 PE prices its FP8 products as any PE does
// (mac_fp8_fp8 and add_fp16) and runs no 4-bit GEMM (std::invalid_argument). pe_area_um2 is the
// area of one PE of the array (pe_area_um2 below), which idle PE-cycles leak through; `sram` the
// scratchpads, whose bits cost what sram_bit_pj gives for each buffer's size and banks.
EnergyBreakdown energy_of(const timing::ActionCounts& counts, const EnergyTable& table,
                          const PeDesign& pe, double pe_area_um2, const timing::SramSpec& sram);

// Fills arch.tiling.action_pj, the pJ the tile mapper (timing::choose_tiling) charges per count,
// from energy_of for this PE: one count at a time of those a tiling changes (PE moves, SRAM and
// DRAM bits, idle PE-cycles); 0 for the rest (MACs, accumulates, chunks, scale operations), which
// are the GEMM's whatever its tiling (docs/timing.md, "The tile mapper").
void set_mapper_energy(timing::ArchSpec& arch, const EnergyTable& table, const PeDesign& pe,
                       double pe_area_um2);

// Area of one PE: the FP16 PE's row pe_fp16, the HFP8 PE's row pe_hfp8; the 4-bit PE's derived from
// its parts and L (lane_pe_parts x the table's rows mult_int4, shifter_bit_level, adder_bit,
// add_fp16, register_bit); the FP16 dot-product PE's L16 x dot_fp16_lane + (48 L16 + 32) register
// bits (per lane a 16-bit stationary, shadow and forwarded operand; one FP32 partial sum).
double pe_area_um2(const AreaTable& table, const PeDesign& pe);

}  // namespace nibble::energy

#endif  // NIBBLE_MODEL_ENERGY_ENERGY_H_
