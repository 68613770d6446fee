#include "model/sweep/spec.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <utility>

#include "model/builtin/builtin.h"
#include "model/energy/energy.h"
#include "model/frontend/config.h"
#include "model/frontend/input_error.h"
#include "model/frontend/input_file.h"
#include "model/frontend/trace.h"

namespace nibble::sweep {

namespace fs = std::filesystem;
using frontend::ConfigKey;
using frontend::ConfigType;
using frontend::InputError;

namespace {

constexpr const char* kEngineKey = "engine";
constexpr const char* kEnergyKey = "tables.energy";
constexpr const char* kAreaKey = "tables.area";
constexpr const char* kBuiltin = "builtin";

int line_of(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  return mark.is_null() ? 0 : mark.line + 1;
}

std::string in_quotes(const std::string& s) { return "'" + s + "'"; }

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) {
    out += (out.empty() ? "" : ", ") + n;
  }
  return out;
}

const ConfigKey* find_config_key(const std::string& name) {
  for (const ConfigKey& k : frontend::config_keys()) {
    if (k.name == name) {
      return &k;
    }
  }
  return nullptr;
}

bool is_extra_key(const std::string& name) {
  const auto& extra = extra_axis_keys();
  return std::find(extra.begin(), extra.end(), name) != extra.end();
}

std::string read_text(const fs::path& path, const std::string& what) {
  return frontend::read_input_file(path.string(), what);
}

// One value of an axis: its text (a `--set` value, an engine name or a table path) and the
// spec line it came from.
struct AxisValue {
  std::string text;
  int line = 0;
};

struct Axis {
  std::string key;
  int line = 0;
  std::vector<AxisValue> values;
};

// Axes that vary together: one axis, or the members of a `zip` (all of one length).
struct AxisGroup {
  std::vector<Axis> axes;
  int line = 0;
  size_t size() const { return axes.front().values.size(); }
};

// A file the points use (trace or table): the path to open, the path plan.json stores, and
// the content the point ids hash.
struct InputFile {
  std::string open_path;  // as resolved against the spec's folder
  std::string absolute;
  std::string content;
};

class SpecReader {
 public:
  SpecReader(std::string source, std::string base_dir)
      : source_(std::move(source)), base_dir_(std::move(base_dir)) {}

  Plan read(const std::string& text) {
    YAML::Node top = load(text);
    std::unordered_map<std::string, int> seen;
    for (const auto& entry : top) {
      const std::string name = key_name(entry.first, seen);
      const int line = line_of(entry.first);
      const YAML::Node& value = entry.second;
      if (name == "base") {
        base_ = scalar(value, line, "base", "a config file path");
        base_line_ = line;
      } else if (name == "set") {
        read_set(value, line);
      } else if (name == "workloads") {
        read_workloads(value, line);
      } else if (name == "engine") {
        engine_ = check_engine(scalar(value, line, "engine", "analytic or systemc"), line);
      } else if (name == "tables") {
        read_tables(value, line);
      } else if (name == "axes") {
        read_axes(value, line);
      } else if (name == "point_plots") {
        point_plots_ = read_bool(value, line, "point_plots");
      } else {
        fail(line, "unknown key " + in_quotes(name) + "; valid keys: " + join(spec_top_keys()));
      }
    }
    if (workloads_.empty()) {
      fail(line_of(top),
           "no `workloads`: list trace files, or `builtin` for the built-in "
           "ResNet-18 training step");
    }
    return expand();
  }

 private:
  [[noreturn]] void fail(int line, const std::string& message) const {
    throw InputError(source_, line, message);
  }

