// Reading a benchmark's answer out of a greedy generation, as MLLMU-Bench's eval.py does.
#pragma once

#include <optional>
#include <string>

namespace clear_sweep {

/// A multiple-choice answer: the text after "ASSISTANT:" (else after "Answer:", else all
/// of it), stripped; its first character, upper-cased, if it is one of `options` (e.g.
/// "ABCD"); nullopt otherwise (a wrong answer, as eval.py counts it).
std::optional<char> choice_letter(const std::string& generation, const std::string& options);

/// A cloze answer is right when the ground truth appears in it, ignoring ASCII case.
bool cloze_correct(const std::string& ground_truth, const std::string& answer);

}  // namespace clear_sweep
