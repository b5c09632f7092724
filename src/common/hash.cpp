#include "common/hash.h"

#include <openssl/evp.h>

#include "common/error.h"

namespace clear_sweep {

std::string sha256_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  const int ok = EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  CS_ASSERT(ok == 1 && length == 32, "EVP_Digest(sha256) failed");
  static const char* hex = "0123456789abcdef";
  std::string out(2 * length, '0');
  for (unsigned int i = 0; i < length; ++i) {
    out[2 * i] = hex[digest[i] >> 4];
    out[2 * i + 1] = hex[digest[i] & 0xF];
  }
  return out;
}

std::string short_hash(std::string_view data, size_t hex_digits) {
  CS_ASSERT(hex_digits > 0 && hex_digits <= 64, "short_hash length out of range");
  return sha256_hex(data).substr(0, hex_digits);
}

}  // namespace clear_sweep
