#include "model/sweep/merge.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "model/energy/baseline.h"
#include "model/frontend/input_error.h"
#include "model/sweep/runner.h"

namespace nibble::sweep {

namespace fs = std::filesystem;
using frontend::InputError;
using nlohmann::ordered_json;

const std::vector<std::string> kFirstColumns = {"point", "workload"};
const std::vector<std::string> kSecondColumns = {"status", "pe_area_um2", "pe_array_area_mm2"};

namespace {

constexpr const char* kVersion = "0.1.0";

std::optional<std::string> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::nullopt;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A CSV cell (RFC 4180): quoted when it holds a comma, a quote or a line break.
std::string csv_cell(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) {
    return s;
  }
  std::string out = "\"";
  for (char c : s) {
    out += c == '"' ? std::string("\"\"") : std::string(1, c);
  }
  return out + "\"";
}

// A JSON leaf as a cell: numbers as report.json writes them, strings as they are, null empty.
std::string cell_text(const ordered_json& v) {
  if (v.is_null()) {
    return "";
  }
  if (v.is_string()) {
    return v.get<std::string>();
  }
  return v.dump();
}

// The leaves of `totals`, dotted: "cycles", "energy_pj.total", "fp16_iso_area.cycles".
void flatten(const ordered_json& j, const std::string& prefix,
             std::vector<std::pair<std::string, std::string>>& out) {
  for (const auto& [key, value] : j.items()) {
    const std::string name = prefix.empty() ? key : prefix + "." + key;
    if (value.is_object()) {
      flatten(value, name, out);
    } else {
      out.emplace_back(name, cell_text(value));
    }
  }
}

struct Row {
  const Point* point = nullptr;
  std::string status;  // "ok" or "failed"
  std::string error;
  ordered_json four_bit;                       // arrays["int4_fp4"] of report.json
  std::string pe_area_um2, pe_array_area_mm2;  // its two area cells
  ordered_json totals;
  std::vector<std::pair<std::string, std::string>> cells;  // flattened totals
};

}  // namespace

Merged merge_points(const Plan& plan, const fs::path& dir) {
  Merged m;
  std::vector<Row> rows;
  std::vector<std::string> total_columns;  // in order of first appearance
  std::unordered_set<std::string> known;
  for (size_t i = 0; i < plan.points.size(); ++i) {
    const Point& p = plan.points[i];
    Row row;
    row.point = &p;
    if (is_finished(dir, p)) {
      const fs::path report = point_dir(dir, p) / "report.json";
      const std::optional<std::string> text = read_file(report);
      if (!text) {
        throw InputError(report.string(), 0, "cannot read the point's report");
      }
      try {
        const ordered_json j = ordered_json::parse(*text);
        row.four_bit = j.at("arrays").at(energy::kFourBitName);
        row.totals = j.at("totals");
        row.pe_area_um2 = cell_text(row.four_bit.at("pe_area_um2"));
        row.pe_array_area_mm2 = cell_text(row.four_bit.at("pe_array_area_mm2"));
      } catch (const nlohmann::json::exception& e) {
        throw InputError(report.string(), 0, std::string("not a nibble report: ") + e.what());
      }
      row.status = "ok";
      flatten(row.totals, "", row.cells);
      for (const auto& [name, value] : row.cells) {
        if (known.insert(name).second) {
          total_columns.push_back(name);
        }
      }
      ++m.ok;
    } else if (const std::optional<std::string> error = read_file(failure_path(dir, p))) {
      row.status = "failed";
      row.error = *error;
      while (!row.error.empty() && (row.error.back() == '\n' || row.error.back() == '\r')) {
        row.error.pop_back();
      }
      ++m.failed;
    } else {
      m.missing.push_back(i);
      continue;
    }
    rows.push_back(std::move(row));
  }
  if (!m.missing.empty()) {
    return m;
  }

  m.columns = kFirstColumns;
  m.columns.insert(m.columns.end(), plan.axes.begin(), plan.axes.end());
  m.columns.insert(m.columns.end(), kSecondColumns.begin(), kSecondColumns.end());
  m.columns.insert(m.columns.end(), total_columns.begin(), total_columns.end());
  m.columns.emplace_back("error");

  std::string csv;
  for (size_t c = 0; c < m.columns.size(); ++c) {
    csv += (c == 0 ? "" : ",") + csv_cell(m.columns[c]);
  }
  csv += "\n";
  ordered_json json_rows = ordered_json::array();
  for (const Row& row : rows) {
    const Point& p = *row.point;
    const bool ok = row.status == "ok";
    std::vector<std::string> cells = {p.id, p.workload};
    cells.insert(cells.end(), p.values.begin(), p.values.end());
    cells.push_back(row.status);
    cells.push_back(row.pe_area_um2);
    cells.push_back(row.pe_array_area_mm2);
    std::unordered_map<std::string, std::string> leaf(row.cells.begin(), row.cells.end());
    for (const std::string& name : total_columns) {
      const auto it = leaf.find(name);  // a leaf this row's report lacks is an empty cell
      cells.push_back(it == leaf.end() ? "" : it->second);
    }
    cells.push_back(row.error);
    for (size_t c = 0; c < cells.size(); ++c) {
      csv += (c == 0 ? "" : ",") + csv_cell(cells[c]);
    }
    csv += "\n";

    ordered_json values = ordered_json::object();
    for (size_t a = 0; a < plan.axes.size(); ++a) {
      values[plan.axes[a]] = p.values[a];
    }
    json_rows.push_back({{"point", p.id},
                         {"workload", p.workload},
                         {"values", values},
                         {"status", row.status},
                         {"error", ok ? ordered_json(nullptr) : ordered_json(row.error)},
                         {"run", "points/" + p.id},
                         {"pe_area_um2", ok ? row.four_bit["pe_area_um2"] : nullptr},
                         {"pe_array_area_mm2", ok ? row.four_bit["pe_array_area_mm2"] : nullptr},
                         {"totals", ok ? row.totals : ordered_json(nullptr)}});
  }
  ordered_json j;
  j["nibble_version"] = kVersion;
  j["points"] = rows.size();
  j["failed"] = m.failed;
  j["axes"] = plan.axes;
  j["columns"] = m.columns;
  j["rows"] = std::move(json_rows);
  m.csv = std::move(csv);
  m.json = j.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  return m;
}

}  // namespace nibble::sweep
