#include "sweep/hparam.h"

#include "common/number_format.h"

namespace clear_sweep {

bool HParamRange::contains(double v) const {
  if (min_open ? !(v > min) : !(v >= min)) return false;
  if (max_open ? !(v < max) : !(v <= max)) return false;
  return true;
}

std::string HParamRange::text() const {
  auto bound = [](double b) {
    if (b <= -1e308) return std::string("-inf");
    if (b >= 1e308) return std::string("inf");
    return format_number(b);
  };
  const bool low_inf = min <= -1e308, high_inf = max >= 1e308;
  return std::string(min_open || low_inf ? "(" : "[") + bound(min) + ", " + bound(max) +
         (max_open || high_inf ? ")" : "]");
}

std::string hparam_text(const HParamValue& value) {
  if (const auto* i = std::get_if<int64_t>(&value)) return std::to_string(*i);
  return format_number(std::get<double>(value));
}

std::string hparams_text(const HParams& params) {
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out += ' ';
    out += name + "=" + hparam_text(value);
  }
  return out;
}

double hparam_as_double(const HParamValue& value) {
  if (const auto* i = std::get_if<int64_t>(&value)) return static_cast<double>(*i);
  return std::get<double>(value);
}

const char* hparam_type_name(HParamType type) { return type == HParamType::integer ? "integer" : "number"; }

}  // namespace clear_sweep
