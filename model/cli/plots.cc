#include "model/cli/plots.h"

#include <cstdlib>
#include <stdexcept>

#include "model/sweep/shell.h"

namespace nibble::cli {

void draw_plots(const std::string& script, const std::string& folder) {
  const std::string command = sweep::shell_line({script, folder}) + " >&2";
  if (std::system(command.c_str()) != 0) {
    throw std::runtime_error("plotting failed (" + script + "); --no-plots skips the plots");
  }
}

}  // namespace nibble::cli
