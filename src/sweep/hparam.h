// Hyperparameters: typed declarations with defaults and valid ranges, checked when a
// sweep is planned (STYLE.md: typed structs, no string mini-languages).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>

namespace clear_sweep {

enum class HParamType { integer, real };

/// One hyperparameter value. Its alternative always matches the declared HParamType:
/// the parser turns an integer written for a real hyperparameter into a double, so that
/// `lr = 1` and `lr = 1.0` are one value (and one job id).
using HParamValue = std::variant<int64_t, double>;

/// Every hyperparameter of one job, defaults filled in, ordered by name.
using HParams = std::map<std::string, HParamValue>;

/// A numeric interval; an open end excludes its bound. Defaults to the whole line.
struct HParamRange {
  double min = -1e308;
  double max = 1e308;
  bool min_open = false;
  bool max_open = false;

  bool contains(double v) const;
  std::string text() const;  ///< "(0, 1]", "[1, 1000]", "[0, inf)"
};

struct HParamDecl {
  std::string name;
  HParamType type = HParamType::real;
  HParamValue default_value = 0.0;
  HParamRange range;
  std::string doc;  ///< one line: what it does and why the default
};

/// Canonical text of a value: the hash of a job id is taken over this.
std::string hparam_text(const HParamValue& value);

/// "beta=0.1 epochs=5 lr=0.0001": every hyperparameter, in name order.
std::string hparams_text(const HParams& params);

double hparam_as_double(const HParamValue& value);

const char* hparam_type_name(HParamType type);

}  // namespace clear_sweep
