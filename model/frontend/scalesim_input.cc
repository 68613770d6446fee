#include "model/frontend/scalesim_input.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <istream>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/frontend/input_error.h"
#include "model/frontend/input_file.h"

namespace nibble::frontend {

using timing::ArchSpec;
using workload::ConvShape;
using workload::GemmSpec;
using workload::Workload;

namespace {

// Python's str.strip() set, ASCII part (configparser and SCALE-Sim strip with it).
constexpr std::string_view kSpace = " \t\r\n\v\f";
constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();
constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

std::string_view strip(std::string_view s) {
  const size_t begin = s.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) {
    return {};
  }
  return s.substr(begin, s.find_last_not_of(kSpace) - begin + 1);
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return out;
}

std::string upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) {
    return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  });
  return out;
}

std::string in_quotes(std::string_view s) { return "'" + std::string(s) + "'"; }

std::string range_text(int64_t lo, int64_t hi) {
  return "[" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
}

// What Python's int() accepts from an ASCII string without surrounding whitespace: an optional
// sign, then decimal digits with single underscores allowed between them ("007", "+5",
// "10_000_000"). Magnitudes saturate at 2^40, far above every range checked here. nullopt if
// the text is not an integer.
std::optional<int64_t> parse_py_int(std::string_view s) {
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) {
    return std::nullopt;
  }
  constexpr int64_t kCap = int64_t{1} << 40;
  int64_t value = 0;
  bool after_digit = false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '_') {
      if (!after_digit || i + 1 == s.size()) {
        return std::nullopt;
      }
      after_digit = false;
      continue;
    }
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    value = std::min(value * 10 + (c - '0'), kCap);
    after_digit = true;
  }
  return negative ? -value : value;
}

// a * b, or nullopt if it exceeds int64. Both factors are positive.
std::optional<int64_t> checked_mul(int64_t a, int64_t b) {
  if (a > kInt64Max / b) {
    return std::nullopt;
  }
  return a * b;
}

// ---------------------------------------------------------------------------------------------
// The .cfg reader
// ---------------------------------------------------------------------------------------------

constexpr std::string_view kGeneral = "general";
constexpr std::string_view kArch = "architecture_presets";
constexpr std::string_view kRun = "run_presets";
constexpr std::string_view kNetwork = "network_presets";
constexpr std::array<std::string_view, 4> kSections = {kGeneral, kArch, kRun, kNetwork};

enum class KeyId {
  kRunName,
  kArrayHeight,
  kArrayWidth,
  kIfmapSram,
  kFilterSram,
  kOfmapSram,
  kIfmapOffset,
  kFilterOffset,
  kOfmapOffset,
  kBandwidth,
  kDataflow,
  kMemoryBanks,
  kInterfaceBandwidth,
  kTopologyCsvLoc,
  kCount,
};

// kUserMode: required when InterfaceBandwidth is USER (SCALE-Sim reads it only then).
enum class Need { kRequired, kUserMode, kOptional };

struct CfgKey {
  KeyId id;
  std::string_view section;
  std::string_view name;  // SCALE-Sim's spelling; matched case-insensitively
  Need need;
};

// Every key, in KeyId order, which is the order of docs/scalesim.md's key table.
constexpr std::array<CfgKey, static_cast<size_t>(KeyId::kCount)> kKeys = {{
    {KeyId::kRunName, kGeneral, "run_name", Need::kRequired},
    {KeyId::kArrayHeight, kArch, "ArrayHeight", Need::kRequired},
    {KeyId::kArrayWidth, kArch, "ArrayWidth", Need::kRequired},
    {KeyId::kIfmapSram, kArch, "IfmapSramSzkB", Need::kRequired},
    {KeyId::kFilterSram, kArch, "FilterSramSzkB", Need::kRequired},
    {KeyId::kOfmapSram, kArch, "OfmapSramSzkB", Need::kRequired},
    {KeyId::kIfmapOffset, kArch, "IfmapOffset", Need::kRequired},
    {KeyId::kFilterOffset, kArch, "FilterOffset", Need::kRequired},
    {KeyId::kOfmapOffset, kArch, "OfmapOffset", Need::kRequired},
    {KeyId::kBandwidth, kArch, "Bandwidth", Need::kUserMode},
    {KeyId::kDataflow, kArch, "Dataflow", Need::kRequired},
    {KeyId::kMemoryBanks, kArch, "MemoryBanks", Need::kOptional},
    {KeyId::kInterfaceBandwidth, kRun, "InterfaceBandwidth", Need::kRequired},
    {KeyId::kTopologyCsvLoc, kNetwork, "TopologyCsvLoc", Need::kOptional},
}};

