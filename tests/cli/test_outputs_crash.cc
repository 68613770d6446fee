// Issue 18: crash safety of output folders. A `nibble run` (and a `nibble scalesim`) is killed
// with SIGKILL at seeded random moments spread over its whole run, 20 times each; afterwards
// the output folder must be absent, or whole: exactly the files of an uninterrupted reference
// run, byte for byte (report.json, layers.csv, report.md, config.yaml). Every other trial the
// folder already holds an earlier run's output (other bytes); then it must be that earlier
// output or the new one, whole, never a mix. Eight trials kill during the publishing itself:
// each staging rename is delayed by the preload library rename_delay.cc, and the kill lands
// before, between or after the renames. After every kill, the next run into the same folder must
// succeed, give its reference output, and leave no hidden staging folder (the killed run's is
// swept).
//
// The seed is NIBBLE_CRASH_SEED if set, else fixed; every failure prints the seed and each
// trial's delay and outcome.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/cli/outputs_test_util.h"

namespace {

namespace fs = std::filesystem;
using nibble::test::crash_seed;
using nibble::test::Folder;
using nibble::test::read_folder;
using nibble::test::run_to_end;
using nibble::test::staging_folders;
using nibble::test::start;
using nibble::test::status_text;
using nibble::test::wait_for;
using nibble::test::which;

const std::string kNibble = NIBBLE_BINARY;
const std::string kSource = NIBBLE_SOURCE_DIR;
const std::string kPreload = NIBBLE_RENAME_DELAY_LIB;

class OutputsCrash : public ::testing::Test {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/nibble_outputs_crash_XXXXXX";
    ASSERT_NE(mkdtemp(templ), nullptr);
    tmp_ = templ;
  }
  void TearDown() override { fs::remove_all(tmp_); }

  // One command under test: `kill_argv` is killed into `out`; `next_argv` is the run after
  // each kill (another output, so that the next kill's folder holds other bytes). `last_file`
  // is the file the command writes last, before publishing.
  struct Job {
    std::vector<std::string> kill_argv, next_argv;
    std::string out_arg;  // the argument naming the output (-o DIR, -p DIR)
    fs::path out;         // the output folder: out_arg, or a folder in it
    std::string last_file;
  };

