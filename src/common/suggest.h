// "Did you mean ...?" for names a user mistyped (keys, methods, modalities).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace clear_sweep {

/// The candidate closest to `word` by edit distance, if it is close enough to be a
/// plausible typo (distance <= max(1, |word| / 3)); empty otherwise.
std::string suggest_name(std::string_view word, const std::vector<std::string>& candidates);

/// "a, b, c"
std::string join(const std::vector<std::string>& items, std::string_view separator = ", ");

}  // namespace clear_sweep
