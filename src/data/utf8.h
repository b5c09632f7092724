// UTF-8 checks and repair for decoded text: generations feed ROUGE, BLEU and the answer
// parsing, which expect valid text, and transformers' decoders never give anything else.
#pragma once

#include <string>
#include <string_view>

namespace clear_sweep {

/// U+FFFD, the replacement character, in UTF-8.
inline constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";

/// True when `bytes` is well-formed UTF-8 (no overlong forms, surrogates or code points
/// past U+10FFFF).
bool utf8_valid(std::string_view bytes);

/// `bytes` with each ill-formed part replaced by U+FFFD, one per maximal subpart, as
/// Rust's String::from_utf8_lossy (tokenizers' ByteLevel decoder) and Python's
/// bytes.decode("utf-8", "replace") do.
std::string utf8_lossy(std::string_view bytes);

}  // namespace clear_sweep
