#include "faces/face_images.h"

#include <algorithm>
#include <cstring>
#include <set>

#include "common/error.h"

namespace clear_sweep {

torch::Tensor FaceImages::label_tensor() const {
  return torch::tensor(labels, torch::TensorOptions().dtype(torch::kInt64));
}

std::vector<int64_t> FaceImages::images_of(const std::vector<int64_t>& persons) const {
  const std::vector<char> mask = mask_of(persons);
  std::vector<int64_t> out;
  for (size_t i = 0; i < mask.size(); ++i)
    if (mask[i]) out.push_back(int64_t(i));
  return out;
}

std::vector<char> FaceImages::mask_of(const std::vector<int64_t>& persons) const {
  const std::set<int64_t> wanted(persons.begin(), persons.end());
  std::vector<char> mask(labels.size(), 0);
  for (size_t i = 0; i < labels.size(); ++i) mask[i] = wanted.count(person_ids[size_t(labels[i])]) ? 1 : 0;
  return mask;
}

FaceImages load_face_images(const Dataset& dataset, int64_t size, const ImageReader& read) {
  CS_ASSERT(size >= 32, "face images must be at least 32 pixels");
  ImageReader reader = read ? read : [&](const std::string& path) { return read_image(dataset.root + "/" + path); };
  FaceImages out;
  std::vector<std::vector<float>> rows;
  for (const auto& person : dataset.persons) {
    if (person.images.empty())
      throw Error({dataset.manifest_path()}, "persons",
                  "person " + std::to_string(person.id) + " (" + person.name +
                      ") has no image; the visual benchmark needs every identity's faces");
    const int64_t label = int64_t(out.person_ids.size());
    out.person_ids.push_back(person.id);
    for (const auto& item : person.images) {
      rows.push_back(image_to_input(reader(item.image), int(size), kImageNetPixelNorm));
      out.labels.push_back(label);
    }
  }
  const int64_t plane = 3 * size * size;
  out.pixels = torch::empty({int64_t(rows.size()), 3, size, size}, torch::kFloat32);
  float* data = out.pixels.data_ptr<float>();
  for (size_t i = 0; i < rows.size(); ++i)
    std::memcpy(data + int64_t(i) * plane, rows[i].data(), plane * sizeof(float));
  return out;
}

FaceImages load_face_images(const LoadedData& data, int64_t size) {
  const std::string manifest = data.dataset.source_name();
  return load_face_images(data.dataset, size, [&](const std::string& path) {
    const auto it = data.images.find(path);
    if (it == data.images.end()) throw Error({manifest}, "image", "no decoded image for " + path);
    return it->second;
  });
}

}  // namespace clear_sweep
