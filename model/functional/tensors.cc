#include "model/functional/tensors.h"

#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <ios>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>

#include "model/frontend/input_error.h"
#include "model/functional/npy.h"
#include "model/numerics/format.h"
#include "model/numerics/random.h"

namespace nibble::fn {

namespace {

using workload::FormatSpec;
using workload::GemmData;
using workload::GemmSpec;

// Functional mode holds whole tensors in memory: no operand or output above 2^31 elements.
constexpr int64_t kMaxElements = int64_t{1} << 31;

// SplitMix64's state increment: seeding Rng(seed + j * kGamma) starts the stream of Rng(seed)
// j draws later.
constexpr uint64_t kGamma = 0x9E3779B97F4A7C15ULL;

std::string dims(const char* what, int64_t rows, int64_t cols) {
  return std::string(what) + " = " + std::to_string(rows) + " x " + std::to_string(cols);
}

// The whole content of a data file, or an InputError at the data command's line. At most
// `expected` bytes are read: a longer file is reported by its size without reading it.
std::string read_data_file(const std::string& path, const workload::SourceLocation& where,
                           const std::string& what, int64_t expected, const std::string& shape) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec) && !std::filesystem::is_regular_file(path, ec)) {
    throw frontend::InputError(where.file, where.line,
                               what +
                                   ": not a regular file (a folder, device, FIFO or socket): "
                                   "data files are checked by their size");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw frontend::InputError(where.file, where.line, what + ": cannot open file");
  }
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  in.seekg(0, std::ios::beg);
  if (size < 0 || !in) {
    throw frontend::InputError(where.file, where.line, what + ": cannot read file");
  }
  if (size != expected) {
    throw frontend::InputError(where.file, where.line,
                               what + ": expected " + std::to_string(expected) + " bytes (" +
                                   shape + "), found " + std::to_string(size));
  }
  std::string bytes(static_cast<size_t>(expected), '\0');
  if (!in.read(bytes.data(), static_cast<std::streamsize>(expected))) {
    throw frontend::InputError(where.file, where.line, what + ": cannot read file");
  }
  return bytes;
}

// The bytes of an operand file: exactly rows x cols raw bytes, or a NumPy .npy file of a
// rows x cols uint8 array (its header at most kMaxNpyHeader bytes), as row-major codes.
constexpr int64_t kMaxNpyHeader = 1 << 20;

