// nibble: command-line entry point. Thin: picks a subcommand and maps errors to exit codes.
#include <cstddef>
#include <cstdio>
#include <exception>
#include <iostream>
#include <new>
#include <string>
#include <vector>

#include "model/cli/command.h"
#include "model/frontend/input_error.h"

namespace {

using nibble::cli::Command;

constexpr Command kCommands[] = {
    {"formats", "print the number formats: INT4/UINT4 and FP4 code tables, FP16 accumulate rules",
     nibble::cli::run_formats},
    {"run", "time a workload trace on the configured array; write report.json, layers.csv",
     nibble::cli::run_run},
    {"scalesim", "read SCALE-Sim v2 .cfg + topology, write its three reports (same cycles)",
     nibble::cli::run_scalesim},
    {"cosim", "run a trace through the RTL array (Verilator) and the SystemC model; cosim.csv",
     nibble::cli::run_cosim},
    {"sweep", "run a design-space sweep (local processes or a Slurm job array); sweep.csv",
     nibble::cli::run_sweep},
    {"import", "import a network from ONNX or PyTorch as a training trace (.trace)",
     nibble::cli::run_import},
    {"config", "print the resolved configuration (defaults, --config file, --set overrides)",
     nibble::cli::run_config},
};

constexpr const char* kVersion = "0.1.0";

// An error message as the one line on stderr: control bytes of the input it quotes (escape
// sequences, CR, a newline in a file name) as \xNN, and at most kMaxErrorBytes of it.
constexpr size_t kMaxErrorBytes = 2000;

std::string one_line(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (out.size() >= kMaxErrorBytes) {
      out += "... (" + std::to_string(text.size() - i) + " more bytes)";
      break;
    }
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7F) {
      static const char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

void print_help(std::ostream& out) {
  out << "nibble " << kVersion
      << ": cycle-approximate model of a 4-bit deep-learning training accelerator\n\n"
         "Usage: nibble <command> [options]\n"
         "       nibble --help | --version\n\n"
         "Commands:\n";
  for (const Command& c : kCommands) {
    out << "  " << c.name << std::string(12 - std::string(c.name).size(), ' ') << c.summary << "\n";
  }
  out << "\nOptions:\n"
         "  -h [ --help ]         print this help and exit\n"
         "  --version             print the version and exit\n\n"
         "Run 'nibble <command> --help' for a command's options. Reference: docs/cli.md.\n";
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> all(argv + 1, argv + argc);
  if (all.empty()) {
    print_help(std::cerr);
    return 2;
  }
  const std::string& first = all.front();
  if (first == "-h" || first == "--help") {
    print_help(std::cout);
    return 0;
  }
  if (first == "--version") {
    std::cout << "nibble " << kVersion << "\n";
    return 0;
  }
  for (const Command& c : kCommands) {
    if (first == c.name) {
      try {
        return c.run(std::vector<std::string>(all.begin() + 1, all.end()));
      } catch (const nibble::cli::UsageError& e) {
        std::cerr << "nibble " << c.name << ": error: " << one_line(e.what()) << "\n";
        return 2;
      } catch (const nibble::frontend::InputError& e) {
        std::cerr << "nibble " << c.name << ": error: " << one_line(e.what()) << "\n";
        return 2;
      } catch (const std::bad_alloc&) {
        // Past the work limits' memory estimate (--allow-long) or beyond what it counts.
        std::cerr << "nibble " << c.name
                  << ": error: out of memory (docs/cli.md, \"Work limits\", estimates what a run "
                     "holds)\n";
        return 1;
      } catch (const std::exception& e) {
        std::cerr << "nibble " << c.name << ": internal error: " << one_line(e.what()) << "\n";
        return 1;
      }
    }
  }
  std::cerr << "nibble: error: unknown command '" << one_line(first) << "' (try 'nibble --help')\n";
  return 2;
}
