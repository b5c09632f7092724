// Face-recognition accuracy by nearest centroid, as CLEAR's visual benchmark scores its
// ResNet (arXiv 2410.18057, Table 2): the first `enroll` images of each identity (in
// dataset order) are its gallery; an identity's centroid is the mean of its gallery
// embeddings, normalised; every other image is predicted as the identity whose centroid
// has the highest cosine similarity with it. Gallery images are not scored. Torch-free:
// it works on the embeddings the model layer computes.
#pragma once

#include <cstdint>
#include <vector>

namespace clear_sweep {

/// CLEAR's gallery size per identity.
inline constexpr int64_t kDefaultEnrolled = 5;

struct CentroidEval {
  std::vector<int64_t> predicted;       ///< per image: the predicted label; -1 for a gallery image
  std::vector<double> own_similarity;   ///< per image (gallery too): cosine with its own identity's centroid
  std::vector<int64_t> centroid_label;  ///< the identities with a centroid, ascending
};

/// `embeddings` holds labels.size() rows of `dim` floats. CS_ASSERT on a size mismatch
/// or enroll < 1. A zero embedding has cosine 0 with everything (predicted: the first
/// label).
CentroidEval nearest_centroid(const std::vector<float>& embeddings, int64_t dim, const std::vector<int64_t>& labels,
                              int64_t enroll = kDefaultEnrolled);

/// The share of scored (non-gallery) images i with in_group[i] whose prediction is their
/// label; NaN when the group has no scored image.
double centroid_accuracy(const CentroidEval& eval, const std::vector<int64_t>& labels,
                         const std::vector<char>& in_group);

}  // namespace clear_sweep