// kKeys[i].id == i, so that kKeys and the per-key arrays below can be indexed by KeyId.
constexpr bool keys_in_id_order() {
  for (size_t i = 0; i < kKeys.size(); ++i) {
    if (static_cast<size_t>(kKeys[i].id) != i) {
      return false;
    }
  }
  return true;
}
static_assert(keys_in_id_order(), "kKeys must list the keys in KeyId order");

const CfgKey* find_key(std::string_view section, std::string_view lowered_name) {
  for (const CfgKey& key : kKeys) {
    if (key.section == section && lower(key.name) == lowered_name) {
      return &key;
    }
  }
  return nullptr;
}

std::string section_list() {
  std::string out;
  for (std::string_view s : kSections) {
    out += (out.empty() ? "[" : ", [") + std::string(s) + "]";
  }
  return out;
}

std::string key_list(std::string_view section) {
  std::string out;
  for (const CfgKey& key : kKeys) {
    if (key.section == section) {
      out += (out.empty() ? "" : ", ") + std::string(key.name);
    }
  }
  return out;
}

class CfgParser {
 public:
  explicit CfgParser(std::string source) : source_(std::move(source)) {}

  ArchSpec parse(std::istream& in) {
    spec_.mode = timing::TimingMode::kCompat;
    spec_.pe.lanes = 1;  // SCALE-Sim's PE does one MAC per cycle
    std::string raw;
    while (std::getline(in, raw)) {
      ++line_;
      parse_line(raw);
    }
    if (in.bad()) {
      throw InputError(source_, 0, "read error after line " + std::to_string(line_));
    }
    check_required();
    return spec_;
  }

 private:
  [[noreturn]] void fail(const std::string& message) const {
    throw InputError(source_, line_, message);
  }

  // One line, as configparser reads it: blank lines and full-line '#'/';' comments are skipped
  // (even indented); a line indented deeper than the key line before it continues that key's
  // value; otherwise it is a section header or a key.
  void parse_line(std::string_view raw) {
    const std::string_view text = strip(raw);
    if (text.empty() || text[0] == '#' || text[0] == ';') {
      return;
    }
    const size_t indent = raw.find_first_not_of(kSpace);
    if (key_indent_ && indent > *key_indent_) {
      fail("indented line " + in_quotes(text) + " would continue the value of " +
           std::string(kKeys[static_cast<size_t>(last_key_)].name) + " (line " +
           std::to_string(key_lines_[static_cast<size_t>(last_key_)]) +
           "): SCALE-Sim's configparser joins indented lines to the value above; nibble does not "
           "read multi-line values, so remove the indentation or the line");
    }
    if (text[0] == '[') {
      parse_section(text);
    } else {
      parse_key(text);
      key_indent_ = indent;
    }
  }

  void parse_section(std::string_view text) {
    if (text.size() < 3 || text.back() != ']') {
      fail("malformed section header " + in_quotes(text) +
           " (expected '[name]' alone on the line)");
    }
    const std::string_view name = text.substr(1, text.size() - 2);
    const auto* const known = std::find(kSections.begin(), kSections.end(), name);
    if (known == kSections.end()) {
      std::string hint;
      for (std::string_view s : kSections) {
        if (lower(s) == lower(strip(name))) {
          hint = " (did you mean [" + std::string(s) + "]? section names are case-sensitive)";
        }
      }
      fail("unknown section " + in_quotes(text) + hint + "; sections: " + section_list());
    }
    const auto index = static_cast<size_t>(known - kSections.begin());
    if (section_lines_[index] != 0) {
      fail("section " + in_quotes(text) + " given twice (first on line " +
           std::to_string(section_lines_[index]) + ")");
    }
    section_lines_[index] = line_;
    section_ = *known;
    key_indent_.reset();
  }

