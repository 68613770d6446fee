// The one reader of text input files (model/frontend/input_file.h): the 64 MiB limit, exactly
// at and one byte over it, endless files (/dev/zero), folders and missing files, for the
// whole-file reader and the stream one, and the readers that use them.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <istream>
#include <string>

#include "model/frontend/config.h"
#include "model/frontend/input_error.h"
#include "model/frontend/input_file.h"
#include "model/frontend/scalesim_input.h"
#include "model/frontend/trace.h"

namespace {

namespace fs = std::filesystem;
using nibble::frontend::InputError;
using nibble::frontend::kMaxInputFileBytes;

class InputFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("nibble_input_file_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A file of `size` bytes: `head`, then NUL bytes (sparse: costs no disk).
  std::string file_of_size(const std::string& name, const std::string& head, int64_t size) {
    const fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << head;
    fs::resize_file(p, static_cast<uintmax_t>(size));
    return p.string();
  }

  // The message of the InputError f throws (with line 0), or "" and a test failure.
  template <typename F>
  static std::string file_error(F&& f) {
    try {
      f();
    } catch (const InputError& e) {
      EXPECT_EQ(e.line(), 0) << e.what();
      return e.what();
    }
    ADD_FAILURE() << "no InputError";
    return "";
  }

  fs::path dir_;
};

constexpr const char* kLimit = ": larger than 64 MiB, the limit for ";

TEST_F(InputFile, ReadsAFileOfExactlyTheLimit) {
  const std::string path = file_of_size("max.txt", "abc", kMaxInputFileBytes);
  const std::string text = nibble::frontend::read_input_file(path, "a test file");
  EXPECT_EQ(static_cast<int64_t>(text.size()), kMaxInputFileBytes);
  EXPECT_EQ(text.substr(0, 3), "abc");
  int64_t bytes = 0;
  nibble::frontend::parse_input_file(path, "a test file", [&](std::istream& in) {
    char buf[1 << 16];
    while (in.read(buf, sizeof buf) || in.gcount() > 0) {
      bytes += in.gcount();
    }
  });
  EXPECT_EQ(bytes, kMaxInputFileBytes);
}

TEST_F(InputFile, OneByteOverTheLimitIsAnError) {
  const std::string path = file_of_size("big.txt", "abc", kMaxInputFileBytes + 1);
  EXPECT_EQ(file_error([&] { nibble::frontend::read_input_file(path, "a test file"); }),
            path + kLimit + "a test file");
  EXPECT_EQ(file_error([&] {
              nibble::frontend::parse_input_file(path, "a test file", [](std::istream& in) {
                std::string line;
                while (std::getline(in, line)) {
                }
              });
            }),
            path + kLimit + "a test file");
}

TEST_F(InputFile, EndlessFilesStopAtTheLimit) {
  ASSERT_TRUE(fs::exists("/dev/zero"));
  EXPECT_EQ(file_error([] { nibble::frontend::read_input_file("/dev/zero", "a test file"); }),
            std::string("/dev/zero") + kLimit + "a test file");
  // Each reader: /dev/zero reads as one endless line of NUL bytes.
  const std::string zero = "/dev/zero";
  EXPECT_EQ(file_error([&] { nibble::frontend::read_trace_file(zero); }),
            zero + kLimit + "the trace file");
  EXPECT_EQ(file_error([&] { nibble::frontend::load_config_file(zero); }),
            zero + kLimit + "the config file");
  EXPECT_EQ(file_error([&] { nibble::frontend::read_scalesim_cfg(zero); }),
            zero + kLimit + "the SCALE-Sim config file");
  EXPECT_EQ(file_error([&] {
              nibble::frontend::read_scalesim_topology(zero, nibble::frontend::TopologyForm::kGemm);
            }),
            zero + kLimit + "the SCALE-Sim topology file");
}

TEST_F(InputFile, TheLimitWinsOverAnErrorInTheCutText) {
  // Valid lines up to the limit, then a line cut in the middle: the error is the size, not the
  // cut line.
  const std::string path =
      file_of_size("long.trace", "nibble-trace 1\ngemm g", kMaxInputFileBytes + 7);
  EXPECT_EQ(file_error([&] { nibble::frontend::read_trace_file(path); }),
            path + kLimit + "the trace file");
}

TEST_F(InputFile, FoldersAndMissingFiles) {
  EXPECT_EQ(file_error([&] { nibble::frontend::read_input_file(dir_.string(), "a test file"); }),
            dir_.string() + ": is a directory, not a test file");
  EXPECT_EQ(file_error([&] { nibble::frontend::read_trace_file(dir_.string()); }),
            dir_.string() + ": is a directory, not the trace file");
  const std::string missing = (dir_ / "none.txt").string();
  EXPECT_EQ(file_error([&] { nibble::frontend::read_input_file(missing, "a test file"); }),
            missing + ": cannot open a test file: No such file or directory");
}

}  // namespace
