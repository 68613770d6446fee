// nibble run: times a trace's GEMMs on the configured 4-bit array and on the FP16 baselines,
// counts their energy, and writes report.json, layers.csv, report.md, the resolved config.yaml
// and the PNG plots into the output folder (docs/reports.md). With no arguments: the built-in
// ResNet-18 training step.
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "model/builtin/builtin.h"
#include "model/cli/command.h"
#include "model/cli/options.h"
#include "model/energy/baseline.h"
#include "model/frontend/config.h"
#include "model/frontend/trace.h"
#include "model/report/run_report.h"
#include "model/report/staged_dir.h"
#include "model/timing/realistic.h"

namespace nibble::cli {

namespace po = boost::program_options;

namespace {

std::string shell_quoted(const std::string& s) {
  std::string out = "'";
  for (char ch : s) {
    out += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  }
  return out + "'";
}

// Runs tools/plot_report.py on the staging folder, so the PNGs are committed with the rest.
void draw_plots(const std::string& folder) {
  const std::string command =
      shell_quoted(NIBBLE_PLOT_SCRIPT) + " " + shell_quoted(folder) + " >&2";
  const int status = std::system(command.c_str());
  if (status != 0) {
    throw std::runtime_error(std::string("plotting failed (") + NIBBLE_PLOT_SCRIPT +
                             "); --no-plots skips the plots");
  }
}

}  // namespace

int run_run(const std::vector<std::string>& args) {
  po::options_description desc("Options");
  std::string trace_path;
  std::string config_path;
  std::vector<std::string> overrides;
  std::string out_dir = "out";
  std::string energy_path;
  std::string area_path;
  desc.add_options()  //
      ("trace", po::value(&trace_path),
       "workload trace (.trace); default: the built-in ResNet-18 training step, batch 32")    //
      ("config", po::value(&config_path), "native YAML config (default: built-in defaults)")  //
      ("set", po::value(&overrides)->composing(),
       "override one config key, KEY=VALUE (repeatable; applied after --config)")  //
      ("energy", po::value(&energy_path),
       "energy table CSV (default: built-in configs/energy/default_45nm.csv)")  //
      ("area", po::value(&area_path),
       "PE area table CSV (default: built-in configs/area/default_45nm.csv)")              //
      ("output,o", po::value(&out_dir)->default_value("out"), "output folder")             //
      ("no-plots", "skip the PNG plots (tools/plot_report.py, needs python3-matplotlib)")  //
      ("quiet,q", "no progress on stderr");
  po::variables_map vm;
  if (!parse_options("run",
                     "[--trace FILE] [--config FILE] [--set KEY=VALUE]... [--energy FILE] "
                     "[--area FILE] [-o OUTDIR] [--no-plots] [-q]",
                     desc, args, vm)) {
    return 0;
  }
  const bool quiet = vm.count("quiet") != 0;

  // Read and check every input before anything is written.
  report::RunResult result;
  timing::ArchSpec arch =
      config_path.empty() ? timing::ArchSpec{} : frontend::load_config_file(config_path);
  for (const std::string& assignment : overrides) {
    frontend::apply_override(arch, assignment);
  }
  if (trace_path.empty()) {
    const builtin::File& f = builtin::default_trace();
    std::istringstream in(f.content);
    result.trace_path = f.path;
    result.workload = frontend::parse_trace(in, std::string("<built-in> ") + f.path);
  } else {
    result.trace_path = trace_path;
    result.workload = frontend::read_trace_file(trace_path);
  }
  const builtin::File& default_energy = builtin::default_energy_table();
  const builtin::File& default_area = builtin::default_area_table();
  result.energy_table_path = energy_path.empty() ? default_energy.path : energy_path;
  result.area_table_path = area_path.empty() ? default_area.path : area_path;
  const energy::EnergyTable energy_table =
      energy_path.empty()
          ? energy::EnergyTable::parse(default_energy.content,
                                       std::string("<built-in> ") + default_energy.path)
          : energy::EnergyTable::read_file(energy_path);
  const energy::AreaTable area_table =
      area_path.empty() ? energy::AreaTable::parse(default_area.content,
                                                   std::string("<built-in> ") + default_area.path)
                        : energy::AreaTable::read_file(area_path);

  // Claim the output folder before timing, so an unwritable path fails at once.
  std::optional<report::StagedDir> dir;
  try {
    dir.emplace(out_dir);
  } catch (const std::filesystem::filesystem_error& e) {
    throw UsageError("cannot write " + out_dir + ": " + e.code().message());
  }

  if (!quiet) {
    std::cerr << "nibble run: " << result.workload.gemms.size()
              << " GEMMs on the 4-bit array and two FP16 baselines\n";
  }
  try {
    result.comparison = energy::compare_with_fp16(result.workload, arch, energy_table, area_table);
  } catch (const std::overflow_error& e) {
    throw UsageError(e.what());  // a workload or config too large to count: bad input
  }

  try {
    dir->write_file("report.json", report::run_report_json(result));
    dir->write_file("layers.csv", report::layers_csv(result));
    dir->write_file("report.md", report::report_markdown(result));
    dir->write_file("config.yaml", frontend::dump_config(result.arch()));
    if (vm.count("no-plots") == 0) {
      draw_plots(dir->staging_path().string());
    }
    dir->commit();
  } catch (const std::overflow_error& e) {
    throw UsageError(e.what());  // totals of a workload too large to count
  } catch (const std::filesystem::filesystem_error& e) {
    throw UsageError("cannot write " + out_dir + ": " + e.code().message());
  }
  std::cout << report::summary_table(result);
  if (!quiet) {
    std::cerr << "nibble run: wrote " << out_dir << "/{report.json,layers.csv,report.md,config.yaml"
              << (vm.count("no-plots") ? "" : ",*.png") << "}\n";
  }
  return 0;
}

}  // namespace nibble::cli
