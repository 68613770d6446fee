// An output folder whose files appear together or not at all. Files are written into a hidden
// sibling folder. commit() renames it to the final name when that does not exist yet, and
// otherwise moves each file in, replacing files of the same name and leaving every other file
// alone; a folder in the place of one of the files stops it before any file is moved. If
// commit() is never reached, the destructor removes the hidden folder: a run that fails, at
// any point, leaves no partial output behind. SIGINT and SIGTERM remove it too (a handler
// installed where the signal's action is the default); after a SIGKILL, the next StagedDir for
// the same folder removes the hidden folders of processes no longer running.
#ifndef NIBBLE_MODEL_REPORT_STAGED_DIR_H_
#define NIBBLE_MODEL_REPORT_STAGED_DIR_H_

#include <filesystem>
#include <string>
#include <vector>

namespace nibble::report {

class StagedDir {
 public:
  // Creates the hidden staging folder next to final_dir (and final_dir's parents, which are
  // removed again, if empty, when the folder is never committed). Throws
  // std::filesystem::filesystem_error when that is impossible, or when final_dir exists and is
  // not a folder.
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
  std::filesystem::path final_;
  std::filesystem::path staging_;
  std::vector<std::filesystem::path> created_;  // parent folders this made, deepest first
  bool committed_ = false;
  int slot_ = -1;  // this staging folder's slot for the SIGINT/SIGTERM handler
};

// One output file that appears under its name only when commit() is called. It is written at
// staging_path() (the name plus ".partial"), which the constructor claims at once, so that an
// unwritable path fails before any work; if commit() is never reached, the destructor removes
// it. The file's parent folder must exist.
class StagedFile {
 public:
  // Throws std::filesystem::filesystem_error naming final_path when it is a folder, exists and
  // is not a regular file (a device, a FIFO, a socket, a symbolic link), or its staging file
  // cannot be created.
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
  bool committed_ = false;
};

}  // namespace nibble::report

#endif  // NIBBLE_MODEL_REPORT_STAGED_DIR_H_
