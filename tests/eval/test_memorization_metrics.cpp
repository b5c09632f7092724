// open-unlearning's memorisation and membership-inference metrics, and the
// Jensen-Shannon forget quality, on hand-made token scores (the reference test,
// test_membership_reference.py, holds them against scikit-learn, scipy, numpy and zlib).
#include <cmath>

#include "eval/jensen_shannon.h"
#include "eval/membership_inference.h"
#include "eval/memorization.h"
#include "test_support.h"

using namespace clear_sweep;

namespace {

TokenScores tokens(const std::vector<bool>& correct, const std::vector<double>& logprob = {}) {
  TokenScores t;
  t.correct = correct;
  t.logprob = logprob.empty() ? std::vector<double>(correct.size(), -1.0) : logprob;
  t.mean_logprob.assign(t.logprob.size(), 0.0);
  t.var_logprob.assign(t.logprob.size(), 1.0);
  return t;
}

}  // namespace

TEST_CASE("exact memorisation: the share of tokens whose argmax is the token", "[eval][memorization]") {
  CHECK(exact_memorization(tokens({true, false, true, true})) == Approx(3.0 / 4));
  CHECK(exact_memorization(tokens({true, true})) == 1.0);
  CHECK(std::isnan(exact_memorization(tokens({}))));
}

TEST_CASE("extraction strength: the shortest prefix after which the model continues exactly", "[eval][memorization]") {
  CHECK(extraction_strength(tokens({true, true, true})) == 1.0);  // nothing needs giving
  CHECK(extraction_strength(tokens({false, true, true})) == Approx(1 - 1.0 / 3));
  CHECK(extraction_strength(tokens({true, false, true, true})) == Approx(1 - 2.0 / 4));
  // No right suffix: open-unlearning's loop ends at k = n - 1.
  CHECK(extraction_strength(tokens({true, true, false})) == Approx(1.0 / 3));
  CHECK(extraction_strength(tokens({false, false})) == Approx(1.0 / 2));
  CHECK(extraction_strength(tokens({})) == 0.0);
}

TEST_CASE("Min-K% and Min-K%++: minus the mean of the lowest share of token scores", "[eval][mia]") {
  const TokenScores t = tokens({true, true, true, true, true}, {-1.0, -5.0, -2.0, -0.5, -3.0});
  // k 0.4 of 5 tokens: the 2 lowest, -5 and -3.
  CHECK(min_k_score(t) == Approx(4.0));
  CHECK(min_k_score(t, 0.1) == Approx(5.0));  // at least one token
  CHECK(min_k_score(t, 1.0) == Approx(11.5 / 5));
  CHECK(min_k_score(tokens({})) == 0.0);
  // Min-K%++ standardises each token by the model's own distribution there.
  TokenScores z = t;
  z.mean_logprob = {-1.0, -1.0, -2.0, -2.0, -1.0};
  z.var_logprob = {4.0, 4.0, 1.0, 1.0, 0.0};  // the last floored at 1e-6
  // z-scores: 0, -2, 0, 1.5, -2000; the two lowest: -2000 and -2.
  CHECK(min_k_plus_plus_score(z) == Approx((2000.0 + 2.0) / 2));
}

TEST_CASE("membership AUC, privleak and the ZLib score", "[eval][mia]") {
  // Non-members above members in 3 of 4 pairs, one tie.
  CHECK(membership_auc({1.0, 2.0}, {3.0, 2.0}) == Approx(3.5 / 4));
  CHECK(membership_auc({5.0}, {1.0}) == 0.0);
  CHECK(membership_auc({1.0, NAN}, {2.0}) == 1.0);  // NaN scores are left out
  CHECK(std::isnan(membership_auc({}, {1.0})));
  CHECK(privleak(0.5, 0.5) == Approx(0.0).margin(1e-9));
  CHECK(privleak(1.0, 0.5) == Approx(-100.0));  // as recognisable as can be
  CHECK(privleak(0.25, 0.5) == Approx(50.0));
  // ZLib divides the loss by the compressed size: repetitive text compresses more.
  CHECK(zlib_score(1.0, std::string(200, 'a')) > zlib_score(1.0, "The quick brown fox jumps over the lazy dog."));
  CHECK(zlib_score(2.0, "abc") == Approx(2 * zlib_score(1.0, "abc")));
}

TEST_CASE("Jensen-Shannon forget quality: 1 for the gold's distribution, lower apart", "[eval][mia]") {
  const std::vector<double> a{0.5, 1.0, 2.0, 0.8, 1.2};
  CHECK(js_forget_quality(a, a) == Approx(1.0));
  // Disjoint histograms: the divergence is 1 (base 2).
  CHECK(jensen_shannon_divergence({0.0, 0.1}, {5.0, 5.1}, 20) == Approx(1.0));
  CHECK(js_forget_quality({0.01, 0.02}, {50.0, 60.0}) == Approx(0.0).margin(1e-12));
  // numpy's binning: the upper edge belongs to the last bin.
  const auto h = histogram({0.0, 0.5, 1.0, 1.0}, 2, 0.0, 1.0);
  CHECK(h == std::vector<double>{1.0, 3.0});
  CHECK(std::isnan(js_forget_quality({}, a)));
  CHECK(std::isnan(js_forget_quality({-1.0, 0.0}, a)));  // no positive ratio
}
