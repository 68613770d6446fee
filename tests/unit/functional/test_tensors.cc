// Tests of functional mode's data (model/functional/tensors.h, docs/functional.md). Golden
// values: the published CRC-32 check values, a bitwise CRC written here (no table), a SplitMix64
// written here from its published definition, and the bytes of files the tests write.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "model/frontend/input_error.h"
#include "model/frontend/trace.h"
#include "model/functional/npy.h"
#include "model/functional/tensors.h"
#include "model/numerics/format.h"

namespace {

namespace fs = std::filesystem;
using nibble::fn::Crc32;
using nibble::fn::GemmTensors;
using nibble::fn::Tensor4;
using nibble::frontend::InputError;
using nibble::num::Format;
using nibble::num::Fp16;
using nibble::workload::FormatSpec;
using nibble::workload::Workload;

// --- independent references ------------------------------------------------------------------

// CRC-32 bit by bit: reflected polynomial 0xEDB88320, register preset to all ones, result
// complemented (the definition, without a table).
uint32_t reference_crc(const std::vector<uint8_t>& bytes) {
  uint32_t r = 0xFFFFFFFFu;
  for (uint8_t byte : bytes) {
    r ^= byte;
    for (int bit = 0; bit < 8; ++bit) {
      r = (r & 1u) != 0 ? (r >> 1) ^ 0xEDB88320u : r >> 1;
    }
  }
  return ~r;
}

std::vector<uint8_t> bytes_of(const std::string& s) { return {s.begin(), s.end()}; }

uint32_t crc_of(const std::string& s) {
  Crc32 c;
  c.update(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  return c.value();
}

// SplitMix64 (Steele, Lea, Flood 2014; constants as in Vigna's splitmix64.c).
struct RefSplitMix {
  uint64_t x;
  uint64_t next() {
    uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
};

// docs/functional.md, "Generated tensors", step by step: the stream seed is draw number
// 2 * index + operand (from 0) of SplitMix64(seed); each code the top 4 bits of one draw.
std::vector<uint8_t> reference_codes(uint64_t seed, uint64_t index, int operand, int64_t count) {
  RefSplitMix key{seed};
  uint64_t stream_seed = 0;
  for (uint64_t i = 0; i <= 2 * index + static_cast<uint64_t>(operand); ++i) {
    stream_seed = key.next();
  }
  RefSplitMix rng{stream_seed};
  std::vector<uint8_t> codes;
  for (int64_t i = 0; i < count; ++i) {
    codes.push_back(static_cast<uint8_t>(rng.next() >> 60));
  }
  return codes;
}

const FormatSpec kInt4{Format::kInt4, 0};
const FormatSpec kUint4{Format::kUint4, 0};
const FormatSpec kFp4{Format::kFp4, 0};
const FormatSpec kFp16{Format::kFp16, 0};

// --- CRC-32 ----------------------------------------------------------------------------------

TEST(Crc32, CheckValue) { EXPECT_EQ(crc_of("123456789"), 0xCBF43926u); }

TEST(Crc32, PublishedVectors) {
  EXPECT_EQ(crc_of(""), 0x00000000u);
  EXPECT_EQ(Crc32().value(), 0x00000000u);
  EXPECT_EQ(crc_of("a"), 0xE8B7BE43u);
  EXPECT_EQ(crc_of("abc"), 0x352441C2u);
  EXPECT_EQ(crc_of("The quick brown fox jumps over the lazy dog"), 0x414FA339u);
}

TEST(Crc32, ReferenceAgreesOnTheVectors) {
  // The bitwise reference is itself checked against the published values before use below.
  EXPECT_EQ(reference_crc(bytes_of("123456789")), 0xCBF43926u);
  EXPECT_EQ(reference_crc(bytes_of("a")), 0xE8B7BE43u);
}

TEST(Crc32, MatchesBitwiseReferenceAndIsIncremental) {
  RefSplitMix rng{12345};
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<uint8_t> data(static_cast<size_t>(rng.next() % 300));
    for (uint8_t& b : data) {
      b = static_cast<uint8_t>(rng.next());
    }
    Crc32 whole;
    whole.update(data.data(), data.size());
    EXPECT_EQ(whole.value(), reference_crc(data));
    Crc32 pieces;
    const size_t cut = data.empty() ? 0 : static_cast<size_t>(rng.next() % data.size());
    pieces.update(data.data(), cut);
    for (size_t i = cut; i < data.size(); ++i) {
      pieces.update_byte(data[i]);
    }
    EXPECT_EQ(pieces.value(), whole.value());
  }
}

TEST(Crc32, OutputEncoding) {
  // 4-bit outputs: one byte per code.
  for (const FormatSpec& f : {kInt4, kUint4, kFp4, FormatSpec{Format::kFp4, 1}}) {
    EXPECT_EQ(nibble::fn::output_crc({0x1, 0x2, 0xF, 0x0}, f),
              reference_crc({0x01, 0x02, 0x0F, 0x00}));
  }
  // FP16: two bytes, low byte first. 1.0 = 0x3C00, -2.0 = 0xC000.
  EXPECT_EQ(nibble::fn::output_crc({0x3C00, 0xC000}, kFp16),
            reference_crc({0x00, 0x3C, 0x00, 0xC0}));
  EXPECT_NE(nibble::fn::output_crc({0x3C00}, kFp16), reference_crc({0x3C, 0x00}));
  EXPECT_EQ(nibble::fn::output_crc({}, kFp16), 0u);
  Crc32 c;
  nibble::fn::crc_output_element(c, 0x1234, kFp16);
  EXPECT_EQ(c.value(), reference_crc({0x34, 0x12}));
}

TEST(Crc32, OutputEncodingRejects) {
  Crc32 c;
  EXPECT_THROW(nibble::fn::crc_output_element(c, 0x10, kInt4), std::invalid_argument);
  EXPECT_THROW(nibble::fn::crc_output_element(c, 0x1, FormatSpec{Format::kFp32, 0}),
               std::invalid_argument);
  EXPECT_THROW(nibble::fn::crc_output_element(c, 0x1, FormatSpec{Format::kFp8E4M3, 0}),
               std::invalid_argument);
}

// --- the generator ---------------------------------------------------------------------------

TEST(Generator, ReferenceSplitMixMatchesPublishedSequence) {
  // SplitMix64 from seed 0: the first outputs as published with Vigna's splitmix64.c.
  RefSplitMix r{0};
  EXPECT_EQ(r.next(), 0xE220A8397B1DCDAFULL);
  EXPECT_EQ(r.next(), 0x6E789E6AA1B965F4ULL);
  EXPECT_EQ(r.next(), 0x06C45D188009454FULL);
}

TEST(Generator, DocumentedExample) {
  // docs/functional.md: seed 0, GEMM 0, operand 0; codes computed by hand from the published
  // SplitMix64 sequence (a separate Python evaluation of the same formulas).
  const Tensor4 t = nibble::fn::generate_tensor(0, 0, 0, 2, 4, kUint4);
  EXPECT_EQ(t.codes, (std::vector<uint8_t>{10, 11, 6, 10, 12, 2, 12, 4}));
}

TEST(Generator, MatchesTheDocumentedRule) {
  for (uint64_t seed : {uint64_t{0}, uint64_t{1}, uint64_t{42}, ~uint64_t{0}}) {
    for (size_t index : {size_t{0}, size_t{1}, size_t{7}}) {
      for (int operand : {0, 1}) {
        const Tensor4 t = nibble::fn::generate_tensor(seed, index, operand, 5, 7, kInt4);
        EXPECT_EQ(t.rows, 5);
        EXPECT_EQ(t.cols, 7);
        EXPECT_EQ(t.codes, reference_codes(seed, index, operand, 35))
            << seed << " " << index << " " << operand;
      }
    }
  }
}

TEST(Generator, DeterministicAndDependsOnEveryInput) {
  const auto gen = [](uint64_t seed, size_t index, int operand) {
    return nibble::fn::generate_tensor(seed, index, operand, 16, 16, kInt4).codes;
  };
  EXPECT_EQ(gen(3, 2, 0), gen(3, 2, 0));
  std::set<std::vector<uint8_t>> distinct;
  for (uint64_t seed : {0, 1, 2}) {
    for (size_t index : {0, 1, 2}) {
      for (int operand : {0, 1}) {
        distinct.insert(gen(seed, index, operand));
      }
    }
  }
  EXPECT_EQ(distinct.size(), 18U);
  // Row-major: a 2 x 8 tensor holds the same draws as a 4 x 4 one.
  EXPECT_EQ(nibble::fn::generate_tensor(9, 1, 1, 2, 8, kInt4).codes,
            nibble::fn::generate_tensor(9, 1, 1, 4, 4, kInt4).codes);
}

TEST(Generator, SameCodesForEvery4BitFormat) {
  const auto codes = nibble::fn::generate_tensor(5, 0, 0, 8, 8, kInt4).codes;
  EXPECT_EQ(nibble::fn::generate_tensor(5, 0, 0, 8, 8, kUint4).codes, codes);
  EXPECT_EQ(nibble::fn::generate_tensor(5, 0, 0, 8, 8, kFp4).codes, codes);
  EXPECT_EQ(nibble::fn::generate_tensor(5, 0, 0, 8, 8, FormatSpec{Format::kFp4, 1}).codes, codes);
}

TEST(Generator, HitsAll16CodesUniformly) {
  const Tensor4 t = nibble::fn::generate_tensor(0, 0, 0, 160, 100, kFp4);
  std::array<int, 16> counts{};
  for (uint8_t c : t.codes) {
    ASSERT_LT(c, 16);
    ++counts[c];
  }
  // 16000 draws: 1000 expected per code, standard deviation about 31; +-200 is over 6 sigma.
  for (int code = 0; code < 16; ++code) {
    EXPECT_GT(counts[code], 800) << code;
    EXPECT_LT(counts[code], 1200) << code;
  }
}

TEST(Generator, Rejects) {
  EXPECT_THROW(nibble::fn::generate_tensor(0, 0, 2, 1, 1, kInt4), std::invalid_argument);
  EXPECT_THROW(nibble::fn::generate_tensor(0, 0, -1, 1, 1, kInt4), std::invalid_argument);
  EXPECT_THROW(nibble::fn::generate_tensor(0, 0, 0, 1, 1, kFp16), std::invalid_argument);
  EXPECT_THROW(nibble::fn::generate_tensor(0, 0, 0, -1, 1, kInt4), std::invalid_argument);
  // 2^31 + 2^16 elements: over the limit by one row.
  EXPECT_THROW(nibble::fn::generate_tensor(0, 0, 0, 32769, 65536, kInt4), std::invalid_argument);
}

// --- make_gemm_tensors -----------------------------------------------------------------------

// A fresh folder under the test temp dir, removed at the end of the test.
class TensorFiles : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(testing::TempDir()) /
           ("nibble_functional_" +
            std::string(testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  void write(const std::string& name, const std::vector<uint8_t>& bytes) const {
    std::ofstream out(path(name), std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
  }

  // Writes t.trace with the given text into the folder and reads it back (so that relative
  // file names resolve against the folder).
  Workload trace(const std::string& text) const {
    {
      std::ofstream out(path("t.trace"));
      out << text;
    }
    return nibble::frontend::read_trace_file(path("t.trace"));
  }

  // The message of the InputError make_gemm_tensors throws for gemm `index`.
  std::string load_error(const Workload& w, size_t index) const {
    try {
      nibble::fn::make_gemm_tensors(w, index);
    } catch (const InputError& e) {
      return e.what();
    }
    return "no error";
  }

  fs::path dir_;
};

const std::string kHead = "nibble-trace 1\n";

TEST_F(TensorFiles, GeneratedWithoutLoad) {
  const Workload w = trace(kHead + "seed 77\n" +
                           "gemm x m=2 n=2 k=2 a=int4 b=int4\n"
                           "gemm g m=3 n=4 k=5 a=uint4 b=fp4:p1\n");
  const GemmTensors t = nibble::fn::make_gemm_tensors(w, 1);
  EXPECT_EQ(t.a.rows, 3);
  EXPECT_EQ(t.a.cols, 5);
  EXPECT_EQ(t.b.rows, 5);
  EXPECT_EQ(t.b.cols, 4);
  EXPECT_EQ(t.a.codes, reference_codes(77, 1, 0, 15));
  EXPECT_EQ(t.b.codes, reference_codes(77, 1, 1, 20));
  ASSERT_EQ(t.scales.size(), 1U);
  EXPECT_EQ(t.scales[0].bits(), 0x3C00);  // 1.0
  // Element access is row-major.
  EXPECT_EQ(t.a.at(2, 1), t.a.codes[11]);
}

TEST_F(TensorFiles, LoadBothOperands) {
  std::vector<uint8_t> a(2 * 3);
  std::vector<uint8_t> b(3 * 4);
  for (size_t i = 0; i < a.size(); ++i) {
    a[i] = static_cast<uint8_t>((i * 5 + 1) % 16);
  }
  for (size_t i = 0; i < b.size(); ++i) {
    b[i] = static_cast<uint8_t>(15 - i);
  }
  write("a.bin", a);
  fs::create_directories(dir_ / "sub");
  write("sub/b.bin", b);
  const Workload w =
      trace(kHead + "gemm g m=2 n=4 k=3 a=int4 b=uint4\nload g a=a.bin b=sub/b.bin\n");
  const GemmTensors t = nibble::fn::make_gemm_tensors(w, 0);
  EXPECT_EQ(t.a.codes, a);
  EXPECT_EQ(t.b.codes, b);
  EXPECT_EQ(t.a.at(1, 2), a[5]);
  EXPECT_EQ(t.b.at(2, 3), b[11]);
}

TEST_F(TensorFiles, LoadOneOperandGeneratesTheOther) {
  write("b.bin", std::vector<uint8_t>(6, 0x7));
  const Workload w = trace(kHead + "seed 5\ngemm g m=4 n=3 k=2 a=fp4:p0 b=int4\nload g b=b.bin\n");
  const GemmTensors t = nibble::fn::make_gemm_tensors(w, 0);
  EXPECT_EQ(t.a.codes, reference_codes(5, 0, 0, 8));
  EXPECT_EQ(t.b.codes, std::vector<uint8_t>(6, 0x7));
}

TEST_F(TensorFiles, LoadErrors) {
  const std::string gemm = "gemm g m=8 n=2 k=8 a=int4 b=int4\n";
  // Too short: 63 of 64 bytes. The message names the load line and the resolved file.
  write("short.bin", std::vector<uint8_t>(63, 1));
  Workload w = trace(kHead + gemm + "load g a=short.bin\n");
  EXPECT_EQ(load_error(w, 0), path("t.trace") + ":3: load a=" + path("short.bin") +
                                  ": expected 64 bytes (M x K = 8 x 8) or a NumPy .npy file, "
                                  "found 63 bytes");
  // Too long.
  write("long.bin", std::vector<uint8_t>(17, 1));
  w = trace(kHead + gemm + "# b\nload g b=long.bin\n");
  EXPECT_EQ(load_error(w, 0), path("t.trace") + ":4: load b=" + path("long.bin") +
                                  ": expected 16 bytes (K x N = 8 x 2) or a NumPy .npy file, "
                                  "found 17 bytes");
  // Empty.
  write("empty.bin", {});
  w = trace(kHead + gemm + "load g b=empty.bin\n");
  EXPECT_EQ(load_error(w, 0), path("t.trace") + ":3: load b=" + path("empty.bin") +
                                  ": expected 16 bytes (K x N = 8 x 2) or a NumPy .npy file, "
                                  "found 0 bytes");
  // A byte with its high nibble set: byte 11 of a 8 x 8 tensor is row 1, column 3.
  std::vector<uint8_t> bad(64, 0xF);
  bad[11] = 0x1F;
  write("bad.bin", bad);
  w = trace(kHead + gemm + "load g a=bad.bin\n");
  EXPECT_EQ(
      load_error(w, 0),
      path("t.trace") + ":3: load a=" + path("bad.bin") +
          ": byte 11 (row 1, column 3) is 0x1f: the high nibble of a 4-bit code must be zero");
  // Missing file.
  w = trace(kHead + gemm + "load g a=none.bin\n");
  EXPECT_EQ(load_error(w, 0),
            path("t.trace") + ":3: load a=" + path("none.bin") + ": cannot open file");
  // A folder is not a file (issue 18, D5: it was "found 9223372036854775807").
  w = trace(kHead + gemm + "load g a=.\n");
  EXPECT_EQ(load_error(w, 0), path("t.trace") + ":3: load a=" + (dir_ / ".").string() +
                                  ": is a directory, not a file");
}

// --- NumPy files -------------------------------------------------------------------------------

// An .npy file as NumPy's format documentation (numpy.lib.format) lays it out, written here
// byte by byte: magic, version major.minor, little-endian header length (2 bytes in 1.0, 4 in
// 2.0), the dict, spaces and '\n' up to a multiple of 64 bytes, then the data.
std::vector<uint8_t> handmade_npy(const std::string& dict, const std::vector<uint8_t>& data,
                                  int major = 1) {
  const size_t prefix = major == 1 ? 10 : 12;
  std::string header = dict;
  while ((prefix + header.size() + 1) % 64 != 0) {
    header += ' ';
  }
  header += '\n';
  std::vector<uint8_t> out = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<uint8_t>(major), 0};
  for (size_t i = 0; i < prefix - 8; ++i) {
    out.push_back(static_cast<uint8_t>((header.size() >> (8 * i)) & 0xFF));
  }
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

TEST(Npy, WritesWhatNumPyWrites) {
  // np.save of np.arange(6, dtype=np.uint8).reshape(2, 3): this header, 118 bytes with the
  // padding, data at byte 128.
  const std::vector<uint8_t> data = {0, 1, 2, 3, 4, 5};
  const std::vector<uint8_t> want =
      handmade_npy("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3), }", data);
  const std::string got = nibble::fn::npy_u8(data, 2, 3);
  EXPECT_EQ(bytes_of(got), want);
  EXPECT_EQ(got.size(), 128U + 6U);
  // float16 from bit patterns, little-endian: 1.0 = 0x3c00, -2.0 = 0xc000.
  const std::string f16 = nibble::fn::npy_f16({0x3C00, 0xC000}, 1, 2);
  EXPECT_EQ(bytes_of(f16),
            handmade_npy("{'descr': '<f2', 'fortran_order': False, 'shape': (1, 2), }",
                         {0x00, 0x3C, 0x00, 0xC0}));
  EXPECT_THROW(nibble::fn::npy_u8(data, 2, 2), std::invalid_argument);
}

TEST(Npy, ReadsHeadersOfEveryVersion) {
  const auto parse = [](const std::vector<uint8_t>& b) {
    return nibble::fn::parse_npy_header(std::string(b.begin(), b.end()));
  };
  nibble::fn::NpyHeader h =
      parse(handmade_npy("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3), }", {}));
  EXPECT_EQ(h.descr, "|u1");
  EXPECT_FALSE(h.fortran_order);
  EXPECT_EQ(h.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(h.data_offset, 128U);
  // Version 2.0 (4-byte length), keys in another order, double quotes, no trailing comma,
  // a 1-D shape.
  h = parse(handmade_npy("{\"shape\": (7,), \"fortran_order\": True, \"descr\": \"<f2\"}", {}, 2));
  EXPECT_EQ(h.descr, "<f2");
  EXPECT_TRUE(h.fortran_order);
  EXPECT_EQ(h.shape, (std::vector<int64_t>{7}));
  EXPECT_EQ(h.data_offset, 128U);  // 12 + 54 + 1 bytes, padded
  // Broken headers: one line each, never a crash.
  for (const std::string& dict :
       {std::string("{'descr': '|u1', 'shape': (2, 3), }"),                         // a key missing
        std::string("{'descr': '|u1', 'fortran_order': Maybe, 'shape': (2, 3)}"),   // not a bool
        std::string("{'descr': '|u1', 'fortran_order': False, 'shape': (2, -3)}"),  // negative
        std::string("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3)"),    // unclosed
        std::string("{'descr': '|u1', 'fortran_order': False, 'shape': (99999999999999999999,)}"),
        std::string("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3), 'x': 1}"),
        std::string("{'descr': 'a\\b', 'fortran_order': False, 'shape': (2, 3)}")}) {
    SCOPED_TRACE(dict);
    EXPECT_THROW(parse(handmade_npy(dict, {})), std::invalid_argument);
  }
  std::vector<uint8_t> bad_version = handmade_npy("{}", {});
  bad_version[6] = 4;
  EXPECT_THROW(parse(bad_version), std::invalid_argument);
  std::vector<uint8_t> cut =
      handmade_npy("{'descr': '|u1', 'fortran_order': False, 'shape': ()}", {});
  cut.resize(40);
  EXPECT_THROW(parse(cut), std::invalid_argument);
  EXPECT_THROW(parse({0x93, 'N', 'U'}), std::invalid_argument);
}

TEST_F(TensorFiles, LoadNumPyFiles) {
  // A 2 x 3 in C order and B 3 x 2 in Fortran order (column-major data).
  const std::vector<uint8_t> a = {1, 2, 3, 4, 5, 6};
  write("a.npy", handmade_npy("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3), }", a));
  // B = [[7, 8], [9, 10], [11, 12]] stored column by column: 7, 9, 11, 8, 10, 12.
  write("b.npy", handmade_npy("{'descr': '<u1', 'fortran_order': True, 'shape': (3, 2), }",
                              {7, 9, 11, 8, 10, 12}));
  Workload w = trace(kHead + "gemm g m=2 n=2 k=3 a=int4 b=uint4\nload g a=a.npy b=b.npy\n");
  const GemmTensors t = nibble::fn::make_gemm_tensors(w, 0);
  EXPECT_EQ(t.a.codes, a);
  EXPECT_EQ(t.b.codes, (std::vector<uint8_t>{7, 8, 9, 10, 11, 12}));
  // What nibble writes, it reads: tensor_npy of the loaded tensor gives the same codes back.
  const std::string again = nibble::fn::tensor_npy(t.b);
  write("b2.npy", bytes_of(again));
  w = trace(kHead + "gemm g m=2 n=2 k=3 a=int4 b=uint4\nload g a=a.npy b=b2.npy\n");
  EXPECT_EQ(nibble::fn::make_gemm_tensors(w, 0).b.codes, t.b.codes);

  // Errors, each one line naming the load line and the file.
  const std::string gemm = "gemm g m=2 n=2 k=3 a=int4 b=uint4\n";
  write("shape.npy",
        handmade_npy("{'descr': '|u1', 'fortran_order': False, 'shape': (3, 2), }", a));
  w = trace(kHead + gemm + "load g a=shape.npy\n");
  EXPECT_EQ(load_error(w, 0), path("t.trace") + ":3: load a=" + path("shape.npy") +
                                  ": NumPy shape (3, 2), expected (2, 3) (M x K = 2 x 3)");
  write("flat.npy", handmade_npy("{'descr': '|u1', 'fortran_order': False, 'shape': (6,), }", a));
  w = trace(kHead + gemm + "load g a=flat.npy\n");
  EXPECT_EQ(load_error(w, 0), path("t.trace") + ":3: load a=" + path("flat.npy") +
                                  ": NumPy shape (6,), expected (2, 3) (M x K = 2 x 3)");
  write("i64.npy", handmade_npy("{'descr': '<i8', 'fortran_order': False, 'shape': (2, 3), }",
                                std::vector<uint8_t>(48, 0)));
  w = trace(kHead + gemm + "load g a=i64.npy\n");
  EXPECT_EQ(load_error(w, 0), path("t.trace") + ":3: load a=" + path("i64.npy") +
                                  ": NumPy dtype '<i8': expected uint8 ('|u1'), one 4-bit code "
                                  "per element");
  write("short.npy",
        handmade_npy("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3), }", {1, 2, 3}));
  w = trace(kHead + gemm + "load g a=short.npy\n");
  EXPECT_EQ(load_error(w, 0), path("t.trace") + ":3: load a=" + path("short.npy") +
                                  ": NumPy data of 3 bytes, expected 6 (M x K = 2 x 3)");
  write("nibble.npy", handmade_npy("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3), }",
                                   {1, 2, 3, 4, 0x50, 6}));
  w = trace(kHead + gemm + "load g a=nibble.npy\n");
  EXPECT_NE(load_error(w, 0).find("(row 1, column 1) is 0x50: the high nibble"), std::string::npos)
      << load_error(w, 0);
  std::vector<uint8_t> garbage = handmade_npy("{'descr': '|u1'", {});
  write("garbage.npy", garbage);
  w = trace(kHead + gemm + "load g a=garbage.npy\n");
  EXPECT_NE(load_error(w, 0).find(": not a NumPy .npy header: "), std::string::npos)
      << load_error(w, 0);
}

TEST(Npy, DumpNamesAndOutputs) {
  EXPECT_EQ(nibble::fn::dump_stem(7, "layer1.0.conv1.fwd"), "007_layer1.0.conv1.fwd");
  EXPECT_EQ(nibble::fn::dump_stem(1234, "a/b:c"), "1234_a_b_c");
  // 4-bit outputs as uint8 codes, FP16 as float16.
  EXPECT_EQ(nibble::fn::output_npy({0x7, 0xF}, kInt4, 1, 2), nibble::fn::npy_u8({0x7, 0xF}, 1, 2));
  EXPECT_EQ(nibble::fn::output_npy({0x3C00, 0x7C00}, kFp16, 2, 1),
            nibble::fn::npy_f16({0x3C00, 0x7C00}, 2, 1));
}

TEST_F(TensorFiles, ScaleValue) {
  const Workload w =
      trace(kHead + "gemm g m=2 n=3 k=2 a=int4 b=int4 out=int4\n" + "scale g value=0.0625\n");
  const GemmTensors t = nibble::fn::make_gemm_tensors(w, 0);
  ASSERT_EQ(t.scales.size(), 1U);
  EXPECT_EQ(t.scales[0].bits(), 0x2C00);  // 2^-4: exponent field 15 - 4 = 11, 11 << 10
}

TEST_F(TensorFiles, ScaleFile) {
  // Three columns: 1.0 (0x3C00), -2.0 (0xC000), 2^-24 (0x0001), little-endian.
  write("s.bin", {0x00, 0x3C, 0x00, 0xC0, 0x01, 0x00});
  const Workload w =
      trace(kHead + "gemm g m=2 n=3 k=2 a=int4 b=uint4 out=fp16\n" + "scale g file=s.bin\n");
  const GemmTensors t = nibble::fn::make_gemm_tensors(w, 0);
  ASSERT_EQ(t.scales.size(), 3U);
  EXPECT_EQ(t.scales[0].bits(), 0x3C00);
  EXPECT_EQ(t.scales[1].bits(), 0xC000);
  EXPECT_EQ(t.scales[2].bits(), 0x0001);
  EXPECT_EQ(t.scales[1].to_double(), -2.0);
}

TEST_F(TensorFiles, ScaleFileErrors) {
  const std::string gemm = "gemm g m=2 n=3 k=2 a=int4 b=uint4\n";
  write("odd.bin", {0x00, 0x3C, 0x00, 0x3C, 0x00});
  Workload w = trace(kHead + gemm + "scale g file=odd.bin\n");
  EXPECT_EQ(load_error(w, 0), path("t.trace") + ":3: scale file=" + path("odd.bin") +
                                  ": expected 6 bytes (2 x N = 2 x 3), found 5");
  write("inf.bin", {0x00, 0x3C, 0x00, 0x7C, 0x00, 0x3C});
  w = trace(kHead + gemm + "scale g file=inf.bin\n");
  EXPECT_EQ(load_error(w, 0), path("t.trace") + ":3: scale file=" + path("inf.bin") +
                                  ": the scale of column 1 is 0x7c00, not a finite binary16 value");
  write("nan.bin", {0x00, 0x3C, 0x00, 0x3C, 0x01, 0xFE});
  w = trace(kHead + gemm + "scale g file=nan.bin\n");
  EXPECT_EQ(load_error(w, 0), path("t.trace") + ":3: scale file=" + path("nan.bin") +
                                  ": the scale of column 2 is 0xfe01, not a finite binary16 value");
  w = trace(kHead + gemm + "scale g file=missing.bin\n");
  EXPECT_EQ(load_error(w, 0),
            path("t.trace") + ":3: scale file=" + path("missing.bin") + ": cannot open file");
}

TEST_F(TensorFiles, Fp4OutputHasUnitScale) {
  const Workload w = trace(kHead + "gemm g m=2 n=3 k=2 a=int4 b=int4 out=fp4:p1\n");
  const GemmTensors t = nibble::fn::make_gemm_tensors(w, 0);
  ASSERT_EQ(t.scales.size(), 1U);
  EXPECT_EQ(t.scales[0].bits(), 0x3C00);
}

TEST_F(TensorFiles, ProgrammaticFp4OutputIgnoresScale) {
  Workload w = trace(kHead + "gemm g m=2 n=3 k=2 a=int4 b=int4 out=fp4:p0\n");
  w.gemms[0].data.scale = 4.0;  // the parser rejects this; the scale unit uses GradScale
  EXPECT_EQ(nibble::fn::make_gemm_tensors(w, 0).scales[0].bits(), 0x3C00);
}

TEST_F(TensorFiles, Rejects) {
  const Workload w = trace(kHead +
                           "gemm fp16 m=2 n=2 k=2 a=fp16 b=fp16\n"
                           "gemm big_a m=65536 n=1 k=32769 a=int4 b=int4\n"
                           "gemm big_b m=1 n=65536 k=32769 a=int4 b=int4\n"
                           "gemm big_out m=65536 n=32769 k=1 a=int4 b=int4\n");
  const auto message = [&](size_t index) -> std::string {
    try {
      nibble::fn::make_gemm_tensors(w, index);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "no error";
  };
  EXPECT_NE(message(0).find("gemm 'fp16': operands a=fp16 b=fp16 are not a 4-bit PE pair"),
            std::string::npos)
      << message(0);
  EXPECT_NE(message(1).find("A: M x K = 65536 x 32769 is more than 2^31 elements"),
            std::string::npos)
      << message(1);
  EXPECT_NE(message(2).find("B: K x N = 32769 x 65536 is more than 2^31 elements"),
            std::string::npos)
      << message(2);
  EXPECT_NE(message(3).find("output: M x N = 65536 x 32769 is more than 2^31 elements"),
            std::string::npos)
      << message(3);
  EXPECT_NE(message(4).find("gemm index 4 out of range"), std::string::npos) << message(4);
}

}  // namespace
