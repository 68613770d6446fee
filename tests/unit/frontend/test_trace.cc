// Tests of the .trace reader and writer (model/frontend/trace.h) and of the format and pass
// names (gemm_spec.h) against docs/trace-format.md. Expected values are typed here from that
// page; the shipped traces are checked against the total_macs comment that tools/gen_traces.py
// computes from the workload tables, not from this code.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "model/frontend/input_error.h"
#include "model/frontend/trace.h"
#include "model/numerics/format.h"
#include "model/workload/gemm_spec.h"

namespace {

using nibble::frontend::InputError;
using nibble::num::Format;
using nibble::workload::format_spec_name;
using nibble::workload::FormatSpec;
using nibble::workload::GemmSpec;
using nibble::workload::parse_format_spec;
using nibble::workload::parse_pass;
using nibble::workload::Pass;
using nibble::workload::pass_name;
using nibble::workload::Workload;

constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();

const std::string kHead = "nibble-trace 1\n";
const std::string kGemm = "gemm g m=1 n=2 k=3 a=int4 b=int4\n";

Workload parse(const std::string& text, const std::string& file = "t.trace") {
  std::istringstream in(text);
  return nibble::frontend::parse_trace(in, file);
}

// The eight format specs of docs/trace-format.md, by their canonical names.
const std::vector<std::pair<std::string, FormatSpec>>& all_specs() {
  static const std::vector<std::pair<std::string, FormatSpec>> specs = {
      {"int4", {Format::kInt4, 0}},        {"uint4", {Format::kUint4, 0}},
      {"fp4:p0", {Format::kFp4, 0}},       {"fp4:p1", {Format::kFp4, 1}},
      {"fp8_e4m3", {Format::kFp8E4M3, 0}}, {"fp8_e5m2", {Format::kFp8E5M2, 0}},
      {"fp16", {Format::kFp16, 0}},        {"fp32", {Format::kFp32, 0}},
  };
  return specs;
}

// The operand-pair rule, written out independently of operand_pair_error.
bool pair_allowed(const std::string& a, const std::string& b) {
  const auto int4ish = [](const std::string& f) { return f == "int4" || f == "uint4"; };
  const auto fp4 = [](const std::string& f) { return f.rfind("fp4", 0) == 0; };
  const auto fp8 = [](const std::string& f) { return f.rfind("fp8", 0) == 0; };
  return (int4ish(a) && (int4ish(b) || fp4(b))) || (fp4(a) && int4ish(b)) || (fp8(a) && fp8(b)) ||
         (a == "fp16" && b == "fp16");
}

void expect_same_specs(const Workload& want, const Workload& got) {
  EXPECT_EQ(want.name, got.name);
  ASSERT_EQ(want.gemms.size(), got.gemms.size());
  for (size_t i = 0; i < want.gemms.size(); ++i) {
    const GemmSpec& w = want.gemms[i];
    const GemmSpec& g = got.gemms[i];
    SCOPED_TRACE(w.name);
    EXPECT_EQ(w.name, g.name);
    EXPECT_EQ(w.m, g.m);
    EXPECT_EQ(w.n, g.n);
    EXPECT_EQ(w.k, g.k);
    EXPECT_EQ(format_spec_name(w.a), format_spec_name(g.a));
    EXPECT_EQ(format_spec_name(w.b), format_spec_name(g.b));
    EXPECT_EQ(format_spec_name(w.out), format_spec_name(g.out));
    EXPECT_TRUE(w.a == g.a && w.b == g.b && w.out == g.out);
    EXPECT_EQ(w.pass, g.pass);
    EXPECT_EQ(w.repeat, g.repeat);
    EXPECT_EQ(w.data.a_file, g.data.a_file);
    EXPECT_EQ(w.data.b_file, g.data.b_file);
    EXPECT_EQ(w.data.scale, g.data.scale);
    EXPECT_EQ(w.data.scale_file, g.data.scale_file);
    EXPECT_EQ(w.data.expect_crc, g.data.expect_crc);
  }
  EXPECT_EQ(want.seed, got.seed);
}

// --- gemm_spec.h: names of passes and formats ----------------------------------------------

TEST(TraceNames, PassNames) {
  EXPECT_STREQ(pass_name(Pass::kNone), "-");
  EXPECT_STREQ(pass_name(Pass::kFwd), "fwd");
  EXPECT_STREQ(pass_name(Pass::kDgrad), "dgrad");
  EXPECT_STREQ(pass_name(Pass::kWgrad), "wgrad");
  for (Pass p : {Pass::kNone, Pass::kFwd, Pass::kDgrad, Pass::kWgrad}) {
    EXPECT_EQ(parse_pass(pass_name(p)), p);
  }
  for (const char* bad : {"", "none", "FWD", "bwd", "fwd ", "wgrad2"}) {
    EXPECT_FALSE(parse_pass(bad).has_value()) << bad;
  }
}

TEST(TraceNames, FormatSpecNamesRoundTrip) {
  for (const auto& [name, spec] : all_specs()) {
    EXPECT_EQ(format_spec_name(spec), name);
    const auto parsed = parse_format_spec(name);
    ASSERT_TRUE(parsed.has_value()) << name;
    EXPECT_TRUE(*parsed == spec) << name;
  }
}

TEST(TraceNames, PlainFp4IsPhase0) {
  const auto spec = parse_format_spec("fp4");
  ASSERT_TRUE(spec.has_value());
  EXPECT_EQ(spec->format, Format::kFp4);
  EXPECT_EQ(spec->tpr_phase, 0);
}

TEST(TraceNames, FormatSpecRejects) {
  for (const char* bad :
       {"", "int8", "bf16", "fp8", "FP4", "Int4", " fp4", "fp4 ", "fp4:", "fp4:p", "fp4:p2",
        "fp4:P1", "fp4:p0:p1", "fp4:1", "int4:p0", "fp16:p0", "uint4:p1", ":p0"}) {
    EXPECT_FALSE(parse_format_spec(bad).has_value()) << "'" << bad << "'";
  }
}

TEST(TraceNames, InvalidSpecNeverPrintsAsValid) {
  EXPECT_EQ(format_spec_name({Format::kInt4, 1}), "int4:p1");
  EXPECT_EQ(format_spec_name({Format::kFp4, 2}), "fp4:p2");
  EXPECT_FALSE(parse_format_spec(format_spec_name({Format::kInt4, 1})).has_value());
  EXPECT_FALSE(parse_format_spec(format_spec_name({Format::kFp4, 2})).has_value());
}

// --- parse_trace: accepted input -----------------------------------------------------------

TEST(TraceParse, MinimalGemmTakesDefaults) {
  const Workload w = parse(kHead + kGemm);
  EXPECT_EQ(w.name, "");
  ASSERT_EQ(w.gemms.size(), 1U);
  const GemmSpec& g = w.gemms[0];
  EXPECT_EQ(g.name, "g");
  EXPECT_EQ(g.m, 1);
  EXPECT_EQ(g.n, 2);
  EXPECT_EQ(g.k, 3);
  EXPECT_EQ(format_spec_name(g.a), "int4");
  EXPECT_EQ(format_spec_name(g.b), "int4");
  EXPECT_EQ(format_spec_name(g.out), "fp16");
  EXPECT_EQ(g.pass, Pass::kNone);
  EXPECT_EQ(g.repeat, 1);
  EXPECT_EQ(g.macs(), 6);
  EXPECT_EQ(g.where.file, "t.trace");
  EXPECT_EQ(g.where.line, 2);
}

TEST(TraceParse, AllFieldsInAnyOrder) {
  const Workload w = parse(kHead +
                           "gemm conv1.fwd repeat=3 pass=fwd out=uint4 b=int4 a=uint4 k=147 "
                           "n=64 m=12544\n"
                           "gemm conv1.dgrad a=fp4:p0 m=12544 b=int4 pass=dgrad n=147 k=64\n"
                           "gemm conv1.wgrad pass=wgrad m=147 n=64 k=12544 a=uint4 b=fp4:p1\n");
  ASSERT_EQ(w.gemms.size(), 3U);
  const GemmSpec& f = w.gemms[0];
  EXPECT_EQ(f.m, 12544);
  EXPECT_EQ(f.n, 64);
  EXPECT_EQ(f.k, 147);
  EXPECT_EQ(format_spec_name(f.a), "uint4");
  EXPECT_EQ(format_spec_name(f.out), "uint4");
  EXPECT_EQ(f.pass, Pass::kFwd);
  EXPECT_EQ(f.repeat, 3);
  EXPECT_EQ(w.gemms[1].pass, Pass::kDgrad);
  EXPECT_EQ(format_spec_name(w.gemms[1].a), "fp4:p0");
  EXPECT_EQ(w.gemms[2].pass, Pass::kWgrad);
  EXPECT_EQ(format_spec_name(w.gemms[2].b), "fp4:p1");
  EXPECT_EQ(w.gemms[2].where.line, 4);
}

TEST(TraceParse, PassDashMeansNone) {
  const Workload w = parse(kHead + "gemm g m=1 n=1 k=1 a=int4 b=int4 pass=-\n");
  EXPECT_EQ(w.gemms[0].pass, Pass::kNone);
}

TEST(TraceParse, WorkloadName) {
  const Workload w = parse(kHead + "workload resnet18_train_b32\n" + kGemm);
  EXPECT_EQ(w.name, "resnet18_train_b32");
  EXPECT_EQ(w.gemms[0].where.line, 3);
}

TEST(TraceParse, EveryNameCharacter) {
  const std::string name = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:/+-";
  const Workload w =
      parse(kHead + "workload " + name + "\ngemm " + name + " m=1 n=1 k=1 a=int4 b=int4\n");
  EXPECT_EQ(w.name, name);
  EXPECT_EQ(w.gemms[0].name, name);
}

TEST(TraceParse, CommentsBlankLinesAndWhitespace) {
  const Workload w = parse(
      "# a comment before the header\n"
      "\n"
      "   \t \n"
      "  nibble-trace\t1   # header with a comment\n"
      "# between\n"
      "workload w#no space before the comment\n"
      "\tgemm  a \t m=4  n=5\tk=6 a=uint4 b=int4   # trailing comment m=999\n"
      "gemm b m=1 n=1 a=int4\tb=int4 k=1#comment right after a value\n"
      "gemm c m=1 n=1 k=1 a=int4 b=int4#\n"
      "#gemm d m=1 n=1 k=1 a=int4 b=int4\n");
  EXPECT_EQ(w.name, "w");
  ASSERT_EQ(w.gemms.size(), 3U);
  EXPECT_EQ(w.gemms[0].m, 4);
  EXPECT_EQ(w.gemms[0].k, 6);
  EXPECT_EQ(w.gemms[0].where.line, 7);
  EXPECT_EQ(w.gemms[2].where.line, 9);
}

TEST(TraceParse, CommentAfterAValueEndsTheLine) {
  // '#' ends the line even inside a token: the fields after it are commentary.
  const Workload w = parse(kHead + "gemm g m=1 n=1 k=1 a=int4 b=int4 repeat=2#3 repeat=9\n");
  EXPECT_EQ(w.gemms[0].repeat, 2);
}

TEST(TraceParse, CrlfLineEnds) {
  const std::string lf = "# c\n" + kHead + "workload w\n" + kGemm + "gemm h m=7 n=8 k=9 " +
                         "a=fp8_e4m3 b=fp8_e5m2 # x\n";
  std::string crlf;
  for (char c : lf) {
    crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  }
  const Workload a = parse(lf);
  const Workload b = parse(crlf);
  expect_same_specs(a, b);
  EXPECT_EQ(b.gemms[1].k, 9);
  EXPECT_EQ(b.gemms[1].where.line, 5);
}

TEST(TraceParse, NoNewlineAtEnd) {
  const Workload w = parse("nibble-trace 1\ngemm g m=1 n=1 k=1 a=int4 b=int4 repeat=5");
  EXPECT_EQ(w.gemms[0].repeat, 5);
}

TEST(TraceParse, IntegerLimits) {
  const Workload w = parse(kHead +
                           "gemm big m=2147483647 n=1 k=1 a=int4 b=int4 repeat=1\n"
                           "gemm zeros m=007 n=0001 k=10 a=int4 b=int4 repeat=000002\n");
  EXPECT_EQ(w.gemms[0].m, kInt32Max);
  EXPECT_EQ(w.gemms[1].m, 7);
  EXPECT_EQ(w.gemms[1].n, 1);
  EXPECT_EQ(w.gemms[1].repeat, 2);
}

TEST(TraceParse, MacsUpToInt64Max) {
  // 2^63 - 1 = 7^2 * 73 * 127 * 337 * 92737 * 649657: a product of four in-range counts.
  const Workload w = parse(kHead + "gemm g m=454279 n=31252369 k=649657 a=int4 b=int4\n");
  EXPECT_EQ(w.gemms[0].macs() * w.gemms[0].repeat, std::numeric_limits<int64_t>::max());
  // 2^20 cubed is 2^60; 7 repeats still fit in int64, 8 would not (TraceErrors below).
  const Workload r = parse(kHead + "gemm g m=1048576 n=1048576 k=1048576 a=int4 b=int4 repeat=7\n");
  EXPECT_EQ(r.gemms[0].repeat, 7);
}

TEST(TraceParse, OperandPairs) {
  for (const auto& [a, sa] : all_specs()) {
    for (const auto& [b, sb] : all_specs()) {
      const std::string text = kHead + "gemm g m=1 n=1 k=1 a=" + a + " b=" + b + "\n";
      SCOPED_TRACE(a + " x " + b);
      if (pair_allowed(a, b)) {
        const Workload w = parse(text);
        EXPECT_TRUE(w.gemms[0].a == sa && w.gemms[0].b == sb);
        EXPECT_FALSE(nibble::workload::operand_pair_error(sa, sb).has_value());
      } else {
        try {
          parse(text);
          ADD_FAILURE() << "accepted";
        } catch (const InputError& e) {
          EXPECT_EQ(e.line(), 2);
          EXPECT_NE(std::string(e.what()).find("operand pair a=" + a + " b=" + b),
                    std::string::npos)
              << e.what();
        }
        EXPECT_TRUE(nibble::workload::operand_pair_error(sa, sb).has_value());
      }
    }
  }
}

TEST(TraceParse, ReadTraceFile) {
  const std::string path = testing::TempDir() + "nibble_test_trace_read.trace";
  {
    std::ofstream out(path);
    out << kHead << "workload file_test\n" << kGemm;
  }
  const Workload w = nibble::frontend::read_trace_file(path);
  EXPECT_EQ(w.name, "file_test");
  EXPECT_EQ(w.gemms[0].where.file, path);
  EXPECT_EQ(w.gemms[0].where.line, 3);
  std::filesystem::remove(path);
}

TEST(TraceParse, ReadTraceFileMissing) {
  const std::string path = testing::TempDir() + "nibble_no_such_dir/none.trace";
  try {
    nibble::frontend::read_trace_file(path);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), path);
    EXPECT_EQ(e.line(), 0);
    EXPECT_EQ(std::string(e.what()),
              path + ": cannot open the trace file: No such file or directory");
  }
}

