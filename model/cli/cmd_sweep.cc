// nibble sweep: a design-space sweep (docs/sweep.md). `nibble sweep SPEC -o DIR` expands the
// spec into points, runs them in parallel processes (or, with --slurm, writes and submits a job
// array of `nibble sweep run-chunk` tasks) and merges their reports into DIR/sweep.csv,
// DIR/sweep.json and Pareto plots (`nibble sweep merge DIR` after a Slurm run).
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "model/cli/command.h"
#include "model/cli/options.h"
#include "model/cli/plots.h"
#include "model/frontend/input_error.h"
#include "model/report/staged_dir.h"
#include "model/sweep/merge.h"
#include "model/sweep/plan.h"
#include "model/sweep/runner.h"
#include "model/sweep/shell.h"
#include "model/sweep/slurm.h"
#include "model/sweep/spec.h"

namespace nibble::cli {

namespace fs = std::filesystem;
namespace po = boost::program_options;

namespace {

constexpr const char* kSynopsis =
    "SPEC [-o DIR] [--jobs N] [--no-plots] [-q]\n"
    "       nibble sweep SPEC -o DIR --slurm [--submit | --dry-run] [--throttle N] "
    "[--chunk-size N] [--slurm-opt OPT]...\n"
    "       nibble sweep run-chunk DIR --index I [--jobs N] [-q]\n"
    "       nibble sweep merge DIR [--no-plots] [-q]";

// Writes one file of the sweep folder whole (renamed into place when complete).
void write_whole(const fs::path& path, const std::string& content) {
  try {
    report::StagedFile file(path);
    {
      std::FILE* f = std::fopen(file.staging_path().c_str(), "wb");
      if (f == nullptr || std::fwrite(content.data(), 1, content.size(), f) != content.size() ||
          std::fclose(f) != 0) {
        throw UsageError("cannot write " + path.string());
      }
    }
    file.commit();
  } catch (const report::OutputBusy& e) {
    throw UsageError(e.what());  // another sweep merging into the same folder now
  } catch (const fs::filesystem_error& e) {
    throw UsageError("cannot write " + path.string() + ": " + e.code().message());
  }
}

// The sweep folder, created, after checking that it is new, empty or a sweep's.
void claim_sweep_dir(const fs::path& dir) {
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    if (!fs::is_directory(dir, ec)) {
      throw UsageError("-o " + dir.string() + ": exists and is not a folder");
    }
    if (!fs::is_empty(dir, ec) && !fs::exists(sweep::plan_path(dir), ec)) {
      throw UsageError("-o " + dir.string() +
                       ": a folder that is neither empty nor a sweep's (no plan.json); "
                       "choose another");
    }
  }
  fs::create_directories(dir, ec);
  if (ec) {
    throw UsageError("cannot write " + dir.string() + ": " + ec.message());
  }
}

// Merges the points' reports into DIR. Returns the exit code: 0 when every point ran, 1 when
// some failed (their rows say why) or have not run (nothing written then).
int merge_into(const sweep::Plan& plan, const fs::path& dir, bool plots, bool quiet) {
  const sweep::Merged m = sweep::merge_points(plan, dir);
  if (!m.missing.empty()) {
    std::cerr << "nibble sweep: " << dir.string() << ": " << m.missing.size() << " of "
              << plan.points.size()
              << " points have not run (the first: " << plan.points[m.missing.front()].id
              << "); run the sweep again, or resubmit with --slurm --submit, then merge\n";
    return 1;
  }
  write_whole(dir / "sweep.csv", m.csv);
  write_whole(dir / "sweep.json", m.json);
  // Every point has run: what runs killed mid-way left (hidden staging folders and lock files
  // of `nibble run`, stderr files) is removed now, when no run of this sweep should be going on.
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir / "points", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind('.', 0) == 0 && name.find(".partial-") != std::string::npos) {
      fs::remove_all(entry.path(), ec);
    } else if (name.rfind('.', 0) == 0 && entry.path().extension() == ".lock") {
      report::OutputClaim::remove_if_stale(entry.path());  // a killed run's claim
    }
  }
  for (const auto& entry : fs::directory_iterator(dir / "logs", ec)) {
    fs::remove(entry.path(), ec);
  }
  if (plots) {
    draw_plots(NIBBLE_SWEEP_PLOT_SCRIPT, dir.string());  // its PNGs appear whole or not at all
  }
  if (!quiet) {
    std::cerr << "nibble sweep: " << m.ok << " points ok, " << m.failed << " failed; wrote "
              << (dir / "sweep.csv").string() << ", sweep.json" << (plots ? ", *.png" : "") << "\n";
  }
  for (const sweep::Point& p : plan.points) {
    if (fs::exists(sweep::failure_path(dir, p), ec) && !sweep::is_finished(dir, p)) {
      std::cerr << "nibble sweep: point " << p.id << " failed: see "
                << sweep::failure_path(dir, p).string() << "\n";
    }
  }
  return m.failed == 0 ? 0 : 1;
}

