#include "model/energy/energy.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <string_view>

#include "model/frontend/input_error.h"
#include "model/frontend/input_file.h"
#include "model/numerics/lanes.h"

namespace nibble::energy {

namespace {

using frontend::InputError;

// The (component, action) rows energy_of reads, in the order docs/energy.md lists them.
struct RowKey {
  const char* component;
  const char* action;
};
constexpr RowKey kRequiredEnergyRows[] = {
    {"mult_int4", "multiply"},   {"shifter", "bit_level"},      {"adder", "bit"},
    {"mac_fp8_fp8", "multiply"}, {"mac_fp16_fp16", "multiply"}, {"add_fp16", "accumulate"},
    {"add_fp32", "accumulate"},  {"scale_unit", "scale"},       {"pe_register", "move_bit"},
    {"dram", "read_bit"},        {"dram", "write_bit"},         {"pe", "leak_um2_cycle"},
    {"dot_fp16", "multiply"},    {"dot_fp16", "add"},
};
// The SRAM's actions: each needs an sram row or at least one sram@<KiB> row.
constexpr const char* kSramActions[] = {"read_bit", "write_bit"};
constexpr std::string_view kSramAt = "sram@";
constexpr const char* kRequiredAreaRows[] = {
    "mult_int4",    "shifter_bit_level", "adder_bit",     "add_fp16",
    "register_bit", "pe_fp16",           "dot_fp16_lane", "pe_hfp8"};

constexpr const char* kEnergyHeader = "component,action,energy_pj,source";
constexpr const char* kAreaHeader = "component,area_um2,source";

// A field or record as it appears in a message: quoted, on one line, cut to a readable length.
std::string shown(std::string_view text) {
  constexpr size_t kMax = 80;
  const size_t end = std::min(text.find_first_of("\r\n"), kMax);
  std::string out = "\"";
  out += text.substr(0, end);
  out += end < text.size() ? "...\"" : "\"";
  return out;
}

// One CSV record: its fields, the line it starts on, and its text as written.
struct Record {
  std::vector<std::string> fields;
  int line = 0;
  std::string text;
};

// RFC 4180 records of a whole file. Also allowed: blank lines (empty or spaces and tabs only),
// lines whose first character is '#', CRLF line ends, and a UTF-8 byte-order mark. A quoted
// field may span lines; a record's line is the one it starts on.
class CsvReader {
 public:
  CsvReader(std::string_view text, const std::string& source) : text_(text), source_(source) {
    if (text_.substr(0, 3) == "\xEF\xBB\xBF") {
      text_.remove_prefix(3);
    }
  }

  std::vector<Record> read() {
    std::vector<Record> records;
    while (pos_ < text_.size()) {
      if (skip_blank_or_comment()) {
        continue;
      }
      records.push_back(record());
    }
    return records;
  }

 private:
  bool at_line_end(size_t p) const {
    if (p >= text_.size()) {
      return true;
    }
    if (text_[p] == '\n') {
      return true;
    }
    return text_[p] == '\r' && (p + 1 == text_.size() || text_[p + 1] == '\n');
  }

  // Moves past the line end at pos_ (LF, CRLF, or a final CR) and counts the line.
  void end_line() {
    if (pos_ < text_.size() && text_[pos_] == '\r') {
      ++pos_;
    }
    if (pos_ < text_.size() && text_[pos_] == '\n') {
      ++pos_;
    }
    ++line_;
  }

  // Skips one blank or comment line at pos_ (the start of a line); false if it is neither.
  bool skip_blank_or_comment() {
    size_t p = pos_;
    if (text_[p] == '#') {
      while (!at_line_end(p)) {
        ++p;
      }
    } else {
      while (p < text_.size() && (text_[p] == ' ' || text_[p] == '\t')) {
        ++p;
      }
      if (!at_line_end(p)) {
        return false;
      }
    }
    pos_ = p;
    end_line();
    return true;
  }

  Record record() {
    Record r;
    r.line = line_;
    const size_t start = pos_;
    while (true) {
      r.fields.push_back(field(r.fields.size() + 1));
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      break;
    }
    r.text = std::string(text_.substr(start, pos_ - start));
    end_line();
    return r;
  }

