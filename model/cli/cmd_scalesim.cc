// nibble scalesim: reads SCALE-Sim v2's .cfg and topology CSV as they are and writes its three
// reports, with the same cycle counts (compat mode, docs/timing.md).
#include <filesystem>
#include <iostream>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "model/cli/command.h"
#include "model/cli/options.h"
#include "model/cli/outputs.h"
#include "model/cli/work_limit.h"
#include "model/frontend/input_error.h"
#include "model/frontend/scalesim_input.h"
#include "model/report/progress.h"
#include "model/report/scalesim_reports.h"
#include "model/report/staged_dir.h"
#include "model/timing/scalesim_compat.h"

namespace nibble::cli {

namespace po = boost::program_options;

int run_scalesim(const std::vector<std::string>& args) {
  po::options_description desc("Options");
  std::string cfg_path;
  std::string topology_path;
  std::string form_name = "conv";
  std::string out_dir;
  desc.add_options()                                                                   //
      ("config,c", po::value(&cfg_path)->required(), "SCALE-Sim .cfg file")            //
      ("topology,t", po::value(&topology_path)->required(), "SCALE-Sim topology CSV")  //
      ("input-type,i", po::value(&form_name)->default_value("conv"),
       "topology form: conv (layer rows) or gemm (name, M, N, K rows)")  //
      ("path,p", po::value(&out_dir)->required(),
       "output folder; the reports go to <path>/<run_name>/")  //
      ("allow-long",
       "stream the DRAM columns even when the estimated work is above the limits (docs/cli.md, "
       "\"Work limits\")")  //
      ("quiet,q", "no progress on stderr");
  po::variables_map vm;
  if (!parse_options("scalesim", "-c CFG -t TOPOLOGY [-i conv|gemm] -p OUTDIR [--allow-long] [-q]",
                     desc, args, vm)) {
    return 0;
  }
  frontend::TopologyForm form = frontend::TopologyForm::kConv;
  if (form_name == "gemm") {
    form = frontend::TopologyForm::kGemm;
  } else if (form_name != "conv") {
    throw UsageError("-i/--input-type must be conv or gemm, got '" + form_name + "'");
  }
  const bool quiet = vm.count("quiet") != 0;

  // Read and check every input before anything is written.
  const timing::ArchSpec arch = frontend::read_scalesim_cfg(cfg_path);
  if (!arch.scalesim.interface_bandwidth_calc) {
    throw frontend::InputError(cfg_path, arch.scalesim.interface_bandwidth_line,
                               "InterfaceBandwidth USER is not supported: nibble reproduces "
                               "SCALE-Sim's CALC (stall-free) mode only");
  }
  const workload::Workload topology = frontend::read_scalesim_topology(topology_path, form);

  // The compute and SRAM columns are closed forms; the DRAM columns stream every SRAM access,
  // so their work is checked against the limits before anything starts.
  std::vector<timing::CompatLayer> layers;
  layers.reserve(topology.gemms.size());
  for (const workload::GemmSpec& g : topology.gemms) {
    try {
      layers.push_back(timing::compat_compute_and_sram(*g.conv, arch));
    } catch (const std::overflow_error& e) {
      throw UsageError(workload::gemm_where(g) + ": " + e.what());
    }
  }
  check_work(estimate_scalesim_dram(topology, layers), "the stream of the DRAM columns",
             vm.count("allow-long") != 0);

  // Claim the output folder before the (possibly long) simulation, so an unwritable path fails
  // at once; nothing is visible there until commit().
  const std::filesystem::path run_dir = std::filesystem::path(out_dir) / arch.scalesim.run_name;
  std::optional<report::StagedDir> dir;
  claim_output_dir(dir, run_dir);

  const int64_t macs = workload::total_macs_saturated(topology);
  if (!quiet) {
    std::cerr << "nibble scalesim: " << topology.gemms.size() << " layers, "
              << report::si_text(static_cast<double>(macs)) << " MACs, on the " << arch.array.rows
              << "x" << arch.array.cols << " " << timing::dataflow_name(arch.array.dataflow)
              << " array\n";
  }
  report::Progress progress("nibble scalesim", "layers",
                            static_cast<int64_t>(topology.gemms.size()), macs, "MACs", quiet);
  for (size_t i = 0; i < topology.gemms.size(); ++i) {
    const workload::GemmSpec& g = topology.gemms[i];
    try {
      timing::compat_dram(*g.conv, arch, layers[i]);
    } catch (const std::overflow_error& e) {
      throw UsageError(workload::gemm_where(g) + ": " + e.what());
    }
    progress.add(workload::checked_total_macs(g).value_or(std::numeric_limits<int64_t>::max()),
                 g.name);
  }
  progress.finish();

  dir->write_file("COMPUTE_REPORT.csv", report::compute_report_csv(layers));
  dir->write_file("BANDWIDTH_REPORT.csv", report::bandwidth_report_csv(layers));
  dir->write_file("DETAILED_ACCESS_REPORT.csv", report::detailed_access_report_csv(layers));
  publish(*dir);
  if (!quiet) {
    std::cerr << "nibble scalesim: wrote " << run_dir.string() << "/\n";
  }
  return 0;
}

}  // namespace nibble::cli