  void parse_key(std::string_view text) {
    if (section_.empty()) {
      fail("expected a section header such as '[general]' before " + in_quotes(text));
    }
    const size_t sep = text.find_first_of(":=");
    if (sep == std::string_view::npos) {
      fail("expected 'key: value' or 'key = value', got " + in_quotes(text));
    }
    const std::string_view written = strip(text.substr(0, sep));
    const std::string_view value = strip(text.substr(sep + 1));
    if (written.empty()) {
      fail("missing key name before '" + std::string(1, text[sep]) + "' in " + in_quotes(text));
    }
    const CfgKey* key = find_key(section_, lower(written));
    if (key == nullptr) {
      fail(unknown_key_message(written));
    }
    const auto index = static_cast<size_t>(key->id);
    if (key_lines_[index] != 0) {
      fail(std::string(key->name) + " given twice in [" + std::string(section_) +
           "] (first on line " + std::to_string(key_lines_[index]) + "), again as " +
           in_quotes(text));
    }
    key_lines_[index] = line_;
    last_key_ = key->id;
    if (key->id == KeyId::kTopologyCsvLoc) {
      return;  // accepted and ignored: the topology is always given on the command line
    }
    const std::string name(key->name);
    if (value.empty()) {
      fail(name + ": empty value");
    }
    for (size_t i = 1; i < value.size(); ++i) {
      if ((value[i] == '#' || value[i] == ';') && (value[i - 1] == ' ' || value[i - 1] == '\t')) {
        fail(name + ": value " + in_quotes(value) + " holds an inline comment " +
             in_quotes(value.substr(i)) +
             "; SCALE-Sim's configparser would read the whole text as the value, so put "
             "comments on a line of their own");
      }
    }
    if (value.find('%') != std::string_view::npos) {
      fail(name + ": " + in_quotes(value) +
           " holds '%', which SCALE-Sim's configparser reads as interpolation ('%%', "
           "'%(key)s'); nibble does not interpolate, so remove it");
    }
    apply(*key, value);
  }

  std::string unknown_key_message(std::string_view written) const {
    const std::string lowered = lower(written);
    std::string hint;
    for (const CfgKey& other : kKeys) {
      if (lower(other.name) == lowered) {
        hint = " (" + std::string(other.name) + " belongs in [" + std::string(other.section) + "])";
      } else if (other.section == section_ && lower(other.name) == lowered + "kb") {
        hint = " (SCALE-Sim v1 name; v2 and nibble read sizes in kB from " +
               std::string(other.name) + ")";
      }
    }
    return "unknown key " + in_quotes(written) + " in [" + std::string(section_) + "]" + hint +
           "; keys of [" + std::string(section_) + "]: " + key_list(section_);
  }

  int64_t integer(const std::string& name, std::string_view value, int64_t lo, int64_t hi,
                  const std::string& note = "") const {
    const std::optional<int64_t> v = parse_py_int(value);
    if (!v) {
      fail(name + ": expected an integer, got " + in_quotes(value));
    }
    if (*v < lo || *v > hi) {
      fail(name + ": " + in_quotes(value) + " is out of range: expected an integer in " +
           range_text(lo, hi) + note);
    }
    return *v;
  }

