// The PNGs of a command, drawn by one of tools/ plot scripts (Matplotlib) on an output folder.
#ifndef NIBBLE_MODEL_CLI_PLOTS_H_
#define NIBBLE_MODEL_CLI_PLOTS_H_

#include <string>

namespace nibble::cli {

// Runs `script folder` (its output to stderr). Throws std::runtime_error, naming the script and
// the --no-plots way out, when it fails.
void draw_plots(const std::string& script, const std::string& folder);

}  // namespace nibble::cli

#endif  // NIBBLE_MODEL_CLI_PLOTS_H_
