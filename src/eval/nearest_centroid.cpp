#include "eval/nearest_centroid.h"

#include <cmath>
#include <limits>
#include <map>

#include "common/error.h"

namespace clear_sweep {
namespace {

double norm(const double* v, int64_t dim) {
  double s = 0;
  for (int64_t d = 0; d < dim; ++d) s += v[d] * v[d];
  return std::sqrt(s);
}

}  // namespace

CentroidEval nearest_centroid(const std::vector<float>& embeddings, int64_t dim, const std::vector<int64_t>& labels,
                              int64_t enroll) {
  CS_ASSERT(dim > 0 && embeddings.size() == labels.size() * size_t(dim), "embeddings do not match labels x dim");
  CS_ASSERT(enroll >= 1, "enroll must be at least 1");
  const size_t n = labels.size();
  // Gallery: the first `enroll` images of each label, in order.
  std::map<int64_t, std::vector<double>> sums;  // label -> sum of gallery embeddings [dim]
  std::map<int64_t, int64_t> seen;
  std::vector<char> gallery(n, 0);
  for (size_t i = 0; i < n; ++i) {
    CS_ASSERT(labels[i] >= 0, "labels must be >= 0 (-1 marks a gallery image)");
    if (seen[labels[i]]++ >= enroll) continue;
    gallery[i] = 1;
    auto& sum = sums[labels[i]];
    sum.resize(size_t(dim), 0.0);
    for (int64_t d = 0; d < dim; ++d) sum[size_t(d)] += embeddings[i * size_t(dim) + size_t(d)];
  }
  CentroidEval out;
  std::vector<std::vector<double>> centroids;  // normalised; a zero mean stays zero
  std::map<int64_t, size_t> index;
  for (auto& [label, sum] : sums) {
    const double length = norm(sum.data(), dim);  // the mean's direction is the sum's
    if (length > 0)
      for (auto& v : sum) v /= length;
    index[label] = centroids.size();
    out.centroid_label.push_back(label);
    centroids.push_back(std::move(sum));
  }
  out.predicted.assign(n, -1);
  out.own_similarity.assign(n, 0.0);
  std::vector<double> x(static_cast<size_t>(dim));
  for (size_t i = 0; i < n; ++i) {
    for (int64_t d = 0; d < dim; ++d) x[size_t(d)] = embeddings[i * size_t(dim) + size_t(d)];
    const double length = norm(x.data(), dim);
    auto cosine = [&](const std::vector<double>& c) {
      if (length == 0) return 0.0;
      double dot = 0;
      for (int64_t d = 0; d < dim; ++d) dot += c[size_t(d)] * x[size_t(d)];
      return dot / length;
    };
    out.own_similarity[i] = cosine(centroids[index.at(labels[i])]);
    if (gallery[i]) continue;
    double best = -std::numeric_limits<double>::infinity();
    for (size_t c = 0; c < centroids.size(); ++c) {
      const double s = cosine(centroids[c]);
      if (s > best) best = s, out.predicted[i] = out.centroid_label[c];
    }
  }
  return out;
}

double centroid_accuracy(const CentroidEval& eval, const std::vector<int64_t>& labels,
                         const std::vector<char>& in_group) {
  CS_ASSERT(labels.size() == eval.predicted.size() && in_group.size() == labels.size(), "group size mismatch");
  int64_t scored = 0, right = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    if (!in_group[i] || eval.predicted[i] < 0) continue;
    ++scored;
    right += eval.predicted[i] == labels[i];
  }
  return scored ? double(right) / double(scored) : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace clear_sweep
