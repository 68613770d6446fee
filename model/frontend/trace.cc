#include "model/frontend/trace.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <fstream>
#include <initializer_list>
#include <istream>
#include <iterator>
#include <limits>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "model/frontend/input_error.h"

namespace nibble::frontend {

using workload::FormatSpec;
using workload::GemmSpec;
using workload::Pass;
using workload::Workload;
using workload::parse_format_spec;
using workload::parse_pass;

namespace {

constexpr std::string_view kMagic = "nibble-trace";
// m, n, k and repeat fit a signed 32-bit integer, so that consumers may index with int.
constexpr int64_t kMaxCount = std::numeric_limits<int32_t>::max();
constexpr int64_t kMaxMacs = std::numeric_limits<int64_t>::max();
constexpr const char* kNameChars = "A-Z a-z 0-9 _ . : / + -";
constexpr const char* kFormatList =
    "int4, uint4, fp4, fp4:p0, fp4:p1, fp8_e4m3, fp8_e5m2, fp16, fp32";
// Keywords kept for the co-simulation data commands (load a tensor, expect an output, seed the
// stochastic rounding), so that traces written today cannot use them for something else.
constexpr std::string_view kReserved[] = {"load", "expect", "seed"};

// The fields of a gemm line, in the order write_trace prints them.
enum Field { kM, kN, kK, kA, kB, kOut, kPass, kRepeat, kNumFields };
constexpr std::array<std::string_view, kNumFields> kFieldKeys = {"m", "n",   "k",    "a",
                                                                 "b", "out", "pass", "repeat"};

bool is_name_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == ':' || c == '/' || c == '+' || c == '-';
}

bool is_valid_name(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_name_char);
}

// The tokens of one line: '#' starts a comment, a CR at the end (CRLF files) is dropped, and
// tokens are separated by runs of spaces and tabs.
std::vector<std::string_view> tokenize(std::string_view line) {
  if (!line.empty() && line.back() == '\r') {
    line.remove_suffix(1);
  }
  line = line.substr(0, line.find('#'));
  std::vector<std::string_view> tokens;
  size_t pos = 0;
  while (true) {
    pos = line.find_first_not_of(" \t", pos);
    if (pos == std::string_view::npos) {
      break;
    }
    const size_t end = std::min(line.find_first_of(" \t", pos), line.size());
    tokens.push_back(line.substr(pos, end - pos));
    pos = end;
  }
  return tokens;
}

// The value of a string of decimal digits; nullopt if it is empty or holds anything else. Values
// above kMaxCount come back as kMaxCount + 1, without overflow, for the caller to report as out
// of range.
std::optional<int64_t> parse_count(std::string_view digits) {
  if (digits.empty()) {
    return std::nullopt;
  }
  int64_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    value = std::min(value * 10 + (c - '0'), kMaxCount + 1);
  }
  return value;
}

bool count_in_range(int64_t v) { return v >= 1 && v <= kMaxCount; }

// m * n * k * repeat, or nullopt if it exceeds int64. Each factor must be in [1, kMaxCount].
std::optional<int64_t> checked_macs(const GemmSpec& g) {
  int64_t total = 1;
  for (int64_t factor : {g.m, g.n, g.k, g.repeat}) {
    if (total > kMaxMacs / factor) {
      return std::nullopt;
    }
    total *= factor;
  }
  return total;
}

// The rules a GEMM obeys beyond the syntax of its fields (which must be in range). The reader
// and the writer share them, so that what one accepts the other does too.
std::optional<std::string> gemm_error(const GemmSpec& g) {
  if (auto why = operand_pair_error(g.a, g.b)) {
    return "operand pair a=" + format_spec_name(g.a) + " b=" + format_spec_name(g.b) +
           " is not supported: " + *why;
  }
  if (!checked_macs(g)) {
    return "m*n*k*repeat overflows int64 (m=" + std::to_string(g.m) + " n=" + std::to_string(g.n) +
           " k=" + std::to_string(g.k) + " repeat=" + std::to_string(g.repeat) + ")";
  }
  return std::nullopt;
}

// Adds one GEMM's MACs to the workload total; false if the total would exceed int64, which
// every consumer that sums MACs (reports, energy) relies on not happening.
bool add_macs(int64_t& total, int64_t macs) {
  if (macs > kMaxMacs - total) {
    return false;
  }
  total += macs;
  return true;
}

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

class TraceParser {
 public:
  explicit TraceParser(std::string filename) : filename_(std::move(filename)) {}