  std::string field(size_t number) {
    std::string out;
    if (pos_ < text_.size() && text_[pos_] == '"') {
      const int opened = line_;
      const size_t start = pos_;
      ++pos_;
      while (true) {
        if (pos_ >= text_.size()) {
          throw InputError(source_, opened,
                           "unterminated quoted field " + std::to_string(number) +
                               ": expected a closing '\"' before the end of the file, in " +
                               shown(text_.substr(start)));
        }
        const char ch = text_[pos_++];
        if (ch == '"') {
          if (pos_ < text_.size() && text_[pos_] == '"') {
            out += '"';
            ++pos_;
            continue;
          }
          break;
        }
        if (ch == '\r' && pos_ < text_.size() && text_[pos_] == '\n') {
          continue;  // CRLF inside a quoted field reads as LF
        }
        if (ch == '\n') {
          ++line_;
        }
        out += ch;
      }
      if (!at_line_end(pos_) && text_[pos_] != ',') {
        size_t end = pos_;
        while (!at_line_end(end) && text_[end] != ',') {
          ++end;
        }
        throw InputError(source_, line_,
                         "expected ',' or the end of the line after the closing quote of field " +
                             std::to_string(number) + ", got " +
                             shown(text_.substr(pos_, end - pos_)));
      }
      return out;
    }
    const size_t start = pos_;
    while (!at_line_end(pos_) && text_[pos_] != ',') {
      if (text_[pos_] == '"') {
        size_t end = pos_;
        while (!at_line_end(end) && text_[end] != ',') {
          ++end;
        }
        throw InputError(source_, line_,
                         "'\"' inside unquoted field " + std::to_string(number) + " " +
                             shown(text_.substr(start, end - start)) +
                             ": expected the whole field in quotes, with each '\"' doubled");
      }
      ++pos_;
    }
    return std::string(text_.substr(start, pos_ - start));
  }

  std::string_view text_;
  const std::string& source_;
  size_t pos_ = 0;
  int line_ = 1;
};

// The header record, checked; the data records after it.
std::vector<Record> data_records(std::string_view text, const std::string& source,
                                 const std::string& header) {
  std::vector<Record> records = CsvReader(text, source).read();
  if (records.empty()) {
    throw InputError(source, 0, "no header: expected the first line to be " + shown(header));
  }
  const Record& h = records.front();
  std::string joined;
  for (size_t i = 0; i < h.fields.size(); ++i) {
    joined += (i > 0 ? "," : "") + h.fields[i];
  }
  if (joined != header) {
    throw InputError(source, h.line,
                     "expected the header " + shown(header) + ", got " + shown(h.text));
  }
  records.erase(records.begin());
  return records;
}

void check_field_count(const Record& r, const std::string& source, const std::string& header) {
  const size_t want = static_cast<size_t>(std::count(header.begin(), header.end(), ',')) + 1;
  if (r.fields.size() != want) {
    throw InputError(source, r.line,
                     "expected " + std::to_string(want) + " fields (" + header + "), got " +
                         std::to_string(r.fields.size()) + " in " + shown(r.text));
  }
}

// A component or action name: letters, digits and '_', at least one.
void check_name(const std::string& name, const char* what, const Record& r,
                const std::string& source) {
  const bool ok = !name.empty() && std::all_of(name.begin(), name.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_';
  });
  if (!ok) {
    throw InputError(source, r.line,
                     std::string("expected ") + what +
                         " name (letters, digits and '_', not empty), got " + shown(name));
  }
}

// A finite, non-negative (or, with positive, > 0) decimal number: the whole field, no spaces,
// no sign other than a leading '-' (which then fails the range check).
double number(const std::string& field, const char* what, bool positive, const Record& r,
              const std::string& source) {
  double v = 0;
  const char* first = field.data();
  const char* last = field.data() + field.size();
  const auto [end, ec] = std::from_chars(first, last, v, std::chars_format::general);
  if (field.empty() || (ec != std::errc() && ec != std::errc::result_out_of_range) || end != last) {
    throw InputError(source, r.line,
                     std::string("expected a number (") + what + "), got " + shown(field));
  }
  if (ec == std::errc::result_out_of_range || !std::isfinite(v)) {
    throw InputError(source, r.line,
                     std::string("expected a finite number in the range of a double (") + what +
                         "), got " + shown(field));
  }
  if (std::signbit(v) || (positive && v == 0)) {
    throw InputError(source, r.line,
                     std::string("expected a ") + (positive ? "positive" : "non-negative") +
                         " number (" + what + "), got " + shown(field));
  }
  return v;
}

// "sram@<KiB>": the capacity, a positive number; checked like a table's numbers.
double sram_capacity(const std::string& component, const Record& r, const std::string& source) {
  return number(component.substr(kSramAt.size()), "the KiB of sram@<KiB>", true, r, source);
}

bool is_sram_row(const std::string& component) {
  return component == "sram" || component.rfind(kSramAt, 0) == 0;
}

// Adds one point to a curve; a second point at the same capacity is an error.
void add_point(CapacityCurve& curve, double kib, double value, const Record& r,
               const std::string& source) {
  for (const auto& point : curve.points) {
    if (point.first == kib) {
      throw InputError(source, r.line,
                       "a second SRAM point at the same capacity in " + shown(r.text) +
                           ": expected one per capacity");
    }
  }
  curve.points.emplace_back(kib, value);
  std::sort(curve.points.begin(), curve.points.end());
}

bool is_required(const std::string& component, const std::string& action) {
  if (is_sram_row(component)) {
    return std::find(std::begin(kSramActions), std::end(kSramActions), action) !=
           std::end(kSramActions);
  }
  return std::any_of(
      std::begin(kRequiredEnergyRows), std::end(kRequiredEnergyRows),
      [&](const RowKey& k) { return component == k.component && action == k.action; });
}

}  // namespace