  void apply(const CfgKey& key, std::string_view value) {
    const std::string name(key.name);
    const auto size = [&] { return integer(name, value, 1, kInt32Max); };
    const auto offset = [&] {
      return integer(name, value, 0, kInt32Max,
                     " (SCALE-Sim keeps addresses in 32-bit integers and treats an address of -1 "
                     "as no access)");
    };
    switch (key.id) {
      case KeyId::kRunName:
        if (value == "." || value == ".." || value.find_first_of("/\\") != std::string_view::npos) {
          fail("run_name: " + in_quotes(value) +
               " is not a plain folder name (the reports go to <output>/<run_name>/; no '/', "
               "'\\', '.' or '..')");
        }
        spec_.scalesim.run_name = std::string(value);
        break;
      case KeyId::kArrayHeight:
        spec_.array.rows = size();
        break;
      case KeyId::kArrayWidth:
        spec_.array.cols = size();
        break;
      case KeyId::kIfmapSram:
        spec_.sram.ifmap_kib = size();
        break;
      case KeyId::kFilterSram:
        spec_.sram.filter_kib = size();
        break;
      case KeyId::kOfmapSram:
        spec_.sram.ofmap_kib = size();
        break;
      case KeyId::kIfmapOffset:
        spec_.scalesim.ifmap_offset = offset();
        break;
      case KeyId::kFilterOffset:
        spec_.scalesim.filter_offset = offset();
        break;
      case KeyId::kOfmapOffset:
        spec_.scalesim.ofmap_offset = offset();
        break;
      case KeyId::kBandwidth:
        spec_.scalesim.bandwidth_words = bandwidth(value);
        break;
      case KeyId::kDataflow: {
        const std::optional<timing::Dataflow> df = timing::parse_dataflow(value);
        if (!df) {
          const bool case_only = timing::parse_dataflow(lower(value)).has_value();
          fail("Dataflow: " + in_quotes(value) + " is not os, ws or is" +
               (case_only ? " (values are case-sensitive: write " + in_quotes(lower(value)) + ")"
                          : "") +
               "; SCALE-Sim would print 'WARNING: Invalid dataflow' and silently simulate os");
        }
        spec_.array.dataflow = *df;
        break;
      }
      case KeyId::kMemoryBanks:
        spec_.sram.banks = size();
        break;
      case KeyId::kInterfaceBandwidth:
        if (value == "CALC" || value == "USER") {
          spec_.scalesim.interface_bandwidth_calc = value == "CALC";
          spec_.scalesim.interface_bandwidth_line = line_;
        } else {
          const std::string up = upper(value);
          const bool case_only = up == "CALC" || up == "USER";
          fail("InterfaceBandwidth: " + in_quotes(value) + " is not CALC or USER" +
               (case_only ? " (values are case-sensitive: write " + in_quotes(up) + ")" : "") +
               "; SCALE-Sim would stop reading the config here and fail later");
        }
        break;
      case KeyId::kTopologyCsvLoc:
      case KeyId::kCount:
        break;
    }
  }

  // A comma list of words per cycle, as SCALE-Sim reads it in USER mode; only the first is kept
  // (SCALE-Sim uses bandwidths[0] for all three buffers).
  int64_t bandwidth(std::string_view value) const {
    std::optional<int64_t> first;
    size_t begin = 0;
    while (true) {
      const size_t comma = value.find(',', begin);
      const std::string_view item = strip(value.substr(begin, comma - begin));
      const std::optional<int64_t> v = parse_py_int(item);
      if (!v || *v < 1 || *v > kInt32Max) {
        fail("Bandwidth: item " + in_quotes(item) + " of " + in_quotes(value) +
             " is not an integer in " + range_text(1, kInt32Max) +
             " (expected one value or a comma-separated list, words per cycle)");
      }
      if (!first) {
        first = v;
      }
      if (comma == std::string_view::npos) {
        break;
      }
      begin = comma + 1;
    }
    return *first;
  }

  // Missing keys, reported per section: on the section's header line, or for the whole file
  // (line 0) when the section is absent.
  void check_required() const {
    for (size_t s = 0; s < kSections.size(); ++s) {
      std::vector<std::string_view> missing;
      bool user_mode_only = false;
      for (const CfgKey& key : kKeys) {
        const bool needed =
            key.need == Need::kRequired ||
            (key.need == Need::kUserMode && !spec_.scalesim.interface_bandwidth_calc);
        if (key.section == kSections[s] && needed && key_lines_[static_cast<size_t>(key.id)] == 0) {
          missing.push_back(key.name);
          user_mode_only = user_mode_only || key.need == Need::kUserMode;
        }
      }
      if (!missing.empty()) {
        throw_missing(s, missing, user_mode_only);
      }
    }
  }

