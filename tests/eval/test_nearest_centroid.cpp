// Nearest-centroid face accuracy (CLEAR's Table 2 scoring) and the similarity logit of
// its attacks, on embeddings made by hand.
#include <cmath>

#include "eval/nearest_centroid.h"
#include "eval/shadow_attacks.h"
#include "test_support.h"

using namespace clear_sweep;

TEST_CASE("nearest centroid: the first images of each label are its gallery, the rest are predicted") {
  // 2-D embeddings. Label 0's gallery (first 2 of its images) points along x, label 1's
  // along y, label 2's along -x. enroll = 2.
  const std::vector<int64_t> labels = {0, 1, 0, 1, 2, 2, 0, 1, 2, 0};
  const std::vector<float> e = {
      1,    0,     // 0 gallery
      0,    2,     // 1 gallery
      3,    1,     // 0 gallery: label 0's centroid is the mean (2, 0.5), normalised
      0,    1,     // 1 gallery
      -1,   0,     // 2 gallery
      -2,   0.1f,  // 2 gallery
      1,    1,     // 0 scored: cos with (2, 0.5)/|.| = 0.857, with y 0.707 -> 0, right
      -1,   0.2f,  // 1 scored: nearest is label 2 -> wrong
      0.1f, 5,     // 2 scored: nearest is label 1 -> wrong
      0,    0,     // 0 scored: a zero embedding is cosine 0 with all -> the first label (0)
  };
  const auto eval = nearest_centroid(e, 2, labels, 2);
  CHECK(eval.centroid_label == std::vector<int64_t>{0, 1, 2});
  CHECK(eval.predicted == std::vector<int64_t>{-1, -1, -1, -1, -1, -1, 0, 2, 1, 0});
  // own similarity: image 6 with label 0's centroid (2, 0.5) / sqrt(4.25)
  CHECK(eval.own_similarity[6] == Approx((2 + 0.5) / std::sqrt(4.25) / std::sqrt(2.0)));
  CHECK(eval.own_similarity[1] == Approx(1.0));  // a gallery image too
  CHECK(eval.own_similarity[9] == 0.0);
  const std::vector<char> all(labels.size(), 1);
  CHECK(centroid_accuracy(eval, labels, all) == Approx(0.5));  // 2 of 4 scored
  std::vector<char> label0(labels.size(), 0);
  for (size_t i = 0; i < labels.size(); ++i) label0[i] = labels[i] == 0;
  CHECK(centroid_accuracy(eval, labels, label0) == Approx(1.0));
  std::vector<char> gallery_only(labels.size(), 0);
  gallery_only[0] = gallery_only[1] = 1;
  CHECK(std::isnan(centroid_accuracy(eval, labels, gallery_only)));
}

TEST_CASE("nearest centroid: a label with no more images than the gallery is enrolled, never scored") {
  const std::vector<int64_t> labels = {0, 0, 1, 0};
  const std::vector<float> e = {1, 0, 1, 0.1f, 0, 1, 0.2f, 1};
  const auto eval = nearest_centroid(e, 2, labels, 2);
  CHECK(eval.predicted == std::vector<int64_t>{-1, -1, -1, 1});  // image 3 is nearer label 1
  CHECK(centroid_accuracy(eval, labels, std::vector<char>(4, 1)) == 0.0);
}

TEST_CASE("similarity logit: clipped to [0, 1], then log odds with CLEAR's 1e-45") {
  CHECK(similarity_logit(0.5) == Approx(0.0).margin(1e-12));
  CHECK(similarity_logit(0.8) == Approx(std::log(0.8 / 0.2)));
  CHECK(similarity_logit(-0.3) == Approx(std::log(1e-45)));
  CHECK(similarity_logit(1.7) == Approx(-std::log(1e-45)));
  CHECK(robust_scale({1, 2, 3, 4, 100}) == Approx(1.0 / 0.6745));  // MAD: |x - 3| -> median 1
}

TEST_CASE("U-LIRA: a sample whose shadow scores are all equal still gives a probability, not NaN") {
  ShadowSample s;
  s.shadow_in = {2.0, 2.0, 2.0};  // MAD 0: the spread is floored, not divided by
  s.shadow_out = {0.0, 0.1, -0.1};
  s.target_in = {2.0, 1.9};
  s.target_out = {0.05, 3.0};
  const auto r = ulira({s});
  CHECK(r.guesses == 4);
  // 2.0 -> in (right); 1.9 is far outside the floored in-spread -> out (wrong); 0.05 and
  // 3.0 -> out (right).
  CHECK(r.accuracy == Approx(0.75));
  CHECK(!std::isnan(r.auc));
  const auto m = umia({s});
  CHECK(m.accuracy == Approx(0.75));  // a threshold between 0.1 and 2: only 3.0 (out) is misread
}
