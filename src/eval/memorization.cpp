#include "eval/memorization.h"

#include <cmath>
#include <limits>

namespace clear_sweep {

double exact_memorization(const TokenScores& answer) {
  if (answer.correct.empty()) return std::numeric_limits<double>::quiet_NaN();
  size_t right = 0;
  for (bool c : answer.correct) right += c ? 1 : 0;
  return double(right) / double(answer.correct.size());
}

double extraction_strength(const TokenScores& answer) {
  const size_t n = answer.correct.size();
  if (n == 0) return 0.0;
  // The longest all-right suffix starts at k; scanning from the end finds it at once.
  size_t k = n;
  while (k > 0 && answer.correct[k - 1]) --k;
  if (k == n) k = n - 1;  // no right suffix: the reference loop ends at its last k
  return 1.0 - double(k) / double(n);
}

}  // namespace clear_sweep
