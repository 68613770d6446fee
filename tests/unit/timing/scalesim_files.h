// A small, test-only reader of SCALE-Sim v2's input and report files, independent of the
// production readers (model/frontend/scalesim_input.h): enough of the .cfg (INI), the topology
// CSV (conv and GEMM forms, with the depthwise "DP" expansion) and the report CSVs to drive the
// compat-mode tests against the reference runs in tests/data/scalesim/.
#ifndef NIBBLE_TESTS_UNIT_TIMING_SCALESIM_FILES_H_
#define NIBBLE_TESTS_UNIT_TIMING_SCALESIM_FILES_H_

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "model/timing/arch_spec.h"
#include "model/workload/gemm_spec.h"

namespace nibble::testing {

inline std::string trim(const std::string& s) {
  const auto space = [](unsigned char c) { return std::isspace(c) != 0; };
  auto b = std::find_if_not(s.begin(), s.end(), space);
  auto e = std::find_if_not(s.rbegin(), s.rend(), space).base();
  return b < e ? std::string(b, e) : std::string();
}

inline std::vector<std::string> split_commas(const std::string& line) {
  std::vector<std::string> out;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, ',')) {
    out.push_back(trim(field));
  }
  if (!line.empty() && line.back() == ',') {
    out.emplace_back();
  }
  return out;
}

inline std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    throw std::runtime_error("cannot open " + path);
  }
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    lines.push_back(line);
  }
  return lines;
}

// The [architecture_presets] keys the compat model uses. Keys are case-insensitive and ':' or
// '=' separates key and value, as Python's configparser reads them. A dataflow other than
// os/ws/is runs as os in SCALE-Sim.
inline timing::ArchSpec read_cfg(const std::string& path) {
  std::map<std::string, std::string> kv;
  for (const std::string& raw : read_lines(path)) {
    const std::string line = trim(raw);
    if (line.empty() || line[0] == '[' || line[0] == '#' || line[0] == ';') {
      continue;
    }
    const size_t sep = line.find_first_of(":=");
    if (sep == std::string::npos) {
      continue;
    }
    std::string key = trim(line.substr(0, sep));
    std::transform(key.begin(), key.end(), key.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    kv[key] = trim(line.substr(sep + 1));
  }
  const auto num = [&](const char* key) {
    const auto it = kv.find(key);
    if (it == kv.end()) {
      throw std::runtime_error(path + ": missing " + key);
    }
    return static_cast<int64_t>(std::stoll(it->second));
  };
  timing::ArchSpec arch;
  arch.mode = timing::TimingMode::kCompat;
  arch.array.rows = num("arrayheight");
  arch.array.cols = num("arraywidth");
  arch.sram.ifmap_kib = num("ifmapsramszkb");
  arch.sram.filter_kib = num("filtersramszkb");
  arch.sram.ofmap_kib = num("ofmapsramszkb");
  arch.scalesim.ifmap_offset = num("ifmapoffset");
  arch.scalesim.filter_offset = num("filteroffset");
  arch.scalesim.ofmap_offset = num("ofmapoffset");
  const std::string df = kv.count("dataflow") ? kv["dataflow"] : "";
  arch.array.dataflow = df == "ws"   ? timing::Dataflow::kWs
                        : df == "is" ? timing::Dataflow::kIs
                                     : timing::Dataflow::kOs;
  return arch;
}

// Topology rows after the header line; the last comma-separated field of a row is dropped (a
// trailing comma is assumed). Conv: name, H, W, Fh, Fw, C, N, Sh[, Sw] (Sw = Sh when absent); a
// name containing "DP" becomes one layer per channel with C = 1. GEMM: name, M, N, K.
inline std::vector<workload::ConvShape> read_topology(const std::string& path, bool gemm) {
  std::vector<workload::ConvShape> layers;
  const std::vector<std::string> lines = read_lines(path);
  for (size_t i = 1; i < lines.size(); ++i) {
    if (trim(lines[i]).empty()) {
      continue;
    }
    std::vector<std::string> f = split_commas(trim(lines[i]));
    f.pop_back();
    std::vector<int64_t> v;
    for (size_t j = 1; j < f.size(); ++j) {
      v.push_back(std::stoll(f[j]));
    }
    if (gemm) {
      layers.push_back(workload::ConvShape::from_gemm(v.at(0), v.at(1), v.at(2)));
      continue;
    }
    workload::ConvShape s{v.at(0), v.at(1), v.at(2), v.at(3),
                          v.at(4), v.at(5), v.at(6), v.size() > 7 ? v[7] : v.at(6)};
    if (f[0].find("DP") != std::string::npos) {
      const int64_t channels = s.channels;
      s.channels = 1;
      layers.insert(layers.end(), static_cast<size_t>(channels), s);
    } else {
      layers.push_back(s);
    }
  }
  return layers;
}

// A report CSV as one map per row, keyed by the trimmed header names.
inline std::vector<std::map<std::string, std::string>> read_report(const std::string& path) {
  std::vector<std::map<std::string, std::string>> rows;
  std::vector<std::string> header;
  for (const std::string& line : read_lines(path)) {
    if (trim(line).empty()) {
      continue;
    }
    std::vector<std::string> f = split_commas(line);
    if (!f.empty() && f.back().empty()) {
      f.pop_back();
    }
    if (header.empty()) {
      header = f;
      continue;
    }
    std::map<std::string, std::string> row;
    for (size_t j = 0; j < header.size() && j < f.size(); ++j) {
      row[header[j]] = f[j];
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace nibble::testing

#endif  // NIBBLE_TESTS_UNIT_TIMING_SCALESIM_FILES_H_
