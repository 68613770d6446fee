// nibble import: a network from ONNX or PyTorch as a training trace. The work is Python's (the
// onnx and torch packages): this command runs tools/nibble_import.py under Debian's
// /usr/bin/python3, with the nibble Python module of this build on its path, and returns its exit
// code. docs/import.md is the specification.
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "model/cli/command.h"

namespace nibble::cli {

int run_import(const std::vector<std::string>& args) {
  const std::string python = NIBBLE_IMPORT_PYTHON;
  const std::string script = NIBBLE_IMPORT_SCRIPT;
  // The module's folder first, then whatever the user's PYTHONPATH holds.
  std::string path = NIBBLE_PYTHON_MODULE_DIR;
  if (const char* user = std::getenv("PYTHONPATH"); user != nullptr && *user != '\0') {
    path += ":" + std::string(user);
  }
  if (setenv("PYTHONPATH", path.c_str(), 1) != 0) {
    throw std::runtime_error(std::string("setenv PYTHONPATH: ") + std::strerror(errno));
  }
  std::vector<std::string> words = {python, script};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& w : words) {
    argv.push_back(w.data());
  }
  argv.push_back(nullptr);
  execv(python.c_str(), argv.data());
  throw UsageError(python + ": cannot run (" + std::strerror(errno) +
                   "); tools/install-deps.sh installs Debian's python3");
}

}  // namespace nibble::cli
