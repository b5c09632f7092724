#include "data/dataset_stats.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>

#include "common/error.h"

namespace clear_sweep {

std::vector<SplitCounts> dataset_counts(const Dataset& ds) {
  std::map<int64_t, std::array<int64_t, 3>> mllmu;  // person -> items by role
  for (const auto& q : ds.mllmu) ++mllmu[q.person][size_t(q.role)];
  auto count = [&](const std::string& name, const std::vector<int64_t>& ids) {
    SplitCounts c{name};
    c.persons = int64_t(ids.size());
    for (int64_t id : ids) {
      c.text_qa += int64_t(ds.person(id).qa.size());
      c.images += int64_t(ds.person(id).images.size());
      const auto it = mllmu.find(id);
      if (it == mllmu.end()) continue;
      c.mllmu_train += it->second[size_t(MllmuRole::train)];
      c.mllmu_eval += it->second[size_t(MllmuRole::eval)];
      c.mllmu_test += it->second[size_t(MllmuRole::test)];
    }
    return c;
  };
  std::vector<int64_t> everyone;
  for (const auto& p : ds.persons) everyone.push_back(p.id);
  std::vector<SplitCounts> rows{count("all", everyone), count("trained", ds.splits.forget_order)};
  for (const auto& [name, ids] : ds.splits.named) rows.push_back(count(name, ids));
  rows.push_back(count("holdout", ds.splits.holdout));
  if (!ds.splits.celebrity.empty()) rows.push_back(count("celebrity", ds.splits.celebrity));
  SplitCounts faces{"real_faces"}, world{"real_world"};
  for (const auto& q : ds.real_faces) faces.images += q.image.empty() ? 0 : 1;
  for (const auto& q : ds.real_world) world.images += q.image.empty() ? 0 : 1;
  faces.option_qa = int64_t(ds.real_faces.size());
  world.option_qa = int64_t(ds.real_world.size());
  rows.push_back(faces);
  rows.push_back(world);
  return rows;
}

std::string folder_digest(const std::string& dir) {
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir))
    if (entry.is_regular_file()) files.push_back(fs::relative(entry.path(), dir).generic_string());
  std::sort(files.begin(), files.end());

  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  std::vector<char> buffer(1 << 16);
  for (const auto& rel : files) {
    // The path and its length delimit each file, so moving bytes between files changes it.
    const std::string header = rel + '\0' + std::to_string(fs::file_size(fs::path(dir) / rel)) + '\0';
    EVP_DigestUpdate(ctx.get(), header.data(), header.size());
    std::ifstream in(fs::path(dir) / rel, std::ios::binary);
    if (!in) throw Error(SourceLocation{(fs::path(dir) / rel).string()}, "file", "cannot read the file");
    while (in.read(buffer.data(), std::streamsize(buffer.size())) || in.gcount() > 0)
      EVP_DigestUpdate(ctx.get(), buffer.data(), size_t(in.gcount()));
  }
  unsigned char digest[32];
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &length);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

}  // namespace clear_sweep
