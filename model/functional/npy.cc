#include "model/functional/npy.h"

#include <cctype>
#include <limits>
#include <stdexcept>

namespace nibble::fn {

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;
constexpr size_t kAlign = 64;  // NumPy aligns the data to 64 bytes

std::string shape_text(int64_t rows, int64_t cols) {
  return "(" + std::to_string(rows) + ", " + std::to_string(cols) + ")";
}

// Magic, version 1.0, header length and the header dict, padded so the data starts aligned.
std::string npy_head(const char* descr, int64_t rows, int64_t cols) {
  if (rows < 0 || cols < 0) {
    throw std::invalid_argument("npy: negative shape");
  }
  std::string dict = std::string("{'descr': '") + descr +
                     "', 'fortran_order': False, 'shape': " + shape_text(rows, cols) + ", }";
  const size_t fixed = kMagicSize + 2 + 2;
  size_t total = fixed + dict.size() + 1;  // + '\n'
  total = (total + kAlign - 1) / kAlign * kAlign;
  dict.append(total - fixed - dict.size() - 1, ' ');
  dict += '\n';
  if (dict.size() > 0xFFFF) {
    throw std::invalid_argument("npy: header too long for version 1.0");
  }
  std::string out(kMagic, kMagicSize);
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(dict.size() & 0xFF);
  out += static_cast<char>(dict.size() >> 8);
  return out + dict;
}

// A recursive-descent reader of the header dict (the subset of Python literals np.save writes).
class HeaderParser {
 public:
  explicit HeaderParser(const std::string& text) : s_(text) {}

  NpyHeader parse() {
    NpyHeader h;
    bool descr = false, order = false, shape = false;
    expect('{');
    while (!peek('}')) {
      const std::string key = string_literal();
      expect(':');
      if (key == "descr") {
        h.descr = string_literal();
        descr = true;
      } else if (key == "fortran_order") {
        h.fortran_order = boolean();
        order = true;
      } else if (key == "shape") {
        h.shape = tuple();
        shape = true;
      } else {
        fail("unknown key '" + key + "'");
      }
      if (!peek('}')) {
        expect(',');
      }
    }
    expect('}');
    skip_space();
    if (pos_ != s_.size()) {
      fail("text after the dict");
    }
    if (!descr || !order || !shape) {
      fail("expected the keys 'descr', 'fortran_order' and 'shape'");
    }
    return h;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw std::invalid_argument("not a NumPy .npy header: " + what);
  }
  void skip_space() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n')) {
      ++pos_;
    }
  }
  bool peek(char c) {
    skip_space();
    return pos_ < s_.size() && s_[pos_] == c;
  }
  void expect(char c) {
    if (!peek(c)) {
      fail(std::string("expected '") + c + "'");
    }
    ++pos_;
  }
  std::string string_literal() {
    skip_space();
    if (pos_ >= s_.size() || (s_[pos_] != '\'' && s_[pos_] != '"')) {
      fail("expected a quoted string");
    }
    const char quote = s_[pos_++];
    std::string out;
    while (pos_ < s_.size() && s_[pos_] != quote) {
      const auto c = static_cast<unsigned char>(s_[pos_]);
      if (c == '\\' || c < 0x20 || c > 0x7E) {
        fail("an escape or a non-printable character in a string");
      }
      out += s_[pos_++];
    }
    if (pos_ >= s_.size()) {
      fail("an unterminated string");
    }
    ++pos_;
    return out;
  }
  bool boolean() {
    skip_space();
    for (const auto& [word, value] :
         {std::pair<const char*, bool>{"True", true}, {"False", false}}) {
      const std::string w = word;
      if (s_.compare(pos_, w.size(), w) == 0) {
        pos_ += w.size();
        return value;
      }
    }
    fail("expected True or False");
  }
  std::vector<int64_t> tuple() {
    std::vector<int64_t> out;
    expect('(');
    while (!peek(')')) {
      skip_space();
      if (pos_ >= s_.size() || !std::isdigit(static_cast<unsigned char>(s_[pos_]))) {
        fail("expected a non-negative integer in the shape");
      }
      int64_t v = 0;
      while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) {
        const int digit = s_[pos_++] - '0';
        if (v > (std::numeric_limits<int64_t>::max() - digit) / 10) {
          fail("a dimension too large");
        }
        v = v * 10 + digit;
      }
      out.push_back(v);
      if (out.size() > 32) {
        fail("more than 32 dimensions");
      }
      if (!peek(')')) {
        expect(',');
      }
    }
    expect(')');
    return out;
  }

  const std::string& s_;
  size_t pos_ = 0;
};

}  // namespace

std::string npy_u8(const std::vector<uint8_t>& values, int64_t rows, int64_t cols) {
  if (values.size() != static_cast<size_t>(rows) * static_cast<size_t>(cols)) {
    throw std::invalid_argument("npy_u8: " + std::to_string(values.size()) + " values for shape " +
                                shape_text(rows, cols));
  }
  std::string out = npy_head("|u1", rows, cols);
  out.append(values.begin(), values.end());
  return out;
}

std::string npy_f16(const std::vector<uint16_t>& bits, int64_t rows, int64_t cols) {
  if (bits.size() != static_cast<size_t>(rows) * static_cast<size_t>(cols)) {
    throw std::invalid_argument("npy_f16: " + std::to_string(bits.size()) + " values for shape " +
                                shape_text(rows, cols));
  }
  std::string out = npy_head("<f2", rows, cols);
  out.reserve(out.size() + 2 * bits.size());
  for (const uint16_t b : bits) {
    out += static_cast<char>(b & 0xFF);
    out += static_cast<char>(b >> 8);
  }
  return out;
}

bool is_npy(const std::string& bytes) {
  return bytes.compare(0, kMagicSize, kMagic, kMagicSize) == 0;
}

NpyHeader parse_npy_header(const std::string& bytes) {
  if (!is_npy(bytes)) {
    throw std::invalid_argument("not a NumPy .npy file (no \\x93NUMPY magic)");
  }
  if (bytes.size() < kMagicSize + 4) {
    throw std::invalid_argument("a NumPy .npy file cut short in its header");
  }
  const auto byte = [&](size_t i) { return static_cast<size_t>(static_cast<uint8_t>(bytes[i])); };
  const size_t major = byte(6), minor = byte(7);
  if (minor != 0 || major < 1 || major > 3) {
    throw std::invalid_argument("NumPy .npy format version " + std::to_string(major) + "." +
                                std::to_string(minor) + " (expected 1.0, 2.0 or 3.0)");
  }
  size_t len = byte(8) | byte(9) << 8;
  size_t start = kMagicSize + 4;
  if (major >= 2) {
    if (bytes.size() < kMagicSize + 6) {
      throw std::invalid_argument("a NumPy .npy file cut short in its header");
    }
    len |= byte(10) << 16 | byte(11) << 24;
    start = kMagicSize + 6;
  }
  if (bytes.size() < start + len) {
    throw std::invalid_argument("a NumPy .npy file cut short in its header (" +
                                std::to_string(len) + " bytes announced)");
  }
  NpyHeader h = HeaderParser(bytes.substr(start, len)).parse();
  h.data_offset = start + len;
  return h;
}

}  // namespace nibble::fn
