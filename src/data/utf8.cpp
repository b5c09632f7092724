#include "data/utf8.h"

#include <cstdint>

namespace clear_sweep {
namespace {

/// The length of the well-formed sequence at `bytes[i]`, or 0 when ill-formed there; in
/// `maximal`, how many bytes of it are a maximal subpart (a valid prefix) when ill-formed.
size_t sequence_at(std::string_view bytes, size_t i, size_t& maximal) {
  const auto b = [&](size_t k) { return uint8_t(bytes[k]); };
  const uint8_t lead = b(i);
  maximal = 1;
  if (lead < 0x80) return 1;
  size_t length = 0;
  uint8_t low = 0x80, high = 0xBF;  // the second byte's range (Unicode's table 3-7)
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  for (size_t k = 1; k < length; ++k) {
    if (i + k >= bytes.size()) return 0;
    const uint8_t c = b(i + k);
    const bool ok = k == 1 ? (c >= low && c <= high) : (c >= 0x80 && c <= 0xBF);
    if (!ok) return 0;
    maximal = k + 1;
  }
  return length;
}

}  // namespace

bool utf8_valid(std::string_view bytes) {
  size_t maximal = 0;
  for (size_t i = 0; i < bytes.size();) {
    const size_t n = sequence_at(bytes, i, maximal);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string utf8_lossy(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  size_t maximal = 0;
  for (size_t i = 0; i < bytes.size();) {
    const size_t n = sequence_at(bytes, i, maximal);
    if (n > 0) {
      out.append(bytes.substr(i, n));
      i += n;
    } else {
      out.append(kReplacementCharacter);
      i += maximal;
    }
  }
  return out;
}

}  // namespace clear_sweep
