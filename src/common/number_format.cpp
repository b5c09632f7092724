#include "common/number_format.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

#include "common/error.h"

namespace clear_sweep {

// Layout follows Python's repr(float), so the numbers in ids and logs read as they do
// in analysis/: fixed notation for decimal exponents -4..15 ("0.0001", "2.5", "3"),
// scientific outside ("1e-05", "1e+16"). Only the integral ".0" that repr adds is
// dropped. The digits are the shortest that round-trip (std::to_chars).
std::string format_number(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  if (value == 0.0) return "0";  // -0.0 and 0.0 are one value for our purposes

  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
  CS_ASSERT(result.ec == std::errc(), "to_chars(double) failed");
  const std::string sci(buffer, result.ptr);  // "-1.2345e-05"
  const size_t e = sci.find('e');
  const bool negative = sci[0] == '-';
  std::string digits;
  for (size_t i = negative ? 1 : 0; i < e; ++i)
    if (sci[i] != '.') digits += sci[i];
  const int exponent = std::atoi(sci.c_str() + e + 1);

  std::string out = negative ? "-" : "";
  if (exponent < -4 || exponent >= 16) {
    out += digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    const int magnitude = std::abs(exponent);
    out += std::string(exponent < 0 ? "e-" : "e+") + (magnitude < 10 ? "0" : "") + std::to_string(magnitude);
  } else if (exponent < 0) {
    out += "0." + std::string(size_t(-exponent - 1), '0') + digits;
  } else if (size_t(exponent) + 1 >= digits.size()) {
    out += digits + std::string(size_t(exponent) + 1 - digits.size(), '0');
  } else {
    out += digits.substr(0, size_t(exponent) + 1) + "." + digits.substr(size_t(exponent) + 1);
  }
  return out;
}

}  // namespace clear_sweep
