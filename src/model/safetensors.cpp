#include "model/safetensors.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/file_write.h"

namespace clear_sweep {
namespace {

struct DtypeInfo {
  const char* name;
  torch::ScalarType type;
  int64_t bytes;
};

const DtypeInfo kDtypes[] = {{"F64", torch::kDouble, 8},    {"F32", torch::kFloat, 4}, {"F16", torch::kHalf, 2},
                             {"BF16", torch::kBFloat16, 2}, {"I64", torch::kLong, 8},  {"I32", torch::kInt, 4},
                             {"I16", torch::kShort, 2},     {"I8", torch::kChar, 1},   {"U8", torch::kByte, 1},
                             {"BOOL", torch::kBool, 1}};

const DtypeInfo* dtype_by_name(const std::string& name) {
  for (const auto& d : kDtypes)
    if (name == d.name) return &d;
  return nullptr;
}

bool read_exact(int fd, void* out, size_t size, uint64_t offset) {
  auto* p = static_cast<char*>(out);
  while (size > 0) {
    const ssize_t n = pread(fd, p, size, off_t(offset));
    if (n <= 0) return false;
    p += n;
    size -= size_t(n);
    offset += uint64_t(n);
  }
  return true;
}

}  // namespace

const char* safetensors_dtype(torch::ScalarType type) {
  for (const auto& d : kDtypes)
    if (d.type == type) return d.name;
  CS_ASSERT(false, std::string("no safetensors dtype for ") + c10::toString(type));
  return "";
}

SafetensorsFile::SafetensorsFile(std::string path) : path_(std::move(path)) {
  auto fail = [&](const std::string& message, const std::string& hint = {}) {
    throw Error(SourceLocation{path_}, "safetensors", message, hint);
  };
  fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) fail("cannot open the file");
  // A constructor that throws runs no destructor: the descriptor closes here then.
  struct CloseOnThrow {
    int& fd;
    bool armed = true;
    ~CloseOnThrow() {
      if (armed && fd >= 0) ::close(fd), fd = -1;
    }
  } guard{fd_};
  const uint64_t file_size = std::filesystem::file_size(path_);
  unsigned char len_bytes[8];
  if (file_size < 8 || !read_exact(fd_, len_bytes, 8, 0)) fail("shorter than its 8-byte header length");
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | len_bytes[i];
  if (header_len > file_size - 8 || header_len > (100u << 20)) fail("header length runs past the end of the file");
  std::string header(header_len, '\0');
  if (!read_exact(fd_, header.data(), header_len, 8)) fail("cannot read the header");
  data_start_ = 8 + header_len;
  SafetensorsHeader parsed = parse_safetensors_header(header, file_size - data_start_, path_);
  entries_ = std::move(parsed.entries);
  metadata_ = std::move(parsed.metadata);
  for (size_t i = 0; i < entries_.size(); ++i) index_[entries_[i].name] = i;
  guard.armed = false;
}

SafetensorsFile::~SafetensorsFile() {
  if (fd_ >= 0) ::close(fd_);
}

const SafetensorsEntry* SafetensorsFile::find(const std::string& name) const {
  const auto it = index_.find(name);
  return it == index_.end() ? nullptr : &entries_[it->second];
}

torch::Tensor SafetensorsFile::read(const SafetensorsEntry& e) const {
  const DtypeInfo* d = dtype_by_name(e.dtype);
  torch::Tensor t = torch::empty(e.shape, torch::TensorOptions().dtype(d->type));
  if (e.end > e.begin && !read_exact(fd_, t.data_ptr(), size_t(e.end - e.begin), data_start_ + e.begin))
    throw Error(SourceLocation{path_}, "safetensors", "cannot read tensor '" + e.name + "'");
  return t;
}

void write_safetensors(const std::string& path, const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header;
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::vector<torch::Tensor> contiguous;
  uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    torch::Tensor t = tensor.detach().to(torch::kCPU).contiguous();
    const uint64_t bytes = uint64_t(t.numel()) * uint64_t(t.element_size());
    header[name] = {{"dtype", safetensors_dtype(t.scalar_type())},
                    {"shape", t.sizes().vec()},
                    {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
    contiguous.push_back(std::move(t));
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // data starts 8-byte aligned
  const std::string tmp = path + ".partial";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) throw_write_failure(tmp, errno, "cannot create the file");
  unsigned char len_bytes[8];
  uint64_t len = text.size();
  for (int i = 0; i < 8; ++i) len_bytes[i] = (unsigned char)((len >> (8 * i)) & 0xFF);
  int err = 0;  // the first failure's errno: out of space makes it resumable
  auto put = [&](const void* data, size_t bytes) {
    if (!err && std::fwrite(data, 1, bytes, f) != bytes) err = errno ? errno : EIO;
  };
  errno = 0;
  put(len_bytes, 8);
  put(text.data(), text.size());
  for (const auto& t : contiguous) put(t.data_ptr(), size_t(t.numel() * t.element_size()));
  if (!err && std::fflush(f) != 0) err = errno;
  if (!err && fsync(fileno(f)) != 0) err = errno;
  if (std::fclose(f) != 0 && !err) err = errno;
  if (err) {
    std::remove(tmp.c_str());  // a half file would only take the space a rerun needs
    throw_write_failure(path, err, "cannot write the weights");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int rename_err = errno;
    std::remove(tmp.c_str());
    throw_write_failure(path, rename_err, "cannot move the weights into place");
  }
}

}  // namespace clear_sweep
