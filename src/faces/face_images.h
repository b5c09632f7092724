// The images of a dataset as a face-recognition set: every person is an identity (class
// index = position in Dataset::persons, holdout persons included, as CLEAR's 200-way
// head is), every image of theirs a sample. Pixels are resized to the model's input and
// normalised with ImageNet's statistics, as CLEAR's visual code does.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "data/dataset_source.h"
#include "data/image.h"

namespace clear_sweep {

/// torchvision's ImageNet statistics (CLEAR's transforms.Normalize).
inline constexpr PixelNorm kImageNetPixelNorm{{0.485f, 0.456f, 0.406f}, {0.229f, 0.224f, 0.225f}};

struct FaceImages {
  torch::Tensor pixels;                ///< [N, 3, S, S] float32, CPU
  std::vector<int64_t> labels;         ///< [N] identity index
  std::vector<int64_t> person_ids;     ///< identity index -> Dataset person id
  torch::Tensor label_tensor() const;  ///< labels as [N] int64
  /// Sample indices of the images of these persons (by person id), in dataset order.
  std::vector<int64_t> images_of(const std::vector<int64_t>& persons) const;
  /// in_group[i] = 1 when sample i belongs to one of these persons (for centroid_accuracy).
  std::vector<char> mask_of(const std::vector<int64_t>& persons) const;
  int64_t identities() const { return int64_t(person_ids.size()); }
};

/// Reads an image by its path as the dataset records name it.
using ImageReader = std::function<Image(const std::string& relative_path)>;

/// Every person's images at `size` x `size`. `read` defaults to reading from
/// dataset.root. Error naming the person when one has no image.
FaceImages load_face_images(const Dataset& dataset, int64_t size, const ImageReader& read = {});

/// The same from a loaded dataset's decoded images (what stages and jobs hold); an image
/// the records name but the table lacks is an Error naming it.
FaceImages load_face_images(const LoadedData& data, int64_t size);

}  // namespace clear_sweep
