#include "model/cli/outputs.h"

#include "model/cli/command.h"

namespace nibble::cli {

namespace fs = std::filesystem;

void claim_output_dir(std::optional<report::StagedDir>& dir, const fs::path& path) {
  try {
    dir.emplace(path);
  } catch (const report::OutputBusy& e) {
    throw UsageError(e.what());  // another run writes it: this one stops before any work
  } catch (const fs::filesystem_error& e) {
    throw UsageError("cannot write " + path.string() + ": " + e.code().message());
  }
}

void claim_vcd(std::optional<report::StagedFile>& vcd, const std::string& path,
               const fs::path& out_dir, const std::string& option) {
  if (path.empty()) {
    return;
  }
  if (same_path(path, out_dir)) {
    throw UsageError(option + " " + path + ": the output folder (-o) itself; give a file");
  }
  const fs::file_status s = fs::symlink_status(path);
  if (fs::exists(s) && !fs::is_regular_file(s) && !fs::is_directory(s)) {
    throw UsageError(option + " " + path +
                     ": exists and is not a regular file (a device, FIFO, socket or symbolic "
                     "link), which a wave file would replace; give a new path or a file");
  }
  try {
    vcd.emplace(path);
  } catch (const report::OutputBusy& e) {
    throw UsageError(option + " " + e.what());
  } catch (const fs::filesystem_error& e) {
    throw UsageError(option + " " + path + ": " + e.code().message());
  }
}

bool same_path(const fs::path& a, const fs::path& b) {
  std::error_code ec_a, ec_b;
  const fs::path ca = fs::weakly_canonical(a, ec_a);
  const fs::path cb = fs::weakly_canonical(b, ec_b);
  return !ec_a && !ec_b && ca == cb;
}

void publish(report::StagedDir& dir) {
  try {
    dir.commit();
  } catch (const fs::filesystem_error& e) {
    // The file in the way when the error names one inside the folder, else the folder.
    const fs::path& at = e.path1();
    const bool inside = !at.empty() && at.parent_path() == dir.final_path();
    throw UsageError("cannot write " + (inside ? at : dir.final_path()).string() + ": " +
                     e.code().message());
  }
}

void publish(report::StagedDir& dir, std::optional<report::StagedFile>& vcd,
             const std::string& option) {
  publish(dir);
  if (vcd) {
    try {
      vcd->commit();
    } catch (const fs::filesystem_error& e) {
      throw UsageError(option + " " + vcd->final_path().string() + ": " + e.code().message());
    }
  }
}

}  // namespace nibble::cli
