// The progress bar: redrawn in place on a terminal (rate-limited), plain lines now and
// then elsewhere, erased before other output, and always a last line.
#include <catch2/catch.hpp>

#include <sstream>

#include "common/progress_bar.h"

using namespace clear_sweep;

namespace {

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("progress bar on a terminal: redrawn in place at most ten times a second, with the time left") {
  std::ostringstream out;
  double now = 100;
  {
    ProgressBar bar(out, "finetune base", 128, /*terminal=*/true, 30, [&] { return now; });
    bar.update(0);  // the first update draws
    for (int step = 1; step <= 63; ++step) {
      now += 1.0 / 64;  // a step every 1/64 s (exact in binary)
      bar.update(step, "loss 1.5");
    }
    now += 0.2;
    bar.update(64, "loss 1.5");  // half done after 1.2 s
    // One draw at the start, then one per 0.1 s at most: 11.
    const size_t draws = count(out.str(), "\r\033[K");
    CHECK(draws >= 9);
    CHECK(draws <= 12);
    CHECK(out.str().find('\n') == std::string::npos);  // in place: no new line yet
    const std::string last = out.str().substr(out.str().rfind("\r\033[K"));
    // Half done after 1.2 s: as long left; a full bar is 24 wide.
    CHECK(last.find("finetune base [############............] 64/128 (50 %), 0m01s, 0m01s left, loss 1.5") !=
          std::string::npos);
    bar.suspend();  // before a line of other output: the bar is erased
    CHECK(out.str().substr(out.str().size() - 4) == "\r\033[K");
    out << "epoch 1 done\n";
    bar.update(65);  // drawn again at once, below that line
    CHECK(out.str().substr(out.str().rfind('\n')).find("65/128") != std::string::npos);
    now += 1;
    bar.update(128);
  }  // the destructor finishes: a last line, ended
  CHECK(out.str().back() == '\n');
  CHECK(out.str().find("128/128 (100 %), 0m02s") != std::string::npos);
}

TEST_CASE("progress bar elsewhere: a plain line every so often and one at the end, no control characters") {
  std::ostringstream out;
  double now = 0;
  ProgressBar bar(out, "score", 800, /*terminal=*/false, 30, [&] { return now; });
  for (int i = 1; i <= 800; ++i) {
    now += 0.125;  // 100 s in all: lines at 30, 60 and 90 s
    bar.update(i);
  }
  bar.finish("done");
  const std::string text = out.str();
  CHECK(count(text, "\n") == 4);
  CHECK(text.find('\r') == std::string::npos);
  CHECK(text.find('\033') == std::string::npos);
  CHECK(text.find("score 240/800 (30 %), 0m30s, 1m10s left\n") != std::string::npos);
  CHECK(text.find("score 800/800 (100 %), 1m40s, done\n") != std::string::npos);
  bar.finish();  // once only
  CHECK(count(out.str(), "\n") == 4);
}
