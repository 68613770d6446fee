#include "model/report/progress.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <exception>
#include <iostream>
#include <utility>

namespace nibble::report {

std::string clock_text(double seconds) {
  const auto s = static_cast<long long>(seconds + 0.5);
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%lld:%02lld", s / 60, s % 60);
  }
  return buf;
}

std::string si_text(double value) {
  static const char* const kPrefixes[] = {"", " k", " M", " G", " T", " P", " E"};
  int p = 0;
  while (std::fabs(value) >= 999.5 && p < 6) {
    value /= 1000;
    ++p;
  }
  char buf[32];
  if (p == 0) {
    std::snprintf(buf, sizeof buf, "%.0f", value);
  } else {
    std::snprintf(buf, sizeof buf,
                  std::fabs(value) < 9.995   ? "%.2f%s"
                  : std::fabs(value) < 99.95 ? "%.1f%s"
                                             : "%.0f%s",
                  value, kPrefixes[p]);
  }
  return buf;
}

Progress::Progress(std::string command, std::string unit, int64_t total, int64_t work_total,
                   std::string work_unit, bool quiet)
    : Progress(std::move(command), std::move(unit), total, work_total, std::move(work_unit), quiet,
               std::cerr, isatty(2) != 0, Clock::now) {}

Progress::Progress(std::string command, std::string unit, int64_t total, int64_t work_total,
                   std::string work_unit, bool quiet, std::ostream& out, bool tty,
                   std::function<Clock::time_point()> now)
    : command_(std::move(command)),
      unit_(std::move(unit)),
      work_unit_(std::move(work_unit)),
      total_(total),
      work_total_(work_total),
      quiet_(quiet),
      out_(out),
      tty_(tty),
      now_(std::move(now)),
      start_(now_()),
      last_print_(start_) {}

Progress::~Progress() { finish(); }

void Progress::add(int64_t work, const std::string& extra) {
  update(done_ + 1, work_ + work, extra, false);
}

void Progress::update(int64_t done, int64_t work, const std::string& extra, bool last) {
  done_ = done;
  work_ = work;
  extra_ = extra;
  if (quiet_ || finished_) {
    return;
  }
  if (last) {
    finish();
    return;
  }
  const Clock::time_point now = now_();
  if (now - last_print_ >= std::chrono::seconds(1)) {
    last_print_ = now;
    print(false);
  }
}

void Progress::finish() {
  if (finished_) {
    return;
  }
  finished_ = true;
  // Nothing to count, or an exception on its way out (its error line follows): no last line.
  if (!quiet_ && (printed_ || always_last_) && total_ > 0 && std::uncaught_exceptions() == 0) {
    print(true);
  }
}

void Progress::print(bool last) {
  printed_ = true;
  const double elapsed = std::chrono::duration<double>(now_() - start_).count();
  std::string line =
      command_ + ": " + std::to_string(done_) + "/" + std::to_string(total_) + " " + unit_;
  if (work_total_ > 0) {
    line += ", " + si_text(static_cast<double>(work_)) + " of " +
            si_text(static_cast<double>(work_total_)) + " " + work_unit_;
  }
  if (!extra_.empty()) {
    line += ", " + extra_;
  }
  line += ", " + clock_text(elapsed) + " elapsed";
  const double fraction = work_total_ > 0
                              ? static_cast<double>(work_) / static_cast<double>(work_total_)
                          : total_ > 0 ? static_cast<double>(done_) / static_cast<double>(total_)
                                       : 0.0;
  if (!last && fraction > 0 && fraction < 1) {
    line += ", ETA " + clock_text(elapsed / fraction * (1 - fraction));
  }
  out_ << (tty_ ? "\r\033[K" : "") << line << (tty_ && !last ? "" : "\n") << std::flush;
}

}  // namespace nibble::report
