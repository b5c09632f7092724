// Memorisation of an answer under teacher forcing, as open-unlearning defines it: exact
// memorisation (the share of answer tokens whose argmax is the token) and extraction
// strength (how little of the answer must be given for the model to continue it exactly).
#pragma once

#include "eval/clear_metrics.h"

namespace clear_sweep {

/// Share of the answer's tokens whose argmax is the token; NaN for an empty answer.
double exact_memorization(const TokenScores& answer);

/// 1 - k / n for the smallest k whose suffix of argmaxes, tokens k..n-1, equals the
/// answer's. As open-unlearning's loop leaves it, an answer with no such k (not even
/// its last token right) counts k = n - 1; 0 for an empty answer.
double extraction_strength(const TokenScores& answer);

}  // namespace clear_sweep