// --- data commands: accepted input ---------------------------------------------------------

TEST(TraceData, DefaultsWithoutDataCommands) {
  const Workload w = parse(kHead + kGemm);
  EXPECT_EQ(w.seed, 0U);
  EXPECT_EQ(w.seed_where.line, 0);
  const nibble::workload::GemmData& d = w.gemms[0].data;
  EXPECT_TRUE(d.a_file.empty());
  EXPECT_TRUE(d.b_file.empty());
  EXPECT_FALSE(d.scale.has_value());
  EXPECT_TRUE(d.scale_file.empty());
  EXPECT_FALSE(d.expect_crc.has_value());
  EXPECT_EQ(d.load_where.line, 0);
  EXPECT_EQ(d.scale_where.line, 0);
  EXPECT_EQ(d.expect_where.line, 0);
}

TEST(TraceData, EveryCommand) {
  const Workload w = parse(kHead +
                               "workload w\n"
                               "gemm g m=4 n=3 k=2 a=int4 b=fp4:p1 out=uint4\n"
                               "  load\tg  b=data/b.bin a=/abs/a.bin   # both operands\n"
                               "gemm h m=1 n=1 k=1 a=fp4 b=uint4\n"
                               "seed 18446744073709551615\n"
                               "scale g value=0.25\n"
                               "expect g crc=0xCBF43926\n"
                               "scale h file=s.bin#comment\n"
                               "expect h crc=0x0\n"
                               "load h a=../x=y.bin\n",
                           "dir/t.trace");
  EXPECT_EQ(w.seed, 18446744073709551615ULL);
  EXPECT_EQ(w.seed_where.file, "dir/t.trace");
  EXPECT_EQ(w.seed_where.line, 6);
  const nibble::workload::GemmData& g = w.gemms[0].data;
  // parse_trace from a stream keeps file names as written.
  EXPECT_EQ(g.a_file, "/abs/a.bin");
  EXPECT_EQ(g.b_file, "data/b.bin");
  EXPECT_EQ(g.load_where.file, "dir/t.trace");
  EXPECT_EQ(g.load_where.line, 4);
  ASSERT_TRUE(g.scale.has_value());
  EXPECT_EQ(*g.scale, 0.25);
  EXPECT_TRUE(g.scale_file.empty());
  EXPECT_EQ(g.scale_where.line, 7);
  ASSERT_TRUE(g.expect_crc.has_value());
  EXPECT_EQ(*g.expect_crc, 0xCBF43926u);
  EXPECT_EQ(g.expect_where.line, 8);
  const nibble::workload::GemmData& h = w.gemms[1].data;
  EXPECT_EQ(h.a_file, "../x=y.bin");  // the value is everything after the first '='
  EXPECT_TRUE(h.b_file.empty());
  EXPECT_EQ(h.load_where.line, 11);
  EXPECT_FALSE(h.scale.has_value());
  EXPECT_EQ(h.scale_file, "s.bin");
  EXPECT_EQ(h.scale_where.line, 9);
  EXPECT_EQ(*h.expect_crc, 0u);
}