  YAML::Node load(const std::string& text) const {
    std::vector<YAML::Node> docs;
    try {
      docs = frontend::load_yaml_documents(text);
    } catch (const YAML::Exception& e) {
      fail(e.mark.is_null() ? 0 : e.mark.line + 1, frontend::yaml_error_message(e));
    }
    for (size_t d = 1; d < docs.size(); ++d) {
      if (!docs[d].IsNull()) {
        fail(line_of(docs[d]), "a second YAML document; a sweep spec is a single mapping");
      }
    }
    if (docs.empty() || !docs[0].IsMap()) {
      fail(docs.empty() ? 0 : line_of(docs[0]),
           "a sweep spec is a mapping of " + join(spec_top_keys()));
    }
    return docs[0];
  }

  std::string key_name(const YAML::Node& key, std::unordered_map<std::string, int>& seen) const {
    if (!key.IsScalar()) {
      fail(line_of(key), "a key must be a name");
    }
    const auto [it, inserted] = seen.emplace(key.Scalar(), line_of(key));
    if (!inserted) {
      fail(line_of(key), "duplicate key " + in_quotes(key.Scalar()) + " (first on line " +
                             std::to_string(it->second) + ")");
    }
    return key.Scalar();
  }

  std::string scalar(const YAML::Node& node, int line, const std::string& what,
                     const std::string& expected) const {
    if (!node.IsScalar() || node.Scalar().empty()) {
      fail(node.IsDefined() && !node.IsNull() ? line_of(node) : line,
           what + ": expected " + expected);
    }
    return node.Scalar();
  }

  bool read_bool(const YAML::Node& node, int line, const std::string& what) const {
    const std::string s = scalar(node, line, what, "true or false");
    if (s != "true" && s != "false") {
      fail(line_of(node), what + ": expected true or false, got " + in_quotes(s));
    }
    return s == "true";
  }

  std::string check_engine(const std::string& name, int line) const {
    if (name != "analytic" && name != "systemc") {
      fail(line, "engine: expected analytic or systemc, got " + in_quotes(name));
    }
    return name;
  }

  void read_set(const YAML::Node& node, int line) {
    if (!node.IsMap()) {
      fail(line, "set: expected a mapping of config keys to values");
    }
    std::unordered_map<std::string, int> seen;
    for (const auto& entry : node) {
      const std::string key = key_name(entry.first, seen);
      const int key_line = line_of(entry.first);
      if (find_config_key(key) == nullptr) {
        fail(key_line, "set: unknown config key " + in_quotes(key) + " (docs/config.md)");
      }
      set_.push_back({key,
                      key_line,
                      {{scalar(entry.second, key_line, key, "a value"), line_of(entry.second)}}});
    }
  }

  void read_workloads(const YAML::Node& node, int line) {
    if (!node.IsSequence() || node.size() == 0) {
      fail(line, "workloads: expected a non-empty list of trace files (or `builtin`)");
    }
    std::set<std::string> seen;
    for (const YAML::Node& w : node) {
      const std::string label = scalar(w, line, "workloads", "a trace file path or `builtin`");
      if (!seen.insert(label).second) {
        fail(line_of(w), "workloads: " + in_quotes(label) + " is listed twice");
      }
      workloads_.emplace_back(label, line_of(w));
    }
  }

  void read_tables(const YAML::Node& node, int line) {
    if (!node.IsMap()) {
      fail(line, "tables: expected a mapping with `energy` and/or `area`");
    }
    std::unordered_map<std::string, int> seen;
    for (const auto& entry : node) {
      const std::string key = key_name(entry.first, seen);
      const int key_line = line_of(entry.first);
      const std::string path = scalar(entry.second, key_line, "tables." + key, "a CSV file path");
      if (key == "energy") {
        energy_ = {path, key_line};
      } else if (key == "area") {
        area_ = {path, key_line};
      } else {
        fail(key_line, "tables: unknown key " + in_quotes(key) + "; valid keys: energy, area");
      }
    }
  }

