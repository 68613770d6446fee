// Issue 18: two runs writing the same output at once (docs/cli.md, "Output folders"). A run
// claims its outputs before its work and holds the claim until it has published or failed; a
// second run that tries to claim one of them meanwhile fails at once: exit 2, one line naming
// the output and the first run's pid, and the first run's output whole.
//
// The two runs are made to overlap every time: the first (the holder) runs with the preload
// library rename_delay.cc, which delays its first staging rename (the start of its publishing)
// by 500 ms, so it holds its claim for at least 500 ms after its staging folder appears; the
// second starts a seeded random 0 to 250 ms after that. The seed is NIBBLE_CRASH_SEED if set.
// Also: a lock file left by a run killed with SIGKILL blocks nothing, and the same rule holds
// for `--vcd` files and `nibble scalesim`.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
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
using nibble::test::read_file;
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
constexpr int kHoldMs = 500;  // the holder's first staging rename is delayed this long

// Waits (at most 30 s) until `path` exists or process pid has ended; returns whether it exists.
bool wait_until_exists(const fs::path& path, pid_t pid) {
  for (int i = 0; i < 300000; ++i) {
    if (fs::exists(path)) {
      return true;
    }
    siginfo_t info{};
    if (waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0 ||
        info.si_pid != 0) {
      break;  // ended (left to be reaped by wait_for)
    }
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  return fs::exists(path);
}

// The hidden files and folders an output `name` may leave in `parent`: staging folders
// (".NAME.partial-PID"), staging files ("NAME.partial") and lock files (".NAME.lock").
std::set<std::string> leftovers(const fs::path& parent, const std::string& name) {
  std::set<std::string> found = staging_folders(parent, name);
  for (const auto& e : fs::directory_iterator(parent)) {
    const std::string file = e.path().filename().string();
    if (file == "." + name + ".lock" || file.rfind(name + ".partial", 0) == 0) {
      found.insert(file);
    }
  }
  return found;
}

class OutputsRace : public ::testing::Test {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/nibble_outputs_race_XXXXXX";
    ASSERT_NE(mkdtemp(templ), nullptr);
    tmp_ = templ;
  }
  void TearDown() override { fs::remove_all(tmp_); }

  // The command of run a, b or c (the earlier output) into `out`.
  std::vector<std::string> command(char which_run, const fs::path& out) const {
    std::vector<std::string> argv = {kNibble,      "run",       "-q",
                                     "--no-plots", "--trace",   kSource + "/traces/example.trace",
                                     "-o",         out.string()};
    if (which_run == 'b') {
      argv.insert(argv.end(), {"--set", "clock_ghz=2.0", "--energy", energy_b_.string()});
    } else if (which_run == 'c') {
      argv.insert(argv.end(), {"--set", "clock_ghz=3.0", "--energy", energy_c_.string()});
    }
    return argv;
  }

  Folder reference(char which_run) {
    const fs::path ref = tmp_ / "ref" / std::string(1, which_run);
    std::string err;
    EXPECT_EQ(status_text(run_to_end(command(which_run, ref), tmp_, &err)), "exit 0") << err;
    return read_folder(ref).value_or(Folder{});
  }

  // The energy tables of runs b and c: the default with one value changed, so every GEMM's
  // energy differs.
  void write_energy_tables() {
    const std::string table = read_file(kSource + "/configs/energy/default_45nm.csv");
    const std::string row = "\nadd_fp16,accumulate,0.4,";
    ASSERT_NE(table.find(row), std::string::npos);
    for (const auto& [path, value] : {std::pair{&energy_b_, "0.5"}, std::pair{&energy_c_, "0.6"}}) {
      std::string changed = table;
      changed.replace(table.find(row), row.size(),
                      "\nadd_fp16,accumulate," + std::string(value) + ",");
      *path = tmp_ / ("energy_" + std::string(value) + ".csv");
      std::ofstream(*path) << changed;
    }
  }

  fs::path tmp_;
  fs::path energy_b_, energy_c_;
};