TEST(TraceData, SeedAnywhereAfterTheHeader) {
  EXPECT_EQ(parse(kHead + "seed 7\nworkload w\n" + kGemm).seed, 7U);
  EXPECT_EQ(parse(kHead + "workload w\nseed 007\n" + kGemm).seed, 7U);
  EXPECT_EQ(parse(kHead + kGemm + "seed 0\n").seed, 0U);
  EXPECT_EQ(parse(kHead + kGemm + "seed 0\n").seed_where.line, 3);
}

TEST(TraceData, ScaleValues) {
  // Each text and its binary16 value, derived by hand.
  const std::vector<std::pair<std::string, double>> cases = {
      {"1", 1.0},
      {"+3", 3.0},
      {"-2", -2.0},
      {"0.5", 0.5},
      {".5", 0.5},
      {"2.", 2.0},
      {"1.5e1", 15.0},
      {"150E-1", 15.0},
      {"65504", 65504.0},  // the largest finite binary16
      {"-65504.000", -65504.0},
      {"6.103515625e-05", 0x1p-14},               // the smallest normal
      {"5.9604644775390625E-8", 0x1p-24},         // the smallest subnormal
      {"0.000060975551605224609375", 0x3FFp-24},  // the largest subnormal, 1023 * 2^-24
      {"1.0009765625", 1.0 + 0x1p-10},            // 1 + one ulp
      {"0.0999755859375", 1638.0 / 16384.0},      // 0x2E66, the binary16 nearest 0.1
  };
  for (const auto& [text, value] : cases) {
    const Workload w = parse(kHead + kGemm + "scale g value=" + text + "\n");
    ASSERT_TRUE(w.gemms[0].data.scale.has_value()) << text;
    EXPECT_EQ(*w.gemms[0].data.scale, value) << text;
  }
}

TEST(TraceData, CrcValues) {
  const std::vector<std::pair<std::string, uint32_t>> cases = {{"0x0", 0u},
                                                               {"0x00000000", 0u},
                                                               {"0xffffffff", 0xFFFFFFFFu},
                                                               {"0xFfFf", 0xFFFFu},
                                                               {"0xcbf43926", 0xCBF43926u},
                                                               {"0x1", 1u},
                                                               {"0x12345678", 0x12345678u}};
  for (const auto& [text, value] : cases) {
    const Workload w = parse(kHead + kGemm + "expect g crc=" + text + "\n");
    EXPECT_EQ(w.gemms[0].data.expect_crc, value) << text;
  }
}

TEST(TraceData, ScaleForEveryNonFp4Output) {
  for (const char* out : {"int4", "uint4", "fp16", "fp32", "fp8_e4m3"}) {
    const Workload w =
        parse(kHead + "gemm g m=1 n=1 k=1 a=int4 b=int4 out=" + out + "\nscale g value=2\n");
    EXPECT_EQ(w.gemms[0].data.scale, 2.0) << out;
  }
}

TEST(TraceData, ReadTraceFileResolvesAgainstTheTraceFolder) {
  const std::filesystem::path dir =
      std::filesystem::path(testing::TempDir()) / "nibble_test_trace_data";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "t.trace").string();
  {
    std::ofstream out(path);
    out << kHead << kGemm << "load g a=a.bin b=/abs/b.bin\nscale g file=sub/s.bin\n";
  }
  const Workload w = nibble::frontend::read_trace_file(path);
  EXPECT_EQ(w.gemms[0].data.a_file, (dir / "a.bin").string());
  EXPECT_EQ(w.gemms[0].data.b_file, "/abs/b.bin");
  EXPECT_EQ(w.gemms[0].data.scale_file, (dir / "sub" / "s.bin").string());
  EXPECT_EQ(w.gemms[0].data.load_where.file, path);
  EXPECT_EQ(w.gemms[0].data.load_where.line, 3);
  std::filesystem::remove_all(dir);
}

TEST(TraceData, DocExampleParses) {
  // The worked example of docs/trace-format.md, "Data commands".
  const Workload w = parse(
      "nibble-trace 1\n"
      "seed 42\n"
      "gemm fc1.fwd m=8 n=16 k=32 a=uint4 b=int4 out=int4\n"
      "load fc1.fwd a=fc1_x.bin\n"
      "scale fc1.fwd value=0.0625\n"
      "expect fc1.fwd crc=0x1c291ca3\n"
      "gemm fc1.dgrad m=8 n=32 k=16 a=fp4:p0 b=int4 out=fp16\n"
      "scale fc1.dgrad file=fc1_dgrad_scales.bin\n",
      "traces/t.trace");
  EXPECT_EQ(w.seed, 42U);
  EXPECT_EQ(w.gemms[0].data.a_file, "fc1_x.bin");
  EXPECT_EQ(w.gemms[0].data.scale, 0.0625);
  EXPECT_EQ(w.gemms[0].data.expect_crc, 0x1c291ca3u);
  EXPECT_EQ(w.gemms[1].data.scale_file, "fc1_dgrad_scales.bin");
}

// --- parse_trace: every error ----------------------------------------------------------------

struct ErrorCase {
  const char* label;  // the test's name
  std::string text;
  int line;                          // expected line (0: the whole file)
  std::vector<std::string> needles;  // what the message must contain
};

// Names the case in test output (and in the test names ctest lists) by its label.
void PrintTo(const ErrorCase& c, std::ostream* os) { *os << c.label; }

std::string gemm_with(const std::string& fields) { return kHead + "gemm g " + fields + "\n"; }

