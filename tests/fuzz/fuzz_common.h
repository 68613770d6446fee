// What the fuzz targets (tests/fuzz/, docs/fuzzing.md) share: the rule for what is a finding and
// a scratch folder for the parsers that read files.
//
// A finding is anything but a clean rejection: a crash, a sanitizer report, a hang, an
// allocation past libFuzzer's limits, or an exception the CLI would not print as bad input. The
// CLI (model/cli/main.cc) prints frontend::InputError and cli::UsageError as one line with exit
// code 2; any other exception is its "internal error" (exit 1), so here it escapes the target and
// libFuzzer reports it (an uncaught exception aborts).
#ifndef NIBBLE_TESTS_FUZZ_FUZZ_COMMON_H_
#define NIBBLE_TESTS_FUZZ_FUZZ_COMMON_H_

#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "model/cli/command.h"
#include "model/frontend/input_error.h"

namespace nibble::fuzz {

// Runs f; the CLI's bad-input errors are the expected outcome for most inputs.
template <typename F>
void expect_clean(F&& f) {
  try {
    f();
  } catch (const frontend::InputError&) {
  } catch (const cli::UsageError&) {
  }
}

// A documented property that does not hold: report it and abort, so libFuzzer keeps the input.
[[noreturn]] inline void violated(const std::string& what) {
  std::fprintf(stderr, "nibble fuzz: property violated: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

inline std::string text_of(const uint8_t* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

// A folder of this process's own under $TMPDIR (or /tmp), removed when the process exits
// normally (libFuzzer's -max_total_time ends with exit()).
class ScratchDir {
 public:
  static const std::filesystem::path& path() {
    static ScratchDir dir;
    return dir.path_;
  }

 private:
  ScratchDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern =
        std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/nibble_fuzz_XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      violated("mkdtemp failed for " + pattern);
    }
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::filesystem::path path_;
};

// Writes bytes to the scratch folder's file `name` (replacing it) and returns its path.
inline std::string write_scratch_file(const std::string& name, const std::string& bytes) {
  const std::filesystem::path p = ScratchDir::path() / name;
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) {
    violated("cannot write the scratch file " + p.string());
  }
  return p.string();
}

}  // namespace nibble::fuzz

#endif  // NIBBLE_TESTS_FUZZ_FUZZ_COMMON_H_
