#include "model/frontend/trace.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <filesystem>
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
#include "model/frontend/input_file.h"
#include "model/numerics/format.h"
#include "model/numerics/fp16.h"

namespace nibble::frontend {

using workload::FormatSpec;
using workload::GemmData;
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
constexpr uint64_t kMaxSeed = std::numeric_limits<uint64_t>::max();

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

// Not named quoted: std::quoted (which <filesystem> declares) would win by argument-dependent
// lookup for std::string arguments.
std::string quote(std::string_view s) { return "'" + std::string(s) + "'"; }

// A file name in a data command: one token, so no blank, no '#' and no line break.
bool is_valid_path(std::string_view s) {
  return !s.empty() && s.find_first_of(std::string_view(" \t\r\n#\0", 6)) == std::string_view::npos;
}

// `seed` values: decimal digits in [0, 2^64 - 1]. nullopt if the text is not digits; *in_range
// tells whether the value fits.
std::optional<uint64_t> parse_seed(std::string_view digits, bool* in_range) {
  *in_range = true;
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string_view::npos) {
    return std::nullopt;
  }
  uint64_t value = 0;
  for (char c : digits) {
    const auto d = static_cast<uint64_t>(c - '0');
    if (value > (kMaxSeed - d) / 10) {
      *in_range = false;
      return 0;
    }
    value = value * 10 + d;
  }
  return value;
}

// `crc=` values: "0x" and 1 to 8 hexadecimal digits (either case).
std::optional<uint32_t> parse_crc(std::string_view text) {
  if (text.size() < 3 || text.size() > 10 || text.substr(0, 2) != "0x" ||
      text.find_first_not_of("0123456789abcdefABCDEF", 2) != std::string_view::npos) {
    return std::nullopt;
  }
  uint32_t value = 0;
  for (char c : text.substr(2)) {
    const int d = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
    value = value << 4 | static_cast<uint32_t>(d);
  }
  return value;
}

// An exact decimal number: (-1)^negative * digits * 10^exp10, with digits free of leading and
// trailing zeros (empty for zero), so that equal values have equal representations.
struct Decimal {
  bool negative = false;
  std::string digits;
  int64_t exp10 = 0;

  friend bool operator==(const Decimal& a, const Decimal& b) {
    return a.negative == b.negative && a.digits == b.digits && a.exp10 == b.exp10;
  }
};

void normalize(Decimal& d) {
  const size_t first = d.digits.find_first_not_of('0');
  if (first == std::string::npos) {
    d.digits.clear();
    d.exp10 = 0;
    return;
  }
  d.digits.erase(0, first);
  const size_t last = d.digits.find_last_not_of('0');
  d.exp10 += static_cast<int64_t>(d.digits.size() - 1 - last);
  d.digits.erase(last + 1);
}

// The <real> of the grammar: [+|-] digits [. digits] [(e|E) [+|-] digits], with at least one
// digit before or after the point. nullopt if text does not match.
std::optional<Decimal> parse_real(std::string_view text) {
  Decimal d;
  size_t i = 0;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
    d.negative = text[i] == '-';
    ++i;
  }
  const auto is_digit = [&](size_t j) {
    return j < text.size() && text[j] >= '0' && text[j] <= '9';
  };
  size_t mantissa_digits = 0;
  while (is_digit(i)) {
    d.digits += text[i++];
    ++mantissa_digits;
  }
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (is_digit(i)) {
      d.digits += text[i++];
      --d.exp10;
      ++mantissa_digits;
    }
  }
  if (mantissa_digits == 0) {
    return std::nullopt;
  }
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    bool exp_negative = false;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
      exp_negative = text[i] == '-';
      ++i;
    }
    if (!is_digit(i)) {
      return std::nullopt;
    }
    int64_t exponent = 0;
    while (is_digit(i)) {
      // Beyond 10^9 the value is out of every range anyway; clamping keeps the sum in int64.
      exponent = std::min<int64_t>(exponent * 10 + (text[i++] - '0'), 1000000000);
    }
    d.exp10 += exp_negative ? -exponent : exponent;
  }
  if (i != text.size()) {
    return std::nullopt;
  }
  normalize(d);
  return d;
}