TEST_F(OutputsRace, SecondRunIntoAClaimedFolderFailsAndTheFirstWinsWhole) {
  write_energy_tables();
  const Folder a = reference('a'), b = reference('b'), c = reference('c');
  ASSERT_EQ(a.size(), 4U);
  for (const auto& [name, bytes] : a) {
    EXPECT_TRUE(bytes != b.at(name)) << name;  // else a mix of the two could not be seen
    EXPECT_TRUE(bytes != c.at(name)) << name;
    EXPECT_TRUE(b.at(name) != c.at(name)) << name;
  }
  ASSERT_FALSE(HasFailure());

  std::mt19937_64 rng(crash_seed());
  std::uniform_int_distribution<int> stagger(0, 250);
  std::ostringstream log;
  log << "seed " << crash_seed() << " (NIBBLE_CRASH_SEED)\n";
  const fs::path out = tmp_ / "out";
  const std::string notes = "not nibble's\n";
  for (const std::string start_state : {"absent", "earlier output", "earlier output + notes"}) {
    for (int round = 0; round < 10; ++round) {
      fs::remove_all(out);
      if (start_state != "absent") {
        ASSERT_EQ(run_to_end(command('c', out), tmp_), 0);
      }
      if (start_state == "earlier output + notes") {
        std::ofstream(out / "notes.txt") << notes;
      }
      // The holder alternates between a and b.
      const char first = round % 2 == 0 ? 'a' : 'b', second = round % 2 == 0 ? 'b' : 'a';
      const int ms = stagger(rng);
      const auto t0 = std::chrono::steady_clock::now();
      const pid_t p1 =
          start(command(first, out), tmp_ / "1.out", tmp_ / "1.err", kPreload, kHoldMs, 1);
      const bool staged =
          wait_until_exists(tmp_ / (".out.partial-" + std::to_string(p1)), p1);  // claimed
      std::this_thread::sleep_for(std::chrono::milliseconds(ms));
      const pid_t p2 = start(command(second, out), tmp_ / "2.out", tmp_ / "2.err");
      const int s2 = wait_for(p2);
      const double t2 =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      const int s1 = wait_for(p1);
      const double t1 =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::optional<Folder> got = read_folder(out);
      if (got && start_state == "earlier output + notes") {
        EXPECT_EQ(got->count("notes.txt") ? got->at("notes.txt") : "(gone)", notes);
        got->erase("notes.txt");
      }
      const std::string winner = which(got, {{"a", a}, {"b", b}, {"c (earlier)", c}});
      const std::string err1 = read_file((tmp_ / "1.err").string());
      const std::string err2 = read_file((tmp_ / "2.err").string());
      log << start_state << ", round " << round << ": " << first << " (pid " << p1 << ") holds, "
          << second << " started " << ms << " ms after its staging folder appeared: " << first
          << " " << status_text(s1) << " at " << t1 << " s, " << second << " " << status_text(s2)
          << " at " << t2 << " s; folder " << winner << "\n";
      EXPECT_TRUE(staged) << log.str();
      EXPECT_EQ(status_text(s1), "exit 0") << err1 << log.str();
      EXPECT_EQ(err1, "") << log.str();
      EXPECT_EQ(status_text(s2), "exit 2") << err2 << log.str();
      EXPECT_EQ(err2, "nibble run: error: " + out.string() + ": another nibble process (pid " +
                          std::to_string(p1) + ") is writing this folder\n")
          << log.str();
      EXPECT_EQ(winner, std::string(1, first)) << log.str();
      EXPECT_EQ(leftovers(tmp_, "out"), std::set<std::string>{}) << log.str();
      if (HasFailure()) {
        return;
      }
    }
  }
  std::cout << log.str();
}

// A run killed with SIGKILL while it holds its claim leaves its lock file (the lock itself dies
// with the process); the next run into the same folder is not blocked by it, nor by a lock file
// naming a running process that does not lock it, and removes it.
TEST_F(OutputsRace, LockFileOfAKilledRunBlocksNothing) {
  const Folder a = reference('a');
  ASSERT_FALSE(a.empty());
  const fs::path out = tmp_ / "out";
  const fs::path lock = tmp_ / ".out.lock";
  for (const bool foreign_pid : {false, true}) {
    SCOPED_TRACE(foreign_pid ? "lock file naming a running process" : "as the kill left it");
    const pid_t pid = start(command('a', out), tmp_ / "k.out", tmp_ / "k.err", kPreload, 5000);
    ASSERT_TRUE(wait_until_exists(tmp_ / (".out.partial-" + std::to_string(pid)), pid));
    EXPECT_EQ(read_file(lock.string()), std::to_string(pid) + "\n");
    kill(pid, SIGKILL);
    EXPECT_EQ(status_text(wait_for(pid)), "signal 9");
    ASSERT_TRUE(fs::exists(lock));
    if (foreign_pid) {
      std::ofstream(lock, std::ios::trunc) << getpid() << "\n";  // this test runs
    }
    std::string err;
    EXPECT_EQ(status_text(run_to_end(command('a', out), tmp_, &err)), "exit 0") << err;
    EXPECT_EQ(err, "");
    EXPECT_EQ(which(read_folder(out), {{"a", a}}), "a");
    EXPECT_EQ(leftovers(tmp_, "out"), std::set<std::string>{});
  }
}

