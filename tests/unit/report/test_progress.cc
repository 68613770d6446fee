// The progress line of long commands (model/report/progress.h; docs/cli.md, "Progress"): its
// format, the ETA from the work done, the redraw on a terminal, silence with --quiet and for
// commands that end within a second. Time is a fake clock the test moves: no sleep, no wall
// clock.
#include <gtest/gtest.h>

#include <chrono>
#include <sstream>
#include <string>

#include "model/report/progress.h"

namespace nibble::report {
namespace {

// A clock the test moves by hand.
struct FakeClock {
  Progress::Clock::time_point t{};
  void advance(double seconds) {
    t += std::chrono::duration_cast<Progress::Clock::duration>(
        std::chrono::duration<double>(seconds));
  }
  std::function<Progress::Clock::time_point()> fn() {
    return [this] { return t; };
  }
};

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
    FakeClock clock;
    Progress p("nibble run", "GEMMs", 4, 400, "MACs", false, out, false, clock.fn());
    clock.advance(0.9);
    p.add(100);  // within the first second: nothing yet
    EXPECT_EQ(out.str(), "");
    clock.advance(1.1);
    p.add(100, "g2");
    // 200 of 400 MACs after 2 s: 2 s to go.
    EXPECT_EQ(out.str(), "nibble run: 2/4 GEMMs, 200 of 400 MACs, g2, 0:02 elapsed, ETA 0:02\n");
    clock.advance(0.5);
    p.add(50);  // within a second of the last line: not printed
    EXPECT_EQ(out.str().find("3/4"), std::string::npos);
    clock.advance(0.5);
    p.add(50);  // 300 of 400 after 3 s: 1 s to go
    EXPECT_NE(out.str().find("nibble run: 4/4 GEMMs, 300 of 400 MACs, 0:03 elapsed, ETA 0:01\n"),
              std::string::npos)
        << out.str();
    clock.advance(7);
    p.update(4, 400, "", false);
  }  // the destructor prints the last line, with no ETA
  EXPECT_NE(out.str().find("\nnibble run: 4/4 GEMMs, 400 of 400 MACs, 0:10 elapsed\n"),
            std::string::npos)
      << out.str();
}

TEST(Progress, RedrawnInPlaceOnATerminal) {
  std::ostringstream out;
  FakeClock clock;
  Progress p("nibble cosim", "GEMMs", 2, 0, "", false, out, true, clock.fn());
  clock.advance(1);
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
    FakeClock clock;
    Progress p("x", "items", 1, 0, "", true, quiet, false, clock.fn());
    p.always_print_last();
    clock.advance(5);
    p.add(1);
  }
  EXPECT_EQ(quiet.str(), "");
  std::ostringstream shortrun;
  {
    FakeClock clock;
    Progress p("x", "items", 2, 0, "", false, shortrun, false, clock.fn());
    clock.advance(0.4);
    p.add(1);
    clock.advance(0.5);
    p.add(1);
  }
  EXPECT_EQ(shortrun.str(), "");
  std::ostringstream summary;
  {
    FakeClock clock;
    Progress p("nibble sweep", "points", 2, 0, "", false, summary, false, clock.fn());
    p.always_print_last();
    p.update(2, 0, "1 failed", true);
  }
  EXPECT_EQ(summary.str(), "nibble sweep: 2/2 points, 1 failed, 0:00 elapsed\n");
}

}  // namespace
}  // namespace nibble::report