  [[noreturn]] void throw_missing(size_t s, const std::vector<std::string_view>& missing,
                                  bool user_mode_only) const {
    std::string names;
    for (std::string_view n : missing) {
      names += names.empty() ? "" : ", ";
      names += in_quotes(n);
    }
    const std::string section = "[" + std::string(kSections[s]) + "]";
    const std::string why =
        user_mode_only ? " ('Bandwidth' is required with InterfaceBandwidth USER)" : "";
    const std::string key_word = missing.size() > 1 ? "keys " : "key ";
    if (section_lines_[s] == 0) {
      throw InputError(source_, 0,
                       "missing section " + section + " (required " + key_word + names + why + ")");
    }
    throw InputError(source_, section_lines_[s],
                     "missing " + key_word + names + " in " + section + why);
  }

  std::string source_;
  int line_ = 0;
  std::string_view section_;  // the current section; empty before the first header
  std::array<int, kSections.size()> section_lines_{};
  std::array<int, kKeys.size()> key_lines_{};
  KeyId last_key_ = KeyId::kCount;
  std::optional<size_t> key_indent_;  // indentation of the last key line in this section
  ArchSpec spec_;
};

// ---------------------------------------------------------------------------------------------
// The topology reader
// ---------------------------------------------------------------------------------------------

constexpr std::array<std::string_view, 8> kConv8Fields = {
    "Layer name",   "IFMAP Height", "IFMAP Width", "Filter Height",
    "Filter Width", "Channels",     "Num Filter",  "Strides"};
constexpr std::array<std::string_view, 9> kConv9Fields = {
    "Layer name", "IFMAP Height", "IFMAP Width",   "Filter Height", "Filter Width",
    "Channels",   "Num Filter",   "Stride Height", "Stride Width"};
constexpr std::array<std::string_view, 4> kGemmFields = {"Layer", "M", "N", "K"};

template <size_t N>
std::string field_list(const std::array<std::string_view, N>& fields) {
  std::string out;
  for (std::string_view f : fields) {
    out += (out.empty() ? "" : ", ") + std::string(f);
  }
  return out;
}

// The fields of a row: split on ',', each stripped; one empty last field (the trailing comma
// SCALE-Sim expects) is dropped.
std::vector<std::string_view> split_row(std::string_view row) {
  std::vector<std::string_view> fields;
  size_t begin = 0;
  while (true) {
    const size_t comma = row.find(',', begin);
    fields.push_back(strip(row.substr(begin, comma - begin)));
    if (comma == std::string_view::npos) {
      break;
    }
    begin = comma + 1;
  }
  if (fields.size() > 1 && fields.back().empty()) {
    fields.pop_back();
  }
  return fields;
}

class TopologyParser {
 public:
  TopologyParser(std::string source, TopologyForm form) : source_(std::move(source)), form_(form) {}

  Workload parse(std::istream& in) {
    workload_.name = std::filesystem::path(source_).stem().string();
    std::string raw;
    while (std::getline(in, raw)) {
      ++line_;
      const std::string_view row = strip(raw);
      if (line_ == 1) {
        header_blank_ = row.empty();
        continue;  // the header, whatever it holds
      }
      if (row.empty()) {
        continue;
      }
      row_ = row;
      if (form_ == TopologyForm::kConv) {
        parse_conv_row(split_row(row));
      } else {
        parse_gemm_row(split_row(row));
      }
      first_row_ = false;
    }
    if (in.bad()) {
      throw InputError(source_, 0, "read error after line " + std::to_string(line_));
    }
    if (line_ == 0) {
      throw InputError(source_, 0,
                       "empty topology file: expected a header line, then one line per layer");
    }
    if (workload_.gemms.empty()) {
      throw InputError(source_, 0,
                       "no layers: the first line is the header (skipped) and no layer row "
                       "follows it");
    }
    return std::move(workload_);
  }

