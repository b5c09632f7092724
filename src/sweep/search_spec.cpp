#include "sweep/search_spec.h"

#include <algorithm>
#include <cmath>

#include "common/number_format.h"
#include "sweep/method_catalog.h"

namespace clear_sweep {

const char* distribution_kind_name(DistributionKind kind) {
  switch (kind) {
    case DistributionKind::uniform:
      return "uniform";
    case DistributionKind::log_uniform:
      return "log_uniform";
    case DistributionKind::integer:
      return "integer";
    case DistributionKind::choice:
      return "choice";
  }
  return "?";
}

HParamValue Distribution::at(double u) const {
  u = std::clamp(u, 0.0, std::nextafter(1.0, 0.0));
  switch (kind) {
    case DistributionKind::uniform:
      return low + u * (high - low);
    case DistributionKind::log_uniform:
      return std::exp(std::log(low) + u * (std::log(high) - std::log(low)));
    case DistributionKind::integer: {
      const double n = high - low + 1;
      return int64_t(low) + std::min(int64_t(n) - 1, int64_t(std::floor(u * n)));
    }
    case DistributionKind::choice:
      return choices[std::min(choices.size() - 1, size_t(std::floor(u * double(choices.size()))))];
  }
  return 0.0;
}

double Distribution::cardinality() const {
  switch (kind) {
    case DistributionKind::integer:
      return high - low + 1;
    case DistributionKind::choice:
      return double(choices.size());
    default:
      return 0;
  }
}

std::string Distribution::text() const {
  std::string out = distribution_kind_name(kind);
  out += "(";
  if (kind == DistributionKind::choice) {
    for (size_t i = 0; i < choices.size(); ++i) out += (i ? ", " : "") + hparam_text(choices[i]);
  } else {
    out += format_number(low) + ", " + format_number(high);
  }
  return out + ")";
}

std::vector<int64_t> AshaSpec::rungs(int64_t bracket) const {
  std::vector<int64_t> out;
  double epochs = double(min_epochs);
  for (int64_t s = 0; s < bracket; ++s) epochs *= double(eta);
  for (; epochs < double(max_epochs); epochs *= double(eta)) out.push_back(int64_t(epochs));
  out.push_back(max_epochs);
  return out;
}

std::map<std::string, Distribution> SearchSpec::space_of(const std::string& method) const {
  std::map<std::string, Distribution> out;
  const MethodInfo* info = method_find(method);
  for (const auto& [name, d] : shared_space)
    if (info && method_hparam(*info, name)) out[name] = d;
  if (const auto own = method_space.find(method); own != method_space.end())
    for (const auto& [name, d] : own->second) out[name] = d;
  return out;
}

}  // namespace clear_sweep
