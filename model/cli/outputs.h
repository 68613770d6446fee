// The outputs of a subcommand, claimed before its work and published when it succeeds
// (report::StagedDir, report::StagedFile): an unusable path, or one another nibble process is
// writing (it holds the path's claim, report::OutputClaim, until it has published or failed),
// fails at once as a UsageError (one line naming the path, exit code 2), and a failed run
// leaves nothing behind.
#ifndef NIBBLE_MODEL_CLI_OUTPUTS_H_
#define NIBBLE_MODEL_CLI_OUTPUTS_H_

#include <filesystem>
#include <optional>
#include <string>

#include "model/report/staged_dir.h"

namespace nibble::cli {

// Claims the output folder `path` into dir ("cannot write PATH: reason" when impossible).
void claim_output_dir(std::optional<report::StagedDir>& dir, const std::filesystem::path& path);

// Claims the wave file `path` into vcd, unless path is empty ("OPTION PATH: reason", the
// option that named it: --vcd or --waves). out_dir is the command's output folder (-o), which
// the wave file may not be (it would be published as a folder first, then fail).
void claim_vcd(std::optional<report::StagedFile>& vcd, const std::string& path,
               const std::filesystem::path& out_dir, const std::string& option = "--vcd");

// Whether two output paths name the same file or folder (as they would be once created).
bool same_path(const std::filesystem::path& a, const std::filesystem::path& b);

// Publishes the folder, then the wave file if one was claimed; a failure names its path.
void publish(report::StagedDir& dir);
void publish(report::StagedDir& dir, std::optional<report::StagedFile>& vcd,
             const std::string& option = "--vcd");

}  // namespace nibble::cli

#endif  // NIBBLE_MODEL_CLI_OUTPUTS_H_
