// Progress of a long command on stderr (docs/cli.md, "Progress"). One line per update:
//   <command>: <done>/<total> <unit>[, <work done> of <work total> <work unit>][, <extra>],
//   <elapsed> elapsed[, ETA <time>]
// at most one a second, redrawn in place on a terminal ("\r" and clear to the end of the line)
// and as plain lines otherwise. The ETA comes from the work done (or the items done, without a
// work total) at the mean rate so far. A command that ends within its first second prints
// nothing (unless always_print_last); one that printed gets a last line when it ends (not when
// it ends by an exception, whose error line follows, nor with a total of 0). Nothing with
// `quiet`.
#ifndef NIBBLE_MODEL_REPORT_PROGRESS_H_
#define NIBBLE_MODEL_REPORT_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>

namespace nibble::report {

// "m:ss" or "h:mm:ss", rounded to the second.
std::string clock_text(double seconds);
// A count with an SI prefix and 3 significant digits: "950", "1.23 k", "174 G".
std::string si_text(double value);

class Progress {
 public:
  using Clock = std::chrono::steady_clock;

  // total: items (GEMMs, points); work_total: their work (MACs), 0 for none. Writes to stderr,
  // redrawn in place when it is a terminal.
  Progress(std::string command, std::string unit, int64_t total, int64_t work_total,
           std::string work_unit, bool quiet);
  // For tests: another stream, terminal or not, and another clock.
  Progress(std::string command, std::string unit, int64_t total, int64_t work_total,
           std::string work_unit, bool quiet, std::ostream& out, bool tty,
           std::function<Clock::time_point()> now);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // One more item done, with its work.
  void add(int64_t work, const std::string& extra = "");
  // The counts so far; `last` prints now (if anything was printed before) and ends the line.
  void update(int64_t done, int64_t work, const std::string& extra, bool last);
  // The last line, if any was printed (or always, after always_print_last()); called by the
  // destructor if not before.
  void finish();
  // The last line is printed even by a command that ends within its first second (a summary).
  void always_print_last() { always_last_ = true; }

 private:
  void print(bool last);

  std::string command_, unit_, work_unit_;
  int64_t total_, work_total_;
  bool quiet_;
  std::ostream& out_;
  bool tty_;
  int64_t done_ = 0, work_ = 0;
  std::string extra_;
  bool printed_ = false, finished_ = false, always_last_ = false;
  std::function<Clock::time_point()> now_;
  Clock::time_point start_;
  Clock::time_point last_print_;
};

}  // namespace nibble::report

#endif  // NIBBLE_MODEL_REPORT_PROGRESS_H_
