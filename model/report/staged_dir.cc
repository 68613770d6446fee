#include "model/report/staged_dir.h"

#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <stdexcept>
#include <system_error>

namespace nibble::report {

namespace fs = std::filesystem;

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
  staging_ = parent / ("." + final_.filename().string() + ".partial-" + std::to_string(getpid()));
  fs::remove_all(staging_);
  fs::create_directory(staging_);
}

StagedDir::~StagedDir() {
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
