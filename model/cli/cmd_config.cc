// nibble config: prints the resolved configuration (defaults, then --config, then each --set in
// order) as YAML, or with --list the table of every key. All parsing is model/frontend/config.h.
#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include "model/cli/command.h"
#include "model/cli/options.h"
#include "model/frontend/config.h"

namespace nibble::cli {
namespace {

namespace po = boost::program_options;
using frontend::ConfigKey;

// One line per key, columns padded to the widest cell, in canonical order.
std::string key_table() {
  std::vector<std::vector<std::string>> rows = {
      {"key", "type", "unit", "default", "allowed", "meaning"}};
  for (const ConfigKey& k : frontend::config_keys()) {
    rows.push_back({k.name, k.type_name(), k.unit.empty() ? "-" : k.unit, k.default_text(),
                    k.allowed(), k.description});
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size(); ++c) {
      width[c] = std::max(width[c], row[c].size());
    }
  }
  std::string out;
  for (const auto& row : rows) {
    for (size_t c = 0; c + 1 < row.size(); ++c) {
      out += row[c] + std::string(width[c] - row[c].size() + 2, ' ');
    }
    out += row.back() + "\n";
  }
  return out;
}

}  // namespace

int run_config(const std::vector<std::string>& args) {
  po::options_description desc("Options");
  std::string config_file;
  std::vector<std::string> overrides;
  bool list = false;
  desc.add_options()("config", po::value<std::string>(&config_file)->value_name("FILE"),
                     "read this YAML config (docs/config.md); keys it omits keep their defaults")(
      "set", po::value<std::vector<std::string>>(&overrides)->value_name("KEY=VALUE")->composing(),
      "override one key after the file, e.g. --set array.rows=64; repeatable, applied in order")(
      "list", po::bool_switch(&list), "print the table of every key instead of a config");
  po::variables_map vm;
  if (!parse_options("config", "[--config FILE] [--set KEY=VALUE]... [--list]", desc, args, vm)) {
    return 0;
  }
  if (list && (vm.count("config") != 0 || !overrides.empty())) {
    throw UsageError("--list prints the key table and takes no --config or --set");
  }
  if (list) {
    std::cout << key_table();
    return 0;
  }
  const timing::ArchSpec spec = frontend::resolve_config(config_file, overrides);
  std::cout << frontend::dump_config(spec);
  return 0;
}

}  // namespace nibble::cli