std::vector<ErrorCase> error_cases() {
  const std::string ok = "m=1 n=1 k=1 a=int4 b=int4";
  return {
      // Header.
      {"empty_file", "", 0, {"empty trace", "expected the header 'nibble-trace 1'"}},
      {"only_comments", "# x\n\n  # y\n", 0, {"expected the header 'nibble-trace 1'"}},
      {"bad_magic", "nibble-trac 1\n" + kGemm, 1, {"'nibble-trac'", "nibble-trace 1"}},
      {"gemm_before_header", kGemm + kHead, 1, {"expected the header", "got 'gemm'"}},
      {"workload_before_header", "workload w\n" + kHead + kGemm, 1, {"got 'workload'"}},
      {"version_2", "nibble-trace 2\n" + kGemm, 1, {"unsupported trace version '2'"}},
      {"version_1_0", "nibble-trace 1.0\n" + kGemm, 1, {"version '1.0'"}},
      {"version_missing", "nibble-trace\n" + kGemm, 1, {"'nibble-trace' alone"}},
      {"header_extra", "nibble-trace 1 extra\n" + kGemm, 1, {"unexpected 'extra'"}},
      {"header_twice", kHead + kGemm + kHead, 3, {"'nibble-trace' given twice", "line 1"}},
      // Commands.
      {"unknown_command",
       kHead + "conv x\n",
       2,
       {"unknown command 'conv' (expected workload, gemm, seed, load, scale or expect)"}},
      {"command_case", kHead + "GEMM g " + ok + "\n", 2, {"unknown command 'GEMM'"}},
      {"no_gemm_lines", kHead + "workload w\n", 0, {"no gemm lines"}},
      // workload.
      {"workload_no_name", kHead + "workload\n" + kGemm, 2, {"expected a name after 'workload'"}},
      {"workload_two_names", kHead + "workload a b\n" + kGemm, 2, {"unexpected 'b'", "'a'"}},
      {"workload_bad_name",
       kHead + "workload res$net\n" + kGemm,
       2,
       {"invalid name 'res$net'", "allowed characters"}},
      {"workload_twice",
       kHead + "workload a\nworkload b\n" + kGemm,
       3,
       {"given twice", "line 2", "'b'"}},
      {"workload_after_gemm",
       kHead + kGemm + "workload w\n",
       3,
       {"before the first gemm (line 2)", "'w'"}},
      // gemm names.
      {"gemm_no_name", kHead + "gemm\n", 2, {"expected a name after 'gemm'"}},
      {"gemm_field_as_name",
       kHead + "gemm " + ok + "\n",
       2,
       {"expected a name before the fields, got 'm=1'"}},
      {"gemm_bad_name", kHead + "gemm conv,1 " + ok + "\n", 2, {"invalid name 'conv,1'"}},
      {"gemm_non_ascii_name",
       kHead + "gemm c\xc3\xb6nv " + ok + "\n",
       2,
       {"invalid name 'c\xc3\xb6nv'"}},
      {"gemm_duplicate_name",
       kHead + kGemm + "# x\n" + kGemm,
       4,
       {"gemm 'g': name already used on line 2"}},
      {"gemm_hash_in_name",
       kHead + "gemm conv#1 " + ok + "\n",
       2,
       {"gemm 'conv': missing m=<int>"}},
      // Field syntax.
      {"missing_m", gemm_with("n=1 k=1 a=int4 b=int4"), 2, {"gemm 'g': missing m=<int>"}},
      {"missing_n", gemm_with("m=1 k=1 a=int4 b=int4"), 2, {"gemm 'g': missing n=<int>"}},
      {"missing_k", gemm_with("m=1 n=1 a=int4 b=int4"), 2, {"gemm 'g': missing k=<int>"}},
      {"missing_a", gemm_with("m=1 n=1 k=1 b=int4"), 2, {"gemm 'g': missing a=<fmt>"}},
      {"missing_b", gemm_with("m=1 n=1 k=1 a=int4"), 2, {"gemm 'g': missing b=<fmt>"}},
      {"no_equals", gemm_with(ok + " fast"), 2, {"expected <field>=<value>, got 'fast'"}},
      {"empty_key", gemm_with(ok + " =5"), 2, {"expected <field>=<value>, got '=5'"}},
      {"space_before_equals",
       gemm_with("m =1 n=1 k=1 a=int4 b=int4"),
       2,
       {"expected <field>=<value>, got 'm'"}},
      {"unknown_field", gemm_with(ok + " x=1"), 2, {"unknown field 'x' in 'x=1'"}},
      {"field_case", gemm_with("M=1 n=1 k=1 a=int4 b=int4"), 2, {"unknown field 'M' in 'M=1'"}},
      {"duplicate_field",
       gemm_with(ok + " m=2"),
       2,
       {"gemm 'g': field 'm' given twice ('m=1' and 'm=2')"}},
      {"duplicate_out", gemm_with(ok + " out=fp16 out=fp16"), 2, {"field 'out' given twice"}},
      // Integers.
      {"int_letters",
       gemm_with("m=1 n=1 k=abc a=int4 b=int4"),
       2,
       {"gemm 'g': expected k=<int>, got 'k=abc'"}},
      {"int_negative", gemm_with("m=1 n=1 k=-5 a=int4 b=int4"), 2, {"got 'k=-5'"}},
      {"int_plus", gemm_with("m=1 n=1 k=+5 a=int4 b=int4"), 2, {"got 'k=+5'"}},
      {"int_fraction", gemm_with("m=1 n=1 k=1.5 a=int4 b=int4"), 2, {"got 'k=1.5'"}},
      {"int_exponent", gemm_with("m=1 n=1 k=1e3 a=int4 b=int4"), 2, {"got 'k=1e3'"}},
      {"int_hex", gemm_with("m=1 n=1 k=0x10 a=int4 b=int4"), 2, {"got 'k=0x10'"}},
      {"int_empty", gemm_with("m=1 n=1 k= a=int4 b=int4"), 2, {"expected k=<int>, got 'k='"}},
      {"repeat_letters",
       gemm_with(ok + " repeat=two"),
       2,
       {"expected repeat=<int>, got 'repeat=two'"}},
      {"m_zero",
       gemm_with("m=0 n=1 k=1 a=int4 b=int4"),
       2,
       {"'m=0' is out of range", "[1, 2147483647]"}},
      {"m_above_int32",
       gemm_with("m=2147483648 n=1 k=1 a=int4 b=int4"),
       2,
       {"'m=2147483648' is out of range"}},
      {"n_huge",
       gemm_with("m=1 n=99999999999999999999999999 k=1 a=int4 b=int4"),
       2,
       {"'n=99999999999999999999999999' is out of range"}},
      {"repeat_zero", gemm_with(ok + " repeat=0"), 2, {"'repeat=0' is out of range"}},
      {"macs_overflow",
       gemm_with("m=2147483647 n=2147483647 k=2147483647 a=int4 b=int4"),
       2,
       {"m*n*k*repeat overflows int64", "k=2147483647"}},
      {"macs_overflow_by_repeat",
       gemm_with("m=1048576 n=1048576 k=1048576 a=int4 b=int4 repeat=8"),
       2,
       {"m*n*k*repeat overflows int64", "repeat=8"}},
      {"macs_overflow_by_one",
       gemm_with("m=454279 n=31252369 k=649657 a=int4 b=int4 repeat=2"),
       2,
       {"overflows int64"}},
      {"too_many_gemms",
       [] {
         std::string t = "nibble-trace 1\n";
         for (int i = 0; i <= 100000; ++i) {
           t += "gemm g" + std::to_string(i) + " m=1 n=1 k=1 a=int4 b=int4\n";
         }
         return t;
       }(),
       100002,
       {"gemm 'g100000'", "more than 100000 GEMMs"}},
      {"total_macs_overflow",
       kHead + "gemm x m=1048576 n=1048576 k=1048576 a=int4 b=int4 repeat=7\n" +
           "gemm y m=1048576 n=1048576 k=1048576 a=int4 b=int4 repeat=7\n",
       3,
       {"gemm 'y'", "total MACs", "overflow int64"}},
      // Formats and passes.
      {"format_unknown",
       gemm_with("m=1 n=1 k=1 a=int8 b=int4"),
       2,
       {"gemm 'g': expected a=<fmt>, got 'a=int8'", "fp8_e4m3"}},
      {"format_bad_phase",
       gemm_with("m=1 n=1 k=1 a=int4 b=fp4:p2"),
       2,
       {"expected b=<fmt>, got 'b=fp4:p2'"}},
      {"format_phase_on_int", gemm_with("m=1 n=1 k=1 a=int4:p0 b=int4"), 2, {"'a=int4:p0'"}},
      {"format_case", gemm_with("m=1 n=1 k=1 a=FP16 b=fp16"), 2, {"'a=FP16'"}},
      {"out_unknown", gemm_with(ok + " out=bf16"), 2, {"expected out=<fmt>, got 'out=bf16'"}},
      {"pass_unknown",
       gemm_with(ok + " pass=bwd"),
       2,
       {"gemm 'g': expected pass=fwd|dgrad|wgrad|-, got 'pass=bwd'"}},
      {"pass_none_word", gemm_with(ok + " pass=none"), 2, {"got 'pass=none'"}},
      {"pass_case", gemm_with(ok + " pass=FWD"), 2, {"got 'pass=FWD'"}},
      // Operand pairs.
      {"pair_fp4_fp4",
       gemm_with("m=1 n=1 k=1 a=fp4 b=fp4:p1"),
       2,
       {"gemm 'g': operand pair a=fp4:p0 b=fp4:p1 is not supported", "fp4 x fp4"}},
      {"pair_int4_fp16",
       gemm_with("m=1 n=1 k=1 a=int4 b=fp16"),
       2,
       {"operand pair a=int4 b=fp16 is not supported"}},
      {"pair_fp8_int4",
       gemm_with("m=1 n=1 k=1 a=fp8_e4m3 b=int4"),
       2,
       {"operand pair a=fp8_e4m3 b=int4"}},
      {"pair_fp16_fp8",
       gemm_with("m=1 n=1 k=1 a=fp16 b=fp8_e5m2"),
       2,
       {"operand pair a=fp16 b=fp8_e5m2"}},
      {"pair_fp32_fp32", gemm_with("m=1 n=1 k=1 a=fp32 b=fp32"), 2, {"operand pair a=fp32 b=fp32"}},
      // seed.
      {"seed_missing",
       kHead + "seed\n" + kGemm,
       2,
       {"seed: expected an integer in [0, 18446744073709551615] after 'seed'"}},
      {"seed_extra", kHead + "seed 1 2\n" + kGemm, 2, {"seed: unexpected '2' after '1'"}},
      {"seed_letters",
       kHead + "seed abc\n" + kGemm,
       2,
       {"seed: expected an integer in [0, 18446744073709551615], got 'abc'"}},
      {"seed_negative", kHead + "seed -1\n" + kGemm, 2, {"got '-1'"}},
      {"seed_hex", kHead + "seed 0x10\n" + kGemm, 2, {"got '0x10'"}},
      {"seed_field", kHead + "seed s=1\n" + kGemm, 2, {"got 's=1'"}},
      {"seed_2_to_64",
       kHead + "seed 18446744073709551616\n" + kGemm,
       2,
       {"seed: '18446744073709551616' is out of range: expected an integer in [0, "
        "18446744073709551615]"}},
      {"seed_huge", kHead + "seed 99999999999999999999999\n" + kGemm, 2, {"is out of range"}},
      {"seed_twice",
       kHead + "seed 1\n" + kGemm + "seed 2\n",
       4,
       {"seed: given twice (first on line 2), got '2'"}},
      {"seed_before_header", "seed 1\n" + kHead + kGemm, 1, {"expected the header", "got 'seed'"}},
      // Common to the data commands.
      {"load_no_name", kHead + kGemm + "load\n", 3, {"load: expected a gemm name after 'load'"}},
      {"scale_no_name",
       kHead + kGemm + "scale\n",
       3,
       {"scale: expected a gemm name after 'scale'"}},
      {"expect_no_name",
       kHead + kGemm + "expect\n",
       3,
       {"expect: expected a gemm name after 'expect'"}},
      {"load_field_as_name",
       kHead + kGemm + "load a=x.bin\n",
       3,
       {"load: expected a gemm name before the fields, got 'a=x.bin'"}},
      {"load_unknown_gemm",
       kHead + kGemm + "load h a=x.bin\n",
       3,
       {"load: unknown gemm 'h' (a data command names a gemm of an earlier line)"}},
      {"load_before_gemm", kHead + "load g a=x.bin\n" + kGemm, 2, {"load: unknown gemm 'g'"}},
      {"scale_unknown_gemm", kHead + kGemm + "scale G value=1\n", 3, {"scale: unknown gemm 'G'"}},
      {"expect_unknown_gemm",
       kHead + kGemm + "expect x crc=0x1\n",
       3,
       {"expect: unknown gemm 'x'"}},
      {"data_on_fp16_gemm",
       kHead + "gemm h m=1 n=1 k=1 a=fp16 b=fp16\nexpect h crc=0x1\n",
       3,
       {"expect 'h': data commands apply to GEMMs of 4-bit operands, not a=fp16 b=fp16"}},
      {"data_on_fp8_gemm",
       kHead + "gemm h m=1 n=1 k=1 a=fp8_e4m3 b=fp8_e5m2\nload h a=x.bin\n",
       3,
       {"load 'h': data commands apply to GEMMs of 4-bit operands"}},
      // load.
      {"load_no_fields",
       kHead + kGemm + "load g\n",
       3,
       {"load 'g': expected a=<file>, b=<file> or both"}},
      {"load_bare_token",
       kHead + kGemm + "load g x.bin\n",
       3,
       {"load 'g': expected <field>=<value>, got 'x.bin'"}},
      {"load_unknown_field",
       kHead + kGemm + "load g c=x.bin\n",
       3,
       {"load 'g': unknown field 'c' in 'c=x.bin' (fields: a, b)"}},
      {"load_field_twice",
       kHead + kGemm + "load g a=x.bin a=y.bin\n",
       3,
       {"load 'g': field 'a' given twice ('a=x.bin' and 'a=y.bin')"}},
      {"load_empty_file",
       kHead + kGemm + "load g a=\n",
       3,
       {"load 'g': expected a=<file>, got 'a='"}},
      {"load_twice",
       kHead + kGemm + "load g a=x.bin\nload g b=y.bin\n",
       4,
       {"load 'g': already given on line 3 (one load line names a=, b= or both)"}},
      {"load_twice_same_operand",
       kHead + kGemm + "load g a=x.bin\nload g a=x.bin\n",
       4,
       {"load 'g': already given on line 3"}},
      // scale.
      {"scale_no_fields",
       kHead + kGemm + "scale g\n",
       3,
       {"scale 'g': expected value=<real> or file=<file>"}},
      {"scale_both",
       kHead + kGemm + "scale g value=1 file=s.bin\n",
       3,
       {"scale 'g': expected value=<real> or file=<file>, not both ('value=1' and 'file=s.bin')"}},
      {"scale_unknown_field",
       kHead + kGemm + "scale g v=1\n",
       3,
       {"scale 'g': unknown field 'v' in 'v=1' (fields: value, file)"}},
      {"scale_letters",
       kHead + kGemm + "scale g value=abc\n",
       3,
       {"scale 'g': expected value=<real>, got 'value=abc'"}},
      {"scale_empty",
       kHead + kGemm + "scale g value=\n",
       3,
       {"expected value=<real>, got 'value='"}},
      {"scale_hex", kHead + kGemm + "scale g value=0x1p0\n", 3, {"got 'value=0x1p0'"}},
      {"scale_inf", kHead + kGemm + "scale g value=inf\n", 3, {"got 'value=inf'"}},
      {"scale_nan", kHead + kGemm + "scale g value=nan\n", 3, {"got 'value=nan'"}},
      {"scale_comma", kHead + kGemm + "scale g value=1,5\n", 3, {"got 'value=1,5'"}},
      {"scale_no_exponent_digits", kHead + kGemm + "scale g value=1e\n", 3, {"got 'value=1e'"}},
      {"scale_point_only", kHead + kGemm + "scale g value=.\n", 3, {"got 'value=.'"}},
      {"scale_two_signs", kHead + kGemm + "scale g value=--1\n", 3, {"got 'value=--1'"}},
      {"scale_zero",
       kHead + kGemm + "scale g value=0\n",
       3,
       {"scale 'g': 'value=0' must be nonzero"}},
      {"scale_negative_zero",
       kHead + kGemm + "scale g value=-0.000\n",
       3,
       {"'value=-0.000' must be nonzero"}},
      // 0.1 is not a binary16 value; the nearest is 0x2E66 = 1638 / 16384.
      {"scale_not_binary16",
       kHead + kGemm + "scale g value=0.1\n",
       3,
       {"scale 'g': 'value=0.1' is not exactly representable as binary16 (nearest: "
        "0.0999755859375)"}},
      // Rounds to the double 1.0, a binary16 value, yet is not 1.
      {"scale_not_binary16_beyond_double",
       kHead + kGemm + "scale g value=1.00000000000000000000001\n",
       3,
       {"is not exactly representable as binary16 (nearest: 1)"}},
      // 1 + 2^-11: a double, halfway between the binary16 values 1 and 1 + 2^-10 (ties to even).
      {"scale_half_ulp",
       kHead + kGemm + "scale g value=1.00048828125\n",
       3,
       {"'value=1.00048828125' is not exactly representable as binary16 (nearest: 1)"}},
      // Far below the smallest subnormal 2^-24 (and below the double range).
      {"scale_tiny",
       kHead + kGemm + "scale g value=5.9604644775390625e-8000\n",
       3,
       {"not exactly representable", "(nearest: 0)"}},
      {"scale_above_max",
       kHead + kGemm + "scale g value=65536\n",
       3,
       {"'value=65536' is outside binary16's finite range (largest magnitude 65504)"}},
      {"scale_above_double",
       kHead + kGemm + "scale g value=-1e400\n",
       3,
       {"outside binary16's finite range"}},
      {"scale_huge_exponent",
       kHead + kGemm + "scale g value=1e99999999999999999999\n",
       3,
       {"outside binary16's finite range"}},
      {"scale_fp4_out",
       kHead + "gemm g m=1 n=1 k=1 a=int4 b=int4 out=fp4:p1\nscale g value=2\n",
       3,
       {"scale 'g': the output is fp4:p1, whose scale is GradScale's (set by the scale unit), "
        "got 'value=2'"}},
      {"scale_fp4_out_file",
       kHead + "gemm g m=1 n=1 k=1 a=int4 b=int4 out=fp4\nscale g file=s.bin\n",
       3,
       {"the output is fp4:p0", "got 'file=s.bin'"}},
      {"scale_empty_file",
       kHead + kGemm + "scale g file=\n",
       3,
       {"scale 'g': expected file=<file>, got 'file='"}},
      {"scale_twice",
       kHead + kGemm + "scale g value=2\nscale g file=s.bin\n",
       4,
       {"scale 'g': already given on line 3"}},
      // expect.
      {"expect_no_fields", kHead + kGemm + "expect g\n", 3, {"expect 'g': expected crc=0x<hex>"}},
      {"expect_decimal",
       kHead + kGemm + "expect g crc=123\n",
       3,
       {"expect 'g': expected crc=0x<hex> (1 to 8 hexadecimal digits), got 'crc=123'"}},
      {"expect_no_digits", kHead + kGemm + "expect g crc=0x\n", 3, {"got 'crc=0x'"}},
      {"expect_nine_digits",
       kHead + kGemm + "expect g crc=0x123456789\n",
       3,
       {"got 'crc=0x123456789'"}},
      {"expect_upper_x", kHead + kGemm + "expect g crc=0X12\n", 3, {"got 'crc=0X12'"}},
      {"expect_not_hex", kHead + kGemm + "expect g crc=0xg\n", 3, {"got 'crc=0xg'"}},
      {"expect_sign", kHead + kGemm + "expect g crc=-0x1\n", 3, {"got 'crc=-0x1'"}},
      {"expect_unknown_field",
       kHead + kGemm + "expect g sum=0x1\n",
       3,
       {"expect 'g': unknown field 'sum' in 'sum=0x1' (fields: crc)"}},
      {"expect_twice",
       kHead + kGemm + "expect g crc=0x1\n\nexpect g crc=0x1\n",
       5,
       {"expect 'g': already given on line 3"}},
  };
}

