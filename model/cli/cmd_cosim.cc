// nibble cosim: runs a trace's GEMMs through the RTL array (Verilated) and through the SystemC
// model, and writes cosim.csv: per GEMM, the output CRC of each, whether they match, and the
// RTL's cycles against the model's array schedule; and mismatch.txt / mismatch.json: where
// outputs differ, element by element (docs/cosim.md). Exit code 1 if any output differs, or
// misses the trace's `expect crc=`; the summary line on stdout says which.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "model/cli/command.h"
#include "model/cli/options.h"
#include "model/cli/outputs.h"
#include "model/cli/work_limit.h"
#include "model/energy/tables.h"
#include "model/frontend/config.h"
#include "model/frontend/trace.h"
#include "model/functional/tensors.h"
#include "model/report/progress.h"
#include "model/report/run_report.h"
#include "model/report/staged_dir.h"
#include "testbenches/cosim/cosim.h"
#include "testbenches/cosim/waves.h"

namespace nibble::cli {

namespace po = boost::program_options;

int run_cosim(const std::vector<std::string>& args) {
  po::options_description desc("Options");
  std::string trace_path;
  std::string config_path;
  std::vector<std::string> overrides;
  std::string out_dir = "out-cosim";
  std::string vcd_path;
  std::string waves_path;
  int64_t waves_from = 0;
  int64_t waves_to = -1;
  std::string waves_gemm;
  std::string dump_path;
  std::string energy_path;
  std::string area_path;
  desc.add_options()                                                                          //
      ("trace", po::value(&trace_path), "workload trace (.trace), required")                  //
      ("config", po::value(&config_path), "native YAML config (default: built-in defaults)")  //
      ("set", po::value(&overrides)->composing(),
       "override one config key, KEY=VALUE (repeatable; applied after --config)")  //
      ("energy", po::value(&energy_path),
       "energy table CSV the tile mapper ranks tilings with (default: built-in "
       "configs/energy/default_45nm.csv)")  //
      ("area", po::value(&area_path),
       "PE area table CSV for the same (default: built-in configs/area/default_45nm.csv)")  //
      ("output,o", po::value(&out_dir)->default_value("out-cosim"), "output folder")        //
      ("waves", po::value(&waves_path),
       "write the RTL array's waves to this file: .vcd (VCD) or .fst (FST)")  //
      ("waves-from", po::value(&waves_from),
       "waves from this RTL cycle on (clock edges since the run began, every GEMM counted)")  //
      ("waves-to", po::value(&waves_to), "waves up to this RTL cycle, not included")          //
      ("waves-gemm", po::value(&waves_gemm), "waves of the GEMMs of this name only")          //
      ("vcd", po::value(&vcd_path), "the same as --waves with a .vcd file")                   //
      ("dump", po::value(&dump_path),
       "write each GEMM's A, B, model output and RTL output as NumPy .npy files into this "
       "folder")  //
      ("allow-long",
       "run even when the estimated work is above the limits (docs/cli.md, \"Work limits\")")  //
      ("quiet,q", "no progress on stderr");
  po::variables_map vm;
  if (!parse_options("cosim",
                     "--trace FILE [--config FILE] [--set KEY=VALUE]... [--energy FILE] "
                     "[--area FILE] [-o OUTDIR] [--waves FILE.vcd|FILE.fst] [--waves-from CYCLE] "
                     "[--waves-to CYCLE] [--waves-gemm NAME] [--dump DIR] [--allow-long] [-q]",
                     desc, args, vm)) {
    return 0;
  }
  if (trace_path.empty()) {
    throw UsageError("--trace is required");
  }
  if (vm.count("vcd") != 0 && vcd_path.empty()) {
    throw UsageError("--vcd: empty file name");
  }
  if (vm.count("waves") != 0 && waves_path.empty()) {
    throw UsageError("--waves: empty file name");
  }
  if (!vcd_path.empty() && !waves_path.empty()) {
    throw UsageError("--vcd and --waves: give one");
  }
  const std::string waves_option = vcd_path.empty() ? "--waves" : "--vcd";
  if (!vcd_path.empty()) {
    waves_path = vcd_path;
  }
  if (!waves_path.empty()) {
    try {
      const cosim::WaveFormat format = cosim::wave_format(waves_path);
      if (!vcd_path.empty() && format != cosim::WaveFormat::kVcd) {
        throw std::invalid_argument(vcd_path + ": not a .vcd file");
      }
    } catch (const std::invalid_argument& e) {
      throw UsageError(waves_option + " " + e.what());
    }
  }
  for (const char* option : {"waves-from", "waves-to", "waves-gemm"}) {
    if (vm.count(option) != 0 && waves_path.empty()) {
      throw UsageError(std::string("--") + option + " needs --waves");
    }
  }
  if (waves_from < 0) {
    throw UsageError("--waves-from " + std::to_string(waves_from) + ": a cycle is at least 0");
  }
  if (vm.count("waves-to") != 0 && waves_to < waves_from) {
    throw UsageError("--waves-to " + std::to_string(waves_to) + ": before --waves-from " +
                     std::to_string(waves_from));
  }
  if (vm.count("dump") != 0 && dump_path.empty()) {
    throw UsageError("--dump: empty folder name");
  }
  if (!dump_path.empty() && same_path(dump_path, out_dir)) {
    throw UsageError("--dump " + dump_path + ": the output folder (-o) itself; give another");
  }
  const bool quiet = vm.count("quiet") != 0;

  // Read and check every input before anything is written.
  timing::ArchSpec arch = frontend::resolve_config(config_path, overrides);
  // The tile mapper ranks equal-cycle tilings by energy, as nibble run does with these tables.
  const energy::Tables tables = energy::load_tables(energy_path, area_path);
  const energy::PeDesign pe{energy::PeKind::kInt4, arch.pe.lanes};
  energy::set_mapper_energy(arch, tables.energy, pe, energy::pe_area_um2(tables.area, pe));
  const workload::Workload w = frontend::read_trace_file(trace_path);
  try {
    cosim::check_cosim_input(w, arch);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  if (!waves_gemm.empty() &&
      std::none_of(w.gemms.begin(), w.gemms.end(),
                   [&](const workload::GemmSpec& g) { return g.name == waves_gemm; })) {
    throw UsageError("--waves-gemm " + waves_gemm + ": no GEMM of that name in " + trace_path);
  }
  // The RTL simulates every cycle: its work is checked against the limits before it starts.
  try {
    check_work(estimate_cosim(w, arch), "the co-simulation", vm.count("allow-long") != 0);
  } catch (const std::overflow_error& e) {
    throw UsageError(e.what());
  }
  // The operands (a `load` file that cannot be read is bad input, found here).
  std::vector<fn::GemmTensors> tensors;
  tensors.reserve(w.gemms.size());
  for (size_t i = 0; i < w.gemms.size(); ++i) {
    tensors.push_back(fn::make_gemm_tensors(w, i));
  }
  // Claim the output folder and the VCD before the run, so an unwritable path fails at once.
  std::optional<report::StagedDir> dir;
  claim_output_dir(dir, out_dir);
  std::optional<report::StagedFile> vcd;  // the waves, renamed into place when the run succeeds
  claim_vcd(vcd, waves_path, out_dir, waves_option);
  std::optional<report::StagedDir> dump;  // the tensors, published with the rest
  if (!dump_path.empty()) {
    claim_output_dir(dump, dump_path);
  }
  if (!quiet) {
    std::cerr << "nibble cosim: " << w.gemms.size() << (w.gemms.size() == 1 ? " GEMM" : " GEMMs")
              << " on the " << arch.array.rows << "x" << arch.array.cols << " "
              << timing::dataflow_name(arch.array.dataflow) << " array of " << arch.pe.lanes
              << "-lane PEs: RTL (Verilator) and SystemC model\n";
  }
  cosim::RtlOptions options;
  if (vcd) {
    options.waves_path = vcd->staging_path().string();
    options.waves_format = cosim::wave_format(waves_path);
  }
  options.waves_from = waves_from;
  options.waves_to = waves_to;
  options.waves_gemm = waves_gemm;
  const int64_t macs = workload::total_macs_saturated(w);
  report::Progress progress("nibble cosim", "GEMMs through the RTL",
                            static_cast<int64_t>(w.gemms.size()), macs, "MACs", quiet);
  const std::vector<cosim::CosimRow> rows = cosim::run_cosim(
      w, arch, tensors, options,
      [&progress](int64_t gemms, int64_t m) { progress.update(gemms, m, "", false); });
  progress.finish();
  dir->write_file("cosim.csv", cosim::cosim_csv(rows, arch));
  dir->write_file("mismatch.txt", cosim::mismatch_text(rows));
  dir->write_file("mismatch.json", cosim::mismatch_json(rows));
  dir->write_file("config.yaml", frontend::dump_config(arch));
  if (dump) {
    dump->write_file("index.csv", fn::dump_index_csv(w));
    for (size_t i = 0; i < rows.size(); ++i) {
      const workload::GemmSpec& g = w.gemms[i];
      const std::string stem = fn::dump_stem(i, g.name);
      dump->write_file(stem + ".a.npy", fn::tensor_npy(tensors[i].a));
      dump->write_file(stem + ".b.npy", fn::tensor_npy(tensors[i].b));
      dump->write_file(stem + ".model.npy", fn::output_npy(rows[i].model_output, g.out, g.m, g.n));
      dump->write_file(stem + ".rtl.npy", fn::output_npy(rows[i].rtl_output, g.out, g.m, g.n));
    }
    publish(*dump);
  }
  publish(*dir, vcd, waves_option);

  size_t differ = 0;    // GEMMs whose RTL and model outputs differ
  size_t expected = 0;  // GEMMs with an `expect crc=`
  size_t missed = 0;    // of those, the ones whose RTL output misses it
  double worst = 0;
  for (const cosim::CosimRow& r : rows) {
    const workload::GemmSpec& g = *r.gemm;
    if (!r.match()) {
      std::cerr << workload::gemm_where(g) << ": " << r.differing << " of " << g.m * g.n
                << " output elements differ, the first C[" << r.first.m << "][" << r.first.n
                << "] (" << out_dir << "/mismatch.txt)\n";
      ++differ;
    }
    if (g.data.expect_crc) {
      ++expected;
      if (*g.data.expect_crc != r.rtl_crc) {
        std::cerr << g.data.expect_where.file << ":" << g.data.expect_where.line << ": gemm '"
                  << g.name << "': RTL output CRC " << report::crc_text(r.rtl_crc)
                  << " differs from the expected " << report::crc_text(*g.data.expect_crc) << "\n";
        ++missed;
      }
    }
    worst = std::max(worst, std::abs(r.error_pct()));
  }
  // One line that agrees with the exit code: what differs, what misses, then ok or FAILED.
  const bool ok = differ == 0 && missed == 0;
  std::cout << "cosim: " << rows.size() << (rows.size() == 1 ? " GEMM: " : " GEMMs: ")
            << rows.size() - differ << " of " << rows.size() << " bit-identical";
  if (differ != 0) {
    std::cout << ", " << differ << (differ == 1 ? " differs" : " differ") << " (mismatch.txt)";
  }
  if (missed != 0) {
    std::cout << "; " << missed << " of " << expected << " with `expect crc=`"
              << (missed == 1 ? " misses it" : " miss it");
  }
  char cycles[64];
  std::snprintf(cycles, sizeof cycles, "; largest cycle error %.3f %%; ", worst);
  std::cout << cycles << (ok ? "ok" : "FAILED") << "\n";
  if (!quiet) {
    std::cerr << "nibble cosim: wrote " << out_dir
              << "/{cosim.csv,mismatch.txt,mismatch.json,config.yaml}"
              << (waves_path.empty() ? "" : " and " + waves_path) << "\n";
  }
  return ok ? 0 : 1;
}

}  // namespace nibble::cli
