#include "eval/porter_stemmer.h"

#include <functional>
#include <map>
#include <vector>

namespace clear_sweep {
namespace {

// Names and structure follow NLTK's porter.py so the two can be read side by side.

bool is_consonant(const std::string& w, size_t i) {
  switch (w[i]) {
    case 'a':
    case 'e':
    case 'i':
    case 'o':
    case 'u':
      return false;
    case 'y':
      return i == 0 ? true : !is_consonant(w, i - 1);
    default:
      return true;
  }
}

/// m in [C](VC){m}[V]: how many vowel-consonant transitions.
int measure(const std::string& stem) {
  int m = 0;
  bool previous_vowel = false;
  for (size_t i = 0; i < stem.size(); ++i) {
    const bool consonant = is_consonant(stem, i);
    if (consonant && previous_vowel) ++m;
    previous_vowel = !consonant;
  }
  return m;
}

bool has_positive_measure(const std::string& stem) { return measure(stem) > 0; }

bool contains_vowel(const std::string& stem) {
  for (size_t i = 0; i < stem.size(); ++i)
    if (!is_consonant(stem, i)) return true;
  return false;
}

bool ends_with(const std::string& w, const std::string& suffix) {
  return w.size() >= suffix.size() && w.compare(w.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool ends_double_consonant(const std::string& w) {
  return w.size() >= 2 && w[w.size() - 1] == w[w.size() - 2] && is_consonant(w, w.size() - 1);
}

bool ends_cvc(const std::string& w) {
  const size_t n = w.size();
  if (n >= 3 && is_consonant(w, n - 3) && !is_consonant(w, n - 2) && is_consonant(w, n - 1) && w[n - 1] != 'w' &&
      w[n - 1] != 'x' && w[n - 1] != 'y')
    return true;
  return n == 2 && !is_consonant(w, 0) && is_consonant(w, 1);  // an NLTK extension
}

std::string drop(const std::string& w, const std::string& suffix) { return w.substr(0, w.size() - suffix.size()); }

struct Rule {
  std::string suffix;  ///< "*d": ends in a double consonant
  std::string replacement;
  std::function<bool(const std::string&)> condition;  ///< on the stem; empty: always
};

/// The first rule whose suffix matches decides: replaced if its condition holds on the
/// stem, else the word stays as it is.
std::string apply_rules(const std::string& w, const std::vector<Rule>& rules) {
  for (const auto& r : rules) {
    if (r.suffix == "*d" && ends_double_consonant(w)) {
      const std::string stem = w.substr(0, w.size() - 2);
      return (!r.condition || r.condition(stem)) ? stem + r.replacement : w;
    }
    if (ends_with(w, r.suffix)) {
      const std::string stem = drop(w, r.suffix);
      return (!r.condition || r.condition(stem)) ? stem + r.replacement : w;
    }
  }
  return w;
}

std::string step1a(const std::string& w) {
  if (ends_with(w, "ies") && w.size() == 4) return drop(w, "ies") + "ie";
  return apply_rules(w, {{"sses", "ss", {}}, {"ies", "i", {}}, {"ss", "ss", {}}, {"s", "", {}}});
}

std::string step1b(const std::string& w) {
  if (ends_with(w, "ied")) return drop(w, "ied") + (w.size() == 4 ? "ie" : "i");
  if (ends_with(w, "eed")) {
    const std::string stem = drop(w, "eed");
    return measure(stem) > 0 ? stem + "ee" : w;
  }
  std::string stem;
  bool found = false;
  for (const char* suffix : {"ed", "ing"})
    if (ends_with(w, suffix)) {
      stem = drop(w, suffix);
      if (contains_vowel(stem)) {
        found = true;
        break;
      }
    }
  if (!found) return w;
  const char last = stem.back();
  return apply_rules(stem, {{"at", "ate", {}},
                            {"bl", "ble", {}},
                            {"iz", "ize", {}},
                            {"*d", std::string(1, last),
                             [last](const std::string&) { return last != 'l' && last != 's' && last != 'z'; }},
                            {"", "e", [](const std::string& s) { return measure(s) == 1 && ends_cvc(s); }}});
}

std::string step1c(const std::string& w) {
  return apply_rules(w,
                     {{"y", "i", [](const std::string& s) { return s.size() > 1 && is_consonant(s, s.size() - 1); }}});
}

std::string step2(const std::string& w) {
  // NLTK applies ALLI -> AL first and, if it does, runs step 2 again on the result.
  if (ends_with(w, "alli") && has_positive_measure(drop(w, "alli"))) return step2(drop(w, "alli") + "al");
  const auto m = has_positive_measure;
  return apply_rules(
      w, {{"ational", "ate", m},
          {"tional", "tion", m},
          {"enci", "ence", m},
          {"anci", "ance", m},
          {"izer", "ize", m},
          {"bli", "ble", m},
          {"alli", "al", m},
          {"entli", "ent", m},
          {"eli", "e", m},
          {"ousli", "ous", m},
          {"ization", "ize", m},
          {"ation", "ate", m},
          {"ator", "ate", m},
          {"alism", "al", m},
          {"iveness", "ive", m},
          {"fulness", "ful", m},
          {"ousness", "ous", m},
          {"aliti", "al", m},
          {"iviti", "ive", m},
          {"biliti", "ble", m},
          {"fulli", "ful", m},
          // The 'l' of LOGI stays with the stem, so "geo", "theo" work.
          {"logi", "log", [&w](const std::string&) { return has_positive_measure(w.substr(0, w.size() - 3)); }}});
}

std::string step3(const std::string& w) {
  const auto m = has_positive_measure;
  return apply_rules(w, {{"icate", "ic", m},
                         {"ative", "", m},
                         {"alize", "al", m},
                         {"iciti", "ic", m},
                         {"ical", "ic", m},
                         {"ful", "", m},
                         {"ness", "", m}});
}

std::string step4(const std::string& w) {
  const auto m = [](const std::string& s) { return measure(s) > 1; };
  return apply_rules(
      w, {{"al", "", m},
          {"ance", "", m},
          {"ence", "", m},
          {"er", "", m},
          {"ic", "", m},
          {"able", "", m},
          {"ible", "", m},
          {"ant", "", m},
          {"ement", "", m},
          {"ment", "", m},
          {"ent", "", m},
          {"ion", "",
           [](const std::string& s) { return measure(s) > 1 && !s.empty() && (s.back() == 's' || s.back() == 't'); }},
          {"ou", "", m},
          {"ism", "", m},
          {"ate", "", m},
          {"iti", "", m},
          {"ous", "", m},
          {"ive", "", m},
          {"ize", "", m}});
}

std::string step5a(const std::string& w) {
  if (ends_with(w, "e")) {
    const std::string stem = drop(w, "e");
    if (measure(stem) > 1) return stem;
    if (measure(stem) == 1 && !ends_cvc(stem)) return stem;
  }
  return w;
}

std::string step5b(const std::string& w) {
  return apply_rules(w, {{"ll", "l", [&w](const std::string&) { return measure(w.substr(0, w.size() - 1)) > 1; }}});
}

const std::map<std::string, std::string>& irregular_forms() {
  static const std::map<std::string, std::string> pool{
      {"sky", "sky"},        {"skies", "sky"},       {"dying", "die"},        {"lying", "lie"},
      {"tying", "tie"},      {"news", "news"},       {"innings", "inning"},   {"inning", "inning"},
      {"outings", "outing"}, {"outing", "outing"},   {"cannings", "canning"}, {"canning", "canning"},
      {"howe", "howe"},      {"proceed", "proceed"}, {"exceed", "exceed"},    {"succeed", "succeed"}};
  return pool;
}

}  // namespace

std::string porter_stem(const std::string& word) {
  const auto& pool = irregular_forms();
  const auto it = pool.find(word);
  if (it != pool.end()) return it->second;
  if (word.size() <= 2) return word;
  std::string s = step1a(word);
  s = step1b(s);
  s = step1c(s);
  s = step2(s);
  s = step3(s);
  s = step4(s);
  s = step5a(s);
  s = step5b(s);
  return s;
}

}  // namespace clear_sweep