class TraceErrors : public testing::TestWithParam<ErrorCase> {};

TEST_P(TraceErrors, Rejected) {
  const ErrorCase& c = GetParam();
  try {
    parse(c.text, "dir/t.trace");
    FAIL() << "accepted:\n" << c.text;
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_EQ(e.file(), "dir/t.trace");
    EXPECT_EQ(e.line(), c.line) << what;
    const std::string where =
        c.line > 0 ? "dir/t.trace:" + std::to_string(c.line) + ": " : "dir/t.trace: ";
    EXPECT_EQ(what.rfind(where, 0), 0U) << what;
    for (const std::string& needle : c.needles) {
      EXPECT_NE(what.find(needle), std::string::npos) << "'" << needle << "' not in: " << what;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Trace, TraceErrors, testing::ValuesIn(error_cases()),
                         [](const testing::TestParamInfo<ErrorCase>& param_info) {
                           return std::string(param_info.param.label);
                         });

TEST(TraceParse, CrlfErrorMessageHasNoCarriageReturn) {
  try {
    parse("nibble-trace 1\r\ngemm g m=x n=1 k=1 a=int4 b=int4\r\n");
    FAIL() << "accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(e.line(), 2);
    EXPECT_EQ(std::string(e.what()), "t.trace:2: gemm 'g': expected m=<int>, got 'm=x'");
  }
}

TEST(TraceParse, ErrorMessageExample) {
  // The example of docs/trace-format.md, verbatim.
  try {
    parse(kHead + "workload w\n\n" + std::string(8, '\n') +
              "gemm conv1 m=1 n=1 k=abc a=int4 b=int4\n",
          "traces/x.trace");
    FAIL() << "accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()),
              "traces/x.trace:12: gemm 'conv1': expected k=<int>, got 'k=abc'");
  }
}

// --- write_trace -----------------------------------------------------------------------------

GemmSpec make_gemm(const std::string& name, int64_t m, int64_t n, int64_t k, FormatSpec a,
                   FormatSpec b) {
  GemmSpec g;
  g.name = name;
  g.m = m;
  g.n = n;
  g.k = k;
  g.a = a;
  g.b = b;
  return g;
}

TEST(TraceWrite, CanonicalText) {
  Workload w;
  w.name = "w1";
  GemmSpec g = make_gemm("conv1.dgrad", 12544, 147, 64, {Format::kFp4, 0}, {Format::kInt4, 0});
  g.pass = Pass::kDgrad;
  w.gemms.push_back(g);
  GemmSpec h = make_gemm("x", 1, 2, 3, {Format::kFp16, 0}, {Format::kFp16, 0});
  h.out = {Format::kFp32, 0};
  h.repeat = 5;
  w.gemms.push_back(h);
  EXPECT_EQ(nibble::frontend::write_trace(w),
            "nibble-trace 1\n"
            "workload w1\n"
            "gemm conv1.dgrad m=12544 n=147 k=64 a=fp4:p0 b=int4 out=fp16 pass=dgrad repeat=1\n"
            "gemm x m=1 n=2 k=3 a=fp16 b=fp16 out=fp32 pass=- repeat=5\n");
  w.name.clear();
  EXPECT_EQ(nibble::frontend::write_trace(w).find("workload"), std::string::npos);
}

TEST(TraceWrite, RejectsWhatCannotBeReadBack) {
  const Workload good = parse(kHead + "workload w\n" + kGemm);
  ASSERT_NO_THROW(nibble::frontend::write_trace(good));
  struct Bad {
    const char* needle;
    Workload w;
  };
  std::vector<Bad> bads;
  const auto with = [&](const char* needle, auto mutate) {
    Workload w = good;
    mutate(w);
    bads.push_back({needle, w});
  };
  with("at least one GEMM", [](Workload& w) { w.gemms.clear(); });
  with("invalid workload name 'a b'", [](Workload& w) { w.name = "a b"; });
  with("invalid gemm name ''", [](Workload& w) { w.gemms[0].name = ""; });
  with("invalid gemm name 'a#b'", [](Workload& w) { w.gemms[0].name = "a#b"; });
  with("name used twice", [](Workload& w) { w.gemms.push_back(w.gemms[0]); });
  with("m=0 is out of range", [](Workload& w) { w.gemms[0].m = 0; });
  with("k=2147483648 is out of range", [](Workload& w) { w.gemms[0].k = kInt32Max + 1; });
  with("repeat=-1 is out of range", [](Workload& w) { w.gemms[0].repeat = -1; });
  with("a=int4:p1 is not a valid format", [](Workload& w) { w.gemms[0].a.tpr_phase = 1; });
  with("out=fp4:p2 is not a valid format", [](Workload& w) { w.gemms[0].out = {Format::kFp4, 2}; });
  with("invalid pass", [](Workload& w) { w.gemms[0].pass = static_cast<Pass>(7); });
  with("operand pair a=fp4:p0 b=fp4:p1", [](Workload& w) {
    w.gemms[0].a = {Format::kFp4, 0};
    w.gemms[0].b = {Format::kFp4, 1};
  });
  with("overflows int64",
       [](Workload& w) { w.gemms[0].m = w.gemms[0].n = w.gemms[0].k = kInt32Max; });
  with("total MACs", [](Workload& w) {
    GemmSpec& g = w.gemms[0];
    g.m = g.n = g.k = 1 << 20;
    g.repeat = 7;
    w.gemms.push_back(g);
    w.gemms.back().name = "g2";
  });
  for (const Bad& bad : bads) {
    try {
      nibble::frontend::write_trace(bad.w);
      ADD_FAILURE() << "no error for: " << bad.needle;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(bad.needle), std::string::npos)
          << "'" << bad.needle << "' not in: " << e.what();
    }
  }
}

