#include "model/sweep/runner.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <stdexcept>

#include "model/report/progress.h"

extern char** environ;

namespace nibble::sweep {

namespace fs = std::filesystem;

namespace {

// Writes `text` to path whole: into a temporary file, then renamed.
void write_whole(const fs::path& path, const std::string& text) {
  const fs::path tmp = path.string() + ".partial-" + std::to_string(getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) {
      throw std::runtime_error("cannot write " + tmp.string());
    }
  }
  fs::rename(tmp, path);
}

// The last non-empty line of a file (a failed run's error line).
std::string last_line(const fs::path& path) {
  std::ifstream in(path);
  std::string line;
  std::string last;
  while (std::getline(in, line)) {
    if (!line.empty()) {
      last = line;
    }
  }
  return last;
}

pid_t spawn(const std::vector<std::string>& argv, const fs::path& stderr_path) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  std::vector<char*> args;
  for (const std::string& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));
  }
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
  }
  return pid;
}

// Where a point's `nibble run` writes its stderr: named by this runner's pid too, so that two
// runners of one point (a resubmission while a task still runs) keep apart.
fs::path stderr_path(const fs::path& logs, const Point& p) {
  return logs / (p.id + "." + std::to_string(getpid()) + ".stderr");
}

std::string status_text(int status) {
  if (WIFSIGNALED(status)) {
    return std::string("killed by signal ") + std::to_string(WTERMSIG(status)) + " (" +
           strsignal(WTERMSIG(status)) + ")";
  }
  return "exit status " + std::to_string(WEXITSTATUS(status));
}

}  // namespace

bool is_finished(const fs::path& dir, const Point& p) {
  std::error_code ec;
  return fs::is_directory(point_dir(dir, p), ec);
}

std::string this_program() { return fs::read_symlink("/proc/self/exe").string(); }

RunSummary run_points(const Plan& plan, const fs::path& dir, const std::vector<size_t>& indices,
                      const RunOptions& options) {
  RunSummary summary;
  std::vector<size_t> todo;
  for (size_t i : indices) {
    if (is_finished(dir, plan.points[i])) {
      ++summary.skipped;
    } else {
      todo.push_back(i);
    }
  }
  fs::create_directories(dir / "points");
  const fs::path logs = dir / "logs";
  fs::create_directories(logs);

  report::Progress progress("nibble sweep", "points", static_cast<int64_t>(todo.size()), 0, "",
                            options.quiet);
  progress.always_print_last();
  std::map<pid_t, size_t> running;  // child -> point index
  size_t next = 0;
  int64_t done = 0;
  const int jobs = options.jobs < 1 ? 1 : options.jobs;
  // If anything below throws, the children still running are stopped and waited for: none
  // may go on publishing into the folder after this returns.
  struct Reaper {
    std::map<pid_t, size_t>& running;
    ~Reaper() {
      for (const auto& [pid, index] : running) {
        kill(pid, SIGTERM);
      }
      for (const auto& [pid, index] : running) {
        int status = 0;
        waitpid(pid, &status, 0);
      }
    }
  } reaper{running};
  while (next < todo.size() || !running.empty()) {
    while (next < todo.size() && static_cast<int>(running.size()) < jobs) {
      const Point& p = plan.points[todo[next]];
      std::error_code ec;
      fs::remove(failure_path(dir, p), ec);  // this run decides: a failure again, or none
      std::vector<std::string> argv = {options.program, "run"};
      for (std::string& a : run_arguments(plan, p, dir)) {
        argv.push_back(std::move(a));
      }
      running.emplace(spawn(argv, stderr_path(logs, p)), todo[next]);
      ++next;
    }
    int status = 0;
    const pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw std::runtime_error(std::string("waitpid: ") + std::strerror(errno));
    }
    const auto it = running.find(pid);
    if (it == running.end()) {
      continue;  // not one of ours
    }
    const Point& p = plan.points[it->second];
    running.erase(it);
    const fs::path err = stderr_path(logs, p);
    std::error_code ec;
    // A published folder is a finished point, whatever the exit code: `nibble run` exits 1
    // after writing its reports when an output misses its `expect crc=`, which they record.
    if (is_finished(dir, p)) {
      fs::remove(failure_path(dir, p), ec);
      ++summary.ran;
    } else if (WIFSIGNALED(status) && (WTERMSIG(status) == SIGTERM || WTERMSIG(status) == SIGINT ||
                                       WTERMSIG(status) == SIGHUP)) {
      // Stopped from outside (Ctrl-C, scancel, a time limit): not the point's failure. It
      // stays not run, so the next run or resubmission runs it. (SIGKILL is a failure: an
      // out-of-memory kill would otherwise leave the point not run forever.)
      ++summary.interrupted;
    } else {
      std::string line = last_line(err);
      if (line.empty()) {
        line = "nibble run: " + status_text(status);
      }
      fs::create_directories(failure_path(dir, p).parent_path());
      write_whole(failure_path(dir, p), line + "\n");
      ++summary.failed;
    }
    fs::remove(err, ec);
    ++done;
    progress.update(done, 0, std::to_string(summary.failed) + " failed",
                    done == static_cast<int64_t>(todo.size()));
  }
  // logs/ stays: array tasks of the same sweep may be writing into it now.
  return summary;
}

}  // namespace nibble::sweep
