// nibble run: times a trace's GEMMs on the configured array and writes report.json,
// layers.csv and the resolved config.yaml into the output folder (docs/reports.md).
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "model/cli/command.h"
#include "model/cli/options.h"
#include "model/frontend/config.h"
#include "model/frontend/trace.h"
#include "model/report/run_report.h"
#include "model/report/staged_dir.h"
#include "model/timing/realistic.h"

namespace nibble::cli {

namespace po = boost::program_options;

int run_run(const std::vector<std::string>& args) {
  po::options_description desc("Options");
  std::string trace_path;
  std::string config_path;
  std::vector<std::string> overrides;
  std::string out_dir;
  desc.add_options()                                                                          //
      ("trace", po::value(&trace_path)->required(), "workload trace (.trace)")                //
      ("config", po::value(&config_path), "native YAML config (default: built-in defaults)")  //
      ("set", po::value(&overrides)->composing(),
       "override one config key, KEY=VALUE (repeatable; applied after --config)")  //
      ("output,o", po::value(&out_dir)->required(), "output folder")               //
      ("quiet,q", "no progress on stderr");
  po::variables_map vm;
  if (!parse_options("run", "--trace FILE [--config FILE] [--set KEY=VALUE]... -o OUTDIR [-q]",
                     desc, args, vm)) {
    return 0;
  }
  const bool quiet = vm.count("quiet") != 0;

  // Read and check every input before anything is written.
  report::RunResult result;
  result.arch = config_path.empty() ? timing::ArchSpec{} : frontend::load_config_file(config_path);
  for (const std::string& assignment : overrides) {
    frontend::apply_override(result.arch, assignment);
  }
  result.trace_path = trace_path;
  result.workload = frontend::read_trace_file(trace_path);

  // Claim the output folder before timing, so an unwritable path fails at once.
  std::optional<report::StagedDir> dir;
  try {
    dir.emplace(out_dir);
  } catch (const std::filesystem::filesystem_error& e) {
    throw UsageError("cannot write " + out_dir + ": " + e.code().message());
  }

  const size_t n = result.workload.gemms.size();
  result.timings.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const workload::GemmSpec& g = result.workload.gemms[i];
    if (!quiet && (n < 100 || i % 50 == 0)) {
      std::cerr << "nibble run: GEMM " << i + 1 << "/" << n << " " << g.name << "\n";
    }
    result.timings.push_back(timing::time_gemm(g, result.arch));
  }

  try {
    dir->write_file("report.json", report::run_report_json(result));
    dir->write_file("layers.csv", report::layers_csv(result));
    dir->write_file("config.yaml", frontend::dump_config(result.arch));
    dir->commit();
  } catch (const std::filesystem::filesystem_error& e) {
    throw UsageError("cannot write " + out_dir + ": " + e.code().message());
  }
  std::cout << report::summary_table(result);
  if (!quiet) {
    std::cerr << "nibble run: wrote " << out_dir << "/{report.json,layers.csv,config.yaml}\n";
  }
  return 0;
}

}  // namespace nibble::cli
