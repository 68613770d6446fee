// An output folder whose files appear together or not at all. Files are written into a hidden
// sibling folder, and commit() publishes them:
// - a new folder appears by one rename (RENAME_NOREPLACE: a folder that took the name since,
//   even an empty one, is treated as existing);
// - an existing folder is locked (flock) while it is published into. If it holds nothing but
//   files of the names this run writes (an earlier run's output), it is swapped with the hidden
//   folder in one step (RENAME_EXCHANGE); otherwise each file is moved in, replacing a file of
//   the same name, and every other file is left alone. A folder in the place of one of the files
//   stops it before any file is moved.
// From construction until it is published or destroyed, a StagedDir (and a StagedFile) holds an
// exclusive claim on its output (OutputClaim): a second one for the same path, in this process
// or another, throws OutputBusy at once.
// If commit() is never reached, the destructor removes the hidden folder: a run that fails, at
// any point, leaves no partial output behind. SIGINT and SIGTERM remove it too (a handler
// installed where the signal's action is the default); after a SIGKILL, the next StagedDir for
// the same folder removes the hidden folders of processes no longer running.
#ifndef NIBBLE_MODEL_REPORT_STAGED_DIR_H_
#define NIBBLE_MODEL_REPORT_STAGED_DIR_H_

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace nibble::report {

// Thrown when another claim holds an output: "PATH: another nibble process (pid N) is writing
// this folder" (or "this file"; without "(pid N)" when its pid is not known), or, when the
// claim is this process's own, "PATH: named twice as an output of this run".
class OutputBusy : public std::runtime_error {
 public:
  OutputBusy(const std::filesystem::path& path, long pid, bool folder);
  const std::filesystem::path& path() const { return path_; }
  long pid() const { return pid_; }  // 0 when not known

 private:
  std::filesystem::path path_;
  long pid_;
};

// An exclusive claim on an output path (a folder or a file), from acquire() until release() or
// destruction: an flock on the lock file ".NAME.lock" beside it (in its parent folder, which
// must exist), which holds the claimant's pid. The kernel drops the lock when the process ends,
// however it ends, so a claim left by a killed process blocks nothing: the next claimant locks
// the same file. release() removes the lock file (so does SIGINT/SIGTERM, with the staging
// folders), while still holding the lock; a claimant that locked a file since removed (or
// replaced) finds the name no longer names it and starts again. On a file system without flock
// the output is not claimed.
class OutputClaim {
 public:
  OutputClaim() = default;
  ~OutputClaim() { release(); }
  OutputClaim(const OutputClaim&) = delete;
  OutputClaim& operator=(const OutputClaim&) = delete;

  // Throws OutputBusy when another claim holds target, std::filesystem::filesystem_error
  // (naming target) when the lock file cannot be created.
  void acquire(const std::filesystem::path& target, bool folder);
  void release();

  // The lock file of an output path: ".NAME.lock" in its parent folder.
  static std::filesystem::path lock_path(const std::filesystem::path& target);
  // Removes the lock file `lock` if no process holds it (one left by a killed process).
  static void remove_if_stale(const std::filesystem::path& lock);

 private:
  std::filesystem::path lock_;
  int fd_ = -1;
  int slot_ = -1;  // the lock file's slot for the SIGINT/SIGTERM handler
};

class StagedDir {
 public:
  // Claims final_dir and creates the hidden staging folder next to it (and final_dir's parents,
  // which are removed again, if empty, when the folder is never committed). Throws OutputBusy
  // when another claim holds final_dir; std::filesystem::filesystem_error when the folder
  // cannot be staged, or final_dir exists and is not a folder.
  explicit StagedDir(std::filesystem::path final_dir);
  ~StagedDir();
  StagedDir(const StagedDir&) = delete;
  StagedDir& operator=(const StagedDir&) = delete;

  // Writes (or replaces) one file in the staging folder. Throws std::runtime_error on failure.
  void write_file(const std::string& name, const std::string& content) const;
  const std::filesystem::path& staging_path() const { return staging_; }
  const std::filesystem::path& final_path() const { return final_; }

  // Publishes the files (see above). Throws std::filesystem::filesystem_error.
  void commit();

 private:
  void publish_into_existing();  // commit() into a folder that exists, under its lock

  std::filesystem::path final_;
  std::filesystem::path staging_;
  std::vector<std::filesystem::path> created_;  // parent folders this made, deepest first
  OutputClaim claim_;
  bool committed_ = false;
  int slot_ = -1;  // this staging folder's slot for the SIGINT/SIGTERM handler
};

// One output file that appears under its name only when commit() is called. It is written at
// staging_path() (the name plus ".partial"), which the constructor claims at once, so that an
// unwritable path fails before any work; if commit() is never reached, the destructor removes
// it (so do SIGINT and SIGTERM). The file's parent folder must exist. It claims the path
// (OutputClaim) until it is committed or destroyed.
class StagedFile {
 public:
  // Throws std::filesystem::filesystem_error naming final_path when it is a folder, exists and
  // is not a regular file (a device, a FIFO, a socket, a symbolic link), or its staging file
  // cannot be created; OutputBusy when another claim holds it.
  explicit StagedFile(std::filesystem::path final_path);
  ~StagedFile();
  StagedFile(const StagedFile&) = delete;
  StagedFile& operator=(const StagedFile&) = delete;

  const std::filesystem::path& staging_path() const { return staging_; }
  const std::filesystem::path& final_path() const { return final_; }

  // Renames the staging file to the final name. Throws std::filesystem::filesystem_error.
  void commit();

 private:
  std::filesystem::path final_;
  std::filesystem::path staging_;
  OutputClaim claim_;
  bool committed_ = false;
  int slot_ = -1;  // the staging file's slot for the SIGINT/SIGTERM handler
};

}  // namespace nibble::report

#endif  // NIBBLE_MODEL_REPORT_STAGED_DIR_H_
