// The nibble program's contract with its users: exit codes, one-line errors, and that
// `nibble formats` prints what model/numerics defines.
#include <gtest/gtest.h>

#include <algorithm>
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
}

}  // namespace