// The exact decimal value of a finite binary16 value (every one is a finite decimal).
Decimal exact_decimal(num::Fp16 h) {
  Decimal d;
  d.negative = h.sign();
  int exp2 = 0;
  const double fraction = std::frexp(std::fabs(h.to_double()), &exp2);
  // |h| = mantissa * 2^exp2 with an integer mantissa of at most 11 bits.
  auto mantissa = static_cast<uint64_t>(std::ldexp(fraction, 11));
  exp2 -= 11;
  for (; exp2 > 0; --exp2) {
    mantissa <<= 1;
  }
  d.digits = std::to_string(mantissa);
  // mantissa * 2^-k = (mantissa * 5^k) * 10^-k: multiply the decimal digits by 5, k times.
  for (; exp2 < 0; ++exp2) {
    int carry = 0;
    for (auto it = d.digits.rbegin(); it != d.digits.rend(); ++it) {
      const int v = (*it - '0') * 5 + carry;
      *it = static_cast<char>('0' + v % 10);
      carry = v / 10;
    }
    if (carry > 0) {
      d.digits.insert(d.digits.begin(), static_cast<char>('0' + carry));
    }
    --d.exp10;
  }
  normalize(d);
  return d;
}

// Plain positional text of d, without exponent: "0.5", "65504", "-0.00006103515625". It
// parses back (parse_real) to exactly d.
std::string decimal_text(const Decimal& d) {
  if (d.digits.empty()) {
    return "0";
  }
  std::string text = d.negative ? "-" : "";
  if (d.exp10 >= 0) {
    return text + d.digits + std::string(static_cast<size_t>(d.exp10), '0');
  }
  const auto point = static_cast<int64_t>(d.digits.size()) + d.exp10;  // digits before the point
  if (point > 0) {
    return text + d.digits.substr(0, static_cast<size_t>(point)) + "." +
           d.digits.substr(static_cast<size_t>(point));
  }
  return text + "0." + std::string(static_cast<size_t>(-point), '0') + d.digits;
}

// d rounded to the nearest double (+-Inf above the double range, +-0 below it).
double decimal_to_double(const Decimal& d) {
  const double sign = d.negative ? -1.0 : 1.0;
  if (d.digits.empty()) {
    return sign * 0.0;
  }
  // The decimal exponent of the leading digit; far outside [-400, 400] nothing is left to round.
  const int64_t lead = static_cast<int64_t>(d.digits.size()) - 1 + d.exp10;
  if (lead > 400 || lead < -400) {
    return lead > 0 ? sign * HUGE_VAL : sign * 0.0;
  }
  const std::string text = d.digits + "e" + std::to_string(d.exp10);
  double value = 0;
  const std::from_chars_result r = std::from_chars(text.data(), text.data() + text.size(), value);
  if (r.ec == std::errc::result_out_of_range) {
    return lead > 0 ? sign * HUGE_VAL : sign * 0.0;
  }
  return sign * value;
}

// Why v cannot be a `scale value=` (finite, nonzero and exactly a binary16 value), or nullopt.
std::optional<std::string> scale_value_error(double v) {
  if (!std::isfinite(v) || std::fabs(v) > num::kFp16Max.to_double()) {
    return "is outside binary16's finite range (largest magnitude 65504)";
  }
  if (v == 0) {
    return "must be nonzero";
  }
  const num::Fp16 h = num::Fp16::from_double(v);
  if (h.to_double() != v) {
    return "is not exactly representable as binary16 (nearest: " + decimal_text(exact_decimal(h)) +
           ")";
  }
  return std::nullopt;
}

// The GEMMs whose data functional mode can compute: a 4-bit PE pair.
bool is_4bit_pair(const GemmSpec& g) {
  return num::is_4bit(g.a.format) && num::is_4bit(g.b.format) && !operand_pair_error(g.a, g.b);
}

bool has_data(const GemmData& d) {
  return !d.a_file.empty() || !d.b_file.empty() || d.scale || !d.scale_file.empty() || d.expect_crc;
}