  Workload parse(std::istream& in) {
    std::string text;
    while (std::getline(in, text)) {
      ++line_;
      const std::vector<std::string_view> tokens = tokenize(text);
      if (tokens.empty()) {
        continue;
      }
      if (header_line_ == 0) {
        parse_header(tokens);
      } else if (tokens[0] == kMagic) {
        fail("header " + quoted(kMagic) + " given twice (first on line " +
             std::to_string(header_line_) + ")");
      } else if (tokens[0] == "workload") {
        parse_workload(tokens);
      } else if (tokens[0] == "gemm") {
        parse_gemm(tokens);
      } else if (std::find(std::begin(kReserved), std::end(kReserved), tokens[0]) !=
                 std::end(kReserved)) {
        fail(quoted(tokens[0]) + " is reserved for data commands (not supported yet)");
      } else {
        fail("unknown command " + quoted(tokens[0]) + " (expected workload or gemm)");
      }
    }
    if (in.bad()) {
      throw InputError(filename_, 0, "read error after line " + std::to_string(line_));
    }
    if (header_line_ == 0) {
      throw InputError(filename_, 0,
                       "empty trace: expected the header '" + header_text() + "' first");
    }
    if (workload_.gemms.empty()) {
      throw InputError(filename_, 0, "no gemm lines: a trace describes at least one GEMM");
    }
    return std::move(workload_);
  }

 private:
  [[noreturn]] void fail(const std::string& message) const {
    throw InputError(filename_, line_, message);
  }

  static std::string header_text() {
    return std::string(kMagic) + " " + std::to_string(kTraceVersion);
  }

  void parse_header(const std::vector<std::string_view>& tokens) {
    if (tokens[0] != kMagic) {
      fail("expected the header '" + header_text() + "' before anything but comments, got " +
           quoted(tokens[0]));
    }
    if (tokens.size() < 2) {
      fail("expected '" + std::string(kMagic) + " <version>', got " + quoted(kMagic) + " alone");
    }
    if (tokens[1] != std::to_string(kTraceVersion)) {
      fail("unsupported trace version " + quoted(tokens[1]) + " (this reader reads version " +
           std::to_string(kTraceVersion) + ")");
    }
    if (tokens.size() > 2) {
      fail("unexpected " + quoted(tokens[2]) + " after '" + header_text() + "'");
    }
    header_line_ = line_;
  }

  void parse_workload(const std::vector<std::string_view>& tokens) {
    if (tokens.size() < 2) {
      fail("workload: expected a name after 'workload'");
    }
    if (tokens.size() > 2) {
      fail("workload: unexpected " + quoted(tokens[2]) + " after the name " + quoted(tokens[1]));
    }
    if (!is_valid_name(tokens[1])) {
      fail("workload: invalid name " + quoted(tokens[1]) + " (allowed characters: " + kNameChars +
           ")");
    }
    if (workload_line_ != 0) {
      fail("workload: given twice (first on line " + std::to_string(workload_line_) + "), got " +
           quoted(tokens[1]));
    }
    if (!workload_.gemms.empty()) {
      fail("workload: must come before the first gemm (line " +
           std::to_string(workload_.gemms.front().where.line) + "), got " + quoted(tokens[1]));
    }
    workload_line_ = line_;
    workload_.name = std::string(tokens[1]);
  }

  void parse_gemm(const std::vector<std::string_view>& tokens) {
    if (tokens.size() < 2) {
      fail("gemm: expected a name after 'gemm'");
    }
    const std::string_view name = tokens[1];
    if (name.find('=') != std::string_view::npos) {
      fail("gemm: expected a name before the fields, got " + quoted(name));
    }
    if (!is_valid_name(name)) {
      fail("gemm: invalid name " + quoted(name) + " (allowed characters: " + kNameChars + ")");
    }
    const std::string prefix = "gemm " + quoted(name) + ": ";
    if (auto it = gemm_lines_.find(std::string(name)); it != gemm_lines_.end()) {
      fail(prefix + "name already used on line " + std::to_string(it->second));
    }

    // Each field's whole token ("k=64"), so that errors can quote it.
    std::array<std::optional<std::string_view>, kNumFields> given;
    for (size_t i = 2; i < tokens.size(); ++i) {
      const std::string_view token = tokens[i];
      const size_t eq = token.find('=');
      if (eq == std::string_view::npos || eq == 0) {
        fail(prefix + "expected <field>=<value>, got " + quoted(token));
      }
      const std::string_view key = token.substr(0, eq);
      const auto field = static_cast<size_t>(
          std::distance(kFieldKeys.begin(), std::find(kFieldKeys.begin(), kFieldKeys.end(), key)));
      if (field == kNumFields) {
        fail(prefix + "unknown field " + quoted(key) + " in " + quoted(token) +
             " (fields: m, n, k, a, b, out, pass, repeat)");
      }
      auto& slot = given[field];
      if (slot) {
        fail(prefix + "field " + quoted(key) + " given twice (" + quoted(*slot) + " and " +
             quoted(token) + ")");
      }
      slot = token;
    }
    for (Field required : {kM, kN, kK, kA, kB}) {
      if (!given[required]) {
        const bool is_format = required == kA || required == kB;
        fail(prefix + "missing " + std::string(kFieldKeys[required]) +
             (is_format ? "=<fmt>" : "=<int>"));
      }
    }

    GemmSpec g;
    g.name = std::string(name);
    g.where = {filename_, line_};
    const auto count = [&](Field f, int64_t fallback) -> int64_t {
      if (!given[f]) {
        return fallback;
      }
      const std::string_view token = *given[f];
      const std::string key(kFieldKeys[f]);
      const std::optional<int64_t> v = parse_count(token.substr(key.size() + 1));
      if (!v) {
        fail(prefix + "expected " + key + "=<int>, got " + quoted(token));
      }
      if (!count_in_range(*v)) {
        fail(prefix + quoted(token) + " is out of range: expected " + key + "=<int> in [1, " +
             std::to_string(kMaxCount) + "]");
      }
      return *v;
    };
    const auto format = [&](Field f, FormatSpec fallback) -> FormatSpec {
      if (!given[f]) {
        return fallback;
      }
      const std::string_view token = *given[f];
      const std::string key(kFieldKeys[f]);
      const std::optional<FormatSpec> spec = parse_format_spec(token.substr(key.size() + 1));
      if (!spec) {
        fail(prefix + "expected " + key + "=<fmt>, got " + quoted(token) +
             " (formats: " + kFormatList + ")");
      }
      return *spec;
    };
    g.m = count(kM, 0);
    g.n = count(kN, 0);
    g.k = count(kK, 0);
    g.a = format(kA, {});
    g.b = format(kB, {});
    g.out = format(kOut, g.out);
    g.repeat = count(kRepeat, g.repeat);
    if (given[kPass]) {
      const std::string_view token = *given[kPass];
      const std::optional<Pass> pass = parse_pass(token.substr(kFieldKeys[kPass].size() + 1));
      if (!pass) {
        fail(prefix + "expected pass=fwd|dgrad|wgrad|-, got " + quoted(token));
      }
      g.pass = *pass;
    }

    if (auto why = gemm_error(g)) {
      fail(prefix + *why);
    }
    if (!add_macs(total_macs_, *checked_macs(g))) {
      fail(prefix + "the workload's total MACs (sum of m*n*k*repeat) overflow int64");
    }
    gemm_lines_.emplace(g.name, line_);
    workload_.gemms.push_back(std::move(g));
  }