EnergyTable EnergyTable::read_file(const std::string& path) {
  return parse(frontend::read_input_file(path, "an energy table"), path);
}

EnergyTable EnergyTable::parse(const std::string& text, const std::string& source) {
  const std::string header = kEnergyHeader;
  EnergyTable t;
  for (const Record& r : data_records(text, source, header)) {
    check_field_count(r, source, header);
    EnergyRow row;
    row.component = r.fields[0];
    row.action = r.fields[1];
    const bool at_capacity = row.component.rfind(kSramAt, 0) == 0;
    const double kib = at_capacity ? sram_capacity(row.component, r, source) : 0;
    if (!at_capacity) {
      check_name(row.component, "a component", r, source);
    }
    check_name(row.action, "an action", r, source);
    row.energy_pj = number(r.fields[2], "energy_pj, pJ per action", false, r, source);
    row.source = r.fields[3];
    row.line = r.line;
    const auto key = std::make_pair(row.component, row.action);
    const auto it = t.index_.find(key);
    if (it != t.index_.end()) {
      throw InputError(source, r.line,
                       "duplicate row (" + row.component + ", " + row.action +
                           "): expected each (component, action) once; first at line " +
                           std::to_string(t.rows_[it->second].line));
    }
    if (is_sram_row(row.component) && is_required(row.component, row.action)) {
      CapacityCurve& curve = t.sram_[row.action];
      // A plain sram row is one point for every capacity: it cannot mix with sram@ rows.
      const bool flat_before = curve.points.size() == 1 && curve.points[0].first == 0;
      if (!curve.points.empty() && (!at_capacity || flat_before)) {
        throw InputError(source, r.line,
                         "an SRAM " + row.action + " row besides line " +
                             std::to_string(t.sram_line_[row.action]) +
                             ": expected one plain sram row or sram@<KiB> rows, not both");
      }
      add_point(curve, kib, row.energy_pj, r, source);
      t.sram_line_.emplace(row.action, r.line);
    }
    t.index_.emplace(key, t.rows_.size());
    t.rows_.push_back(std::move(row));
  }
  std::string missing;
  for (const RowKey& k : kRequiredEnergyRows) {
    if (t.index_.count({k.component, k.action}) == 0) {
      missing +=
          std::string(missing.empty() ? "" : ", ") + "(" + k.component + ", " + k.action + ")";
    }
  }
  for (const char* action : kSramActions) {
    if (t.sram_.count(action) == 0) {
      missing += std::string(missing.empty() ? "" : ", ") + "(sram or sram@<KiB>, " + action + ")";
    }
  }
  if (!missing.empty()) {
    throw InputError(source, 0,
                     "missing rows the energy model needs (docs/energy.md): expected " + missing);
  }
  return t;
}

double EnergyTable::pj(const std::string& component, const std::string& action) const {
  const auto it = index_.find({component, action});
  if (it == index_.end()) {
    throw std::out_of_range("energy table has no row (" + component + ", " + action + ")");
  }
  return rows_[it->second].energy_pj;
}