class TraceParser {
 public:
  // Relative file names in data commands resolve against base_dir (empty: kept as written).
  TraceParser(std::string filename, std::string base_dir)
      : filename_(std::move(filename)), base_dir_(std::move(base_dir)) {}

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
        fail("header " + quote(kMagic) + " given twice (first on line " +
             std::to_string(header_line_) + ")");
      } else if (tokens[0] == "workload") {
        parse_workload(tokens);
      } else if (tokens[0] == "gemm") {
        parse_gemm(tokens);
      } else if (tokens[0] == "seed") {
        parse_seed_line(tokens);
      } else if (tokens[0] == "load") {
        parse_load(tokens);
      } else if (tokens[0] == "scale") {
        parse_scale(tokens);
      } else if (tokens[0] == "expect") {
        parse_expect(tokens);
      } else {
        fail("unknown command " + quote(tokens[0]) +
             " (expected workload, gemm, seed, load, scale or expect)");
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
           quote(tokens[0]));
    }
    if (tokens.size() < 2) {
      fail("expected '" + std::string(kMagic) + " <version>', got " + quote(kMagic) + " alone");
    }
    if (tokens[1] != std::to_string(kTraceVersion)) {
      fail("unsupported trace version " + quote(tokens[1]) + " (this reader reads version " +
           std::to_string(kTraceVersion) + ")");
    }
    if (tokens.size() > 2) {
      fail("unexpected " + quote(tokens[2]) + " after '" + header_text() + "'");
    }
    header_line_ = line_;
  }

  void parse_workload(const std::vector<std::string_view>& tokens) {
    if (tokens.size() < 2) {
      fail("workload: expected a name after 'workload'");
    }
    if (tokens.size() > 2) {
      fail("workload: unexpected " + quote(tokens[2]) + " after the name " + quote(tokens[1]));
    }
    if (!is_valid_name(tokens[1])) {
      fail("workload: invalid name " + quote(tokens[1]) + " (allowed characters: " + kNameChars +
           ")");
    }
    if (workload_line_ != 0) {
      fail("workload: given twice (first on line " + std::to_string(workload_line_) + "), got " +
           quote(tokens[1]));
    }
    if (!workload_.gemms.empty()) {
      fail("workload: must come before the first gemm (line " +
           std::to_string(workload_.gemms.front().where.line) + "), got " + quote(tokens[1]));
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
      fail("gemm: expected a name before the fields, got " + quote(name));
    }
    if (!is_valid_name(name)) {
      fail("gemm: invalid name " + quote(name) + " (allowed characters: " + kNameChars + ")");
    }
    const std::string prefix = "gemm " + quote(name) + ": ";
    if (auto it = gemm_lines_.find(std::string(name)); it != gemm_lines_.end()) {
      fail(prefix + "name already used on line " + std::to_string(it->second));
    }

    // Each field's whole token ("k=64"), so that errors can quote it.
    const std::vector<std::optional<std::string_view>> given =
        read_fields(tokens, {kFieldKeys.begin(), kFieldKeys.end()}, prefix);
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
        fail(prefix + "expected " + key + "=<int>, got " + quote(token));
      }
      if (!count_in_range(*v)) {
        fail(prefix + quote(token) + " is out of range: expected " + key + "=<int> in [1, " +
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
        fail(prefix + "expected " + key + "=<fmt>, got " + quote(token) +
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
        fail(prefix + "expected pass=fwd|dgrad|wgrad|-, got " + quote(token));
      }
      g.pass = *pass;
    }

    if (auto why = gemm_error(g)) {
      fail(prefix + *why);
    }
    if (!add_macs(total_macs_, *checked_macs(g))) {
      fail(prefix + "the workload's total MACs (sum of m*n*k*repeat) overflow int64");
    }
    if (static_cast<int64_t>(workload_.gemms.size()) >= workload::kMaxGemms) {
      fail(prefix + "more than " + std::to_string(workload::kMaxGemms) +
           " GEMMs, the most a trace may hold (docs/trace-format.md)");
    }
    gemm_lines_.emplace(g.name, line_);
    gemm_index_.emplace(g.name, workload_.gemms.size());
    workload_.gemms.push_back(std::move(g));
  }

  void parse_seed_line(const std::vector<std::string_view>& tokens) {
    const std::string range = "an integer in [0, " + std::to_string(kMaxSeed) + "]";
    if (tokens.size() < 2) {
      fail("seed: expected " + range + " after 'seed'");
    }
    if (tokens.size() > 2) {
      fail("seed: unexpected " + quote(tokens[2]) + " after " + quote(tokens[1]));
    }
    bool in_range = true;
    const std::optional<uint64_t> value = parse_seed(tokens[1], &in_range);
    if (!value) {
      fail("seed: expected " + range + ", got " + quote(tokens[1]));
    }
    if (!in_range) {
      fail("seed: " + quote(tokens[1]) + " is out of range: expected " + range);
    }
    if (workload_.seed_where.line != 0) {
      fail("seed: given twice (first on line " + std::to_string(workload_.seed_where.line) +
           "), got " + quote(tokens[1]));
    }
    workload_.seed = *value;
    workload_.seed_where = {filename_, line_};
  }

  // The `<key>=<value>` tokens from tokens[2] on, for gemm lines and data commands: each key
  // one of `keys` and at most once. Entry i is the whole token of keys[i] ("k=64"), so that
  // errors can quote it, or nullopt.
  std::vector<std::optional<std::string_view>> read_fields(
      const std::vector<std::string_view>& tokens, const std::vector<std::string_view>& keys,
      const std::string& prefix) {
    std::string key_list;
    for (std::string_view key : keys) {
      key_list += (key_list.empty() ? "" : ", ") + std::string(key);
    }
    std::vector<std::optional<std::string_view>> given(keys.size());
    for (size_t i = 2; i < tokens.size(); ++i) {
      const std::string_view token = tokens[i];
      const size_t eq = token.find('=');
      if (eq == std::string_view::npos || eq == 0) {
        fail(prefix + "expected <field>=<value>, got " + quote(token));
      }
      const std::string_view key = token.substr(0, eq);
      const auto field =
          static_cast<size_t>(std::find(keys.begin(), keys.end(), key) - keys.begin());
      if (field == keys.size()) {
        fail(prefix + "unknown field " + quote(key) + " in " + quote(token) + " (fields: " +
             key_list + ")");
      }
      auto& slot = given[field];
      if (slot) {
        fail(prefix + "field " + quote(key) + " given twice (" + quote(*slot) + " and " +
             quote(token) + ")");
      }
      slot = token;
    }
    return given;
  }

  // The common part of load, scale and expect: `<command> <gemm-name> <key>=<value>...` naming
  // a gemm of an earlier line, each key one of `keys` and at most once. Returns the GEMM and
  // sets *given[i] to the whole token of keys[i].
  GemmSpec& data_command(const std::vector<std::string_view>& tokens,
                         const std::vector<std::string_view>& keys,
                         std::vector<std::optional<std::string_view>>* given) {
    const std::string command(tokens[0]);
    if (tokens.size() < 2) {
      fail(command + ": expected a gemm name after " + quote(command));
    }
    const std::string_view name = tokens[1];
    if (name.find('=') != std::string_view::npos) {
      fail(command + ": expected a gemm name before the fields, got " + quote(name));
    }
    const auto it = gemm_index_.find(std::string(name));
    if (it == gemm_index_.end()) {
      fail(command + ": unknown gemm " + quote(name) +
           " (a data command names a gemm of an earlier line)");
    }
    GemmSpec& g = workload_.gemms[it->second];
    const std::string prefix = command + " " + quote(name) + ": ";
    *given = read_fields(tokens, keys, prefix);
    if (!is_4bit_pair(g)) {
      fail(prefix + "data commands apply to GEMMs of 4-bit operands, not a=" +
           format_spec_name(g.a) + " b=" + format_spec_name(g.b));
    }
    return g;
  }

  // The file name of a `key=<file>` token, resolved against the trace's folder.
  std::string file_value(const std::string& prefix, std::string_view token) {
    const size_t eq = token.find('=');
    const std::string_view path = token.substr(eq + 1);
    if (!is_valid_path(path)) {
      fail(prefix + "expected " + std::string(token.substr(0, eq)) + "=<file>, got " +
           quote(token));
    }
    if (base_dir_.empty() || std::filesystem::path(path).is_absolute()) {
      return std::string(path);
    }
    return (std::filesystem::path(base_dir_) / std::filesystem::path(path)).string();
  }

  static std::string line_of(const workload::SourceLocation& where) {
    return "already given on line " + std::to_string(where.line);
  }

  void parse_load(const std::vector<std::string_view>& tokens) {
    std::vector<std::optional<std::string_view>> given;
    GemmSpec& g = data_command(tokens, {"a", "b"}, &given);
    const std::string prefix = "load " + quote(g.name) + ": ";
    if (!given[0] && !given[1]) {
      fail(prefix + "expected a=<file>, b=<file> or both");
    }
    if (g.data.load_where.line != 0) {
      fail(prefix + line_of(g.data.load_where) + " (one load line names a=, b= or both)");
    }
    if (given[0]) {
      g.data.a_file = file_value(prefix, *given[0]);
    }
    if (given[1]) {
      g.data.b_file = file_value(prefix, *given[1]);
    }
    g.data.load_where = {filename_, line_};
  }

  void parse_scale(const std::vector<std::string_view>& tokens) {
    std::vector<std::optional<std::string_view>> given;
    GemmSpec& g = data_command(tokens, {"value", "file"}, &given);
    const std::string prefix = "scale " + quote(g.name) + ": ";
    if (!given[0] && !given[1]) {
      fail(prefix + "expected value=<real> or file=<file>");
    }
    if (given[0] && given[1]) {
      fail(prefix + "expected value=<real> or file=<file>, not both (" + quote(*given[0]) +
           " and " + quote(*given[1]) + ")");
    }
    if (g.out.format == num::Format::kFp4) {
      fail(prefix + "the output is " + format_spec_name(g.out) +
           ", whose scale is GradScale's (set by the scale unit), got " +
           quote(given[0] ? *given[0] : *given[1]));
    }
    if (g.data.scale_where.line != 0) {
      fail(prefix + line_of(g.data.scale_where));
    }
    if (given[0]) {
      const std::string_view token = *given[0];
      const std::optional<Decimal> decimal = parse_real(token.substr(6));
      if (!decimal) {
        fail(prefix + "expected value=<real>, got " + quote(token));
      }
      if (decimal->digits.empty()) {
        fail(prefix + quote(token) + " must be nonzero");
      }
      const double value = decimal_to_double(*decimal);
      if (!std::isfinite(value) || std::fabs(value) > num::kFp16Max.to_double()) {
        fail(prefix + quote(token) +
             " is outside binary16's finite range (largest magnitude 65504)");
      }
      const num::Fp16 nearest = num::Fp16::from_double(value);
      if (!(exact_decimal(nearest) == *decimal)) {
        fail(prefix + quote(token) + " is not exactly representable as binary16 (nearest: " +
             decimal_text(exact_decimal(nearest)) + ")");
      }
      g.data.scale = nearest.to_double();
    } else {
      g.data.scale_file = file_value(prefix, *given[1]);
    }
    g.data.scale_where = {filename_, line_};
  }

  void parse_expect(const std::vector<std::string_view>& tokens) {
    std::vector<std::optional<std::string_view>> given;
    GemmSpec& g = data_command(tokens, {"crc"}, &given);
    const std::string prefix = "expect " + quote(g.name) + ": ";
    if (!given[0]) {
      fail(prefix + "expected crc=0x<hex>");
    }
    const std::optional<uint32_t> crc = parse_crc(given[0]->substr(4));
    if (!crc) {
      fail(prefix + "expected crc=0x<hex> (1 to 8 hexadecimal digits), got " + quote(*given[0]));
    }
    if (g.data.expect_where.line != 0) {
      fail(prefix + line_of(g.data.expect_where));
    }
    g.data.expect_crc = *crc;
    g.data.expect_where = {filename_, line_};
  }

  std::string filename_;
  std::string base_dir_;
  int line_ = 0;
  int header_line_ = 0;
  int workload_line_ = 0;
  std::unordered_map<std::string, int> gemm_lines_;
  std::unordered_map<std::string, size_t> gemm_index_;
  int64_t total_macs_ = 0;
  Workload workload_;
};

}  // namespace

