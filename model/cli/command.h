// The subcommands of the nibble program. main.cc dispatches; each command parses its own
// options (Boost.Program_options) and owns its output. Every option is documented in
// docs/cli.md (tests/docs checks that the two agree).
#ifndef NIBBLE_MODEL_CLI_COMMAND_H_
#define NIBBLE_MODEL_CLI_COMMAND_H_

#include <stdexcept>
#include <string>
#include <vector>

namespace nibble::cli {

// Bad user input (flag, file, value): main prints "nibble: error: <what>" and exits with 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Command {
  const char* name;
  const char* summary;
  // args excludes the program and command names. Returns the exit code.
  int (*run)(const std::vector<std::string>& args);
};

int run_formats(const std::vector<std::string>& args);
int run_config(const std::vector<std::string>& args);
int run_run(const std::vector<std::string>& args);
int run_scalesim(const std::vector<std::string>& args);
int run_cosim(const std::vector<std::string>& args);
int run_sweep(const std::vector<std::string>& args);
int run_import(const std::vector<std::string>& args);

}  // namespace nibble::cli

#endif  // NIBBLE_MODEL_CLI_COMMAND_H_