double EnergyTable::sram_bit_pj(const std::string& action, double kib) const {
  const auto it = sram_.find(action);
  if (it == sram_.end()) {
    throw std::out_of_range("energy table has no SRAM row for " + action);
  }
  return it->second.at(kib);
}

double CapacityCurve::at(double kib) const {
  if (points.empty()) {
    throw std::logic_error("an SRAM curve without points");
  }
  if (!(kib > 0)) {
    throw std::invalid_argument("an SRAM bank of " + std::to_string(kib) + " KiB");
  }
  // One point, or below the first: the first point's value. Banks smaller than any the table
  // knows cost no less than its smallest (the wires between banks are not charged, so a
  // falling curve would make ever more banks ever cheaper).
  if (points.size() == 1 || kib <= points.front().first) {
    return points.front().second;
  }
  for (const auto& [at, value] : points) {
    if (at == kib) {
      return value;
    }
  }
  // The segment holding kib, or the last segment beyond the last point.
  size_t i = 1;
  while (i + 1 < points.size() && kib > points[i].first) {
    ++i;
  }
  const auto [x0, y0] = points[i - 1];
  const auto [x1, y1] = points[i];
  if (y0 == 0 || y1 == 0) {
    // A zero has no logarithm: such a segment takes the value of its nearer end.
    return std::abs(std::log(kib / x0)) <= std::abs(std::log(x1 / kib)) ? y0 : y1;
  }
  const double slope = std::log(y1 / y0) / std::log(x1 / x0);
  return y0 * std::exp(slope * std::log(kib / x0));
}

std::vector<EnergyRow> EnergyTable::unused_rows() const {
  std::vector<EnergyRow> out;
  for (const EnergyRow& r : rows_) {
    if (!is_required(r.component, r.action)) {
      out.push_back(r);
    }
  }
  return out;
}

AreaTable AreaTable::read_file(const std::string& path) {
  return parse(frontend::read_input_file(path, "an area table"), path);
}

AreaTable AreaTable::parse(const std::string& text, const std::string& source) {
  const std::string header = kAreaHeader;
  AreaTable t;
  std::map<std::string, int> line_of;
  for (const Record& r : data_records(text, source, header)) {
    check_field_count(r, source, header);
    const std::string& component = r.fields[0];
    const bool at_capacity = component.rfind(kSramAt, 0) == 0;
    const double kib = at_capacity ? sram_capacity(component, r, source) : 0;
    if (!at_capacity) {
      check_name(component, "a component", r, source);
    }
    const double um2 = number(r.fields[1], "area_um2, um^2", true, r, source);
    const auto [it, inserted] = line_of.emplace(component, r.line);
    if (!inserted) {
      throw InputError(source, r.line,
                       "duplicate component " + component +
                           ": expected each component once; first at line " +
                           std::to_string(it->second));
    }
    if (at_capacity) {
      add_point(t.sram_um2_per_kib_, kib, um2 / kib, r, source);
    }
    t.area_.emplace(component, um2);
  }
  std::string missing;
  for (const char* c : kRequiredAreaRows) {
    if (t.area_.count(c) == 0) {
      missing += std::string(missing.empty() ? "" : ", ") + c;
    }
  }
  if (t.sram_um2_per_kib_.points.empty()) {
    missing += std::string(missing.empty() ? "" : ", ") + "sram@<KiB>";
  }
  if (!missing.empty()) {
    throw InputError(source, 0,
                     "missing rows the area model needs (docs/energy.md): expected " + missing);
  }
  return t;
}

double AreaTable::um2(const std::string& component) const {
  const auto it = area_.find(component);
  if (it == area_.end()) {
    throw std::out_of_range("area table has no component " + component);
  }
  return it->second;
}

double AreaTable::sram_bank_um2(double kib) const { return kib * sram_um2_per_kib_.at(kib); }

std::vector<std::string> AreaTable::unused_components() const {
  std::vector<std::string> out;
  for (const auto& entry : area_) {
    const std::string& component = entry.first;
    if (component.rfind(kSramAt, 0) != 0 &&
        std::none_of(std::begin(kRequiredAreaRows), std::end(kRequiredAreaRows),
                     [&](const char* c) { return component == c; })) {
      out.push_back(component);
    }
  }
  return out;
}

double EnergyBreakdown::total_pj() const {
  return mac_pj + accumulate_pj + scale_unit_pj + pe_register_pj + sram_pj + dram_pj + pe_idle_pj;
}