Workload parse_trace(std::istream& in, const std::string& filename) {
  return TraceParser(filename, "").parse(in);
}

Workload read_trace_file(const std::string& path) {
  Workload w;
  parse_input_file(path, "the trace file", [&](std::istream& in) {
    w = TraceParser(path, std::filesystem::path(path).parent_path().string()).parse(in);
  });
  return w;
}

namespace {

// The data command lines of g (load, scale, expect, in that order), after checking that they
// read back to g.data.
template <typename Fail>
void write_data(const GemmSpec& g, const std::string& prefix, const Fail& fail, std::ostream& out) {
  const GemmData& d = g.data;
  if (!has_data(d)) {
    return;
  }
  if (!is_4bit_pair(g)) {
    fail(prefix + "data commands apply to GEMMs of 4-bit operands, not a=" + format_spec_name(g.a) +
         " b=" + format_spec_name(g.b));
  }
  for (const std::string* path : {&d.a_file, &d.b_file, &d.scale_file}) {
    if (!path->empty() && !is_valid_path(*path)) {
      fail(prefix + "file name " + quote(*path) + " cannot be written (blank, '#' or line break)");
    }
  }
  if (!d.a_file.empty() || !d.b_file.empty()) {
    out << "load " << g.name;
    if (!d.a_file.empty()) {
      out << " a=" << d.a_file;
    }
    if (!d.b_file.empty()) {
      out << " b=" << d.b_file;
    }
    out << '\n';
  }
  if (d.scale || !d.scale_file.empty()) {
    if (d.scale && !d.scale_file.empty()) {
      fail(prefix + "both a scale value and a scale file");
    }
    if (g.out.format == num::Format::kFp4) {
      fail(prefix + "a scale for an fp4 output (its scale is GradScale's)");
    }
    if (d.scale) {
      if (auto why = scale_value_error(*d.scale)) {
        std::ostringstream value;
        value.precision(17);
        value << *d.scale;
        fail(prefix + "scale value " + value.str() + " " + *why);
      }
      out << "scale " << g.name
          << " value=" << decimal_text(exact_decimal(num::Fp16::from_double(*d.scale))) << '\n';
    } else {
      out << "scale " << g.name << " file=" << d.scale_file << '\n';
    }
  }
  if (d.expect_crc) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex = "0x";
    for (int shift = 28; shift >= 0; shift -= 4) {
      hex += kHex[(*d.expect_crc >> shift) & 0xFu];
    }
    out << "expect " << g.name << " crc=" << hex << '\n';
  }
}

}  // namespace

std::string write_trace(const Workload& w) {
  const auto fail = [](const std::string& what) {
    throw std::invalid_argument("write_trace: " + what);
  };
  if (!w.name.empty() && !is_valid_name(w.name)) {
    fail("invalid workload name " + quote(w.name) + " (allowed characters: " + kNameChars + ")");
  }
  if (w.gemms.empty()) {
    fail("a workload needs at least one GEMM");
  }
  std::ostringstream out;
  out << kMagic << ' ' << kTraceVersion << '\n';
  if (!w.name.empty()) {
    out << "workload " << w.name << '\n';
  }
  if (w.seed != 0) {
    out << "seed " << w.seed << '\n';
  }
  std::unordered_set<std::string> names;
  int64_t total = 0;
  for (const GemmSpec& g : w.gemms) {
    if (!is_valid_name(g.name)) {
      fail("invalid gemm name " + quote(g.name) + " (allowed characters: " + kNameChars + ")");
    }
    const std::string prefix = "gemm " + quote(g.name) + ": ";
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
    write_data(g, prefix, fail, out);
  }
  return out.str();
}

}  // namespace nibble::frontend
