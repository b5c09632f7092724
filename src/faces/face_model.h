// A face-recognition model as CLEAR's visual benchmark trains it: the ResNet-18
// embedder plus an AM-Softmax head (Wang et al., "Additive Margin Softmax for Face
// Verification", 2018) over every identity of the dataset. Evaluation uses the embedder
// alone (nearest centroid, eval/nearest_centroid.h); the head is what training and the
// label-based unlearning methods (neggrad, DPO, LLMU, finetune) work through.
#pragma once

#include <torch/torch.h>

#include <string>

#include "faces/resnet_embedder.h"

namespace clear_sweep {

/// CLEAR's AM-Softmax settings: scale s = 30, margin m = 0.4.
struct AmSoftmaxSettings {
  double scale = 30.0;
  double margin = 0.4;
};

/// AM-Softmax: with cos_j the cosine of the embedding with class j's weight row,
/// loss = -mean log( e^{s (cos_y - m)} / (e^{s (cos_y - m)} + sum_{j != y} e^{s cos_j}) ).
/// CLEAR's AdMSoftmaxLoss means to normalise the weight rows too, but its loop rebinds
/// a local name and leaves them raw; here they are normalised, as the paper defines.
/// embeddings [B, D], weight [K, D], labels [B] (long) -> scalar.
torch::Tensor am_softmax_loss(const torch::Tensor& embeddings, const torch::Tensor& weight, const torch::Tensor& labels,
                              const AmSoftmaxSettings& settings = {});

/// Class logits as CLEAR's DPO reads them: the raw embedding times the head's weight,
/// with no normalisation and no margin. [B, D] x [K, D] -> [B, K].
torch::Tensor class_logits(const torch::Tensor& embeddings, const torch::Tensor& weight);

class FaceModelImpl : public torch::nn::Module {
 public:
  FaceModelImpl(int64_t width, int64_t identities);
  ResNet18Embedder net{nullptr};
  torch::Tensor head;  ///< [identities, 8 * width], the AM-Softmax class weights
  int64_t identities() const { return head.size(0); }
};
TORCH_MODULE(FaceModel);

/// A deep copy (parameters and batch-norm statistics), on the same device.
FaceModel clone_face_model(const FaceModel& model);

/// model.safetensors in `dir`: "net.<torchvision name>" and "head.weight", with the
/// width and the identity count as metadata. Written atomically; a full disk is a
/// ResumableError (common/file_write.h).
void save_face_model(const FaceModel& model, const std::string& dir);
/// Error naming the file when it is missing, damaged or not a face model.
FaceModel load_face_model(const std::string& dir, const torch::Device& device);

}  // namespace clear_sweep
