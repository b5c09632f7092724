// Reading a benchmark's answer out of a greedy generation, as MLLMU-Bench's eval.py does.
#pragma once

#include <optional>
#include <string>

namespace clear_sweep {

/// The answer in a generation, as eval.py reads cloze and generation answers: the text
/// after "ASSISTANT:" (else after "Answer:", else all of it), stripped.
std::string assistant_response(const std::string& generation);

/// A multiple-choice answer: the text after "ASSISTANT:" (else all of it: eval.py's
/// classification has no "Answer:" fallback), stripped; its first character,
/// upper-cased, if it is one of `options` (e.g. "ABCD"); nullopt otherwise (a wrong
/// answer, as eval.py counts it).
std::optional<char> choice_letter(const std::string& generation, const std::string& options);

/// A cloze answer is right when the ground truth appears in it, ignoring ASCII case.
bool cloze_correct(const std::string& ground_truth, const std::string& answer);

}  // namespace clear_sweep
