// Progress of a long single-process command (finetune, data synth, score), on stderr so
// that stdout stays the command's output. On a terminal: one line redrawn in place, at
// most ten times a second, with a bar, the count, the time so far and left. Elsewhere
// (a pipe, a log file, a batch job): a plain line now and then, and one at the end, so
// that logs stay readable.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>

namespace clear_sweep {

/// Whether stderr is a terminal (where a bar can redraw itself).
bool stderr_is_terminal();

class ProgressBar {
 public:
  using Clock = std::function<double()>;  ///< seconds, monotonic (a test's fake clock)

  /// `plain_every`: seconds between plain lines off a terminal.
  ProgressBar(std::ostream& out, std::string label, int64_t total, bool terminal, double plain_every = 30,
              Clock clock = {});
  ~ProgressBar();

  /// `done` of `total`; `note` follows the count ("loss 1.234").
  void update(int64_t done, const std::string& note = "");
  /// Erases the bar from the terminal, before other output (an epoch's line on stdout);
  /// the next update() draws it again below that output.
  void suspend();
  /// The last line: the count, the time taken, `note`. Called by the destructor if not
  /// before (then without a note).
  void finish(const std::string& note = "");

 private:
  std::string status_line(const std::string& note) const;
  void draw(const std::string& note);

  std::ostream& out_;
  std::string label_;
  int64_t total_;
  bool terminal_;
  double plain_every_;
  Clock clock_;
  double start_, last_draw_;
  int64_t done_ = 0;
  std::string note_;
  bool drawn_ = false, finished_ = false;
};

}  // namespace clear_sweep
