// Leaderboard pieces below the command: seed statistics and the table formats.
#include <catch2/catch.hpp>

#include <sstream>

#include "common/error.h"
#include "report/leaderboard.h"
#include "report/table_format.h"
#include "test_support.h"

using namespace clear_sweep;

namespace {

std::string written(const TextTable& t, const std::string& format) {
  std::ostringstream out;
  write_table(t, format, out);
  return out.str();
}

}  // namespace

TEST_CASE("stat_of: mean and sample sd, NaN is missing, -inf is a value") {
  const Stat s = stat_of({1.0, 2.0, 3.0, NAN});
  CHECK(s.n == 3);
  CHECK(s.mean == Approx(2.0));
  CHECK(s.sd == Approx(1.0));
  const Stat one = stat_of({0.5});
  CHECK(one.n == 1);
  CHECK(std::isnan(one.sd));
  CHECK(stat_of({-INFINITY, 0.0}).mean == -INFINITY);  // log FQ of a zero p-value
  CHECK(stat_of({NAN}).n == 0);
}

TEST_CASE("write_table: aligned text, Markdown, CSV and HTML, with escaping") {
  const TextTable t{{"method", "hparams"}, {{"ga", "lr=0.1 a,b"}, {"x<y", "say \"hi\""}}};
  CHECK(written(t, "table") == "method  hparams     \nga      lr=0.1 a,b  \nx<y     say \"hi\"    \n");
  CHECK(written(t, "md") == "| method | hparams |\n|---|---|\n| ga | lr=0.1 a,b |\n| x<y | say \"hi\" |\n");
  CHECK(written(t, "csv") == "method,hparams\nga,\"lr=0.1 a,b\"\nx<y,\"say \"\"hi\"\"\"\n");
  CHECK(written(t, "html") ==
        "<table>\n<tr><th>method</th><th>hparams</th></tr>\n<tr><td>ga</td><td>lr=0.1 a,b</td></tr>\n"
        "<tr><td>x&lt;y</td><td>say \"hi\"</td></tr>\n</table>\n");
  const Error e = expect_error([&] { written(t, "xml"); });
  CHECK(std::string(e.what()).find("xml") != std::string::npos);
}