TEST(TraceWrite, DataCommands) {
  Workload w;
  w.name = "w";
  w.seed = 18446744073709551615ULL;
  GemmSpec g = make_gemm("g", 8, 4, 2, {Format::kUint4, 0}, {Format::kInt4, 0});
  g.out = {Format::kInt4, 0};
  g.data.a_file = "dir/a.bin";
  g.data.scale = 0x1p-24;
  g.data.expect_crc = 0xABCu;
  w.gemms.push_back(g);
  GemmSpec h = make_gemm("h", 1, 1, 1, {Format::kFp4, 1}, {Format::kInt4, 0});
  h.data.b_file = "/abs/b.bin";
  h.data.scale_file = "s.bin";
  w.gemms.push_back(h);
  GemmSpec x = make_gemm("x", 1, 1, 1, {Format::kInt4, 0}, {Format::kInt4, 0});
  x.data.scale = -65504.0;
  w.gemms.push_back(x);
  const std::string text = nibble::frontend::write_trace(w);
  EXPECT_EQ(text,
            "nibble-trace 1\n"
            "workload w\n"
            "seed 18446744073709551615\n"
            "gemm g m=8 n=4 k=2 a=uint4 b=int4 out=int4 pass=- repeat=1\n"
            "load g a=dir/a.bin\n"
            "scale g value=0.000000059604644775390625\n"
            "expect g crc=0x00000abc\n"
            "gemm h m=1 n=1 k=1 a=fp4:p1 b=int4 out=fp16 pass=- repeat=1\n"
            "load h b=/abs/b.bin\n"
            "scale h file=s.bin\n"
            "gemm x m=1 n=1 k=1 a=int4 b=int4 out=fp16 pass=- repeat=1\n"
            "scale x value=-65504\n");
  const Workload back = parse(text);
  expect_same_specs(w, back);
  EXPECT_EQ(back.seed_where.line, 3);
  EXPECT_EQ(back.gemms[0].data.load_where.line, 5);
  EXPECT_EQ(back.gemms[1].data.scale_where.line, 10);
  // Seed 0 is the default and is not written.
  w.seed = 0;
  EXPECT_EQ(nibble::frontend::write_trace(w).find("seed"), std::string::npos);
}