int submit(const std::vector<std::string>& command) {
  const std::string line = sweep::shell_line(command);
  FILE* pipe = popen(line.c_str(), "r");
  if (pipe == nullptr) {
    throw std::runtime_error("cannot run sbatch");
  }
  std::string out;
  char buf[256];
  while (std::fgets(buf, sizeof buf, pipe) != nullptr) {
    out += buf;
  }
  const int status = pclose(pipe);
  if (status != 0) {
    throw std::runtime_error("sbatch failed (" + line + ")");
  }
  const std::string job = out.substr(0, out.find_first_of(";\n"));
  std::cout << job << "\n";
  return 0;
}

int run_spec(const po::variables_map& vm, const std::string& spec_path, const fs::path& dir,
             int jobs, bool quiet) {
  sweep::Plan plan = sweep::read_spec(spec_path);
  const bool slurm = vm.count("slurm") != 0;
  for (const char* o : {"submit", "dry-run", "throttle", "chunk-size", "slurm-opt"}) {
    if (!slurm && vm.count(o) != 0) {
      throw UsageError(std::string("--") + o + " needs --slurm");
    }
  }
  if (vm.count("submit") != 0 && vm.count("dry-run") != 0) {
    throw UsageError("--submit and --dry-run exclude each other");
  }
  if (slurm && vm.count("jobs") != 0) {
    throw UsageError(
        "--jobs does not apply with --slurm: each array task runs "
        "$SLURM_CPUS_PER_TASK points at once");
  }
  const fs::path abs_dir = fs::absolute(dir).lexically_normal();
  if (slurm && abs_dir.string().find_first_of(" \t\n%") != std::string::npos) {
    throw UsageError("-o " + abs_dir.string() +
                     ": a Slurm sweep folder's path may not hold blanks or '%' (sbatch's "
                     "--output reads them)");
  }
  // The plan already in the folder, when it holds the same points: array tasks of an earlier
  // submission may still be running on its chunks, so its chunking stays.
  std::optional<sweep::Plan> existing;
  std::error_code ec;
  if (fs::exists(sweep::plan_path(abs_dir), ec)) {
    try {
      sweep::Plan old = sweep::read_plan(abs_dir);
      old.chunk_size = plan.chunk_size;
      if (sweep::plan_json(old) == sweep::plan_json(plan)) {
        existing = sweep::read_plan(abs_dir);
      }
    } catch (const frontend::InputError&) {
      existing.reset();  // not a plan this nibble reads: replaced by the new one
    }
  }
  if (slurm) {
    const int64_t n = static_cast<int64_t>(plan.points.size());
    if (existing && vm.count("chunk-size") != 0 &&
        vm["chunk-size"].as<int64_t>() != existing->chunk_size) {
      throw UsageError("--chunk-size " + std::to_string(vm["chunk-size"].as<int64_t>()) + ": " +
                       abs_dir.string() + " was planned in chunks of " +
                       std::to_string(existing->chunk_size) +
                       ", which tasks of its array may be running; keep it (or use a new folder)");
    }
    plan.chunk_size = existing ? existing->chunk_size
                      : vm.count("chunk-size") != 0
                          ? vm["chunk-size"].as<int64_t>()
                          : sweep::default_chunk_size(n, sweep::kMaxArrayTasks);
    if (plan.chunk_size < 1) {
      throw UsageError("--chunk-size: expected a positive number of points");
    }
    if (sweep::chunk_count(plan) > sweep::kMaxArrayTasks) {
      throw UsageError("--chunk-size " + std::to_string(plan.chunk_size) + " makes " +
                       std::to_string(sweep::chunk_count(plan)) + " array tasks, above " +
                       std::to_string(sweep::kMaxArrayTasks) + "; choose a larger chunk");
    }
  }
  sweep::SlurmOptions slurm_options;
  if (vm.count("throttle") != 0) {
    slurm_options.throttle = vm["throttle"].as<int64_t>();
    if (slurm_options.throttle < 1) {
      throw UsageError("--throttle: expected a positive number of tasks");
    }
  }
  if (vm.count("slurm-opt") != 0) {
    slurm_options.sbatch_options = vm["slurm-opt"].as<std::vector<std::string>>();
  }

  if (!slurm && existing) {
    plan.chunk_size = existing->chunk_size;  // a local run of a Slurm sweep keeps its chunks
  }
  const std::string plan_text = sweep::plan_json(plan);
  claim_sweep_dir(abs_dir);
  if (!existing) {
    write_whole(sweep::plan_path(abs_dir), plan_text);
  }
  if (!slurm) {
    std::vector<size_t> all(plan.points.size());
    for (size_t i = 0; i < all.size(); ++i) {
      all[i] = i;
    }
    const sweep::RunSummary s =
        sweep::run_points(plan, abs_dir, all, {sweep::this_program(), jobs, quiet});
    if (!quiet) {
      std::cerr << "nibble sweep: " << plan.points.size() << " points: " << s.ran << " run, "
                << s.skipped << " finished before, " << s.failed << " failed\n";
    }
    return merge_into(plan, abs_dir, vm.count("no-plots") == 0, quiet);
  }

  fs::create_directories(abs_dir / "slurm");
  write_whole(abs_dir / "sweep.sbatch",
              sweep::sbatch_script(plan, abs_dir, sweep::this_program(), slurm_options));
  const std::vector<int64_t> tasks = sweep::unfinished_chunks(plan, abs_dir);
  if (tasks.empty()) {
    std::cerr << "nibble sweep: every point of " << abs_dir.string()
              << " has run; nothing to submit (nibble sweep merge " << abs_dir.string() << ")\n";
    return 0;
  }
  const std::vector<std::string> command =
      sweep::sbatch_command(abs_dir, tasks, slurm_options.throttle);
  if (!quiet) {
    std::cerr << "nibble sweep: " << plan.points.size() << " points in " << sweep::chunk_count(plan)
              << " chunks of up to " << plan.chunk_size << "; " << tasks.size()
              << " chunk(s) to run; wrote " << (abs_dir / "sweep.sbatch").string() << "\n";
  }
  if (vm.count("submit") == 0) {
    std::cout << sweep::shell_line(command) << "\n";
    return 0;
  }
  return submit(command);
}

}  // namespace

