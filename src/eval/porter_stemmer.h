// The Porter stemmer as NLTK implements it (nltk.stem.porter.PorterStemmer, its default
// NLTK_EXTENSIONS mode), which is what Google's rouge_score applies with
// use_stemmer=True. Input is one lower-case ASCII token.
#pragma once

#include <string>

namespace clear_sweep {

std::string porter_stem(const std::string& word);

}  // namespace clear_sweep
