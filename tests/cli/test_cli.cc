// The nibble program's contract with its users: exit codes, one-line errors, that
// `nibble formats` prints what model/numerics defines, and that `nibble config` prints a config
// that reads back.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/run_command.h"

namespace {

using nibble::test::run_command;

const std::string kNibble = NIBBLE_BINARY;

size_t lines(const std::string& s) { return size_t(std::count(s.begin(), s.end(), '\n')); }

TEST(Cli, HelpAndVersionExitZero) {
  const auto help = run_command(kNibble + " --help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("formats"), std::string::npos);
  const auto version = run_command(kNibble + " --version");
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out.rfind("nibble ", 0), 0U);
}

TEST(Cli, NoCommandIsAUsageError) {
  const auto r = run_command(kNibble);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(r.out.empty());
}

TEST(Cli, UnknownCommandIsOneLineExit2) {
  const auto r = run_command(kNibble + " frobnicate");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(lines(r.err), 1U) << r.err;
  EXPECT_NE(r.err.find("frobnicate"), std::string::npos);
}

TEST(Cli, UnknownOptionIsOneLineExit2) {
  const auto r = run_command(kNibble + " formats --no-such-flag");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(lines(r.err), 1U) << r.err;
  EXPECT_NE(r.err.find("no-such-flag"), std::string::npos);
  EXPECT_TRUE(r.out.empty());
}

TEST(Cli, BadValueIsOneLineExit2) {
  for (const char* bad : {"--fp4-bias 1", "--fp4-bias 14", "--fp4-bias x", "--fp4-bias"}) {
    const auto r = run_command(kNibble + " formats " + bad);
    EXPECT_EQ(r.exit_code, 2) << bad;
    EXPECT_EQ(lines(r.err), 1U) << bad << ": " << r.err;
    EXPECT_TRUE(r.out.empty()) << bad;
  }
}

TEST(Cli, FormatsPrintsTheTables) {
  const auto r = run_command(kNibble + " formats");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Independent facts of the formats: INT4 0x8 is -8, UINT4 0xF is 15, FP4 0x7 at bias 7 is
  // 2^0 in phase 0 and 2^1 in phase 1, FP16's largest finite value is 65504.
  EXPECT_NE(r.out.find("0x8   1000    -8      8"), std::string::npos);
  EXPECT_NE(r.out.find("0xF   1111    -1     15"), std::string::npos);
  EXPECT_NE(r.out.find("+2^0 = 1"), std::string::npos);
  EXPECT_NE(r.out.find("+2^1 = 2"), std::string::npos);
  EXPECT_NE(r.out.find("65504"), std::string::npos);
  const auto biased = run_command(kNibble + " formats --fp4-bias 4");
  ASSERT_EQ(biased.exit_code, 0);
  EXPECT_NE(biased.out.find("+2^6 = 64"), std::string::npos);  // field 7, bias 4: 4^3
}

TEST(Cli, OutputIsDeterministic) {
  EXPECT_EQ(run_command(kNibble + " formats").out, run_command(kNibble + " formats").out);
  EXPECT_EQ(run_command(kNibble + " config").out, run_command(kNibble + " config").out);
}

TEST(Cli, RunIsDeterministic) {
  const std::string base = "/tmp/nibble_cli_determinism_" + std::to_string(getpid());
  const std::string cmd =
      kNibble + " run -q --no-plots --trace " + NIBBLE_SOURCE_DIR + "/traces/example.trace -o ";
  const auto first = run_command(cmd + base + "_a");
  const auto second = run_command(cmd + base + "_b");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(first.out, second.out);
  for (const char* f : {"report.json", "layers.csv", "report.md", "config.yaml"}) {
    EXPECT_EQ(nibble::test::read_file(base + "_a/" + f), nibble::test::read_file(base + "_b/" + f))
        << f;
  }
  std::filesystem::remove_all(base + "_a");
  std::filesystem::remove_all(base + "_b");
}

// A file under /tmp holding text, removed at destruction.
class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    static int counter = 0;
    path_ =
        "/tmp/nibble_cli_" + std::to_string(getpid()) + "_" + std::to_string(counter++) + ".yaml";
    std::ofstream(path_) << text;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// An error line quotes input: its control bytes come out as \xNN (an escape sequence must not
// reach the terminal, a newline in a file name must not make two lines), and a huge value is
// cut at 2000 bytes.
TEST(Cli, ErrorLinesEscapeControlBytesAndStayShort) {
  const TempFile esc("nibble-trace 1\ngemm g m=2 n=3 k=4 a=int4 b=int4 pass=\x1b[2J\n");
  const auto r = run_command(kNibble + " run -q --no-plots --trace " + esc.path() + " -o /tmp/" +
                             "nibble_cli_never_" + std::to_string(getpid()));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(lines(r.err), 1U) << r.err;
  EXPECT_NE(r.err.find("got 'pass=\\x1b[2J'"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find('\x1b'), std::string::npos);

  const TempFile huge(
      "nibble-trace 1\ngemm g m=2 n=3 k=4 a=int4 b=int4 pass=" + std::string(1000000, 'x') + "\n");
  const auto h = run_command(kNibble + " run -q --no-plots --trace " + huge.path());
  EXPECT_EQ(h.exit_code, 2);
  EXPECT_EQ(lines(h.err), 1U);
  EXPECT_LT(h.err.size(), 2100U);
  EXPECT_NE(h.err.find(" more bytes)\n"), std::string::npos) << h.err.substr(0, 200);

  const std::string newline_name =
      "/tmp/nibble_cli_" + std::to_string(getpid()) + "_new\nline.trace";
  std::ofstream(newline_name) << "nibble-trace 1\n";
  const auto n = run_command(kNibble + " run -q --no-plots --trace '" + newline_name + "'");
  std::remove(newline_name.c_str());
  EXPECT_EQ(n.exit_code, 2);
  EXPECT_EQ(lines(n.err), 1U) << n.err;
  EXPECT_NE(n.err.find("_new\\x0aline.trace"), std::string::npos) << n.err;
}

TEST(Cli, ConfigPrintsYamlThatReadsBack) {
  const auto plain = run_command(kNibble + " config");
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_TRUE(plain.err.empty());
  EXPECT_NE(plain.out.find("\narray:\n"), std::string::npos);
  EXPECT_NE(plain.out.find("\n  rows: "), std::string::npos);
  EXPECT_NE(plain.out.find("\nclock_ghz: "), std::string::npos);
  const TempFile defaults(plain.out);
  EXPECT_EQ(run_command(kNibble + " config --config " + defaults.path()).out, plain.out);

  const auto changed =
      run_command(kNibble +
                  " config --set array.rows=48 --set dram.bandwidth_bytes_per_cycle=0.1"
                  " --set timing.mode=compat --set pe.lanes=1 --set array.rows=64");
  ASSERT_EQ(changed.exit_code, 0) << changed.err;
  EXPECT_NE(changed.out.find("\n  rows: 64\n"), std::string::npos);  // the last --set wins
  EXPECT_NE(changed.out.find("\n  bandwidth_bytes_per_cycle: 0.1\n"), std::string::npos);
  EXPECT_NE(changed.out.find("\n  mode: compat\n"), std::string::npos);
  const TempFile resolved(changed.out);
  const auto again = run_command(kNibble + " config --config " + resolved.path());
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out, changed.out);
}

TEST(Cli, ConfigListsEveryKey) {
  const auto r = run_command(kNibble + " config --list");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* key :
       {"array.rows", "array.dataflow", "pe.fp16_macs_per_cycle", "sram.banks",
        "sram.double_buffered", "dram.latency_cycles", "timing.mode", "clock_ghz"}) {
    EXPECT_NE(r.out.find(std::string("\n") + key + " "), std::string::npos) << key;
  }
  const auto mixed = run_command(kNibble + " config --list --set array.rows=4");
  EXPECT_EQ(mixed.exit_code, 2);
  EXPECT_EQ(lines(mixed.err), 1U) << mixed.err;
  EXPECT_TRUE(mixed.out.empty());
}

