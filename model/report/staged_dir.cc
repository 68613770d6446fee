#include "model/report/staged_dir.h"

#include <unistd.h>

#include <fstream>
#include <stdexcept>
#include <system_error>

namespace nibble::report {

namespace fs = std::filesystem;

StagedDir::StagedDir(fs::path final_dir) : final_(std::move(final_dir)) {
  if (final_.filename().empty()) {
    final_ = final_.parent_path();
  }
  const fs::path parent = final_.has_parent_path() ? final_.parent_path() : fs::path(".");
  fs::create_directories(parent);
  staging_ = parent / ("." + final_.filename().string() + ".partial-" + std::to_string(getpid()));
  fs::remove_all(staging_);
  fs::create_directory(staging_);
}

StagedDir::~StagedDir() {
  if (!committed_) {
    std::error_code ignored;  // best effort: a destructor must not throw
    fs::remove_all(staging_, ignored);
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
    for (const auto& entry : fs::directory_iterator(staging_)) {
      fs::rename(entry.path(), final_ / entry.path().filename());
    }
    fs::remove(staging_);
  }
  committed_ = true;
}

}  // namespace nibble::report
