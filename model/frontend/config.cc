#include "model/frontend/config.h"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <initializer_list>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "model/frontend/input_error.h"
#include "model/frontend/input_file.h"
#include "model/numerics/lanes.h"

namespace nibble::frontend {
namespace {

using timing::ArchSpec;

constexpr const char* kSetSource = "--set";
constexpr int64_t kMaxArrayDim = 65536;
// Upper bounds that keep byte and cycle arithmetic far from int64 overflow: 2^30 KiB = 1 TiB of
// SRAM, 10^9 cycles of DRAM latency (1 s at 1 GHz).
constexpr int64_t kMaxKib = int64_t{1} << 30;
constexpr int64_t kMaxBanks = 65536;
constexpr int64_t kMaxLatency = 1000000000;

// A problem with one key's value; the caller adds the file and line.
class ValueError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// 'text', with line breaks and other control characters escaped so that a message stays on one
// line.
std::string in_quotes(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\n') {
      out += "\\n";
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
      out += "\\x";
      out += "0123456789abcdef"[(c >> 4) & 0xF];
      out += "0123456789abcdef"[c & 0xF];
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string join(const std::vector<std::string>& items, const char* sep = ", ") {
  std::string out;
  for (const auto& item : items) {
    out += (out.empty() ? "" : sep) + item;
  }
  return out;
}

// Shortest decimal text that reads back as exactly v.
std::string shortest(double v) {
  char buf[64];
  const auto result = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, result.ptr);
}

// A double value as a config writes it: shortest, with ".0" appended to integral values so that
// a reader sees a number, not a count.
std::string format_double(double v) {
  std::string s = shortest(v);
  if (s.find_first_of(".eE") == std::string::npos) {
    s += ".0";
  }
  return s;
}

// Keys are declared with a "place": a generic lambda that returns a reference to the field in
// an ArchSpec, const or not, so that the getter and setter are written once.
template <typename Place>
ConfigKey int_key(const char* name, const char* unit, const char* description, int64_t lo,
                  int64_t hi, Place place) {
  ConfigKey k;
  k.name = name;
  k.type = ConfigType::kInt;
  k.unit = unit;
  k.description = description;
  k.int_min = lo;
  k.int_max = hi;
  k.get = [place](const ArchSpec& s) -> ConfigValue { return int64_t{place(s)}; };
  k.set = [place](ArchSpec& s, const ConfigValue& v) { place(s) = std::get<int64_t>(v); };
  return k;
}

// A number > lo (or >= lo if lo_inclusive), and <= hi if hi is given.
template <typename Place>
ConfigKey double_key(const char* name, const char* unit, const char* description, double lo,
                     bool lo_inclusive, std::optional<double> hi, Place place) {
  ConfigKey k;
  k.name = name;
  k.type = ConfigType::kDouble;
  k.unit = unit;
  k.description = description;
  k.real_min = lo;
  k.real_min_inclusive = lo_inclusive;
  k.has_real_max = hi.has_value();
  k.real_max = hi.value_or(0.0);
  k.get = [place](const ArchSpec& s) -> ConfigValue { return double{place(s)}; };
  k.set = [place](ArchSpec& s, const ConfigValue& v) { place(s) = std::get<double>(v); };
  return k;
}

template <typename Place>
ConfigKey bool_key(const char* name, const char* description, Place place) {
  ConfigKey k;
  k.name = name;
  k.type = ConfigType::kBool;
  k.description = description;
  k.get = [place](const ArchSpec& s) -> ConfigValue { return bool{place(s)}; };
  k.set = [place](ArchSpec& s, const ConfigValue& v) { place(s) = std::get<bool>(v); };
  return k;
}

// The choices are the names of values, in that order; to_name and parse are the enum's own
// name functions (arch_spec.h), so the spelling lives there only.
template <typename E, typename Place>
ConfigKey enum_key(const char* name, const char* description, std::initializer_list<E> values,
                   const char* (*to_name)(E), std::optional<E> (*parse)(std::string_view),
                   Place place) {
  ConfigKey k;
  k.name = name;
  k.type = ConfigType::kEnum;
  k.description = description;
  for (E e : values) {
    k.choices.emplace_back(to_name(e));
  }
  k.get = [place, to_name](const ArchSpec& s) -> ConfigValue {
    return std::string(to_name(place(s)));
  };
  k.set = [place, parse](ArchSpec& s, const ConfigValue& v) {
    place(s) = parse(std::get<std::string>(v)).value();
  };
  return k;
}

std::vector<ConfigKey> make_registry() {
  using timing::Dataflow;
  using timing::Tiling;
  using timing::TimingMode;
  return {
      int_key(
          "array.rows", "PEs", "PE rows of the MAC array, R (SCALE-Sim ArrayHeight)", 1,
          kMaxArrayDim, [](auto& s) -> auto& { return s.array.rows; }),
      int_key(
          "array.cols", "PEs", "PE columns of the MAC array, C (SCALE-Sim ArrayWidth)", 1,
          kMaxArrayDim, [](auto& s) -> auto& { return s.array.cols; }),
      enum_key(
          "array.dataflow", "Operand that stays in the PEs: os output, ws weight, is input",
          {Dataflow::kOs, Dataflow::kWs, Dataflow::kIs}, timing::dataflow_name,
          timing::parse_dataflow, [](auto& s) -> auto& { return s.array.dataflow; }),
      int_key(
          "pe.lanes", "lanes",
          "Lanes per PE, L: k values of a dot product it takes per cycle (an exact adder tree, "
          "one rounding to FP16, one FP16 add per cycle)",
          num::kMinLanes, num::kMaxLanes, [](auto& s) -> auto& { return s.pe.lanes; }),
      double_key(
          "pe.fp8_macs_per_cycle", "MACs/cycle",
          "MAC rate per lane when the wider operand is FP8 (a 4-bit MAC takes 1 cycle)", 0.0, false,
          1.0, [](auto& s) -> auto& { return s.pe.fp8_macs_per_cycle; }),
      double_key(
          "pe.fp16_macs_per_cycle", "MACs/cycle",
          "MAC rate per lane when the wider operand is FP16 (a 4-bit MAC takes 1 cycle)", 0.0,
          false, 1.0, [](auto& s) -> auto& { return s.pe.fp16_macs_per_cycle; }),
      int_key(
          "sram.ifmap_kib", "KiB", "Operand A buffer (SCALE-Sim IfmapSramSzkB)", 1, kMaxKib,
          [](auto& s) -> auto& { return s.sram.ifmap_kib; }),
      int_key(
          "sram.filter_kib", "KiB", "Operand B buffer (SCALE-Sim FilterSramSzkB)", 1, kMaxKib,
          [](auto& s) -> auto& { return s.sram.filter_kib; }),
      int_key(
          "sram.ofmap_kib", "KiB", "Output / partial-sum buffer (SCALE-Sim OfmapSramSzkB)", 1,
          kMaxKib, [](auto& s) -> auto& { return s.sram.ofmap_kib; }),
      int_key(
          "sram.banks", "banks", "SRAM banks (SCALE-Sim MemoryBanks)", 1, kMaxBanks,
          [](auto& s) -> auto& { return s.sram.banks; }),
      bool_key(
          "sram.double_buffered", "Buffers hold two halves: the next tile loads while one computes",
          [](auto& s) -> auto& { return s.sram.double_buffered; }),
      double_key(
          "dram.bandwidth_bytes_per_cycle", "bytes/cycle", "DRAM bandwidth (realistic mode)", 0.0,
          false, std::nullopt, [](auto& s) -> auto& { return s.dram.bandwidth_bytes_per_cycle; }),
      int_key(
          "dram.latency_cycles", "cycles", "DRAM access latency (realistic mode)", 0, kMaxLatency,
          [](auto& s) -> auto& { return s.dram.latency_cycles; }),
      enum_key(
          "timing.mode", "compat: SCALE-Sim v2 stall-free counts; realistic: buffering and DRAM",
          {TimingMode::kCompat, TimingMode::kRealistic}, timing::timing_mode_name,
          timing::parse_timing_mode, [](auto& s) -> auto& { return s.mode; }),
      enum_key(
          "timing.tiling",
          "Tile mapper of realistic mode: search the candidate tilings for the fewest cycles, "
          "then energy, then DRAM bytes; greedy: the largest streamed block that fits",
          {Tiling::kSearch, Tiling::kGreedy}, timing::tiling_name, timing::parse_tiling,
          [](auto& s) -> auto& { return s.tiling.mode; }),
      int_key(
          "baseline.fp16_dot_lanes", "lanes",
          "Lanes of the FP16 dot-product PE the 4-bit array is also compared with (FP16 "
          "multipliers, an FP32 adder tree, one FP32 accumulate per cycle; realistic mode)",
          num::kMinLanes, num::kMaxLanes,
          [](auto& s) -> auto& { return s.baseline.fp16_dot_lanes; }),
      double_key(
          "clock_ghz", "GHz", "Clock, only to turn cycles into seconds in reports", 0.0, false,
          std::nullopt, [](auto& s) -> auto& { return s.clock_ghz; }),
  };
}

const ConfigKey* find_key(std::string_view name) {
  for (const ConfigKey& k : config_keys()) {
    if (k.name == name) {
      return &k;
    }
  }
  return nullptr;
}

// Top-level names in canonical order: the sections, then the top-level scalars.
std::vector<std::string> top_level_names() {
  std::vector<std::string> names;
  for (const ConfigKey& k : config_keys()) {
    const std::string first = k.section().empty() ? k.name : k.section();
    if (std::find(names.begin(), names.end(), first) == names.end()) {
      names.push_back(first);
    }
  }
  return names;
}

bool is_section(std::string_view name) {
  return std::any_of(config_keys().begin(), config_keys().end(),
                     [&](const ConfigKey& k) { return k.section() == name; });
}

std::vector<std::string> leaves_of(std::string_view section) {
  std::vector<std::string> leaves;
  for (const ConfigKey& k : config_keys()) {
    if (k.section() == section) {
      leaves.push_back(k.leaf());
    }
  }
  return leaves;
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) {
    row[j] = j;
  }
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// " (did you mean 'x'?)" for the closest candidate within two edits, else "".
std::string suggestion(std::string_view name, const std::vector<std::string>& candidates) {
  const std::string* best = nullptr;
  size_t best_distance = 3;
  for (const auto& c : candidates) {
    const size_t d = edit_distance(name, c);
    if (d < best_distance) {
      best = &c;
      best_distance = d;
    }
  }
  return best != nullptr ? " (did you mean " + in_quotes(*best) + "?)" : "";
}

// What a misplaced name is, when it is a key of another section or a dotted name in a file.
std::string placement_hint(std::string_view name, std::string_view section) {
  if (find_key(name) != nullptr && name.find('.') != std::string_view::npos) {
    const ConfigKey& k = *find_key(name);
    return "; in a file write " + in_quotes(k.leaf()) + " under " + in_quotes(k.section() + ":");
  }
  for (const ConfigKey& k : config_keys()) {
    if (k.leaf() == name && k.section() != section && !k.section().empty()) {
      return "; " + in_quotes(k.leaf()) + " belongs under " + in_quotes(k.section() + ":");
    }
  }
  return "";
}

int line_of(const YAML::Mark& mark) { return mark.is_null() ? 0 : mark.line + 1; }

// What a node holds, for "got ..." in messages.
std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return "no value";
    case YAML::NodeType::Sequence:
      return "a sequence";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Scalar:
      break;
  }
  if (node.Tag() == "!") {
    return "the string " + in_quotes(node.Scalar());
  }
  if (node.Tag() != "?") {
    return in_quotes(node.Scalar()) + " with tag " + in_quotes(node.Tag());
  }
  return in_quotes(node.Scalar());
}