TEST(Cli, ConfigBadSetIsOneLineExit2) {
  for (const char* bad : {"array.rows=0", "array.rows=abc", "array.rows=", "array.rowz=4"}) {
    const auto r = run_command(kNibble + " config --set " + bad);
    EXPECT_EQ(r.exit_code, 2) << bad;
    EXPECT_EQ(lines(r.err), 1U) << bad << ": " << r.err;
    EXPECT_EQ(r.err.rfind("nibble config: error: --set: ", 0), 0U) << r.err;
    EXPECT_NE(r.err.find(std::string(bad).substr(0, 10)), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << bad;
  }
}

TEST(Cli, ConfigBadFileIsOneLineWithFileAndLine) {
  const TempFile bad("array:\n  rows: 16\n  cols: 3.5\n");
  const auto r = run_command(kNibble + " config --config " + bad.path());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(lines(r.err), 1U) << r.err;
  EXPECT_EQ(r.err.rfind("nibble config: error: " + bad.path() + ":3: array.cols: ", 0), 0U)
      << r.err;
  EXPECT_TRUE(r.out.empty());

  const TempFile syntax("array:\n  rows: [16\n");
  const auto s = run_command(kNibble + " config --config " + syntax.path());
  EXPECT_EQ(s.exit_code, 2);
  EXPECT_EQ(lines(s.err), 1U) << s.err;
  EXPECT_EQ(s.err.rfind("nibble config: error: " + syntax.path() + ":", 0), 0U) << s.err;

  const auto missing = run_command(kNibble + " config --config /nonexistent/nibble.yaml");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_EQ(lines(missing.err), 1U) << missing.err;
  EXPECT_NE(missing.err.find("/nonexistent/nibble.yaml: "), std::string::npos) << missing.err;
  EXPECT_TRUE(missing.out.empty());
}

}  // namespace