std::string read_operand_file(const std::string& path, const workload::SourceLocation& where,
                              const std::string& what, int64_t rows, int64_t cols,
                              const char* shape_name) {
  const auto fail = [&](const std::string& why) {
    throw frontend::InputError(where.file, where.line, what + ": " + why);
  };
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    fail("is a directory, not a file");
  }
  if (std::filesystem::exists(path, ec) && !std::filesystem::is_regular_file(path, ec)) {
    fail("not a regular file (a device, FIFO or socket): operand files are checked by their size");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    fail("cannot open file");
  }
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  in.seekg(0, std::ios::beg);
  if (size < 0 || !in) {
    fail("cannot read file");
  }
  const int64_t expected = rows * cols;
  const std::string shape = dims(shape_name, rows, cols);
  std::string magic(6, '\0');
  const bool npy = size >= 6 && in.read(magic.data(), 6) && is_npy(magic);
  in.seekg(0, std::ios::beg);
  if (!npy && size != expected) {
    fail("expected " + std::to_string(expected) + " bytes (" + shape +
         ") or a NumPy .npy file, found " + std::to_string(size) + " bytes");
  }
  if (npy && size > expected + kMaxNpyHeader) {
    fail("a NumPy .npy file of " + std::to_string(size) + " bytes, more than a " + shape +
         " uint8 array needs");
  }
  std::string bytes(static_cast<size_t>(size), '\0');
  if (!in.read(bytes.data(), static_cast<std::streamsize>(size))) {
    fail("cannot read file");
  }
  if (!npy) {
    return bytes;
  }
  NpyHeader h;
  try {
    h = parse_npy_header(bytes);
  } catch (const std::invalid_argument& e) {
    fail(e.what());
  }
  if (h.descr != "|u1" && h.descr != "<u1" && h.descr != ">u1" && h.descr != "u1") {
    fail("NumPy dtype '" + h.descr + "': expected uint8 ('|u1'), one 4-bit code per element");
  }
  if (h.shape != std::vector<int64_t>{rows, cols}) {
    std::string got = "(";
    for (size_t i = 0; i < h.shape.size(); ++i) {
      got += (i ? ", " : "") + std::to_string(h.shape[i]);
    }
    fail("NumPy shape " + got + (h.shape.size() == 1 ? ",)" : ")") + ", expected (" +
         std::to_string(rows) + ", " + std::to_string(cols) + ") (" + shape + ")");
  }
  if (static_cast<int64_t>(bytes.size() - h.data_offset) != expected) {
    fail("NumPy data of " + std::to_string(bytes.size() - h.data_offset) + " bytes, expected " +
         std::to_string(expected) + " (" + shape + ")");
  }
  std::string data = bytes.substr(h.data_offset);
  if (h.fortran_order) {  // column-major: element (r, c) at c * rows + r
    std::string c_order(data.size(), '\0');
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t c = 0; c < cols; ++c) {
        c_order[static_cast<size_t>(r * cols + c)] = data[static_cast<size_t>(c * rows + r)];
      }
    }
    data = std::move(c_order);
  }
  return data;
}

Tensor4 load_tensor(const std::string& path, const workload::SourceLocation& where, const char* key,
                    const char* shape_name, int64_t rows, int64_t cols) {
  const std::string what = std::string("load ") + key + "=" + path;
  const std::string bytes = read_operand_file(path, where, what, rows, cols, shape_name);
  Tensor4 t;
  t.rows = rows;
  t.cols = cols;
  t.codes.resize(bytes.size());
  for (size_t i = 0; i < bytes.size(); ++i) {
    const auto byte = static_cast<uint8_t>(bytes[i]);
    if (byte > 0x0F) {
      static constexpr char kHex[] = "0123456789abcdef";
      const auto index = static_cast<int64_t>(i);
      throw frontend::InputError(
          where.file, where.line,
          what + ": byte " + std::to_string(index) + " (row " + std::to_string(index / cols) +
              ", column " + std::to_string(index % cols) + ") is 0x" + kHex[byte >> 4] +
              kHex[byte & 0xF] + ": the high nibble of a 4-bit code must be zero");
    }
    t.codes[i] = byte;
  }
  return t;
}

std::vector<num::Fp16> load_scales(const GemmSpec& g) {
  const GemmData& d = g.data;
  const std::string what = "scale file=" + d.scale_file;
  const std::string bytes =
      read_data_file(d.scale_file, d.scale_where, what, 2 * g.n, dims("2 x N", 2, g.n));
  std::vector<num::Fp16> scales(static_cast<size_t>(g.n));
  for (size_t i = 0; i < scales.size(); ++i) {
    const auto lo = static_cast<uint16_t>(static_cast<uint8_t>(bytes[2 * i]));
    const auto hi = static_cast<uint16_t>(static_cast<uint8_t>(bytes[2 * i + 1]));
    scales[i] = num::Fp16::from_bits(static_cast<uint16_t>(lo | hi << 8));
    if (scales[i].is_nan() || scales[i].is_inf()) {
      static constexpr char kHex[] = "0123456789abcdef";
      std::string hex = "0x";
      for (int shift = 12; shift >= 0; shift -= 4) {
        hex += kHex[(scales[i].bits() >> shift) & 0xF];
      }
      throw frontend::InputError(d.scale_where.file, d.scale_where.line,
                                 what + ": the scale of column " + std::to_string(i) + " is " +
                                     hex + ", not a finite binary16 value");
    }
  }
  return scales;
}

