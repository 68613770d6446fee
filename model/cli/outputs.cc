#include "model/cli/outputs.h"

#include "model/cli/command.h"

namespace nibble::cli {

namespace fs = std::filesystem;

void claim_output_dir(std::optional<report::StagedDir>& dir, const fs::path& path) {
  try {
    dir.emplace(path);
  } catch (const fs::filesystem_error& e) {
    throw UsageError("cannot write " + path.string() + ": " + e.code().message());
  }
}

void claim_vcd(std::optional<report::StagedFile>& vcd, const std::string& path) {
  if (path.empty()) {
    return;
  }
  try {
    vcd.emplace(path);
  } catch (const fs::filesystem_error& e) {
    throw UsageError("--vcd " + path + ": " + e.code().message());
  }
}

void publish(report::StagedDir& dir) {
  try {
    dir.commit();
  } catch (const fs::filesystem_error& e) {
    throw UsageError("cannot write " + dir.final_path().string() + ": " + e.code().message());
  }
}

void publish(report::StagedDir& dir, std::optional<report::StagedFile>& vcd) {
  publish(dir);
  if (vcd) {
    try {
      vcd->commit();
    } catch (const fs::filesystem_error& e) {
      throw UsageError("--vcd " + vcd->final_path().string() + ": " + e.code().message());
    }
  }
}

}  // namespace nibble::cli
