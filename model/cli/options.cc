#include "model/cli/options.h"

#include <iostream>
#include <thread>

#include "model/cli/command.h"

namespace nibble::cli {

namespace po = boost::program_options;

bool parse_options(const std::string& command, const std::string& synopsis,
                   po::options_description& desc, const std::vector<std::string>& args,
                   po::variables_map& vm, const po::positional_options_description* positional,
                   const po::options_description* hidden) {
  desc.add_options()("help,h", "print this command's options and exit");
  try {
    po::options_description all;
    all.add(desc);
    if (hidden != nullptr) {
      all.add(*hidden);
    }
    po::command_line_parser parser(args);
    parser.options(all);
    if (positional != nullptr) {
      parser.positional(*positional);
    }
    po::store(parser.run(), vm);
    if (vm.count("help") != 0) {
      std::cout << "Usage: nibble " << command << " " << synopsis << "\n\n" << desc << "\n";
      return false;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(e.what());
  }
  return true;
}

int default_threads() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

}  // namespace nibble::cli