EnergyBreakdown& EnergyBreakdown::operator+=(const EnergyBreakdown& o) {
  mac_pj += o.mac_pj;
  accumulate_pj += o.accumulate_pj;
  scale_unit_pj += o.scale_unit_pj;
  pe_register_pj += o.pe_register_pj;
  sram_pj += o.sram_pj;
  dram_pj += o.dram_pj;
  pe_idle_pj += o.pe_idle_pj;
  return *this;
}

LanePeParts lane_pe_parts(int64_t lanes) {
  const int levels = num::tree_levels(static_cast<int>(lanes));  // validates lanes
  const int64_t width = num::tree_width_bits(static_cast<int>(lanes));
  LanePeParts p;
  p.lanes = lanes;
  p.lane_shifter_bit_levels = int64_t{num::kProductBits} * 3;  // shifts 0, 2, .., 12: 3 levels
  p.lane_negate_adder_bits = num::kProductBits;
  // Level i (1-based) adds pairs of level i - 1's sums (an odd one passes through) in adders of
  // kProductBits + i bits: L - 1 adders in all.
  int64_t inputs = lanes;
  for (int i = 1; i <= levels; ++i) {
    p.tree_adder_bits += (inputs / 2) * (num::kProductBits + i);
    inputs = (inputs + 1) / 2;
  }
  int64_t shift_levels = 0;
  while ((int64_t{1} << shift_levels) < width) {
    ++shift_levels;
  }
  p.rounder_adder_bits = 2 * width + 5 + 11;
  p.rounder_shifter_bit_levels = width * shift_levels;
  p.register_bits = lanes * 3 * 4 + 16;
  return p;
}

double lane_shift_pj(const EnergyTable& table) {
  const LanePeParts p = lane_pe_parts(1);
  return static_cast<double>(p.lane_shifter_bit_levels) * table.pj("shifter", "bit_level") +
         static_cast<double>(p.lane_negate_adder_bits) * table.pj("adder", "bit");
}

double chunk_pj(const EnergyTable& table, int64_t lanes) {
  const LanePeParts p = lane_pe_parts(lanes);
  return static_cast<double>(p.tree_adder_bits + p.rounder_adder_bits) * table.pj("adder", "bit") +
         static_cast<double>(p.rounder_shifter_bit_levels) * table.pj("shifter", "bit_level");
}

const char* pe_kind_name(PeKind kind) {
  switch (kind) {
    case PeKind::kInt4:
      return "int4";
    case PeKind::kFp16:
      return "fp16";
    case PeKind::kFp16Dot:
      return "fp16dot";
    case PeKind::kHfp8:
      return "hfp8";
  }
  return "?";
}

double sram_bit_pj(const EnergyTable& table, const std::string& action, int64_t kib,
                   int64_t banks) {
  if (banks < 1) {
    throw std::invalid_argument("an SRAM buffer of " + std::to_string(banks) + " banks");
  }
  return table.sram_bit_pj(action, static_cast<double>(kib) / static_cast<double>(banks));
}

double sram_buffer_um2(const AreaTable& table, int64_t kib, int64_t banks) {
  if (banks < 1) {
    throw std::invalid_argument("an SRAM buffer of " + std::to_string(banks) + " banks");
  }
  return static_cast<double>(banks) *
         table.sram_bank_um2(static_cast<double>(kib) / static_cast<double>(banks));
}