TEST(TraceWrite, RejectsDataThatCannotBeReadBack) {
  const Workload good = parse(kHead + "gemm g m=1 n=1 k=1 a=int4 b=int4 out=int4\n");
  const auto message = [&](auto mutate) -> std::string {
    Workload w = good;
    mutate(w.gemms[0]);
    try {
      nibble::frontend::write_trace(w);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "no error";
  };
  const auto has = [](const std::string& what, const std::string& needle) {
    return what.find(needle) != std::string::npos;
  };
  std::string m = message([](GemmSpec& g) { g.data.scale = 0.1; });
  EXPECT_TRUE(has(m, "gemm 'g': scale value 0.10000000000000001 is not exactly representable"))
      << m;
  m = message([](GemmSpec& g) { g.data.scale = 0.0; });
  EXPECT_TRUE(has(m, "must be nonzero")) << m;
  m = message([](GemmSpec& g) { g.data.scale = 65536.0; });
  EXPECT_TRUE(has(m, "outside binary16's finite range")) << m;
  m = message([](GemmSpec& g) { g.data.scale = std::numeric_limits<double>::quiet_NaN(); });
  EXPECT_TRUE(has(m, "outside binary16's finite range")) << m;
  m = message([](GemmSpec& g) {
    g.data.scale = 2.0;
    g.data.scale_file = "s.bin";
  });
  EXPECT_TRUE(has(m, "both a scale value and a scale file")) << m;
  m = message([](GemmSpec& g) {
    g.out = {Format::kFp4, 0};
    g.data.scale = 2.0;
  });
  EXPECT_TRUE(has(m, "a scale for an fp4 output")) << m;
  m = message([](GemmSpec& g) { g.data.a_file = "a b.bin"; });
  EXPECT_TRUE(has(m, "file name 'a b.bin' cannot be written")) << m;
  m = message([](GemmSpec& g) { g.data.scale_file = "s#.bin"; });
  EXPECT_TRUE(has(m, "file name 's#.bin' cannot be written")) << m;
  m = message([](GemmSpec& g) {
    g.a = g.b = {Format::kFp16, 0};
    g.data.expect_crc = 1;
  });
  EXPECT_TRUE(has(m, "data commands apply to GEMMs of 4-bit operands, not a=fp16 b=fp16")) << m;
}

// Random workloads of valid GEMMs, some with data commands: write, parse back, compare; writing
// again is a fixed point.
// Random data commands for a GEMM of 4-bit operands.
template <typename Uniform>
void add_random_data(GemmSpec& g, const Uniform& uniform) {
  const std::string path_chars = "abcXYZ019_./-+=:~";
  const auto random_path = [&] {
    std::string s;
    for (int64_t i = uniform(1, 10); i > 0; --i) {
      s += path_chars[size_t(uniform(0, int64_t(path_chars.size()) - 1))];
    }
    return s;
  };
  const int64_t load = uniform(0, 3);  // none, a, b, both
  if (load & 1) {
    g.data.a_file = random_path();
  }
  if (load & 2) {
    g.data.b_file = random_path();
  }
  if (g.out.format != Format::kFp4) {
    const int64_t scale = uniform(0, 2);  // none, value, file
    if (scale == 1) {
      // A random finite nonzero binary16 value: sign, exponent field 0..30, mantissa.
      const int64_t exponent = uniform(0, 30);
      const int64_t mantissa = uniform(exponent == 0 ? 1 : 0, 1023);
      const double magnitude = exponent == 0
                                   ? std::ldexp(double(mantissa), -24)
                                   : std::ldexp(1024.0 + double(mantissa), int(exponent) - 25);
      g.data.scale = uniform(0, 1) == 0 ? magnitude : -magnitude;
    } else if (scale == 2) {
      g.data.scale_file = random_path();
    }
  }
  if (uniform(0, 1) == 0) {
    g.data.expect_crc = uint32_t(uniform(0, 0xFFFFFFFFLL));
  }
}

TEST(TraceWrite, RoundTripRandomWorkloads) {
  std::mt19937_64 rng(0x5eed'4b17);
  const std::string chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:/+-";
  const auto uniform = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  const auto random_name = [&] {
    std::string s;
    for (int64_t i = uniform(1, 12); i > 0; --i) {
      s += chars[size_t(uniform(0, int64_t(chars.size()) - 1))];
    }
    return s;
  };
  // Counts up to 2^14: one GEMM has at most 2^56 MACs, and 20 of them fewer than 2^61.
  const auto count = [&] { return uniform(1, int64_t(1) << uniform(0, 14)); };
  std::vector<std::pair<FormatSpec, FormatSpec>> pairs;
  for (const auto& [a, sa] : all_specs()) {
    for (const auto& [b, sb] : all_specs()) {
      if (pair_allowed(a, b)) {
        pairs.emplace_back(sa, sb);
      }
    }
  }
  ASSERT_EQ(pairs.size(), 12U + 4U + 1U);  // 4-bit: int x (int, fp4) 8, fp4 x int 4; fp8 4
  const Pass passes[] = {Pass::kNone, Pass::kFwd, Pass::kDgrad, Pass::kWgrad};
  for (int trial = 0; trial < 300; ++trial) {
    Workload w;
    w.name = uniform(0, 2) == 0 ? "" : random_name();
    const int64_t n_gemms = uniform(1, 20);
    for (int64_t i = 0; i < n_gemms; ++i) {
      const auto& [a, b] = pairs[size_t(uniform(0, int64_t(pairs.size()) - 1))];
      GemmSpec g =
          make_gemm(random_name() + "_" + std::to_string(i), count(), count(), count(), a, b);
      g.repeat = count();
      if (uniform(0, 19) == 0) {
        g.m = kInt32Max;
        g.n = g.k = g.repeat = 1;
      }
      g.out = all_specs()[size_t(uniform(0, int64_t(all_specs().size()) - 1))].second;
      g.pass = passes[size_t(uniform(0, 3))];
      if (nibble::num::is_4bit(a.format) && uniform(0, 1) == 0) {
        add_random_data(g, uniform);
      }
      w.gemms.push_back(g);
    }
    w.seed = uniform(0, 1) == 0 ? 0 : uint64_t(uniform(0, kInt32Max)) << uniform(0, 32);
    const std::string text = nibble::frontend::write_trace(w);
    SCOPED_TRACE(text);
    const Workload back = parse(text, "rt.trace");
    expect_same_specs(w, back);
    // Each GEMM's where is the line of the text that starts with "gemm <name> ".
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
      lines.push_back(line);
    }
    for (const GemmSpec& g : back.gemms) {
      EXPECT_EQ(g.where.file, "rt.trace");
      ASSERT_GE(g.where.line, 1);
      ASSERT_LE(size_t(g.where.line), lines.size());
      EXPECT_EQ(lines[size_t(g.where.line - 1)].rfind("gemm " + g.name + " ", 0), 0U);
    }
    EXPECT_EQ(nibble::frontend::write_trace(back), text);
    if (testing::Test::HasFailure()) {
      break;
    }
  }
}

// --- the shipped traces in traces/ -----------------------------------------------------------

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::filesystem::path> shipped_traces() {
  std::vector<std::filesystem::path> paths;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::filesystem::path(NIBBLE_SOURCE_DIR) / "traces")) {
    if (entry.path().extension() == ".trace") {
      paths.push_back(entry.path());
    }
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

TEST(TraceShipped, ExpectedFilesArePresent) {
  std::set<std::string> names;
  for (const auto& p : shipped_traces()) {
    names.insert(p.filename().string());
  }
  for (const char* expected :
       {"example.trace", "resnet18_train_b32.trace", "resnet50_train_b32.trace",
        "alexnet_train_b32.trace", "bert_base_train_s128.trace", "resnet18_train_b32_sun2020.trace",
        "resnet50_train_b32_sun2020.trace", "alexnet_train_b32_sun2020.trace"}) {
    EXPECT_EQ(names.count(expected), 1U) << expected;
  }
}

// The sun2020 recipe (docs/trace-format.md, "Precision recipes") on ResNet-50, checked from the
// network's structure as torchvision builds it, not from the generator: conv1 and fc in FP16;
// every bottleneck's conv1 and conv3 and every downsample (1x1 convolutions) in hybrid FP8
// (fwd E4M3 x E4M3, dgrad E5M2 x E4M3, wgrad E4M3 x E5M2); every conv2 (3x3) 4-bit as in the
// all-4-bit trace; and the same GEMMs, shapes and total as that trace.
TEST(TraceShipped, Sun2020RecipeOnResNet50) {
  const auto dir = std::filesystem::path(NIBBLE_SOURCE_DIR) / "traces";
  const Workload all4 =
      nibble::frontend::read_trace_file((dir / "resnet50_train_b32.trace").string());
  const Workload sun =
      nibble::frontend::read_trace_file((dir / "resnet50_train_b32_sun2020.trace").string());
  ASSERT_EQ(sun.gemms.size(), all4.gemms.size());
  int fp16 = 0, fp8 = 0, four = 0;
  for (size_t i = 0; i < sun.gemms.size(); ++i) {
    const GemmSpec& g = sun.gemms[i];
    const GemmSpec& base = all4.gemms[i];
    SCOPED_TRACE(g.name);
    ASSERT_EQ(g.name, base.name);
    EXPECT_EQ(g.m, base.m);
    EXPECT_EQ(g.n, base.n);
    EXPECT_EQ(g.k, base.k);
    EXPECT_EQ(g.pass, base.pass);
    const std::string layer = g.name.substr(0, g.name.rfind('.'));
    const std::string pass = g.name.substr(g.name.rfind('.') + 1);
    const auto ends = [&](const std::string& tail) {
      return layer.size() >= tail.size() &&
             layer.compare(layer.size() - tail.size(), tail.size(), tail) == 0;
    };
    if (layer == "conv1" || layer == "fc") {
      EXPECT_EQ(g.a.format, Format::kFp16);
      EXPECT_EQ(g.b.format, Format::kFp16);
      ++fp16;
    } else if (ends(".conv1") || ends(".conv3") || ends(".downsample")) {
      const Format e4 = Format::kFp8E4M3, e5 = Format::kFp8E5M2;
      EXPECT_EQ(g.a.format, pass == "dgrad" ? e5 : e4);
      EXPECT_EQ(g.b.format, pass == "wgrad" ? e5 : e4);
      ++fp8;
    } else {
      EXPECT_TRUE(ends(".conv2")) << "a 3x3 convolution";
      EXPECT_EQ(g.a.format, base.a.format);
      EXPECT_EQ(g.b.format, base.b.format);
      EXPECT_EQ(g.a.tpr_phase, base.a.tpr_phase);
      EXPECT_EQ(g.b.tpr_phase, base.b.tpr_phase);
      ++four;
    }
    EXPECT_EQ(g.out.format, Format::kFp16);
  }
  // 16 bottlenecks x (conv1, conv3) + 4 downsamples = 36 1x1 convolutions; 16 conv2; 2 edges.
  EXPECT_EQ(fp8, 36 * 3);
  EXPECT_EQ(four, 16 * 3);
  EXPECT_EQ(fp16, 2 * 3);
  const auto total = [](const Workload& w) {
    int64_t macs = 0;
    for (const GemmSpec& g : w.gemms) macs += g.macs() * g.repeat;
    return macs;
  };
  EXPECT_EQ(total(sun), total(all4));
}

// The values of every "# total_macs=<n>" line of a trace's text.
std::vector<std::string> total_macs_comments(const std::string& text) {
  const std::string key = "# total_macs=";
  std::vector<std::string> values;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    if (line.rfind(key, 0) == 0) {
      values.push_back(line.substr(key.size()));
    }
  }
  return values;
}

