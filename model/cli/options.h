// Option parsing shared by the subcommands: Boost.Program_options with its errors turned into
// UsageError (one line, exit code 2), and --help handled the same way everywhere.
#ifndef NIBBLE_MODEL_CLI_OPTIONS_H_
#define NIBBLE_MODEL_CLI_OPTIONS_H_

#include <boost/program_options.hpp>
#include <string>
#include <vector>

namespace nibble::cli {

// Parses args against desc (which gets a -h/--help option added). Returns false when help was
// printed (the command should exit 0). Throws UsageError on unknown or malformed options.
// positional, when given, maps the arguments without a flag to options of `hidden`, which
// --help does not list.
bool parse_options(
    const std::string& command, const std::string& synopsis,
    boost::program_options::options_description& desc, const std::vector<std::string>& args,
    boost::program_options::variables_map& vm,
    const boost::program_options::positional_options_description* positional = nullptr,
    const boost::program_options::options_description* hidden = nullptr);

// The machine's cores (std::thread::hardware_concurrency, 1 if unknown): the default of
// `nibble sweep --jobs` and of `--threads`.
int default_threads();

}  // namespace nibble::cli

#endif  // NIBBLE_MODEL_CLI_OPTIONS_H_
