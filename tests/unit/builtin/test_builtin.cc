// The files compiled into the binary must be the repository's files, byte for byte: the
// default job must run what traces/ and configs/ say it runs.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "model/builtin/builtin.h"

namespace {

std::string repo_file(const std::string& path) {
  std::ifstream in(std::string(NIBBLE_SOURCE_DIR) + "/" + path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void expect_same(const nibble::builtin::File& f) {
  SCOPED_TRACE(f.path);
  const std::string expected = repo_file(f.path);
  EXPECT_FALSE(expected.empty());
  EXPECT_EQ(std::string(f.content), expected);
}

TEST(Builtin, DefaultTraceIsTheRepositoryFile) {
  expect_same(nibble::builtin::default_trace());
  EXPECT_STREQ(nibble::builtin::default_trace().path, "traces/resnet18_train_b32.trace");
}

TEST(Builtin, DefaultTablesAreTheRepositoryFiles) {
  expect_same(nibble::builtin::default_energy_table());
  expect_same(nibble::builtin::default_area_table());
}

}  // namespace