void check_elements(const GemmSpec& g, const char* what, int64_t rows, int64_t cols) {
  if (rows > kMaxElements / cols) {
    throw std::invalid_argument("make_gemm_tensors: gemm '" + g.name +
                                "': " + dims(what, rows, cols) + " is more than 2^31 elements, " +
                                "too large for functional mode");
  }
}

// The table of the reflected CRC-32: entry b is the register after shifting byte b through.
constexpr std::array<uint32_t, 256> make_crc_table() {
  std::array<uint32_t, 256> table{};
  for (uint32_t b = 0; b < 256; ++b) {
    uint32_t r = b;
    for (int bit = 0; bit < 8; ++bit) {
      r = (r & 1u) ? (r >> 1) ^ 0xEDB88320u : r >> 1;
    }
    table[b] = r;
  }
  return table;
}

constexpr std::array<uint32_t, 256> kCrcTable = make_crc_table();

}  // namespace

GemmTensors make_gemm_tensors(const workload::Workload& w, size_t index) {
  if (index >= w.gemms.size()) {
    throw std::invalid_argument("make_gemm_tensors: gemm index " + std::to_string(index) +
                                " out of range (the workload has " +
                                std::to_string(w.gemms.size()) + " GEMMs)");
  }
  const GemmSpec& g = w.gemms[index];
  if (!num::is_4bit(g.a.format) || !num::is_4bit(g.b.format) ||
      workload::operand_pair_error(g.a, g.b)) {
    throw std::invalid_argument(
        "make_gemm_tensors: gemm '" + g.name + "': operands a=" + workload::format_spec_name(g.a) +
        " b=" + workload::format_spec_name(g.b) + " are not a 4-bit PE pair");
  }
  if (g.m < 1 || g.n < 1 || g.k < 1) {
    throw std::invalid_argument("make_gemm_tensors: gemm '" + g.name +
                                "': m, n and k must be positive");
  }
  check_elements(g, "A: M x K", g.m, g.k);
  check_elements(g, "B: K x N", g.k, g.n);
  check_elements(g, "output: M x N", g.m, g.n);

  const GemmData& d = g.data;
  GemmTensors t;
  t.a = d.a_file.empty() ? generate_tensor(w.seed, index, 0, g.m, g.k, g.a)
                         : load_tensor(d.a_file, d.load_where, "a", "M x K", g.m, g.k);
  t.b = d.b_file.empty() ? generate_tensor(w.seed, index, 1, g.k, g.n, g.b)
                         : load_tensor(d.b_file, d.load_where, "b", "K x N", g.k, g.n);
  if (g.out.format == num::Format::kFp4) {
    // The scale unit applies the GEMM's GradScale factor to an fp4 output, not a trace scale.
    t.scales = {num::kFp16One};
  } else if (d.scale) {
    const num::Fp16 s = num::Fp16::from_double(*d.scale);
    if (s.is_nan() || s.is_inf() || s.to_double() != *d.scale || *d.scale == 0) {
      throw std::invalid_argument("make_gemm_tensors: gemm '" + g.name +
                                  "': the scale value is not a finite nonzero binary16 value");
    }
    t.scales = {s};
  } else if (!d.scale_file.empty()) {
    t.scales = load_scales(g);
  } else {
    t.scales = {num::kFp16One};
  }
  return t;
}