 private:
  [[noreturn]] void fail(const std::string& message) const {
    const std::string hint =
        header_blank_ && first_row_
            ? " (line 1 is blank and was taken as the header: like SCALE-Sim, nibble skips the "
              "first line whatever it holds)"
            : "";
    throw InputError(source_, line_, message + hint);
  }

  int64_t value(std::string_view field_name, std::string_view text) const {
    const std::optional<int64_t> v = parse_py_int(text);
    if (!v || *v < 1 || *v > kScaleSimMaxField) {
      fail(std::string(field_name) + ": expected an integer in " +
           range_text(1, kScaleSimMaxField) + ", got " + in_quotes(text) + " in " +
           in_quotes(row_));
    }
    return *v;
  }

  void parse_conv_row(const std::vector<std::string_view>& f) {
    if (f.size() < kConv8Fields.size()) {
      const std::string hint =
          f.size() == kGemmFields.size()
              ? " (this looks like a GEMM-form row; read the file in GEMM form, SCALE-Sim's -i "
                "gemm)"
              : "";
      fail("expected 8 fields (" + field_list(kConv8Fields) + ") or 9 (..., Stride Height, " +
           "Stride Width), got " + std::to_string(f.size()) + " in " + in_quotes(row_) +
           ": the first missing field is " + std::string(kConv8Fields[f.size()]) + hint);
    }
    if (f.size() > kConv9Fields.size()) {
      fail("too many fields: expected at most 9 (" + field_list(kConv9Fields) + "), got " +
           std::to_string(f.size()) + "; SCALE-Sim ignores the extra fields, nibble does not: " +
           "remove field 10 (" + in_quotes(f[kConv9Fields.size()]) + ") and any after it");
    }
    const bool one_stride = f.size() == kConv8Fields.size();
    const auto name_of = [&](size_t i) { return one_stride ? kConv8Fields[i] : kConv9Fields[i]; };
    std::array<int64_t, 9> v{};
    for (size_t i = 1; i < f.size(); ++i) {
      v[i] = value(name_of(i), f[i]);
    }
    ConvShape c;
    c.ifmap_h = v[1];
    c.ifmap_w = v[2];
    c.filter_h = v[3];
    c.filter_w = v[4];
    c.channels = v[5];
    c.num_filters = v[6];
    c.stride_h = v[7];
    c.stride_w = one_stride ? v[7] : v[8];
    if (c.filter_h > c.ifmap_h) {
      fail("Filter Height " + in_quotes(f[3]) + " exceeds IFMAP Height " + in_quotes(f[1]) +
           " (there is no padding)");
    }
    if (c.filter_w > c.ifmap_w) {
      fail("Filter Width " + in_quotes(f[4]) + " exceeds IFMAP Width " + in_quotes(f[2]) +
           " (there is no padding)");
    }
    const std::string name(f[0]);
    if (name.find("DP") == std::string::npos) {
      add_layer(name, c);
      return;
    }
    // Depthwise, as SCALE-Sim: one layer per channel, each with one channel and all N filters.
    if (c.channels > kScaleSimMaxLayers - static_cast<int64_t>(workload_.gemms.size())) {
      fail("Channels " + in_quotes(f[5]) + ": the depthwise row " + in_quotes(name) +
           " (its name contains 'DP') expands into one layer per channel, more than the " +
           std::to_string(kScaleSimMaxLayers) + " layers a topology may hold");
    }
    const int64_t channels = c.channels;
    c.channels = 1;
    for (int64_t i = 0; i < channels; ++i) {
      add_layer(name + "Channel_" + std::to_string(i), c);
    }
  }