  void read_axes(const YAML::Node& node, int line) {
    if (!node.IsSequence()) {
      fail(line,
           "axes: expected a list of axes (each with `key` and `values`, `range` or "
           "`pow2`, or a `zip` of such axes)");
    }
    for (const YAML::Node& entry : node) {
      const int entry_line = line_of(entry);
      if (!entry.IsMap()) {
        fail(entry_line,
             "axes: each axis is a mapping (`key` and `values`, `range` or `pow2`, "
             "or `zip`)");
      }
      AxisGroup group;
      group.line = entry_line;
      if (entry["zip"]) {
        if (entry.size() != 1) {
          fail(entry_line, "axes: a `zip` entry holds nothing but `zip`");
        }
        const YAML::Node zip = entry["zip"];
        if (!zip.IsSequence() || zip.size() < 2) {
          fail(line_of(zip), "zip: expected a list of at least two axes");
        }
        for (const YAML::Node& member : zip) {
          group.axes.push_back(read_axis(member));
        }
        for (const Axis& a : group.axes) {
          if (a.values.size() != group.axes.front().values.size()) {
            fail(a.line, "zip: axis " + in_quotes(a.key) + " has " +
                             std::to_string(a.values.size()) + " values, axis " +
                             in_quotes(group.axes.front().key) + " " +
                             std::to_string(group.axes.front().values.size()) +
                             "; zipped axes vary together and need equal lengths");
          }
        }
      } else {
        group.axes.push_back(read_axis(entry));
      }
      groups_.push_back(std::move(group));
    }
  }

  Axis read_axis(const YAML::Node& node) {
    Axis axis;
    axis.line = line_of(node);
    if (!node.IsMap()) {
      fail(axis.line, "axes: an axis is a mapping with `key` and `values`, `range` or `pow2`");
    }
    std::unordered_map<std::string, int> seen;
    std::optional<std::pair<std::string, YAML::Node>> source;
    for (const auto& entry : node) {
      const std::string name = key_name(entry.first, seen);
      const int line = line_of(entry.first);
      if (name == "key") {
        axis.key = scalar(entry.second, line, "key", "a config key (docs/config.md)");
        axis.line = line;
      } else if (name == "values" || name == "range" || name == "pow2") {
        if (source) {
          fail(line, "an axis has one of `values`, `range` or `pow2`, not both " +
                         in_quotes(source->first) + " and " + in_quotes(name));
        }
        source.emplace(name, entry.second);
      } else if (name == "zip") {
        fail(line, "axes: `zip` is an entry of its own, not a key of an axis");
      } else {
        fail(line,
             "unknown axis key " + in_quotes(name) + "; valid keys: " + join(spec_axis_keys()));
      }
    }
    if (axis.key.empty()) {
      fail(axis.line, "an axis needs `key`: the config key it sweeps");
    }
    const ConfigKey* k = find_config_key(axis.key);
    if (k == nullptr && !is_extra_key(axis.key)) {
      fail(axis.line, "axis over " + in_quotes(axis.key) +
                          ", which is not a config key (docs/config.md) nor one of " +
                          join(extra_axis_keys()));
    }
    if (!swept_.emplace(axis.key, axis.line).second) {
      fail(axis.line, "key " + in_quotes(axis.key) + " is swept twice (first on line " +
                          std::to_string(swept_[axis.key]) + ")");
    }
    if (!source) {
      fail(axis.line, "axis " + in_quotes(axis.key) + " needs `values`, `range` or `pow2`");
    }
    const auto& [kind, body] = *source;
    const int body_line = line_of(body);
    if (kind == "values") {
      if (!body.IsSequence()) {
        fail(body_line, "values: expected a list");
      }
      for (const YAML::Node& v : body) {
        axis.values.push_back({scalar(v, body_line, axis.key, "a scalar value"), line_of(v)});
      }
    } else {
      const bool numeric =
          k != nullptr && (k->type == ConfigType::kInt || k->type == ConfigType::kDouble);
      if (!numeric) {
        fail(body_line, kind + ": " + in_quotes(axis.key) + " is not a numeric key; use `values`");
      }
      const bool integer = k->type == ConfigType::kInt;
      axis.values = kind == "range" ? range_values(body, integer) : pow2_values(body);
    }
    if (axis.values.empty()) {
      fail(body_line, "axis " + in_quotes(axis.key) + " is empty: it gives no value");
    }
    return axis;
  }

