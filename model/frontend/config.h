// nibble's native configuration: a YAML file of sections (array, pe, sram, dram, timing) and
// top-level scalars that fills a timing::ArchSpec, plus `--set key=value` overrides and the
// resolved config written back as YAML. docs/config.md is the specification; this code
// implements exactly that page.
//
// Every key is declared once, in the registry config_keys(): its dotted name, type, unit,
// allowed values, description and where it lives in ArchSpec. Its default is read from a
// default-constructed ArchSpec, so arch_spec.h stays the one source of defaults. Unknown keys,
// duplicate keys, values of the wrong type and values out of range are errors; there are no
// aliases.
#ifndef NIBBLE_MODEL_FRONTEND_CONFIG_H_
#define NIBBLE_MODEL_FRONTEND_CONFIG_H_

#include <cstdint>
#include <functional>
#include <string>
#include <variant>
#include <vector>

#include "model/timing/arch_spec.h"

namespace YAML {
class Exception;
class Node;
}  // namespace YAML

namespace nibble::frontend {

enum class ConfigType {
  kInt,     // decimal integer without leading zeros, in [int_min, int_max]
  kDouble,  // decimal number (an integer is accepted), finite, within the real_* bounds
  kBool,    // true or false
  kEnum,    // one of choices
};

// A key's value once parsed: int64_t for kInt, double for kDouble, bool for kBool and the
// choice's name for kEnum.
using ConfigValue = std::variant<int64_t, double, bool, std::string>;

struct ConfigKey {
  std::string name;  // dotted: "array.rows"; no dot for a top-level scalar ("clock_ghz")
  ConfigType type = ConfigType::kInt;
  std::string unit;         // "" when the value has no unit
  std::string description;  // one line, printed as the key's comment by dump_config
  int64_t int_min = 0;      // kInt bounds, inclusive
  int64_t int_max = 0;
  double real_min = 0.0;  // kDouble lower bound; excluded unless real_min_inclusive
  bool real_min_inclusive = false;
  double real_max = 0.0;  // kDouble upper bound, inclusive; ignored unless has_real_max
  bool has_real_max = false;
  std::vector<std::string> choices;  // kEnum names, in the enum's order
  std::function<ConfigValue(const timing::ArchSpec&)> get;
  std::function<void(timing::ArchSpec&, const ConfigValue&)> set;  // value already validated

  std::string section() const;    // "array"; "" for a top-level scalar
  std::string leaf() const;       // "rows"
  std::string type_name() const;  // "integer", "number", "boolean", "enum"
  std::string allowed() const;    // "[1, 65536]", "(0, 1]", "> 0", "os, ws, is", "true, false"
  std::string format(const timing::ArchSpec& spec) const;  // canonical text of the value
  std::string default_text() const;                        // format(timing::ArchSpec{})
};

// The registry, in canonical order (the order dump_config and docs/config.md use). Built once.
const std::vector<ConfigKey>& config_keys();

// Parses a config's text. source names it in errors. Throws InputError(source, line, message) on
// the first problem. An empty text (or one holding only comments) gives timing::ArchSpec{}; keys
// that are absent keep their defaults.
timing::ArchSpec parse_config(const std::string& text, const std::string& source);

// The message of a YAML parse error, for an InputError (configs, --set, sweep specs):
// "YAML syntax error: <yaml-cpp's message>", or, for input nested deeper than yaml-cpp reads
// (whose own message is "bad file"), "YAML nested too deeply (...)".
std::string yaml_error_message(const YAML::Exception& e);

// The documents of a YAML text, as YAML::LoadAll reads them, for configs and sweep specs. Where
// yaml-cpp 0.7 (Debian 12's) cannot consume a token (a ',' outside a flow collection, its issue
// 1040), LoadAll adds empty documents without end until memory runs out; this throws
// YAML::ParserException("unexpected ','") at the token instead. Other errors as LoadAll.
std::vector<YAML::Node> load_yaml_documents(const std::string& text);

// Reads and parses the file at path. A file that cannot be read is InputError(path, 0, ...).
timing::ArchSpec load_config_file(const std::string& path);

// Applies one `key=value` override (value is read as a YAML scalar and checked as in a file).
// Throws InputError("--set", 0, message) naming the key.
void apply_override(timing::ArchSpec& spec, const std::string& assignment);

// Throws InputError(source, 0, message) naming the keys when settings exclude each other:
// pe.lanes other than 1 in timing.mode compat (SCALE-Sim's cycle counts have no lanes).
void check_config(const timing::ArchSpec& spec, const std::string& source);

// The config a command runs with: the file at path (the defaults if path is empty), then each
// `key=value` override in order, then check_config (its source: the file, or "--set").
timing::ArchSpec resolve_config(const std::string& path, const std::vector<std::string>& overrides);

// The fully resolved config as YAML: every key in canonical order, each after a comment line
// with its description, allowed values and unit. Deterministic; doubles are printed in the
// shortest form that reads back exactly, so parse_config(dump_config(s)) equals s in every
// registry key.
std::string dump_config(const timing::ArchSpec& spec);

}  // namespace nibble::frontend

#endif  // NIBBLE_MODEL_FRONTEND_CONFIG_H_
