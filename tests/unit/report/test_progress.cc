// The progress line of long commands (model/report/progress.h; docs/cli.md, "Progress"): its
// format, the ETA from the work done, the redraw on a terminal, silence with --quiet and for
// commands that end within a second.
#include <gtest/gtest.h>

#include <chrono>
#include <sstream>
#include <string>
#include <thread>

#include "model/report/progress.h"

namespace nibble::report {
namespace {

void wait_past_a_second() { std::this_thread::sleep_for(std::chrono::milliseconds(1050)); }

TEST(Progress, TextOfTimesAndCounts) {
  EXPECT_EQ(clock_text(0), "0:00");
  EXPECT_EQ(clock_text(59.4), "0:59");
  EXPECT_EQ(clock_text(61), "1:01");
  EXPECT_EQ(clock_text(3725), "1:02:05");
  EXPECT_EQ(si_text(950), "950");
  EXPECT_EQ(si_text(1234), "1.23 k");
  EXPECT_EQ(si_text(33554432), "33.6 M");
  EXPECT_EQ(si_text(174151041024.0), "174 G");
  EXPECT_EQ(si_text(1.22e12), "1.22 T");
}

TEST(Progress, PlainLinesWithWorkAndEta) {
  std::ostringstream out;
  {
    Progress p("nibble run", "GEMMs", 4, 400, "MACs", false, out, false);
    p.add(100);  // within the first second: nothing yet
    EXPECT_EQ(out.str(), "");
    wait_past_a_second();
    p.add(100, "g2");
    // 200 of 400 MACs after ~1 s: as long again to go.
    EXPECT_EQ(out.str(), "nibble run: 2/4 GEMMs, 200 of 400 MACs, g2, 0:01 elapsed, ETA 0:01\n");
    p.add(100);  // within a second of the last line: not printed
    EXPECT_EQ(out.str().find("3/4"), std::string::npos);
    p.add(100);
  }  // the destructor prints the last line, with no ETA
  EXPECT_NE(out.str().find("\nnibble run: 4/4 GEMMs, 400 of 400 MACs, 0:01 elapsed\n"),
            std::string::npos)
      << out.str();
}

TEST(Progress, RedrawnInPlaceOnATerminal) {
  std::ostringstream out;
  Progress p("nibble cosim", "GEMMs", 2, 0, "", false, out, true);
  wait_past_a_second();
  p.add(5);
  EXPECT_EQ(out.str(), "\r\033[Knibble cosim: 1/2 GEMMs, 0:01 elapsed, ETA 0:01");
  p.finish();
  EXPECT_EQ(out.str(),
            "\r\033[Knibble cosim: 1/2 GEMMs, 0:01 elapsed, ETA 0:01"
            "\r\033[Knibble cosim: 1/2 GEMMs, 0:01 elapsed\n");
}

TEST(Progress, QuietShortAndSummaryRuns) {
  std::ostringstream quiet;
  {
    Progress p("x", "items", 1, 0, "", true, quiet, false);
    p.always_print_last();
    wait_past_a_second();
    p.add(1);
  }
  EXPECT_EQ(quiet.str(), "");
  std::ostringstream shortrun;
  {
    Progress p("x", "items", 2, 0, "", false, shortrun, false);
    p.add(1);
    p.add(1);
  }
  EXPECT_EQ(shortrun.str(), "");
  std::ostringstream summary;
  {
    Progress p("nibble sweep", "points", 2, 0, "", false, summary, false);
    p.always_print_last();
    p.update(2, 0, "1 failed", true);
  }
  EXPECT_EQ(summary.str(), "nibble sweep: 2/2 points, 1 failed, 0:00 elapsed\n");
}

}  // namespace
}  // namespace nibble::report