  // The `from`, `to` (and `step`) numbers of a range.
  std::map<std::string, double> bounds(const YAML::Node& body, const std::string& kind,
                                       const std::vector<std::string>& keys, bool integer) const {
    const int line = line_of(body);
    if (!body.IsMap()) {
      fail(line, kind + ": expected a mapping of " + join(keys));
    }
    std::map<std::string, double> out;
    std::unordered_map<std::string, int> seen;
    for (const auto& entry : body) {
      const std::string name = key_name(entry.first, seen);
      if (std::find(keys.begin(), keys.end(), name) == keys.end()) {
        fail(line_of(entry.first),
             kind + ": unknown key " + in_quotes(name) + "; valid keys: " + join(keys));
      }
      const std::string text =
          scalar(entry.second, line_of(entry.first), kind + "." + name, "a number");
      char* end = nullptr;
      errno = 0;
      const double v = std::strtod(text.c_str(), &end);
      if (end == text.c_str() || *end != '\0' || errno != 0 || !std::isfinite(v)) {
        fail(line_of(entry.second),
             kind + "." + name + ": expected a number, got " + in_quotes(text));
      }
      if (integer && (v != std::floor(v) || std::fabs(v) > 9.0e15)) {
        fail(line_of(entry.second), kind + "." + name +
                                        ": expected an integer (the key is an integer), got " +
                                        in_quotes(text));
      }
      out[name] = v;
    }
    for (const std::string& k : keys) {
      if (out.count(k) == 0) {
        fail(line, kind + ": missing " + in_quotes(k));
      }
    }
    return out;
  }

