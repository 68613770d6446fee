#include "model/report/staged_dir.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <system_error>

namespace nibble::report {

namespace fs = std::filesystem;

namespace {

// The staging folders and files and the lock files of this process, for the SIGINT/SIGTERM
// handler: fixed buffers, so the handler reads them without allocating. A slot is in use while
// g_used is not 0: 1 a staging folder, 2 a staging file, 3 a lock file.
constexpr int kSlots = 16;
constexpr size_t kPathBytes = 4096;
char g_staging[kSlots][kPathBytes];
volatile std::sig_atomic_t g_used[kSlots];
enum Kind : int { kFolder = 1, kFile = 2, kLock = 3 };

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
    if (g_used[i] == kFolder) {
      remove_flat_folder(g_staging[i]);
    } else if (g_used[i] == kFile) {
      unlink(g_staging[i]);
    }
  }
  for (int i = 0; i < kSlots; ++i) {  // the claims last: this process holds their locks
    if (g_used[i] == kLock) {
      unlink(g_staging[i]);
    }
  }
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

int register_staging(const fs::path& path, Kind kind = kFolder) {
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
      std::atomic_signal_fence(std::memory_order_release);  // the path before the handler sees it
      g_used[i] = kind;
      return i;
    }
  }
  return -1;  // more than kSlots at once: that one is left behind (a staging folder is swept
              // as stale later, a lock file reused)
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

std::error_code errno_code(int err) { return std::error_code(err, std::generic_category()); }

// Whether the open file fd is the file `path` names now (not removed or replaced since).
bool names(int fd, const fs::path& path) {
  struct stat opened {};
  struct stat now {};
  return ::fstat(fd, &opened) == 0 && ::lstat(path.c_str(), &now) == 0 &&
         opened.st_dev == now.st_dev && opened.st_ino == now.st_ino;
}

// The pid a lock file holds, if that process runs; 0 otherwise (not written yet, or left by a
// process that has ended).
long holder_pid(int fd) {
  char text[24] = {};
  const ssize_t n = ::pread(fd, text, sizeof text - 1, 0);
  if (n <= 0) {
    return 0;
  }
  char* end = nullptr;
  const long pid = std::strtol(text, &end, 10);
  return pid > 0 && end != text && running(static_cast<pid_t>(pid)) ? pid : 0;
}

}  // namespace

OutputBusy::OutputBusy(const fs::path& path, long pid, bool folder)
    : std::runtime_error(path.string() + ": " +
                         (pid == static_cast<long>(getpid())
                              ? std::string("named twice as an output of this run")
                              : "another nibble process " +
                                    (pid > 0 ? "(pid " + std::to_string(pid) + ") " : "") +
                                    "is writing this " + (folder ? "folder" : "file"))),
      path_(path),
      pid_(pid) {}

fs::path OutputClaim::lock_path(const fs::path& target) {
  const fs::path parent = target.has_parent_path() ? target.parent_path() : fs::path(".");
  return parent / ("." + target.filename().string() + ".lock");
}

void OutputClaim::acquire(const fs::path& target, bool folder) {
  release();
  const fs::path lock = lock_path(target);
  // Bounded: the lock file would have to be removed between each open and flock.
  for (int attempt = 0; attempt < 1000; ++attempt) {
    const int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) {
      throw fs::filesystem_error("cannot create its lock file", target, errno_code(errno));
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      if (err == EWOULDBLOCK) {
        const long pid = holder_pid(fd);
        ::close(fd);
        throw OutputBusy(target, pid, folder);
      }
      if (err != EINTR) {  // no flock on this file system (ENOLCK, EOPNOTSUPP): unclaimed
        ::unlink(lock.c_str());
        ::close(fd);
        return;
      }
      ::close(fd);
      continue;
    }
    if (!names(fd, lock)) {
      ::close(fd);  // removed (by the claim's last holder) or replaced since it was opened
      continue;
    }
    const std::string pid = std::to_string(getpid()) + "\n";
    if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
      // The pid only names the holder in a busy message; the lock is what claims.
    }
    fd_ = fd;
    lock_ = lock;
    slot_ = register_staging(lock_, kLock);
    return;
  }
  throw fs::filesystem_error("its lock file keeps changing", target,
                             std::make_error_code(std::errc::device_or_resource_busy));
}

void OutputClaim::release() {
  if (fd_ < 0) {
    return;
  }
  unregister_staging(slot_);
  slot_ = -1;
  // Removed only while locked and still the file locked: a claimant waiting on it then finds
  // the name gone and creates a new one.
  if (names(fd_, lock_)) {
    ::unlink(lock_.c_str());
  }
  ::close(fd_);  // releases the lock
  fd_ = -1;
}

void OutputClaim::remove_if_stale(const fs::path& lock) {
  const int fd = ::open(lock.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    return;
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) == 0 && names(fd, lock)) {
    ::unlink(lock.c_str());
  }
  ::close(fd);
}

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
  try {
    claim_.acquire(final_, true);
  } catch (...) {
    std::error_code ignored;
    for (const fs::path& p : created_) {
      fs::remove(p, ignored);  // only if empty
    }
    throw;
  }
  // Claimed: no other run writes this folder now, so a staging folder of a process no longer
  // running is stale.
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
    claim_.release();  // its lock file first, so that the parents below can be empty
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