// Two runs with the same --vcd FILE (and their own -o): the second fails at once, naming the
// file and the first run's pid, and leaves nothing; the first publishes FILE.
TEST_F(OutputsRace, SecondRunWithAClaimedVcdFileFails) {
  const fs::path vcd = tmp_ / "w.vcd";
  const auto argv = [&](const std::string& out) {
    return std::vector<std::string>{kNibble,    "run",
                                    "-q",       "--no-plots",
                                    "--engine", "systemc",
                                    "--vcd",    vcd.string(),
                                    "--trace",  kSource + "/traces/example.trace",
                                    "-o",       (tmp_ / out).string()};
  };
  const pid_t p1 = start(argv("o1"), tmp_ / "1.out", tmp_ / "1.err", kPreload, kHoldMs, 1);
  ASSERT_TRUE(wait_until_exists(tmp_ / (".o1.partial-" + std::to_string(p1)), p1));
  std::string err2;
  const int s2 = run_to_end(argv("o2"), tmp_, &err2);
  const int s1 = wait_for(p1);
  EXPECT_EQ(status_text(s1), "exit 0") << read_file((tmp_ / "1.err").string());
  EXPECT_EQ(status_text(s2), "exit 2") << err2;
  EXPECT_EQ(err2, "nibble run: error: --vcd " + vcd.string() + ": another nibble process (pid " +
                      std::to_string(p1) + ") is writing this file\n");
  EXPECT_TRUE(fs::is_directory(tmp_ / "o1"));
  EXPECT_FALSE(fs::exists(tmp_ / "o2"));
  EXPECT_GT(fs::file_size(vcd), 0U);
  EXPECT_EQ(leftovers(tmp_, "w.vcd"), std::set<std::string>{});
  EXPECT_EQ(leftovers(tmp_, "o1"), std::set<std::string>{});
  EXPECT_EQ(leftovers(tmp_, "o2"), std::set<std::string>{});
}

// Two `nibble scalesim` into the same run folder (-p DIR, DIR/<run_name>): the same rule.
TEST_F(OutputsRace, SecondScalesimIntoAClaimedRunFolderFails) {
  const std::string data = kSource + "/tests/data/scalesim/";
  const fs::path path = tmp_ / "p";
  const std::vector<std::string> argv = {kNibble,
                                         "scalesim",
                                         "-q",
                                         "-c",
                                         data + "configs/sa32x32_os.cfg",
                                         "-t",
                                         data + "topologies/alexnet.csv",
                                         "-p",
                                         path.string()};
  const fs::path ref = tmp_ / "ref";
  std::vector<std::string> ref_argv = argv;
  ref_argv.back() = ref.string();
  ASSERT_EQ(run_to_end(ref_argv, tmp_), 0);
  const pid_t p1 = start(argv, tmp_ / "1.out", tmp_ / "1.err", kPreload, kHoldMs, 1);
  ASSERT_TRUE(wait_until_exists(path / (".sa32x32_os.partial-" + std::to_string(p1)), p1));
  std::string err2;
  const int s2 = run_to_end(argv, tmp_, &err2);
  EXPECT_EQ(status_text(wait_for(p1)), "exit 0") << read_file((tmp_ / "1.err").string());
  EXPECT_EQ(status_text(s2), "exit 2") << err2;
  EXPECT_EQ(err2, "nibble scalesim: error: " + (path / "sa32x32_os").string() +
                      ": another nibble process (pid " + std::to_string(p1) +
                      ") is writing this folder\n");
  EXPECT_EQ(read_folder(path / "sa32x32_os"), read_folder(ref / "sa32x32_os"));
  EXPECT_EQ(leftovers(path, "sa32x32_os"), std::set<std::string>{});
}

}  // namespace