  std::vector<AxisValue> range_values(const YAML::Node& body, bool integer) const {
    const int line = line_of(body);
    const auto b = bounds(body, "range", {"from", "to", "step"}, integer);
    const double from = b.at("from");
    const double to = b.at("to");
    const double step = b.at("step");
    if (step <= 0) {
      fail(line, "range: step must be positive");
    }
    if (from > to) {
      fail(line, "range: from is above to; the axis is empty");
    }
    const double count = std::floor((to - from) / step * (1 + 1e-12)) + 1;
    if (count > static_cast<double>(kMaxPoints)) {
      fail(line, "range: more than " + std::to_string(kMaxPoints) + " values");
    }
    std::vector<AxisValue> values;
    for (int64_t i = 0; i < static_cast<int64_t>(count); ++i) {
      const double v = from + static_cast<double>(i) * step;
      char buf[64];
      if (integer) {
        std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(std::llround(v)));
      } else {
        std::snprintf(buf, sizeof buf, "%.15g", v);  // no trace of the steps' rounding
      }
      values.push_back({buf, line});
    }
    return values;
  }

  std::vector<AxisValue> pow2_values(const YAML::Node& body) const {
    const int line = line_of(body);
    const auto b = bounds(body, "pow2", {"from", "to"}, false);
    const double from = b.at("from");
    const double to = b.at("to");
    if (from <= 0) {
      fail(line, "pow2: from must be positive");
    }
    std::vector<AxisValue> values;
    for (double v = 1; v <= to && v < 9.0e15; v *= 2) {
      if (v >= from) {
        values.push_back({std::to_string(static_cast<int64_t>(v)), line});
      }
    }
    if (values.empty()) {
      fail(line, "pow2: no power of two lies in [from, to]; the axis is empty");
    }
    return values;
  }

  // Resolving ----------------------------------------------------------------------------------

  fs::path resolve(const std::string& path) const {
    const fs::path p(path);
    return p.is_absolute() || base_dir_.empty() ? p : (fs::path(base_dir_) / p).lexically_normal();
  }

  InputFile input_file(const std::string& path, const std::string& what) const {
    InputFile f;
    f.open_path = resolve(path).string();
    f.absolute = fs::absolute(f.open_path).lexically_normal().string();
    f.content = read_text(f.open_path, what);
    return f;
  }

  // A table named in the spec (or by an axis), read and checked once.
  const InputFile& table(const std::string& path, bool energy, int line) {
    const std::string key = (energy ? "e:" : "a:") + path;
    auto it = tables_.find(key);
    if (it != tables_.end()) {
      return it->second;
    }
    InputFile f;
    if (path.empty()) {
      const builtin::File& b =
          energy ? builtin::default_energy_table() : builtin::default_area_table();
      f.content = b.content;
    } else {
      try {
        f = input_file(path, energy ? "the energy table" : "the area table");
      } catch (const InputError& e) {
        fail(line, e.what());  // the spec line that names the file, then why it cannot be read
      }
      // A problem inside the table names the table's file and line.
      if (energy) {
        energy::EnergyTable::parse(f.content, f.open_path);
      } else {
        energy::AreaTable::parse(f.content, f.open_path);
      }
    }
    return tables_.emplace(key, std::move(f)).first->second;
  }

  Plan expand() {
    Plan plan;
    timing::ArchSpec base;
    if (!base_.empty()) {
      const fs::path path = resolve(base_);
      try {
        base = frontend::load_config_file(path.string());
      } catch (const InputError& e) {
        if (e.line() > 0) {
          throw;  // a problem inside the base config: its own file and line
        }
        fail(base_line_, std::string("base: ") + e.what());
      }
      plan.base_config = fs::absolute(path).lexically_normal().string();
    }
    std::vector<std::string> fixed;
    for (const Axis& s : set_) {
      apply(base, s.key, s.values.front());
      fixed.push_back(s.key + "=" + s.values.front().text);
      if (swept_.count(s.key) != 0) {
        fail(swept_[s.key], "key " + in_quotes(s.key) + " is both in `set` (line " +
                                std::to_string(s.line) + ") and swept");
      }
    }
    plan.point_plots = point_plots_;

    // The workloads, read and checked once; ids hash their label and content.
    struct Workload {
      std::string label;
      std::string absolute;
      std::string hash;
    };
    std::vector<Workload> workloads;
    for (const auto& [label, line] : workloads_) {
      Workload w{label, "", ""};
      std::string content;
      if (label == kBuiltin) {
        content = builtin::default_trace().content;
      } else {
        const fs::path path = resolve(label);
        std::error_code ec;
        if (!fs::exists(path, ec)) {
          fail(line, "workloads: no trace file " + in_quotes(path.string()));
        }
        frontend::read_trace_file(path.string());  // errors name the trace's file and line
        content = read_text(path, "the trace");
        w.absolute = fs::absolute(path).lexically_normal().string();
      }
      w.hash = fnv1a_hex(label + "\n" + content);
      workloads.push_back(std::move(w));
    }

    int64_t total = 1;
    for (const AxisGroup& g : groups_) {
      total *= static_cast<int64_t>(g.size());
      if (total * static_cast<int64_t>(workloads.size()) > kMaxPoints) {
        fail(g.line, "the sweep has more than " + std::to_string(kMaxPoints) +
                         " points; split it or narrow its axes");
      }
    }
    for (const AxisGroup& g : groups_) {
      for (const Axis& a : g.axes) {
        plan.axes.push_back(a.key);
      }
    }

    std::unordered_map<std::string, std::string> ids;  // id -> where it was made, for duplicates
    std::vector<size_t> at(groups_.size(), 0);         // the odometer: first axis outermost
    for (int64_t n = 0; n < total; ++n) {
      timing::ArchSpec arch = base;
      std::vector<std::string> overrides = fixed;
      std::vector<std::string> values;
      std::string engine = engine_;
      std::pair<std::string, int> energy = energy_;
      std::pair<std::string, int> area = area_;
      int last_line = groups_.empty() ? 0 : groups_.back().line;
      std::string where;
      for (size_t gi = 0; gi < groups_.size(); ++gi) {
        for (const Axis& a : groups_[gi].axes) {
          const AxisValue& v = a.values[at[gi]];
          last_line = v.line;
          where += (where.empty() ? "" : ", ") + a.key + "=" + v.text;
          if (a.key == kEngineKey) {
            engine = check_engine(v.text, v.line);
            values.push_back(engine);
          } else if (a.key == kEnergyKey) {
            energy = {v.text, v.line};
            values.push_back(v.text);
          } else if (a.key == kAreaKey) {
            area = {v.text, v.line};
            values.push_back(v.text);
          } else {
            apply(arch, a.key, v);
            overrides.push_back(a.key + "=" + v.text);
            values.push_back(find_config_key(a.key)->format(arch));
          }
        }
      }
      try {
        frontend::check_config(arch, source_);
      } catch (const InputError& e) {
        fail(last_line, (where.empty() ? "" : "point " + where + ": ") + e.message());
      }
      const InputFile& energy_file = table(energy.first, true, energy.second);
      const InputFile& area_file = table(area.first, false, area.second);
      const std::string design = frontend::dump_config(arch) + "\nengine: " + engine +
                                 "\nenergy table: " + fnv1a_hex(energy_file.content) +
                                 "\narea table: " + fnv1a_hex(area_file.content) + "\n";
      for (const Workload& w : workloads) {
        Point p;
        p.id = fnv1a_hex(design + "workload: " + w.hash + "\n").substr(0, 12);
        p.workload = w.label;
        p.trace_path = w.absolute;
        p.engine = engine;
        p.energy_table = energy_file.absolute;
        p.area_table = area_file.absolute;
        p.overrides = overrides;
        p.values = values;
        const std::string here = (where.empty() ? "" : where + ", ") + "workload " + w.label;
        const auto [it, inserted] = ids.emplace(p.id, here);
        if (!inserted) {
          fail(last_line, "two points resolve to the same design: " + it->second + " and " + here +
                              "; list each design once");
        }
        plan.points.push_back(std::move(p));
      }
      for (size_t gi = groups_.size(); gi-- > 0;) {  // advance the odometer, last axis fastest
        if (++at[gi] < groups_[gi].size()) {
          break;
        }
        at[gi] = 0;
      }
    }
    return plan;
  }

  void apply(timing::ArchSpec& arch, const std::string& key, const AxisValue& v) const {
    try {
      frontend::apply_override(arch, key + "=" + v.text);
    } catch (const InputError& e) {
      fail(v.line, e.message());
    }
  }

  std::string source_;
  std::string base_dir_;
  std::string base_;
  int base_line_ = 0;
  std::vector<Axis> set_;  // one value each
  std::vector<std::pair<std::string, int>> workloads_;
  std::string engine_ = "analytic";
  std::pair<std::string, int> energy_{"", 0};
  std::pair<std::string, int> area_{"", 0};
  bool point_plots_ = false;
  std::vector<AxisGroup> groups_;
  std::unordered_map<std::string, int> swept_;  // key -> line
  std::map<std::string, InputFile> tables_;
};

}  // namespace

const std::vector<std::string>& extra_axis_keys() {
  static const std::vector<std::string> keys = {kEngineKey, kEnergyKey, kAreaKey};
  return keys;
}

const std::vector<std::string>& spec_top_keys() {
  static const std::vector<std::string> keys = {"base",   "set",  "workloads",  "engine",
                                                "tables", "axes", "point_plots"};
  return keys;
}

const std::vector<std::string>& spec_axis_keys() {
  static const std::vector<std::string> keys = {"key", "values", "range", "pow2", "zip"};
  return keys;
}

Plan parse_spec(const std::string& text, const std::string& source, const std::string& base_dir) {
  return SpecReader(source, base_dir).read(text);
}

Plan read_spec(const std::string& path) {
  const std::string text = read_text(path, "the sweep spec");
  return parse_spec(text, path, fs::path(path).parent_path().string());
}

}  // namespace nibble::sweep