  // The 20 trials; see the file comment.
  void kill_at_random_points(const Job& job) {
    const fs::path parent = job.out.parent_path();
    const std::string name = job.out.filename().string();
    // References: both commands run to the end (into folders of their own).
    auto reference = [&](const std::vector<std::string>& argv, double* seconds) {
      std::vector<std::string> a = argv;
      const fs::path ref = tmp_ / "ref";
      fs::remove_all(ref);
      for (std::string& s : a) {
        if (s == job.out_arg) {
          s = (ref / "x").string();
        }
      }
      const auto t0 = std::chrono::steady_clock::now();
      std::string err;
      const int status = run_to_end(a, tmp_, &err);
      if (seconds != nullptr) {
        *seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      }
      EXPECT_EQ(status_text(status), "exit 0") << err;
      const auto f = read_folder(ref / "x" / fs::relative(job.out, job.out_arg));
      EXPECT_TRUE(f.has_value());
      return f.value_or(Folder{});
    };
    double seconds = 0;
    const Folder ref_new = reference(job.kill_argv, &seconds);
    const Folder ref_old = reference(job.next_argv, nullptr);
    ASSERT_FALSE(ref_new.empty());
    ASSERT_EQ(ref_new.size(), ref_old.size());
    ASSERT_NE(ref_new, ref_old);
    ASSERT_TRUE(ref_new.count(job.last_file));

    std::mt19937_64 rng(crash_seed());
    std::ostringstream log;
    log << "seed " << crash_seed() << " (NIBBLE_CRASH_SEED), reference run " << seconds << " s\n";
    int killed = 0;
    std::map<std::string, int> outcomes;
    fs::remove_all(job.out);
    for (int t = 0; t < 20; ++t) {
      const bool existed = fs::exists(job.out);  // odd trials: the last trial's next run's output
      // Trials 3, 4, 8, 9, 13, 14, 18, 19 kill while each of the commit's renames is delayed by
      // 200 ms: at a random moment 0 to 500 ms after the last file was written (a commit
      // renames once or twice; moving four files one by one would take 800 ms or more). The
      // others kill at a random moment of the whole run.
      const bool at_publish = t % 5 >= 3;
      std::uniform_real_distribution<double> spread(0, at_publish ? 0.5 : 1.1 * seconds);
      const double delay = spread(rng);
      const pid_t pid = start(job.kill_argv, tmp_ / "kill.out", tmp_ / "kill.err", kPreload,
                              at_publish ? 200 : -1);
      if (at_publish) {
        const fs::path last =
            parent / ("." + name + ".partial-" + std::to_string(pid)) / job.last_file;
        for (int i = 0; i < 300000 && !fs::exists(last) && waitpid(pid, nullptr, WNOHANG) == 0;
             ++i) {
          std::this_thread::sleep_for(std::chrono::microseconds(100));
        }
      }
      std::this_thread::sleep_for(std::chrono::duration<double>(delay));
      kill(pid, SIGKILL);
      const int status = wait_for(pid);
      killed += WIFSIGNALED(status) ? 1 : 0;
      const auto got = read_folder(job.out);
      std::vector<std::pair<std::string, Folder>> allowed = {{"new", ref_new}};
      if (existed) {
        allowed.push_back({"old", ref_old});
      }
      const std::string outcome = which(got, allowed);
      ++outcomes[outcome];
      log << "trial " << t << ": folder " << (existed ? "existed" : "absent") << ", kill "
          << (at_publish ? "after the last file + " : "after ") << delay * 1000 << " ms -> "
          << status_text(status) << ", folder " << outcome << "\n";
      const bool ok = outcome == "new" || outcome == "old" || (outcome == "absent" && !existed);
      EXPECT_TRUE(ok) << log.str();

      // The next run into the same folder succeeds, whole, and sweeps the killed one's staging.
      std::string err;
      const int next = run_to_end(job.next_argv, tmp_, &err);
      EXPECT_EQ(status_text(next), "exit 0") << err << log.str();
      EXPECT_EQ(which(read_folder(job.out), {{"old", ref_old}}), "old") << log.str();
      EXPECT_EQ(staging_folders(parent, name), std::set<std::string>{}) << log.str();
      if (t % 2 == 1) {
        fs::remove_all(job.out);  // even trials start with no folder
      }
      if (HasFailure()) {
        break;
      }
    }
    EXPECT_GE(killed, 1) << log.str();
    std::cout << log.str() << "killed " << killed << " of 20;";
    for (const auto& [outcome, n] : outcomes) {
      std::cout << " " << outcome << ": " << n;
    }
    std::cout << "\n";
  }

  fs::path tmp_;
};

// The BERT-base step on the SystemC engine (about 1 s), killed; the next run is the small
// example trace on the analytic engine (other bytes in every file).
TEST_F(OutputsCrash, RunKilledAnywhereLeavesNoPartialFolder) {
  const std::string out = (tmp_ / "out").string();
  Job job;
  job.kill_argv = {kNibble,      "run",     "-q",
                   "--no-plots", "--trace", kSource + "/traces/bert_base_train_s128.trace",
                   "--engine",   "systemc", "-o",
                   out};
  job.next_argv = {kNibble, "run", "-q", "--no-plots", "--trace", kSource + "/traces/example.trace",
                   "-o",    out};
  job.out_arg = out;
  job.out = out;
  job.last_file = "config.yaml";
  kill_at_random_points(job);
}

// SCALE-Sim's AlexNet on its 32x32 os array (about 0.1 s), killed; the next run is the small
// GEMM topology into the same run folder (-p DIR, reports in DIR/sa32x32_os/).
TEST_F(OutputsCrash, ScalesimKilledAnywhereLeavesNoPartialFolder) {
  const std::string data = kSource + "/tests/data/scalesim/";
  const fs::path path = tmp_ / "x";
  fs::create_directories(path);
  Job job;
  job.kill_argv = {kNibble,
                   "scalesim",
                   "-q",
                   "-c",
                   data + "configs/sa32x32_os.cfg",
                   "-t",
                   data + "topologies/alexnet.csv",
                   "-p",
                   path.string()};
  job.next_argv = {kNibble,
                   "scalesim",
                   "-q",
                   "-c",
                   data + "configs/sa32x32_os.cfg",
                   "-t",
                   data + "topologies/gemm_small.csv",
                   "-i",
                   "gemm",
                   "-p",
                   path.string()};
  job.out_arg = path.string();
  job.out = path / "sa32x32_os";
  job.last_file = "DETAILED_ACCESS_REPORT.csv";
  kill_at_random_points(job);
}

}  // namespace