int run_sweep(const std::vector<std::string>& args) {
  const std::string mode =
      !args.empty() && (args[0] == "run-chunk" || args[0] == "merge") ? args[0] : "";
  std::vector<std::string> rest(args.begin() + (mode.empty() ? 0 : 1), args.end());
  po::options_description desc("Options");
  std::string first;  // SPEC, or DIR of run-chunk and merge
  std::string out_dir = "sweep-out";
  int jobs = 0;
  int64_t index = -1;
  desc.add_options()                                                                    //
      ("output,o", po::value(&out_dir), "SPEC: the sweep folder (default: sweep-out)")  //
      ("jobs,j", po::value(&jobs),
       "points run at once, each in a process of its own (default: the core count; run-chunk: "
       "$SLURM_CPUS_PER_TASK, else 1)")                                                   //
      ("no-plots", "skip the PNG plots (tools/plot_sweep.py, needs python3-matplotlib)")  //
      ("quiet,q", "no progress on stderr")                                                //
      ("slurm", "SPEC: write DIR/sweep.sbatch, a Slurm job array over chunks of points")  //
      ("submit", "--slurm: submit the job array with sbatch; print its job id")           //
      ("dry-run", "--slurm: print the sbatch command, do not submit (the default)")       //
      ("throttle", po::value<int64_t>(), "--slurm: at most N array tasks at once (%N)")   //
      ("chunk-size", po::value<int64_t>(),
       "--slurm: points per array task (default: about the square root of the point count)")  //
      ("slurm-opt", po::value<std::vector<std::string>>()->composing(),
       "--slurm: one more #SBATCH option, as sbatch takes it (repeatable)")  //
      ("index", po::value(&index), "run-chunk: the chunk (the array task id)");
  po::options_description hidden;
  hidden.add_options()("input", po::value(&first), "SPEC or DIR");
  po::positional_options_description positional;
  positional.add("input", 1);
  po::variables_map vm;
  if (!parse_options("sweep", kSynopsis, desc, rest, vm, &positional, &hidden)) {
    return 0;
  }
  const bool quiet = vm.count("quiet") != 0;
  if (first.empty()) {
    throw UsageError(mode.empty() ? "no sweep spec (nibble sweep SPEC -o DIR)"
                                  : "no sweep folder (nibble sweep " + mode + " DIR)");
  }
  if (vm.count("jobs") != 0 && jobs < 1) {
    throw UsageError("--jobs: expected a positive number of processes");
  }
  if (mode.empty()) {
    if (vm.count("index") != 0) {
      throw UsageError("--index belongs to `nibble sweep run-chunk`");
    }
    return run_spec(vm, first, out_dir, vm.count("jobs") != 0 ? jobs : default_threads(), quiet);
  }
  for (const char* o :
       {"output", "slurm", "submit", "dry-run", "throttle", "chunk-size", "slurm-opt"}) {
    if (vm.count(o) != 0) {
      throw UsageError(std::string("--") + o + " does not apply to `nibble sweep " + mode + "`");
    }
  }
  const fs::path dir = fs::absolute(first).lexically_normal();
  const sweep::Plan plan = sweep::read_plan(dir);
  if (mode == "merge") {
    if (vm.count("index") != 0 || vm.count("jobs") != 0) {
      throw UsageError("nibble sweep merge takes no --index or --jobs");
    }
    return merge_into(plan, dir, vm.count("no-plots") == 0, quiet);
  }
  if (vm.count("no-plots") != 0) {
    throw UsageError("--no-plots does not apply to run-chunk (it draws nothing)");
  }
  if (vm.count("index") == 0) {
    throw UsageError("run-chunk needs --index I (the array task id)");
  }
  if (index < 0 || index >= sweep::chunk_count(plan)) {
    throw UsageError("--index " + std::to_string(index) + ": the plan has chunks 0.." +
                     std::to_string(sweep::chunk_count(plan) - 1));
  }
  if (vm.count("jobs") == 0) {
    const char* cpus = std::getenv("SLURM_CPUS_PER_TASK");
    jobs = cpus != nullptr && std::atoi(cpus) > 0 ? std::atoi(cpus) : 1;
  }
  const sweep::RunSummary s = sweep::run_points(plan, dir, sweep::chunk_points(plan, index),
                                                {sweep::this_program(), jobs, quiet});
  return s.failed == 0 ? 0 : 1;
}

}  // namespace nibble::cli