  std::string filename_;
  int line_ = 0;
  int header_line_ = 0;
  int workload_line_ = 0;
  std::unordered_map<std::string, int> gemm_lines_;
  int64_t total_macs_ = 0;
  Workload workload_;
};

}  // namespace

Workload parse_trace(std::istream& in, const std::string& filename) {
  return TraceParser(filename).parse(in);
}

Workload read_trace_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw InputError(path, 0, "cannot open trace file");
  }
  return parse_trace(in, path);
}

std::string write_trace(const Workload& w) {
  const auto fail = [](const std::string& what) {
    throw std::invalid_argument("write_trace: " + what);
  };
  if (!w.name.empty() && !is_valid_name(w.name)) {
    fail("invalid workload name " + quoted(w.name) + " (allowed characters: " + kNameChars + ")");
  }
  if (w.gemms.empty()) {
    fail("a workload needs at least one GEMM");
  }
  std::ostringstream out;
  out << kMagic << ' ' << kTraceVersion << '\n';
  if (!w.name.empty()) {
    out << "workload " << w.name << '\n';
  }
  std::unordered_set<std::string> names;
  int64_t total = 0;
  for (const GemmSpec& g : w.gemms) {
    if (!is_valid_name(g.name)) {
      fail("invalid gemm name " + quoted(g.name) + " (allowed characters: " + kNameChars + ")");
    }
    const std::string prefix = "gemm " + quoted(g.name) + ": ";
    if (!names.insert(g.name).second) {
      fail(prefix + "name used twice");
    }
    const std::initializer_list<std::pair<const char*, int64_t>> counts = {
        {"m", g.m}, {"n", g.n}, {"k", g.k}, {"repeat", g.repeat}};
    for (const auto& [key, value] : counts) {
      if (!count_in_range(value)) {
        fail(prefix + key + "=" + std::to_string(value) + " is out of range [1, " +
             std::to_string(kMaxCount) + "]");
      }
    }
    // A spec is representable exactly when its name parses back to it.
    const std::initializer_list<std::pair<const char*, FormatSpec>> formats = {
        {"a", g.a}, {"b", g.b}, {"out", g.out}};
    for (const auto& [key, spec] : formats) {
      const std::optional<FormatSpec> back = parse_format_spec(format_spec_name(spec));
      if (!back || !(*back == spec)) {
        fail(prefix + key + "=" + format_spec_name(spec) + " is not a valid format");
      }
    }
    if (!parse_pass(pass_name(g.pass))) {
      fail(prefix + "invalid pass");
    }
    if (auto why = gemm_error(g)) {
      fail(prefix + *why);
    }
    if (!add_macs(total, *checked_macs(g))) {
      fail(prefix + "the workload's total MACs (sum of m*n*k*repeat) overflow int64");
    }
    out << "gemm " << g.name << " m=" << g.m << " n=" << g.n << " k=" << g.k
        << " a=" << format_spec_name(g.a) << " b=" << format_spec_name(g.b)
        << " out=" << format_spec_name(g.out) << " pass=" << pass_name(g.pass)
        << " repeat=" << g.repeat << '\n';
  }
  return out.str();
}

}  // namespace nibble::frontend