EnergyBreakdown energy_of(const timing::ActionCounts& counts, const EnergyTable& table,
                          const PeDesign& pe, double pe_area_um2, const timing::SramSpec& sram) {
  const auto d = [](int64_t count) { return static_cast<double>(count); };
  // Each sum is evaluated left to right, in the order of docs/energy.md, so it is deterministic.
  EnergyBreakdown e;
  if (pe.kind == PeKind::kFp16Dot) {
    if (counts.macs_int4 != 0 || counts.macs_fp4 != 0 || counts.macs_fp8 != 0) {
      throw std::invalid_argument("the FP16 dot-product PE runs FP16 GEMMs only");
    }
    e.mac_pj = d(counts.macs_fp16) * table.pj("dot_fp16", "multiply");
    e.accumulate_pj = d(counts.macs_fp16) * table.pj("dot_fp16", "add");
  } else {
    if (pe.kind == PeKind::kHfp8 && (counts.macs_int4 != 0 || counts.macs_fp4 != 0)) {
      throw std::invalid_argument("the HFP8 PE runs no 4-bit GEMM");
    }
    e.mac_pj = d(counts.macs_int4) * table.pj("mult_int4", "multiply") +
               d(counts.macs_fp4) * lane_shift_pj(table) +
               d(counts.chunk_sums) * chunk_pj(table, pe.lanes) +
               d(counts.macs_fp8) * table.pj("mac_fp8_fp8", "multiply") +
               d(counts.macs_fp16) * table.pj("mac_fp16_fp16", "multiply");
    e.accumulate_pj = d(counts.acc_adds_fp16) * table.pj("add_fp16", "accumulate") +
                      d(counts.acc_adds_fp32) * table.pj("add_fp32", "accumulate");
  }
  e.scale_unit_pj = d(counts.scale_ops) * table.pj("scale_unit", "scale");
  e.pe_register_pj = d(counts.pe_move_bits) * table.pj("pe_register", "move_bit");
  const auto bit = [&](const char* action, int64_t kib) {
    return sram_bit_pj(table, action, kib, sram.banks);
  };
  e.sram_pj = d(counts.ifmap_read_bits) * bit("read_bit", sram.ifmap_kib) +
              d(counts.ifmap_write_bits) * bit("write_bit", sram.ifmap_kib) +
              d(counts.filter_read_bits) * bit("read_bit", sram.filter_kib) +
              d(counts.filter_write_bits) * bit("write_bit", sram.filter_kib) +
              d(counts.ofmap_read_bits) * bit("read_bit", sram.ofmap_kib) +
              d(counts.ofmap_write_bits) * bit("write_bit", sram.ofmap_kib);
  e.dram_pj = d(counts.dram_read_bits) * table.pj("dram", "read_bit") +
              d(counts.dram_write_bits) * table.pj("dram", "write_bit");
  e.pe_idle_pj = d(counts.pe_idle_cycles) * pe_area_um2 * table.pj("pe", "leak_um2_cycle");
  return e;
}

double pe_area_um2(const AreaTable& table, const PeDesign& pe) {
  const auto d = [](int64_t count) { return static_cast<double>(count); };
  if (pe.kind == PeKind::kFp16) {
    return table.um2("pe_fp16");
  }
  if (pe.kind == PeKind::kHfp8) {
    return table.um2("pe_hfp8");
  }
  if (pe.kind == PeKind::kFp16Dot) {
    num::tree_levels(static_cast<int>(pe.lanes));  // validates the lanes
    return d(pe.lanes) * table.um2("dot_fp16_lane") +
           d(48 * pe.lanes + 32) * table.um2("register_bit");
  }
  const LanePeParts p = lane_pe_parts(pe.lanes);
  const double lane = table.um2("mult_int4") +
                      d(p.lane_shifter_bit_levels) * table.um2("shifter_bit_level") +
                      d(p.lane_negate_adder_bits) * table.um2("adder_bit");
  return d(p.lanes) * lane + d(p.tree_adder_bits + p.rounder_adder_bits) * table.um2("adder_bit") +
         d(p.rounder_shifter_bit_levels) * table.um2("shifter_bit_level") + table.um2("add_fp16") +
         d(p.register_bits) * table.um2("register_bit");
}

void set_mapper_energy(timing::ArchSpec& arch, const EnergyTable& table, const PeDesign& pe,
                       double pe_area_um2) {
  timing::ActionCounts unit;
  const auto fields = timing::count_fields(unit);
  const int64_t* varies[] = {
      &unit.pe_move_bits,     &unit.ifmap_read_bits,   &unit.ifmap_write_bits,
      &unit.filter_read_bits, &unit.filter_write_bits, &unit.ofmap_read_bits,
      &unit.ofmap_write_bits, &unit.dram_read_bits,    &unit.dram_write_bits,
      &unit.pe_busy_cycles,   &unit.pe_idle_cycles};
  std::vector<double> pj(fields.size(), 0.0);
  for (size_t i = 0; i < fields.size(); ++i) {
    if (std::find(std::begin(varies), std::end(varies), fields[i]) == std::end(varies)) {
      continue;
    }
    *fields[i] = 1;
    pj[i] = energy_of(unit, table, pe, pe_area_um2, arch.sram).total_pj();
    *fields[i] = 0;
  }
  arch.tiling.action_pj = std::move(pj);
}

}  // namespace nibble::energy