// What the key accepts, for "expected ..." in messages.
std::string expected(const ConfigKey& k) {
  switch (k.type) {
    case ConfigType::kInt:
      return k.int_min == 1 ? "a positive integer"
                            : (k.int_min == 0 ? "a non-negative integer" : "an integer");
    case ConfigType::kDouble:
      if (!k.has_real_max && k.real_min == 0.0 && !k.real_min_inclusive) {
        return "a positive number";
      }
      return "a number in " + k.allowed();
    case ConfigType::kBool:
      return "true or false";
    case ConfigType::kEnum:
      return "one of " + k.allowed();
  }
  return "";
}

// YAML 1.2 integers, restricted to decimal without leading zeros (YAML 1.1 reads 010 as octal).
bool is_decimal_integer(std::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    s.remove_prefix(1);
  }
  if (s.empty() || (s.size() > 1 && s[0] == '0')) {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// YAML 1.2 core schema floats without .inf and .nan:
// [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
bool is_decimal_number(std::string_view s) {
  size_t i = 0;
  auto digits = [&] {
    const size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      ++i;
    }
    return i - start;
  };
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) {
    ++i;
  }
  const size_t int_digits = digits();
  size_t frac_digits = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    frac_digits = digits();
  }
  if (int_digits == 0 && frac_digits == 0) {
    return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) {
      ++i;
    }
    if (digits() == 0) {
      return false;
    }
  }
  return i == s.size();
}

