// An output folder whose files appear together or not at all. Files are written into a hidden
// sibling folder. commit() renames it to the final name when that does not exist yet, and
// otherwise moves each file in, replacing files of the same name and leaving every other file
// alone. If commit() is never reached, the destructor removes the hidden folder: a run that
// fails, at any point, leaves no partial output behind.
#ifndef NIBBLE_MODEL_REPORT_STAGED_DIR_H_
#define NIBBLE_MODEL_REPORT_STAGED_DIR_H_

#include <filesystem>
#include <string>

namespace nibble::report {

class StagedDir {
 public:
  // Creates the hidden staging folder next to final_dir (and final_dir's parents). Throws
  // std::filesystem::filesystem_error when that is impossible.
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
  bool committed_ = false;
};

}  // namespace nibble::report

#endif  // NIBBLE_MODEL_REPORT_STAGED_DIR_H_
