#include "model/report/staged_dir.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <system_error>

namespace nibble::report {

namespace fs = std::filesystem;

namespace {

// The staging folders of this process, for the SIGINT/SIGTERM handler: fixed buffers, so the
// handler reads them without allocating. A slot is in use while its path is not empty.
constexpr int kSlots = 8;
constexpr size_t kPathBytes = 4096;
char g_staging[kSlots][kPathBytes];
volatile std::sig_atomic_t g_used[kSlots];

// Removes a staging folder's files and the folder, with async-signal-safe calls only (the
// folder holds files, no subfolders).
void remove_flat_folder(const char* path) {
  const int dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    alignas(8) char buf[4096];
    for (;;) {
      const long n = syscall(SYS_getdents64, dir, buf, sizeof buf);
      if (n <= 0) {
        break;
      }
      for (long off = 0; off < n;) {
        struct Entry {
          uint64_t ino;
          int64_t off;
          unsigned short reclen;
          unsigned char type;
          char name[1];
        };
        const auto* e = reinterpret_cast<const Entry*>(buf + off);
        if (std::strcmp(e->name, ".") != 0 && std::strcmp(e->name, "..") != 0) {
          unlinkat(dir, e->name, 0);
        }
        off += e->reclen;
      }
    }
    close(dir);
  }
  rmdir(path);
}

extern "C" void on_terminate(int sig) {
  for (int i = 0; i < kSlots; ++i) {
    if (g_used[i] != 0) {
      remove_flat_folder(g_staging[i]);
    }
  }
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

int register_staging(const fs::path& path) {
  static const bool installed = [] {
    for (const int sig : {SIGINT, SIGTERM}) {
      struct sigaction sa {};
      sa.sa_handler = on_terminate;
      sigemptyset(&sa.sa_mask);
      struct sigaction old {};
      if (sigaction(sig, nullptr, &old) == 0 && old.sa_handler == SIG_DFL) {
        sigaction(sig, &sa, nullptr);  // not where someone else (a test harness) handles it
      }
    }
    return true;
  }();
  (void)installed;
  const std::string s = path.string();
  for (int i = 0; i < kSlots; ++i) {
    if (g_used[i] == 0 && s.size() < kPathBytes) {
      std::memcpy(g_staging[i], s.c_str(), s.size() + 1);
      g_used[i] = 1;
      return i;
    }
  }
  return -1;  // more than kSlots at once: that one is left to the stale-folder sweep
}

void unregister_staging(int slot) {
  if (slot >= 0) {
    g_used[slot] = 0;
  }
}

// Whether process pid runs: it exists (kill(pid, 0)) and is not a zombie waiting to be reaped.
bool running(pid_t pid) {
  if (kill(pid, 0) != 0 && errno == ESRCH) {
    return false;
  }
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const size_t paren = text.rfind(')');
  return paren == std::string::npos || paren + 2 >= text.size() || text[paren + 2] != 'Z';
}

// Removes the staging folders of `final` that processes no longer running left behind (after
// a SIGKILL): ".<name>.partial-<pid>" beside it, pid neither running nor a zombie.
void remove_stale_staging(const fs::path& parent, const std::string& name) {
  const std::string prefix = "." + name + ".partial-";
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(parent, ec)) {
    const std::string file = entry.path().filename().string();
    if (file.compare(0, prefix.size(), prefix) != 0 || file.size() == prefix.size() ||
        file.find_first_not_of("0123456789", prefix.size()) != std::string::npos ||
        file.size() - prefix.size() > 9) {
      continue;
    }
    const auto pid = static_cast<pid_t>(std::stol(file.substr(prefix.size())));
    if (pid != getpid() && !running(pid)) {
      std::error_code ignored;
      fs::remove_all(entry.path(), ignored);
    }
  }
}

}  // namespace

StagedDir::StagedDir(fs::path final_dir) : final_(std::move(final_dir)) {
  if (final_.filename().empty()) {
    final_ = final_.parent_path();
  }
  if (fs::exists(final_) && !fs::is_directory(final_)) {
    throw fs::filesystem_error("output path exists and is not a folder", final_,
                               std::make_error_code(std::errc::not_a_directory));
  }
  const fs::path parent = final_.has_parent_path() ? final_.parent_path() : fs::path(".");
  for (fs::path p = parent; !p.empty() && !fs::exists(p); p = p.parent_path()) {
    created_.push_back(p);
    if (!p.has_parent_path() || p.parent_path() == p) {
      break;
    }
  }
  fs::create_directories(parent);
  remove_stale_staging(parent, final_.filename().string());
  staging_ = parent / ("." + final_.filename().string() + ".partial-" + std::to_string(getpid()));
  fs::remove_all(staging_);
  fs::create_directory(staging_);
  slot_ = register_staging(staging_);
}

StagedDir::~StagedDir() {
  unregister_staging(slot_);
  if (!committed_) {
    std::error_code ignored;  // best effort: a destructor must not throw
    fs::remove_all(staging_, ignored);
    for (const fs::path& p : created_) {
      fs::remove(p, ignored);  // only if empty: never what another process put there
    }
  }
}

void StagedDir::write_file(const std::string& name, const std::string& content) const {
  const fs::path path = staging_ / name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  if (!out) {
    throw std::runtime_error("cannot write " + (final_ / name).string());
  }
}

void StagedDir::commit() {
  unregister_staging(slot_);
  slot_ = -1;
  if (!fs::exists(final_)) {
    fs::rename(staging_, final_);
  } else {
    if (!fs::is_directory(final_)) {
      throw fs::filesystem_error("output path exists and is not a folder", final_,
                                 std::make_error_code(std::errc::not_a_directory));
    }
    // All or nothing: a file that cannot replace what is there (a folder of its name) stops
    // the commit before anything is moved.
    for (const auto& entry : fs::directory_iterator(staging_)) {
      const fs::path target = final_ / entry.path().filename();
      if (fs::is_directory(fs::symlink_status(target))) {
        throw fs::filesystem_error("a folder is in the way", target,
                                   std::make_error_code(std::errc::is_a_directory));
      }
    }
    for (const auto& entry : fs::directory_iterator(staging_)) {
      fs::rename(entry.path(), final_ / entry.path().filename());
    }
    fs::remove(staging_);
  }
  committed_ = true;
}

StagedFile::StagedFile(fs::path final_path) : final_(std::move(final_path)) {
  const fs::file_status s = fs::symlink_status(final_);
  if (fs::is_directory(s)) {
    throw fs::filesystem_error("is a folder", final_,
                               std::make_error_code(std::errc::is_a_directory));
  }
  // Only a new path or a regular file is replaced: never a device, a FIFO, a socket or a
  // symbolic link (the rename would put a file in place of /dev/null, or of the link).
  if (fs::exists(s) && !fs::is_regular_file(s)) {
    throw fs::filesystem_error("exists and is not a regular file", final_,
                               std::make_error_code(std::errc::invalid_argument));
  }
  staging_ = final_;
  staging_ += ".partial";
  std::ofstream claim(staging_, std::ios::binary | std::ios::trunc);
  if (!claim) {
    throw fs::filesystem_error("cannot create", staging_,
                               std::error_code(errno, std::generic_category()));
  }
}

StagedFile::~StagedFile() {
  if (!committed_) {
    std::error_code ignored;  // best effort: a destructor must not throw
    fs::remove(staging_, ignored);
  }
}

void StagedFile::commit() {
  fs::rename(staging_, final_);
  committed_ = true;
}

}  // namespace nibble::report
