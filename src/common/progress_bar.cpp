#include "common/progress_bar.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace clear_sweep {
namespace {

double steady_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string clock_text(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const long s = std::lround(seconds);
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%ldh%02ldm", s / 3600, (s / 60) % 60);
  else
    std::snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
  return buf;
}

constexpr int kBarWidth = 24;

}  // namespace

bool stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

ProgressBar::ProgressBar(std::ostream& out, std::string label, int64_t total, bool terminal, double plain_every,
                         Clock clock)
    : out_(out),
      label_(std::move(label)),
      total_(std::max<int64_t>(0, total)),
      terminal_(terminal),
      plain_every_(plain_every),
      clock_(clock ? std::move(clock) : Clock(steady_seconds)),
      start_(clock_()),
      last_draw_(start_) {}

ProgressBar::~ProgressBar() {
  try {
    if (!finished_) finish();
  } catch (...) {  // a destructor must not throw; the stream's failure is not ours to report
  }
}

std::string ProgressBar::status_line(const std::string& note) const {
  const double elapsed = clock_() - start_;
  const double fraction = total_ > 0 ? std::min(1.0, double(done_) / double(total_)) : 0.0;
  std::string line = label_ + " ";
  if (terminal_) {
    const int filled = int(std::lround(fraction * kBarWidth));
    line += "[" + std::string(size_t(filled), '#') + std::string(size_t(kBarWidth - filled), '.') + "] ";
  }
  char counts[160];
  std::snprintf(counts, sizeof counts, "%lld/%lld (%.0f %%), %s", (long long)done_, (long long)total_, fraction * 100,
                clock_text(elapsed).c_str());
  line += counts;
  if (!finished_ && done_ > 0 && done_ < total_) line += ", " + clock_text(elapsed / fraction - elapsed) + " left";
  if (!note.empty()) line += ", " + note;
  return line;
}

void ProgressBar::draw(const std::string& note) {
  if (terminal_)
    out_ << "\r\033[K" << status_line(note) << std::flush;  // \033[K: clear what a longer line left
  else
    out_ << status_line(note) << "\n" << std::flush;
  drawn_ = true;
  last_draw_ = clock_();
}

void ProgressBar::update(int64_t done, const std::string& note) {
  if (finished_) return;
  done_ = std::min(done, total_);
  note_ = note;
  const double since = clock_() - last_draw_;
  if (terminal_ ? (since >= 0.1 || !drawn_) : since >= plain_every_) draw(note);
}

void ProgressBar::suspend() {
  if (!terminal_ || !drawn_ || finished_) return;
  out_ << "\r\033[K" << std::flush;
  drawn_ = false;  // the next update draws at once
}

void ProgressBar::finish(const std::string& note) {
  if (finished_) return;
  finished_ = true;
  if (terminal_) out_ << "\r\033[K";
  out_ << status_line(note.empty() ? note_ : note) << "\n" << std::flush;
}

}  // namespace clear_sweep
