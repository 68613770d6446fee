// Runs a shell command for tests that exercise the nibble program: captures stdout, stderr
// and the exit code.
#ifndef NIBBLE_TESTS_RUN_COMMAND_H_
#define NIBBLE_TESTS_RUN_COMMAND_H_

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace nibble::test {

struct CommandResult {
  int exit_code;
  std::string out;
  std::string err;
};

inline std::string read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    throw std::runtime_error("cannot read " + path);
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs `command` through /bin/sh with stderr captured to a temporary file.
inline CommandResult run_command(const std::string& command) {
  char err_path[] = "/tmp/nibble_test_stderr_XXXXXX";
  const int fd = mkstemp(err_path);
  if (fd < 0) {
    throw std::runtime_error("mkstemp failed");
  }
  const std::string full = command + " 2>" + err_path;
  FILE* pipe = popen(full.c_str(), "r");
  if (pipe == nullptr) {
    throw std::runtime_error("popen failed: " + command);
  }
  std::string out;
  std::array<char, 4096> buf{};
  size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) {
    out.append(buf.data(), n);
  }
  const int status = pclose(pipe);
  CommandResult r{WIFEXITED(status) ? WEXITSTATUS(status) : -1, out, read_file(err_path)};
  std::remove(err_path);
  return r;
}

}  // namespace nibble::test

#endif  // NIBBLE_TESTS_RUN_COMMAND_H_