ValueError out_of_range(const ConfigKey& k, std::string_view text) {
  return ValueError(k.name + ": " + std::string(text) +
                    " is out of range; allowed: " + k.allowed());
}

// The value of node for key k. Numbers and booleans must be plain scalars (a quoted "32" is a
// string in YAML); enum names may be quoted.
ConfigValue parse_value(const ConfigKey& k, const YAML::Node& node) {
  const bool plain = node.IsScalar() && node.Tag() == "?";
  const bool quoted_string = node.IsScalar() && node.Tag() == "!";
  if (!plain && !(quoted_string && k.type == ConfigType::kEnum)) {
    throw ValueError(k.name + ": expected " + expected(k) + ", got " + describe(node));
  }
  const std::string& text = node.Scalar();
  switch (k.type) {
    case ConfigType::kInt: {
      if (!is_decimal_integer(text)) {
        throw ValueError(k.name + ": expected " + expected(k) + ", got " + describe(node));
      }
      const size_t skip = text[0] == '+' ? 1 : 0;
      int64_t v = 0;
      const auto r = std::from_chars(text.data() + skip, text.data() + text.size(), v);
      if (r.ec != std::errc() || v < k.int_min || v > k.int_max) {
        throw out_of_range(k, text);
      }
      return v;
    }
    case ConfigType::kDouble: {
      if (!is_decimal_number(text)) {
        throw ValueError(k.name + ": expected " + expected(k) + ", got " + describe(node));
      }
      const size_t skip = text[0] == '+' ? 1 : 0;
      double v = 0.0;
      const auto r = std::from_chars(text.data() + skip, text.data() + text.size(), v);
      const bool above_min = k.real_min_inclusive ? v >= k.real_min : v > k.real_min;
      if (r.ec != std::errc() || !above_min || (k.has_real_max && v > k.real_max)) {
        throw out_of_range(k, text);
      }
      return v;
    }
    case ConfigType::kBool:
      if (text == "true" || text == "false") {
        return text == "true";
      }
      break;
    case ConfigType::kEnum:
      if (std::find(k.choices.begin(), k.choices.end(), text) != k.choices.end()) {
        return text;
      }
      break;
  }
  throw ValueError(k.name + ": expected " + expected(k) + ", got " + describe(node));
}

}  // namespace

