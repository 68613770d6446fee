// nibble run: times a trace's GEMMs on the configured 4-bit array and on the FP16 baselines,
// counts their energy, and writes report.json, layers.csv, report.md, the resolved config.yaml
// and the PNG plots into the output folder (docs/reports.md). With no arguments: the built-in
// ResNet-18 training step.
#include <functional>
#include <iostream>
#include <limits>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "model/builtin/builtin.h"
#include "model/cli/command.h"
#include "model/cli/options.h"
#include "model/cli/outputs.h"
#include "model/cli/plots.h"
#include "model/cli/work_limit.h"
#include "model/energy/baseline.h"
#include "model/energy/tables.h"
#include "model/frontend/config.h"
#include "model/frontend/scalesim_input.h"
#include "model/frontend/trace.h"
#include "model/functional/tensors.h"
#include "model/report/progress.h"
#include "model/report/run_report.h"
#include "model/report/staged_dir.h"
#include "model/sc/engine.h"
#include "model/timing/realistic.h"
#include "model/workload/training.h"

namespace nibble::cli {

namespace po = boost::program_options;

namespace {

// The SystemC engine as the comparison's timer: jobs[0] (the 4-bit array) runs in `mode`, the
// baselines timing-only; the 4-bit array's output CRCs go to `crcs`, and with
// options.keep_outputs its outputs to `outputs`.
// Before the simulation starts, its work is estimated from the analytic timing of the same
// jobs and checked against the limits (work_limit.h) unless allow_long.
energy::WorkloadTimer systemc_timer(sc::EngineMode mode, const sc::EngineOptions& options,
                                    bool allow_long, std::vector<std::optional<uint32_t>>& crcs,
                                    std::vector<std::vector<uint16_t>>& outputs) {
  return [mode, options, allow_long, &crcs, &outputs](const std::vector<energy::ArrayJob>& jobs) {
    check_work(estimate_systemc(jobs, energy::time_analytic(jobs), mode),
               std::string("the systemc engine (") + sc::engine_mode_name(mode) + ")", allow_long);
    std::vector<sc::EngineJob> sc_jobs;
    for (size_t j = 0; j < jobs.size(); ++j) {
      sc::EngineJob e;
      e.name = jobs[j].name;
      e.workload = jobs[j].workload;
      e.arch = jobs[j].arch;
      if (j == 0 && mode != sc::EngineMode::kTimingOnly) {
        e.mode = mode;
        const workload::Workload* w = jobs[j].workload;
        e.tensors = [w](size_t i) { return fn::make_gemm_tensors(*w, i); };
      }
      sc_jobs.push_back(std::move(e));
    }
    const std::vector<std::vector<sc::GemmResult>> results = sc::run_engine(sc_jobs, options);
    energy::JobTimings timings;
    for (const std::vector<sc::GemmResult>& job : results) {
      std::vector<timing::GemmTiming>& t = timings.emplace_back();
      for (const sc::GemmResult& g : job) {
        t.push_back(g.timing);
      }
    }
    crcs.clear();
    outputs.clear();
    for (const sc::GemmResult& g : results.front()) {
      crcs.push_back(g.output_crc);
      outputs.push_back(g.output);
    }
    return timings;
  };
}

// The workload of `--topology`: the topology's layers lowered by the training lowering
// (docs/trace-format.md, "Training lowering"), forward only or a whole training step. A conv-form
// topology is a CNN: its activations are unsigned (after a ReLU; the first layer's image too, as
// in the shipped CNN traces) and its 1x1 layers pointwise; a GEMM-form one's are signed.
workload::Workload topology_workload(const std::string& path, frontend::TopologyForm form,
                                     workload::Recipe recipe, bool train) {
  const workload::Workload topology = frontend::read_scalesim_topology(path, form);
  std::vector<workload::Layer> layers;
  for (const workload::GemmSpec& g : topology.gemms) {
    workload::Layer& l = layers.emplace_back();
    l.name = g.name;
    l.m = g.m;
    l.n = g.n;
    l.k = g.k;
    l.a_unsigned = form == frontend::TopologyForm::kConv;
    l.pointwise = form == frontend::TopologyForm::kConv && g.conv && g.conv->filter_h == 1 &&
                  g.conv->filter_w == 1;
    l.conv = g.conv;
    l.where = g.where;
  }
  workload::Workload w;
  w.name = topology.name;
  try {
    w.gemms = workload::lower_layers(layers, recipe, train);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  if (static_cast<int64_t>(w.gemms.size()) > workload::kMaxGemms) {
    throw UsageError(path + ": " + std::to_string(w.gemms.size()) +
                     " GEMMs with the training lowering, more than the " +
                     std::to_string(workload::kMaxGemms) + " a workload may hold");
  }
  return w;
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
  std::string engine = "analytic";
  std::string vcd_path;
  std::string dump_path;
  std::string topology_path;
  std::string form_name = "conv";
  std::string recipe_text = "all4";
  int threads = default_threads();
  desc.add_options()  //
      ("trace", po::value(&trace_path),
       "workload trace (.trace); default: the built-in ResNet-18 training step, batch 32")  //
      ("topology", po::value(&topology_path),
       "a SCALE-Sim topology CSV instead of a trace, lowered to GEMMs (forward only; --train: "
       "a training step)")  //
      ("input-type,i", po::value(&form_name)->default_value("conv"),
       "with --topology: its form, conv (layer rows) or gemm (name, M, N, K rows)")  //
      ("train", "with --topology: every layer's fwd, dgrad and wgrad GEMMs")         //
      ("recipe", po::value(&recipe_text)->default_value("all4"),
       "with --topology: precision recipe, all4, sun2020 or fp16")                            //
      ("config", po::value(&config_path), "native YAML config (default: built-in defaults)")  //
      ("set", po::value(&overrides)->composing(),
       "override one config key, KEY=VALUE (repeatable; applied after --config)")  //
      ("energy", po::value(&energy_path),
       "energy table CSV (default: built-in configs/energy/default_45nm.csv)")  //
      ("area", po::value(&area_path),
       "PE area table CSV (default: built-in configs/area/default_45nm.csv)")   //
      ("output,o", po::value(&out_dir)->default_value("out"), "output folder")  //
      ("engine", po::value(&engine)->default_value("analytic"),
       "analytic (closed forms, model/timing) or systemc (the SystemC model, model/sc)")  //
      ("functional",
       "systemc engine: also compute every output value, bit-exact, and report its CRC-32")  //
      ("detailed",
       "systemc engine: compute the values PE by PE, cycle by cycle (small arrays)")  //
      ("vcd", po::value(&vcd_path),
       "systemc engine: write waves (array busy/stall, DMA, scale unit) to this VCD file")  //
      ("dump", po::value(&dump_path),
       "with --functional or --detailed: write each GEMM's A, B and output as NumPy .npy "
       "files into this folder")  //
      ("threads", po::value(&threads),
       "systemc engine, --functional: threads that compute the values (default: the cores)")  //
      ("allow-long",
       "systemc engine: run even when the estimated work is above the limits (docs/cli.md, "
       "\"Work limits\")")                                                                 //
      ("no-plots", "skip the PNG plots (tools/plot_report.py, needs python3-matplotlib)")  //
      ("quiet,q", "no progress on stderr");
  po::variables_map vm;
  if (!parse_options(
          "run",
          "[--trace FILE | --topology FILE [-i conv|gemm] [--train] [--recipe R]] "
          "[--config FILE] [--set KEY=VALUE]... [--energy FILE] "
          "[--area FILE] [-o OUTDIR] [--engine analytic|systemc] [--functional | "
          "--detailed] [--threads N] [--vcd FILE] [--dump DIR] [--allow-long] [--no-plots] [-q]",
          desc, args, vm)) {
    return 0;
  }
  const bool quiet = vm.count("quiet") != 0;
  if (!topology_path.empty() && vm.count("trace") != 0) {
    throw UsageError("--trace and --topology exclude each other (one workload per run)");
  }
  if (vm.count("topology") != 0 && topology_path.empty()) {
    throw UsageError("--topology: empty file name");
  }
  for (const char* option : {"input-type", "train", "recipe"}) {
    if (topology_path.empty() && !vm[option].defaulted() && vm.count(option) != 0) {
      throw UsageError(std::string("--") + option + " needs --topology");
    }
  }
  frontend::TopologyForm form = frontend::TopologyForm::kConv;
  if (form_name == "gemm") {
    form = frontend::TopologyForm::kGemm;
  } else if (form_name != "conv") {
    throw UsageError("-i/--input-type must be conv or gemm, got '" + form_name + "'");
  }
  const std::optional<workload::Recipe> recipe = workload::parse_recipe(recipe_text);
  if (!recipe) {
    throw UsageError("--recipe: expected all4, sun2020 or fp16, got '" + recipe_text + "'");
  }
  if (engine != "analytic" && engine != "systemc") {
    throw UsageError("--engine: expected analytic or systemc, got '" + engine + "'");
  }
  const bool functional = vm.count("functional") != 0;
  const bool detailed = vm.count("detailed") != 0;
  if (functional && detailed) {
    throw UsageError("--functional and --detailed exclude each other");
  }
  if (engine != "systemc" && (functional || detailed || vm.count("vcd") != 0)) {
    throw UsageError(std::string("--") +
                     (functional ? "functional"
                      : detailed ? "detailed"
                                 : "vcd") +
                     " needs --engine systemc");
  }
  if (vm.count("vcd") != 0 && vcd_path.empty()) {
    throw UsageError("--vcd: empty file name");
  }
  if (threads < 1) {
    throw UsageError("--threads: expected at least 1, got " + std::to_string(threads));
  }
  if (vm.count("allow-long") != 0 && engine != "systemc") {
    throw UsageError("--allow-long needs --engine systemc (the analytic engine has no limit)");
  }
  if (vm.count("threads") != 0 && !functional) {
    throw UsageError("--threads needs --functional (threads compute the output values)");
  }
  if (vm.count("dump") != 0 && !functional && !detailed) {
    throw UsageError("--dump needs --functional or --detailed (values to dump)");
  }
  if (vm.count("dump") != 0 && dump_path.empty()) {
    throw UsageError("--dump: empty folder name");
  }
  if (!dump_path.empty() && same_path(dump_path, out_dir)) {
    throw UsageError("--dump " + dump_path + ": the output folder (-o) itself; give another");
  }
  const sc::EngineMode mode = functional ? sc::EngineMode::kFunctional
                              : detailed ? sc::EngineMode::kDetailed
                                         : sc::EngineMode::kTimingOnly;

  // Read and check every input before anything is written.
  report::RunResult result;
  const timing::ArchSpec arch = frontend::resolve_config(config_path, overrides);
  if (!topology_path.empty()) {
    result.trace_path = topology_path;
    result.workload = topology_workload(topology_path, form, *recipe, vm.count("train") != 0);
  } else if (trace_path.empty()) {
    const builtin::File& f = builtin::default_trace();
    std::istringstream in(f.content);
    result.trace_path = f.path;
    result.workload = frontend::parse_trace(in, std::string("<built-in> ") + f.path);
  } else {
    result.trace_path = trace_path;
    result.workload = frontend::read_trace_file(trace_path);
  }
  const energy::Tables tables = energy::load_tables(energy_path, area_path);
  result.energy_table_path = tables.energy_path;
  result.area_table_path = tables.area_path;

  // Claim the output folder and the VCD before timing, so an unwritable path fails at once.
  std::optional<report::StagedDir> dir;
  claim_output_dir(dir, out_dir);
  std::optional<report::StagedFile> vcd;  // the waves, renamed into place when the run succeeds
  claim_vcd(vcd, vcd_path, out_dir);
  std::optional<report::StagedDir> dump;  // the tensors, published with the rest
  if (!dump_path.empty()) {
    claim_output_dir(dump, dump_path);
  }

  const int64_t arrays = 1 + static_cast<int64_t>(energy::baselines_for(arch).size());
  const int64_t macs = workload::total_macs_saturated(result.workload);
  if (!quiet) {
    std::cerr << "nibble run: " << result.workload.gemms.size() << " GEMMs on the 4-bit array and "
              << arrays - 1 << " baselines, " << engine << " engine"
              << (engine == "systemc" ? std::string(", ") + sc::engine_mode_name(mode) : "");
    if (mode != sc::EngineMode::kTimingOnly) {
      // Warn before the wait: the values to compute (docs/cli.md gives the expected time).
      std::cerr << ": " << report::si_text(static_cast<double>(macs))
                << " MACs of values to compute"
                << (mode == sc::EngineMode::kFunctional
                        ? " on " + std::to_string(threads) + " thread" + (threads == 1 ? "" : "s")
                        : std::string(", PE by PE"));
    }
    std::cerr << "\n";
  }
  // Progress: the GEMMs of every array; the work is the MACs of every array when only timing
  // is computed, and the 4-bit array's MACs when its values are (the baselines are then cheap).
  const bool values = mode != sc::EngineMode::kTimingOnly;
  report::Progress progress(
      "nibble run", "GEMMs", arrays * static_cast<int64_t>(result.workload.gemms.size()),
      values                                                ? macs
      : macs > std::numeric_limits<int64_t>::max() / arrays ? std::numeric_limits<int64_t>::max()
                                                            : macs * arrays,
      "MACs", quiet);
  const std::function<void(size_t, int64_t)> on_gemm_done =
      [&progress, values](size_t job, int64_t m) { progress.add(values && job != 0 ? 0 : m); };
  result.engine = engine;
  result.engine_mode = engine == "systemc" ? sc::engine_mode_name(mode) : "timing-only";
  std::vector<std::vector<uint16_t>> outputs;  // the 4-bit array's, with --dump
  try {
    energy::WorkloadTimer timer = [&on_gemm_done](const std::vector<energy::ArrayJob>& jobs) {
      return energy::time_analytic_reporting(jobs, [&](int64_t m) { on_gemm_done(0, m); });
    };
    if (engine == "systemc") {
      sc::EngineOptions options;
      options.vcd_path = vcd ? vcd->staging_path().string() : "";
      options.keep_outputs = dump.has_value();
      options.threads = threads;
      options.on_gemm_done = on_gemm_done;
      timer =
          systemc_timer(mode, options, vm.count("allow-long") != 0, result.output_crcs, outputs);
    }
    result.comparison =
        energy::compare_with_baselines(result.workload, arch, tables.energy, tables.area, timer);
  } catch (const std::overflow_error& e) {
    throw UsageError(e.what());  // a workload or config too large to count: bad input
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());  // a workload the chosen engine mode cannot run
  }
  progress.finish();

  try {
    dir->write_file("report.json", report::run_report_json(result));
    dir->write_file("layers.csv", report::layers_csv(result));
    dir->write_file("report.md", report::report_markdown(result));
    dir->write_file("config.yaml", frontend::dump_config(result.arch()));
    if (vm.count("no-plots") == 0) {
      draw_plots(NIBBLE_PLOT_SCRIPT, dir->staging_path().string());
    }
  } catch (const std::overflow_error& e) {
    throw UsageError(e.what());  // totals of a workload too large to count
  }
  if (dump) {
    const workload::Workload& w = result.workload;
    dump->write_file("index.csv", fn::dump_index_csv(w));
    for (size_t i = 0; i < w.gemms.size(); ++i) {
      const workload::GemmSpec& g = w.gemms[i];
      const std::string stem = fn::dump_stem(i, g.name);
      const fn::GemmTensors t = fn::make_gemm_tensors(w, i);
      dump->write_file(stem + ".a.npy", fn::tensor_npy(t.a));
      dump->write_file(stem + ".b.npy", fn::tensor_npy(t.b));
      dump->write_file(stem + ".out.npy", fn::output_npy(outputs.at(i), g.out, g.m, g.n));
    }
    publish(*dump);
  }
  publish(*dir, vcd);
  std::cout << report::summary_table(result);
  if (!quiet) {
    std::cerr << "nibble run: wrote " << out_dir << "/{report.json,layers.csv,report.md,config.yaml"
              << (vm.count("no-plots") ? "" : ",*.png") << "}"
              << (vcd_path.empty() ? "" : " and " + vcd_path) << "\n";
  }
  // A trace's `expect crc=` that the computed output does not meet fails the run (exit 1),
  // one line per GEMM; the reports are written and record it (crc_match false).
  int mismatches = 0;
  for (size_t i = 0; i < result.workload.gemms.size(); ++i) {
    const std::optional<bool> match = report::crc_match(result, i);
    if (match && !*match) {
      const workload::GemmSpec& g = result.workload.gemms[i];
      std::cerr << g.data.expect_where.file << ":" << g.data.expect_where.line << ": gemm '"
                << g.name << "': output CRC " << report::crc_text(*result.output_crcs[i])
                << " differs from the expected " << report::crc_text(*g.data.expect_crc) << "\n";
      ++mismatches;
    }
  }
  return mismatches == 0 ? 0 : 1;
}

}  // namespace nibble::cli
