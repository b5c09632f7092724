// The KS test against scipy.stats.ks_2samp on 150 sample pairs of sizes 1..500, ties
// included (fixtures from tests/eval/make_fixtures.py), to 1e-6 relative.
#include <fstream>
#include <nlohmann/json.hpp>

#include "eval/ks_test.h"
#include "test_support.h"

using namespace clear_sweep;

TEST_CASE("KS p-values match scipy's ks_2samp", "[eval][ks]") {
  std::ifstream in(source_path("tests/eval/fixtures/ks_pairs.jsonl"));
  REQUIRE(in);
  std::string line;
  size_t pairs = 0, equal_sizes = 0, tiny = 0, small_p = 0;
  while (std::getline(in, line)) {
    const auto j = nlohmann::json::parse(line);
    const auto a = j["a"].get<std::vector<double>>(), b = j["b"].get<std::vector<double>>();
    const double expected = j["pvalue"];
    const KsResult r = ks_2samp(a, b);
    INFO("sizes " << a.size() << " and " << b.size());
    CHECK(r.exact);
    CHECK(r.pvalue == Approx(expected).epsilon(1e-6).margin(1e-300));
    ++pairs;
    equal_sizes += a.size() == b.size();
    tiny += std::min(a.size(), b.size()) <= 3;
    small_p += expected < 1e-3;
  }
  CHECK(pairs >= 100);
  CHECK(equal_sizes >= 5);
  CHECK(tiny >= 5);
  CHECK(small_p >= 5);
}

TEST_CASE("KS edge cases", "[eval][ks]") {
  CHECK(ks_2samp({1, 2, 3}, {1, 2, 3}).pvalue == 1.0);
  CHECK(ks_2samp({1, 2, 3}, {1, 2, 3}).statistic == 0.0);
  // Fully separated samples of 5 and 5: p = 2 / C(10, 5).
  CHECK(ks_2samp({1, 2, 3, 4, 5}, {6, 7, 8, 9, 10}).pvalue == Approx(2.0 / 252.0).epsilon(1e-12));
  CHECK_THROWS(ks_2samp({}, {1.0}));
  // Beyond 10,000 the asymptotic distribution answers.
  std::vector<double> big(10001), other(200);
  for (size_t i = 0; i < big.size(); ++i) big[i] = double(i) / 10001.0;
  for (size_t i = 0; i < other.size(); ++i) other[i] = double(i) / 200.0 + 0.1;
  const auto r = ks_2samp(big, other);
  CHECK(!r.exact);
  CHECK(r.pvalue < 0.05);
}