std::string yaml_error_message(const YAML::Exception& e) {
  if (const auto* deep = dynamic_cast<const YAML::DeepRecursion*>(&e)) {
    // yaml-cpp's own message for this one is "bad file".
    return "YAML nested too deeply (yaml-cpp stops at depth " + std::to_string(deep->depth()) + ")";
  }
  return "YAML syntax error: " + e.msg;
}

namespace {

// The start of each document the parser reads; nothing else.
class DocumentStarts : public YAML::EventHandler {
 public:
  YAML::Mark last;

  void OnDocumentStart(const YAML::Mark& mark) override { last = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

}  // namespace

std::vector<YAML::Node> load_yaml_documents(const std::string& text) {
  // A document that starts where the one before it started consumed nothing: yaml-cpp 0.7 is
  // stuck on a token it cannot place (its issue 1040), and LoadAll would add empty documents
  // until memory runs out. Walk the documents first without building them, and stop there.
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentStarts starts;
  bool first = true;
  int previous_pos = 0;
  while (parser.HandleNextDocument(starts)) {
    if (!first && starts.last.pos == previous_pos) {
      const auto pos = static_cast<size_t>(starts.last.pos);
      const std::string what =
          pos < text.size() ? "'" + text.substr(pos, 1) + "'" : std::string("end of input");
      throw YAML::ParserException(starts.last, "unexpected " + what);
    }
    first = false;
    previous_pos = starts.last.pos;
  }
  return YAML::LoadAll(text);
}

namespace {

// Reads config text into an ArchSpec, throwing InputError at the first problem.
class ConfigReader {
 public:
  explicit ConfigReader(std::string source) : source_(std::move(source)) {}

