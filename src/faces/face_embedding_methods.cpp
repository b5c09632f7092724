// The face methods that regress embeddings toward targets from the original model:
// scrub_bio (pushed from the original's forget embeddings, pulled to its retain ones),
// twins (toward the original's embedding of the flipped forget image) and face_rmu
// (toward a fixed random direction on forget, the original's embedding on retain).
#include "faces/face_method_steps.h"

namespace clear_sweep {
namespace {

void match_embeddings(FaceModel& model, const FaceModel& original, const FaceImages& data, const std::vector<int64_t>& forget,
          const std::vector<int64_t>& retain, const FaceUnlearnSettings& s, const FaceEpochCallback& on_epoch) {
  const auto seed = [&](int64_t epoch) { return epoch_seed(s, epoch); };
  FaceModel teacher = clone_face_model(original);
  teacher->eval();
  // Embedding regression: scrub_bio, twins, face_rmu. Targets come from the original model.
  const int64_t n = data.pixels.size(0), dim = model->net->embedding_dim();
  Targets targets{torch::zeros({n, dim}), torch::ones({n})};
  {
    const auto forget_index = torch::tensor(forget, torch::kInt64);
    const auto retain_index = torch::tensor(retain, torch::kInt64);
    const auto forget_pixels = data.pixels.index_select(0, forget_index);
    if (s.method == "twins") {
      targets.rows.index_copy_(0, forget_index, embed_faces(teacher->net, forget_pixels.flip({3})));
    } else if (s.method == "face_rmu") {
      torch::manual_seed(s.seed + 29);
      targets.rows.index_copy_(0, forget_index, s.steering * (2 * torch::rand({int64_t(forget.size()), dim}) - 1));
    } else {
      targets.rows.index_copy_(0, forget_index, embed_faces(teacher->net, forget_pixels));
      targets.sign.index_fill_(0, forget_index, -1.0);
    }
    if (s.method != "twins")  // twins trains on forget images only
      targets.rows.index_copy_(0, retain_index, embed_faces(teacher->net, data.pixels.index_select(0, retain_index)));
  }
  std::vector<int64_t> samples = repeated(forget, s.balance);
  if (s.method != "twins") samples.insert(samples.end(), retain.begin(), retain.end());
  auto optimizer = sgd(model->net->parameters(), s);
  model->train();
  for (int64_t epoch = 1; epoch <= s.epochs; ++epoch) {
    const double loss = embedding_epoch(model, optimizer, data, samples, targets, s, epoch, seed(epoch));
    if (on_epoch) on_epoch(epoch, loss);
  }
  model->eval();
}

const FaceMethodRegistration kScrubBio{"scrub_bio", match_embeddings};
const FaceMethodRegistration kTwins{"twins", match_embeddings};
const FaceMethodRegistration kFaceRmu{"face_rmu", match_embeddings};

}  // namespace
}  // namespace clear_sweep
