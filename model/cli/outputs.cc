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

void claim_vcd(std::optional<report::StagedFile>& vcd, const std::string& path,
               const std::string& option) {
  if (path.empty()) {
    return;
  }
  try {
    vcd.emplace(path);
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
    throw UsageError("cannot write " + dir.final_path().string() + ": " + e.code().message());
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