Tensor4 generate_tensor(uint64_t seed, size_t gemm_index, int operand, int64_t rows, int64_t cols,
                        const FormatSpec& format) {
  if (operand != 0 && operand != 1) {
    throw std::invalid_argument("generate_tensor: operand must be 0 (A) or 1 (B), got " +
                                std::to_string(operand));
  }
  if (!num::is_4bit(format.format)) {
    throw std::invalid_argument("generate_tensor: format " + workload::format_spec_name(format) +
                                " is not a 4-bit format");
  }
  if (rows < 0 || cols < 0 || (cols > 0 && rows > kMaxElements / cols)) {
    throw std::invalid_argument("generate_tensor: " + dims("rows x cols", rows, cols) +
                                " is negative or more than 2^31 elements");
  }
  // The tensor's stream seed is output number 2 * gemm_index + operand (from 0) of the trace
  // seed's SplitMix64 stream; each code is the top 4 bits of one draw of the tensor's stream.
  const uint64_t stream = 2 * static_cast<uint64_t>(gemm_index) + static_cast<uint64_t>(operand);
  num::Rng key(seed + stream * kGamma);
  num::Rng rng(key.next_u64());
  Tensor4 t;
  t.rows = rows;
  t.cols = cols;
  t.codes.resize(static_cast<size_t>(rows * cols));
  for (num::Code4& code : t.codes) {
    code = static_cast<num::Code4>(rng.next_u64() >> 60);
  }
  return t;
}

void Crc32::update(const uint8_t* data, size_t n) {
  uint32_t r = state_;
  for (size_t i = 0; i < n; ++i) {
    r = kCrcTable[(r ^ data[i]) & 0xFFu] ^ (r >> 8);
  }
  state_ = r;
}

void crc_output_element(Crc32& crc, uint16_t element, const FormatSpec& out) {
  if (num::is_4bit(out.format)) {
    if (element > 0x0F) {
      throw std::invalid_argument("crc_output_element: " + std::to_string(element) +
                                  " is not a 4-bit code");
    }
    crc.update_byte(static_cast<uint8_t>(element));
  } else if (out.format == num::Format::kFp16) {
    crc.update_byte(static_cast<uint8_t>(element & 0xFFu));
    crc.update_byte(static_cast<uint8_t>(element >> 8));
  } else {
    throw std::invalid_argument("crc_output_element: the scale unit does not produce " +
                                workload::format_spec_name(out) + " outputs");
  }
}

uint32_t output_crc(const std::vector<uint16_t>& elements, const FormatSpec& out) {
  Crc32 crc;
  for (uint16_t e : elements) {
    crc_output_element(crc, e, out);
  }
  return crc.value();
}

std::string dump_stem(size_t index, const std::string& gemm_name) {
  char number[24];
  std::snprintf(number, sizeof number, "%03zu_", index);
  std::string stem = number;
  for (const char c : gemm_name) {
    stem += c == '/' || c == ':' ? '_' : c;
  }
  return stem;
}

std::string tensor_npy(const Tensor4& t) {
  return npy_u8(std::vector<uint8_t>(t.codes.begin(), t.codes.end()), t.rows, t.cols);
}

std::string output_npy(const std::vector<uint16_t>& elements, const workload::FormatSpec& out,
                       int64_t rows, int64_t cols) {
  if (num::is_4bit(out.format)) {
    std::vector<uint8_t> codes(elements.size());
    for (size_t i = 0; i < elements.size(); ++i) {
      codes[i] = static_cast<uint8_t>(elements[i] & 0x0F);
    }
    return npy_u8(codes, rows, cols);
  }
  return npy_f16(elements, rows, cols);
}

std::string dump_index_csv(const workload::Workload& w) {
  std::string csv = "index,gemm,m,n,k,a,b,out,stem\n";
  for (size_t i = 0; i < w.gemms.size(); ++i) {
    const GemmSpec& g = w.gemms[i];
    csv += std::to_string(i) + "," + g.name + "," + std::to_string(g.m) + "," +
           std::to_string(g.n) + "," + std::to_string(g.k) + "," + workload::format_spec_name(g.a) +
           "," + workload::format_spec_name(g.b) + "," + workload::format_spec_name(g.out) + "," +
           dump_stem(i, g.name) + "\n";
  }
  return csv;
}

}  // namespace nibble::fn
