// What the output-folder tests (test_outputs_crash.cc, test_outputs_race.cc) share: starting a
// nibble process with fork/exec (optionally with the rename-delay preload library,
// rename_delay.cc), waiting for it, and reading an output folder whole, to compare it with a
// reference run's.
#ifndef NIBBLE_TESTS_CLI_OUTPUTS_TEST_UTIL_H_
#define NIBBLE_TESTS_CLI_OUTPUTS_TEST_UTIL_H_

#include <fcntl.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "tests/run_command.h"

namespace nibble::test {

namespace fs = std::filesystem;

// Starts argv (argv[0] a path) with stdout and stderr to the given files and, when
// rename_delay_ms >= 0, the preload library `preload` delaying each staging rename (or only the
// first delay_count ones, when that is >= 0) by that many milliseconds. Returns the child's
// pid; the caller waits for it (wait_for).
// The seed of the crash and race tests' random delays: NIBBLE_CRASH_SEED, else 18.
inline uint64_t crash_seed() {
  const char* s = std::getenv("NIBBLE_CRASH_SEED");
  return s != nullptr ? std::strtoull(s, nullptr, 10) : 18;
}

inline pid_t start(const std::vector<std::string>& argv, const fs::path& out, const fs::path& err,
                   const std::string& preload = "", int rename_delay_ms = -1,
                   int delay_count = -1) {
  std::vector<char*> args;
  for (const std::string& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));
  }
  args.push_back(nullptr);
  std::string asan = "verify_asan_link_order=0";  // a preload before a sanitizer runtime
  if (const char* old = std::getenv("ASAN_OPTIONS")) {
    asan = std::string(old) + ":" + asan;
  }
  const std::string delay = std::to_string(rename_delay_ms);
  const std::string count = std::to_string(delay_count);
  const pid_t pid = fork();
  if (pid < 0) {
    throw std::runtime_error("fork failed");
  }
  if (pid == 0) {
    const int o = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int e = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0) {
      _exit(126);
    }
    if (rename_delay_ms >= 0) {
      setenv("LD_PRELOAD", preload.c_str(), 1);
      setenv("ASAN_OPTIONS", asan.c_str(), 1);
      setenv("NIBBLE_TEST_RENAME_DELAY_MS", delay.c_str(), 1);
      if (delay_count >= 0) {
        setenv("NIBBLE_TEST_RENAME_DELAY_COUNT", count.c_str(), 1);
      }
    }
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

// Waits for pid and returns its wait status.
inline int wait_for(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      throw std::runtime_error("waitpid failed");
    }
  }
  return status;
}

inline std::string status_text(int status) {
  if (WIFEXITED(status)) {
    return "exit " + std::to_string(WEXITSTATUS(status));
  }
  return WIFSIGNALED(status) ? "signal " + std::to_string(WTERMSIG(status)) : "?";
}

// Runs argv to its end; returns its wait status, and its stderr in *err.
inline int run_to_end(const std::vector<std::string>& argv, const fs::path& scratch,
                      std::string* err = nullptr) {
  const pid_t pid = start(argv, scratch / "run.out", scratch / "run.err");
  const int status = wait_for(pid);
  if (err != nullptr) {
    *err = read_file((scratch / "run.err").string());
  }
  return status;
}

// A folder's entries and their bytes (a subfolder, which no output holds, as "NAME/"); nullopt
// when it does not exist.
using Folder = std::map<std::string, std::string>;
inline std::optional<Folder> read_folder(const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(dir, ec))) {
    return std::nullopt;
  }
  Folder f;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (e.is_directory()) {
      f[name + "/"] = "";
    } else {
      f[name] = read_file(e.path().string());
    }
  }
  return f;
}

// The hidden staging folders of `name` in `parent` (".NAME.partial-PID").
inline std::set<std::string> staging_folders(const fs::path& parent, const std::string& name) {
  std::set<std::string> found;
  const std::string prefix = "." + name + ".partial-";
  for (const auto& e : fs::directory_iterator(parent)) {
    const std::string file = e.path().filename().string();
    if (file.rfind(prefix, 0) == 0) {
      found.insert(file);
    }
  }
  return found;
}

// Which of the named references the folder equals exactly (same names, same bytes), or "absent",
// or "partial/mixed:" and each file with the references it equals, when it equals none.
inline std::string which(const std::optional<Folder>& got,
                         const std::vector<std::pair<std::string, Folder>>& refs) {
  if (!got) {
    return "absent";
  }
  for (const auto& [label, ref] : refs) {
    if (*got == ref) {
      return label;
    }
  }
  std::string names;  // each file, with the references it equals
  for (const auto& [name, bytes] : *got) {
    names += " " + name + "(";
    for (const auto& [label, ref] : refs) {
      names += ref.count(name) != 0 && ref.at(name) == bytes ? label + "," : "";
    }
    names += ")";
  }
  return "partial/mixed:" + names;
}

}  // namespace nibble::test

#endif  // NIBBLE_TESTS_CLI_OUTPUTS_TEST_UTIL_H_