// Every shipped trace parses, and its MACs equal the total_macs comment, which the generator
// computed from the workload table's macs column (or, for example.trace, a person by hand).
TEST(TraceShipped, ParseAndMatchTotalMacs) {
  for (const auto& path : shipped_traces()) {
    SCOPED_TRACE(path.string());
    Workload w;
    ASSERT_NO_THROW(w = nibble::frontend::read_trace_file(path.string()));
    EXPECT_FALSE(w.name.empty());
    const std::vector<std::string> totals = total_macs_comments(read_text(path));
    ASSERT_EQ(totals.size(), 1U) << "expected one '# total_macs=<n>' line";
    ASSERT_FALSE(totals[0].empty());
    ASSERT_EQ(totals[0].find_first_not_of("0123456789"), std::string::npos) << totals[0];
    const int64_t expected = std::stoll(totals[0]);
    int64_t total = 0;
    for (const GemmSpec& g : w.gemms) {
      total += g.macs() * g.repeat;
    }
    EXPECT_EQ(total, expected);
  }
}

// The generated traces are in canonical form: their non-comment lines are write_trace's text.
TEST(TraceShipped, GeneratedTracesAreCanonical) {
  int generated = 0;
  for (const auto& path : shipped_traces()) {
    const std::string text = read_text(path);
    if (text.find("by tools/gen_traces.py") == std::string::npos) {
      continue;
    }
    SCOPED_TRACE(path.string());
    ++generated;
    std::istringstream in(text);
    std::string line;
    std::string body;
    while (std::getline(in, line)) {
      if (!line.empty() && line[0] != '#') {
        body += line + "\n";
      }
    }
    EXPECT_EQ(body,
              nibble::frontend::write_trace(nibble::frontend::read_trace_file(path.string())));
  }
  EXPECT_EQ(generated, 7);  // four all-4-bit steps, three sun2020 ones
}

TEST(TraceShipped, ExampleShowsEveryFormatAndPass) {
  const Workload w = nibble::frontend::read_trace_file(
      (std::filesystem::path(NIBBLE_SOURCE_DIR) / "traces" / "example.trace").string());
  std::set<std::string> formats;
  std::set<Pass> passes;
  bool repeated = false;
  for (const GemmSpec& g : w.gemms) {
    formats.insert({format_spec_name(g.a), format_spec_name(g.b), format_spec_name(g.out)});
    passes.insert(g.pass);
    repeated = repeated || g.repeat > 1;
  }
  EXPECT_EQ(formats.size(), all_specs().size());
  EXPECT_EQ(passes.size(), 4U);
  EXPECT_TRUE(repeated);
  // Data commands: a seed and a scale (load and expect would need files and a computed CRC).
  EXPECT_EQ(w.seed, 2024U);
  EXPECT_TRUE(std::any_of(w.gemms.begin(), w.gemms.end(),
                          [](const GemmSpec& g) { return g.data.scale.has_value(); }));
}

}  // namespace