  ArchSpec read(const std::string& text) {
    std::vector<YAML::Node> docs;
    try {
      docs = load_yaml_documents(text);
    } catch (const YAML::Exception& e) {
      throw InputError(source_, line_of(e.mark), yaml_error_message(e));
    }
    ArchSpec spec;
    // A trailing "---" makes an empty document; only one that holds something is an error.
    for (size_t d = 1; d < docs.size(); ++d) {
      if (!docs[d].IsNull()) {
        fail(line_of(docs[d].Mark()), "a second YAML document; a config is a single mapping");
      }
    }
    if (docs.empty() || docs[0].IsNull()) {
      return spec;  // an empty file (or only comments) means every default
    }
    const YAML::Node& top = docs[0];
    if (!top.IsMap()) {
      fail(line_of(top.Mark()), "the top level must be a mapping of " + join(top_level_names()) +
                                    ", got " + describe(top));
    }
    std::unordered_map<std::string, int> seen;
    for (const auto& entry : top) {
      const std::string name = key_name(entry.first, seen);
      const int line = line_of(entry.first.Mark());
      if (is_section(name)) {
        read_section(name, entry.second, line, spec);
      } else if (const ConfigKey* k = find_key(name); k != nullptr && k->section().empty()) {
        set(*k, entry.second, line, spec);
      } else {
        fail(line, "unknown top-level key " + in_quotes(name) +
                       suggestion(name, top_level_names()) + placement_hint(name, "") +
                       "; valid top-level keys: " + join(top_level_names()));
      }
    }
    return spec;
  }

 private:
  [[noreturn]] void fail(int line, const std::string& message) const {
    throw InputError(source_, line, message);
  }

  // The key's text, after checking that it is a scalar not seen before in its mapping.
  std::string key_name(const YAML::Node& key, std::unordered_map<std::string, int>& seen) const {
    const int line = line_of(key.Mark());
    if (!key.IsScalar()) {
      fail(line, "a key must be a name, got " + describe(key));
    }
    const auto [it, inserted] = seen.emplace(key.Scalar(), line);
    if (!inserted) {
      fail(line, "duplicate key " + in_quotes(key.Scalar()) + " (first on line " +
                     std::to_string(it->second) + ")");
    }
    return key.Scalar();
  }

  void read_section(const std::string& section, const YAML::Node& body, int line,
                    ArchSpec& spec) const {
    const std::vector<std::string> leaves = leaves_of(section);
    if (body.IsNull()) {
      return;  // a section whose keys are all commented out
    }
    if (!body.IsMap()) {
      fail(line, "section " + in_quotes(section) + " must be a mapping of " + join(leaves) +
                     ", got " + describe(body));
    }
    std::unordered_map<std::string, int> seen;
    for (const auto& entry : body) {
      const std::string leaf = key_name(entry.first, seen);
      const int key_line = line_of(entry.first.Mark());
      const ConfigKey* k = find_key(section + "." + leaf);
      if (k == nullptr) {
        fail(key_line, "unknown key " + in_quotes(section + "." + leaf) + suggestion(leaf, leaves) +
                           placement_hint(leaf, section) + "; valid keys of " + in_quotes(section) +
                           ": " + join(leaves));
      }
      set(*k, entry.second, key_line, spec);
    }
  }

  // Values are reported at their key's line: yaml-cpp marks an empty value at the next token.
  void set(const ConfigKey& k, const YAML::Node& value, int line, ArchSpec& spec) const {
    try {
      k.set(spec, parse_value(k, value));
    } catch (const ValueError& e) {
      fail(line, e.what());
    }
  }

