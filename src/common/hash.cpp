#include "common/hash.h"

#include <openssl/evp.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <vector>

#include "common/error.h"

namespace clear_sweep {

namespace {

std::string hex_digest(const unsigned char* digest, unsigned int length) {
  static const char* hex = "0123456789abcdef";
  std::string out(2 * length, '0');
  for (unsigned int i = 0; i < length; ++i) {
    out[2 * i] = hex[digest[i] >> 4];
    out[2 * i + 1] = hex[digest[i] & 0xF];
  }
  return out;
}

}  // namespace

std::string sha256_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  const int ok = EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  CS_ASSERT(ok == 1 && length == 32, "EVP_Digest(sha256) failed");
  return hex_digest(digest, length);
}

std::string sha256_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int saved = errno;
    throw Error({path}, "", std::string("cannot open for hashing: ") + std::strerror(saved));
  }
  const std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  CS_ASSERT(ctx && EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) == 1, "EVP_DigestInit(sha256) failed");
  std::vector<char> block(1 << 20);
  while (in) {
    in.read(block.data(), std::streamsize(block.size()));
    if (in.gcount() > 0)
      CS_ASSERT(EVP_DigestUpdate(ctx.get(), block.data(), size_t(in.gcount())) == 1, "EVP_DigestUpdate failed");
  }
  if (in.bad()) throw Error({path}, "", "cannot read for hashing");
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  CS_ASSERT(EVP_DigestFinal_ex(ctx.get(), digest, &length) == 1 && length == 32, "EVP_DigestFinal failed");
  return hex_digest(digest, length);
}

std::string short_hash(std::string_view data, size_t hex_digits) {
  CS_ASSERT(hex_digits > 0 && hex_digits <= 64, "short_hash length out of range");
  return sha256_hex(data).substr(0, hex_digits);
}

}  // namespace clear_sweep