  void parse_gemm_row(const std::vector<std::string_view>& f) {
    if (f.size() < kGemmFields.size()) {
      fail("expected 4 fields (" + field_list(kGemmFields) + "), got " + std::to_string(f.size()) +
           " in " + in_quotes(row_) + ": the first missing field is " +
           std::string(kGemmFields[f.size()]));
    }
    if (f.size() > kGemmFields.size()) {
      const bool conv_like = f.size() == kConv8Fields.size() || f.size() == kConv9Fields.size();
      fail("too many fields: expected 4 (" + field_list(kGemmFields) +
           ") and an optional trailing comma, got " + std::to_string(f.size()) +
           "; SCALE-Sim ignores the fields after K, nibble does not: remove field 5 (" +
           in_quotes(f[4]) + ") and any after it" +
           (conv_like ? " (or, if this is a conv-form topology, read it in conv form)" : ""));
    }
    const int64_t m = value(kGemmFields[1], f[1]);
    const int64_t n = value(kGemmFields[2], f[2]);
    const int64_t k = value(kGemmFields[3], f[3]);
    add_layer(std::string(f[0]), ConvShape::from_gemm(m, n, k));
  }

  void add_layer(std::string name, const ConvShape& c) {
    if (static_cast<int64_t>(workload_.gemms.size()) >= kScaleSimMaxLayers) {
      fail("more than " + std::to_string(kScaleSimMaxLayers) + " layers at " + in_quotes(name));
    }
    const std::string prefix = "layer " + in_quotes(name) + ": ";
    // H*W*C bounds every operand size and, since Fh <= H and Fw <= W, also K = Fh*Fw*C.
    const std::optional<int64_t> hw = checked_mul(c.ifmap_h, c.ifmap_w);
    if (!hw || !checked_mul(*hw, c.channels)) {
      fail(prefix + "the ifmap size H*W*C overflows int64 (H=" + std::to_string(c.ifmap_h) +
           " W=" + std::to_string(c.ifmap_w) + " C=" + std::to_string(c.channels) + ")");
    }
    GemmSpec g;
    g.m = c.out_h() * c.out_w();
    g.n = c.num_filters;
    g.k = c.filter_h * c.filter_w * c.channels;
    const std::optional<int64_t> mn = checked_mul(g.m, g.n);
    const std::optional<int64_t> macs = mn ? checked_mul(*mn, g.k) : std::nullopt;
    if (!macs) {
      fail(prefix + "M*N*K overflows int64 (M=" + std::to_string(g.m) +
           " N=" + std::to_string(g.n) + " K=" + std::to_string(g.k) + ")");
    }
    if (*macs > kInt64Max - total_macs_) {
      fail(prefix + "the topology's total MACs (sum of M*N*K) overflow int64");
    }
    total_macs_ += *macs;
    g.name = std::move(name);
    g.a = {num::Format::kInt4, 0};
    g.b = {num::Format::kInt4, 0};
    g.out = {num::Format::kFp16, 0};
    g.pass = workload::Pass::kNone;
    g.repeat = 1;
    g.where = {source_, line_};
    g.conv = c;
    workload_.gemms.push_back(std::move(g));
  }

  std::string source_;
  TopologyForm form_;
  int line_ = 0;
  bool header_blank_ = false;
  bool first_row_ = true;
  std::string_view row_;  // the stripped row being parsed, for messages
  int64_t total_macs_ = 0;
  Workload workload_;
};

}  // namespace

ArchSpec parse_scalesim_cfg(std::istream& in, const std::string& source) {
  return CfgParser(source).parse(in);
}

ArchSpec read_scalesim_cfg(const std::string& path) {
  ArchSpec spec;
  parse_input_file(path, "the SCALE-Sim config file",
                   [&](std::istream& in) { spec = parse_scalesim_cfg(in, path); });
  return spec;
}

Workload parse_scalesim_topology(std::istream& in, const std::string& source, TopologyForm form) {
  return TopologyParser(source, form).parse(in);
}

Workload read_scalesim_topology(const std::string& path, TopologyForm form) {
  Workload w;
  parse_input_file(path, "the SCALE-Sim topology file",
                   [&](std::istream& in) { w = parse_scalesim_topology(in, path, form); });
  return w;
}

}  // namespace nibble::frontend