  std::string source_;
};

std::string trim(std::string_view s) {
  const size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) {
    return "";
  }
  return std::string(s.substr(b, s.find_last_not_of(" \t") - b + 1));
}

std::vector<std::string> all_key_names() {
  std::vector<std::string> names;
  for (const ConfigKey& k : config_keys()) {
    names.push_back(k.name);
  }
  return names;
}

// The closest dotted name, or the key whose last part is name ("rows" -> "array.rows").
std::string set_suggestion(std::string_view name) {
  std::string close = suggestion(name, all_key_names());
  if (!close.empty()) {
    return close;
  }
  for (const ConfigKey& k : config_keys()) {
    if (k.leaf() == name && !k.section().empty()) {
      return " (did you mean " + in_quotes(k.name) + "?)";
    }
  }
  return "";
}

}  // namespace

std::string ConfigKey::section() const {
  const size_t dot = name.find('.');
  return dot == std::string::npos ? "" : name.substr(0, dot);
}

std::string ConfigKey::leaf() const { return name.substr(name.find('.') + 1); }

std::string ConfigKey::type_name() const {
  switch (type) {
    case ConfigType::kInt:
      return "integer";
    case ConfigType::kDouble:
      return "number";
    case ConfigType::kBool:
      return "boolean";
    case ConfigType::kEnum:
      return "enum";
  }
  return "";
}

std::string ConfigKey::allowed() const {
  switch (type) {
    case ConfigType::kInt:
      return "[" + std::to_string(int_min) + ", " + std::to_string(int_max) + "]";
    case ConfigType::kDouble:
      if (!has_real_max) {
        return (real_min_inclusive ? ">= " : "> ") + shortest(real_min);
      }
      return (real_min_inclusive ? "[" : "(") + shortest(real_min) + ", " + shortest(real_max) +
             "]";
    case ConfigType::kBool:
      return "true, false";
    case ConfigType::kEnum:
      return join(choices);
  }
  return "";
}

std::string ConfigKey::format(const ArchSpec& spec) const {
  const ConfigValue v = get(spec);
  switch (type) {
    case ConfigType::kInt:
      return std::to_string(std::get<int64_t>(v));
    case ConfigType::kDouble:
      return format_double(std::get<double>(v));
    case ConfigType::kBool:
      return std::get<bool>(v) ? "true" : "false";
    case ConfigType::kEnum:
      return std::get<std::string>(v);
  }
  return "";
}

std::string ConfigKey::default_text() const { return format(ArchSpec{}); }

const std::vector<ConfigKey>& config_keys() {
  static const std::vector<ConfigKey> keys = make_registry();
  return keys;
}

ArchSpec parse_config(const std::string& text, const std::string& source) {
  return ConfigReader(source).read(text);
}

ArchSpec load_config_file(const std::string& path) {
  return parse_config(read_input_file(path, "the config file"), path);
}

void apply_override(ArchSpec& spec, const std::string& assignment) {
  const size_t eq = assignment.find('=');
  const std::string name = trim(std::string_view(assignment).substr(0, eq));
  if (eq == std::string::npos || name.empty()) {
    throw InputError(kSetSource, 0, "expected KEY=VALUE, got " + in_quotes(assignment));
  }
  const ConfigKey* k = find_key(name);
  if (k == nullptr) {
    throw InputError(kSetSource, 0,
                     "unknown key " + in_quotes(name) + set_suggestion(name) +
                         "; valid keys: " + join(all_key_names()));
  }
  const std::string text = assignment.substr(eq + 1);
  YAML::Node node;
  try {
    node = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw InputError(kSetSource, 0,
                     k->name + ": cannot read " + in_quotes(text) +
                         " as a YAML scalar: " + yaml_error_message(e));
  }
  try {
    k->set(spec, parse_value(*k, node));
  } catch (const ValueError& e) {
    throw InputError(kSetSource, 0, e.what());
  }
}

void check_config(const ArchSpec& spec, const std::string& source) {
  if (spec.mode == timing::TimingMode::kCompat && spec.pe.lanes != 1) {
    throw InputError(source, 0,
                     "pe.lanes: " + std::to_string(spec.pe.lanes) +
                         " lanes in timing.mode compat; SCALE-Sim's cycle counts have one MAC "
                         "per PE: set pe.lanes=1 or timing.mode=realistic");
  }
}

ArchSpec resolve_config(const std::string& path, const std::vector<std::string>& overrides) {
  ArchSpec spec = path.empty() ? ArchSpec{} : load_config_file(path);
  for (const std::string& assignment : overrides) {
    apply_override(spec, assignment);
  }
  check_config(spec, overrides.empty() ? (path.empty() ? "<defaults>" : path) : kSetSource);
  return spec;
}

std::string dump_config(const ArchSpec& spec) {
  std::string out =
      "# nibble configuration, fully resolved: every key (docs/config.md).\n"
      "# Read it back with `nibble <command> --config FILE`.\n";
  std::string section = "-";  // no key has this section, so the first key opens one
  for (const ConfigKey& k : config_keys()) {
    const std::string indent = k.section().empty() ? "" : "  ";
    if (k.section() != section) {
      section = k.section();
      out += "\n";
      if (!section.empty()) {
        out += section + ":\n";
      }
    }
    out += indent + "# " + k.description + ". Allowed: " + k.allowed() + "." +
           (k.unit.empty() ? "" : " Unit: " + k.unit + ".") + "\n";
    out += indent + k.leaf() + ": " + k.format(spec) + "\n";
  }
  return out;
}

}  // namespace nibble::frontend
