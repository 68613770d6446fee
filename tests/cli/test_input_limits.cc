// Endless and oversized input files (issue 18, D7): /dev/zero given as any text input (trace,
// config, SCALE-Sim .cfg and topology, energy and area tables, sweep spec) stops after the 64 MiB
// limit of model/frontend/input_file.h with one line naming the file, exit code 2 and no output
// folder; as an operand or scale file it is refused by its size, unread.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/run_command.h"

namespace {

namespace fs = std::filesystem;
using nibble::test::run_command;

const std::string kNibble = NIBBLE_BINARY;
const std::string kSource = NIBBLE_SOURCE_DIR;

class InputLimits : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("nibble_input_limits_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static size_t lines(const std::string& s) {
    return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
  }
  // Runs `nibble ARGS` (OUT in args stands for the output folder) and checks the one-line
  // failure: exit 2, `what` in the message, and no output folder.
  void expect_refused(const std::string& args, const std::string& what) {
    SCOPED_TRACE(args);
    const fs::path out = dir_ / "out";
    std::string command = kNibble + " " + args;
    const size_t at = command.find("OUT");
    if (at != std::string::npos) {
      command.replace(at, 3, out.string());
    }
    const auto r = run_command(command);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(lines(r.err), 1U) << r.err;
    EXPECT_NE(r.err.find(what), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_FALSE(fs::exists(out));
  }
  std::string write(const std::string& name, const std::string& text) {
    const fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
  fs::path dir_;
};

const std::string kLimit = "/dev/zero: larger than 64 MiB, the limit for ";

TEST_F(InputLimits, DevZeroAsATextInputStopsAtTheLimit) {
  expect_refused("run -q --no-plots --trace /dev/zero -o OUT", kLimit + "the trace file");
  expect_refused("run -q --no-plots --config /dev/zero -o OUT", kLimit + "the config file");
  expect_refused("run -q --no-plots --energy /dev/zero -o OUT", kLimit + "an energy table");
  expect_refused("run -q --no-plots --area /dev/zero -o OUT", kLimit + "an area table");
  expect_refused("run -q --no-plots --topology /dev/zero -o OUT",
                 kLimit + "the SCALE-Sim topology file");
  const std::string cfg = kSource + "/tests/data/scalesim/heldout/conv_A32x32_ws/cfg.cfg";
  const std::string topo = kSource + "/tests/data/scalesim/heldout/conv_A32x32_ws/topo.csv";
  expect_refused("scalesim -q -c /dev/zero -t " + topo + " -p OUT",
                 kLimit + "the SCALE-Sim config file");
  expect_refused("scalesim -q -c " + cfg + " -t /dev/zero -p OUT",
                 kLimit + "the SCALE-Sim topology file");
  expect_refused("sweep -q /dev/zero -o OUT", kLimit + "the sweep spec");
  expect_refused("config --config /dev/zero", kLimit + "the config file");
}

TEST_F(InputLimits, DevZeroNamedInsideAnInputStops) {
  // A sweep spec naming /dev/zero as a workload and as a table.
  const std::string trace_spec = write("t.yaml", "workloads: [/dev/zero]\n");
  expect_refused("sweep -q " + trace_spec + " -o OUT", kLimit + "the trace file");
  const std::string table_spec =
      write("e.yaml", "workloads: [builtin]\ntables: {energy: /dev/zero}\n");
  expect_refused("sweep -q " + table_spec + " -o OUT", kLimit + "the energy table");
}

TEST_F(InputLimits, DevZeroAsAnOperandOrScaleFileIsRefusedUnread) {
  const std::string load = write("load.trace",
                                 "nibble-trace 1\ngemm g m=2 n=3 k=4 a=int4 b=int4\n"
                                 "load g a=/dev/zero\n");
  expect_refused("run -q --no-plots --engine systemc --functional --trace " + load + " -o OUT",
                 "load a=/dev/zero: not a regular file");
  const std::string scale = write("scale.trace",
                                  "nibble-trace 1\ngemm g m=2 n=3 k=4 a=int4 b=int4 out=int4\n"
                                  "scale g file=/dev/zero\n");
  expect_refused("run -q --no-plots --engine systemc --functional --trace " + scale + " -o OUT",
                 "scale file=/dev/zero: not a regular file");
}

}  // namespace