namespace {

// rename(from, to) that fails with EEXIST when `to` exists, even as an empty folder (which a
// plain rename would replace). Returns false with errno EEXIST or ENOTEMPTY when `to` exists;
// throws on any other failure. On a file system without RENAME_NOREPLACE (NFS), it checks
// first and renames: a folder that appears in between fails the rename (ENOTEMPTY) unless
// it is empty.
bool rename_new(const fs::path& from, const fs::path& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) {
    return true;
  }
  int err = errno;
  if (err == EINVAL || err == ENOSYS || err == EOPNOTSUPP) {
    if (fs::exists(fs::symlink_status(to))) {
      errno = EEXIST;
      return false;
    }
    if (::rename(from.c_str(), to.c_str()) == 0) {
      return true;
    }
    err = errno;
  }
  if (err == EEXIST || err == ENOTEMPTY) {
    errno = err;
    return false;
  }
  throw fs::filesystem_error("cannot publish", to, std::error_code(err, std::generic_category()));
}

// An exclusive flock on the existing folder `dir`, held until destruction, so that publishing
// into it is never interleaved (the claim already keeps two nibble runs apart; this also keeps
// out one running unclaimed: on a file system without flock on files, or an older nibble).
// ok() is false when `dir` is gone, or is no longer the folder that was locked (replaced
// meanwhile): the caller starts again. On a file system without flock on folders the commit
// goes on unlocked.
class FolderLock {
 public:
  explicit FolderLock(const fs::path& dir) {
    fd_ = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd_ < 0) {
      int err = errno;
      if (err == ENOENT && !fs::exists(fs::symlink_status(dir))) {
        return;  // gone since the rename failed
      }
      err = err == ENOENT ? ENOTDIR : err;  // a symbolic link to nothing
      throw fs::filesystem_error(
          err == ENOTDIR ? "output path exists and is not a folder" : "cannot open", dir,
          std::error_code(err, std::generic_category()));
    }
    while (::flock(fd_, LOCK_EX) != 0 && errno == EINTR) {
    }
    struct stat locked {};
    struct stat now {};
    ok_ = ::fstat(fd_, &locked) == 0 && ::stat(dir.c_str(), &now) == 0 &&
          locked.st_dev == now.st_dev && locked.st_ino == now.st_ino;
  }
  ~FolderLock() {
    if (fd_ >= 0) {
      ::close(fd_);  // releases the lock
    }
  }
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;
  bool ok() const { return ok_; }

 private:
  int fd_ = -1;
  bool ok_ = false;
};

}  // namespace

void StagedDir::commit() {
  unregister_staging(slot_);
  slot_ = -1;
  // A new folder appears by one rename. If the name is taken (before or since the constructor:
  // another run may have published it a moment ago), the folder is locked and the files go in
  // as for any existing folder. Bounded: the folder would have to vanish and reappear each time.
  for (int attempt = 0; attempt < 1000; ++attempt) {
    if (rename_new(staging_, final_)) {
      committed_ = true;
      claim_.release();
      return;
    }
    const FolderLock lock(final_);
    if (lock.ok()) {
      publish_into_existing();
      committed_ = true;
      claim_.release();
      return;
    }
  }
  throw fs::filesystem_error("output folder keeps changing", final_,
                             std::make_error_code(std::errc::device_or_resource_busy));
}

void StagedDir::publish_into_existing() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(staging_)) {
    names.push_back(entry.path().filename().string());
  }
  const auto is_ours = [&names](const std::string& name) {
    return std::find(names.begin(), names.end(), name) != names.end();
  };
  // All or nothing: a file that cannot replace what is there (a folder of its name) stops the
  // commit before anything is moved.
  for (const std::string& name : names) {
    const fs::path target = final_ / name;
    if (fs::is_directory(fs::symlink_status(target))) {
      throw fs::filesystem_error("a folder is in the way", target,
                                 std::make_error_code(std::errc::is_a_directory));
    }
  }
  // A folder that holds nothing but files this run writes (an earlier run's output) is swapped
  // with the staging folder in one step, so it is at every moment the old output or the new
  // one, whole. Anything else in it (other files, folders) stays, so the files are moved in one
  // by one; each is whole, but a SIGKILL between two moves leaves some of the old ones.
  bool only_ours = fs::is_directory(fs::symlink_status(final_));
  for (const auto& entry : fs::directory_iterator(final_)) {
    only_ours = only_ours && fs::is_regular_file(entry.symlink_status()) &&
                is_ours(entry.path().filename().string());
  }
  if (only_ours &&
      ::renameat2(AT_FDCWD, staging_.c_str(), AT_FDCWD, final_.c_str(), RENAME_EXCHANGE) == 0) {
    // staging_ now names the old folder. Anything put into the folder since it was listed goes
    // back; the rest of the old output is removed.
    for (const auto& entry : fs::directory_iterator(staging_)) {
      const std::string name = entry.path().filename().string();
      if (!is_ours(name)) {
        std::error_code ignored;
        fs::rename(entry.path(), final_ / name, ignored);
      }
    }
    std::error_code ignored;  // a leftover is swept as stale once this process has ended
    fs::remove_all(staging_, ignored);
    return;
  }
  for (const std::string& name : names) {
    fs::rename(staging_ / name, final_ / name);
  }
  fs::remove(staging_);
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
  claim_.acquire(final_, false);  // from here, FILE.partial is this process's alone
  staging_ = final_;
  staging_ += ".partial";
  std::ofstream staged(staging_, std::ios::binary | std::ios::trunc);
  if (!staged) {
    throw fs::filesystem_error("cannot create", staging_,
                               std::error_code(errno, std::generic_category()));
  }
  slot_ = register_staging(staging_, kFile);
}

StagedFile::~StagedFile() {
  unregister_staging(slot_);
  if (!committed_) {
    std::error_code ignored;  // best effort: a destructor must not throw
    fs::remove(staging_, ignored);
  }
}

void StagedFile::commit() {
  fs::rename(staging_, final_);
  unregister_staging(slot_);
  slot_ = -1;
  committed_ = true;
  claim_.release();
}

}  // namespace nibble::report
