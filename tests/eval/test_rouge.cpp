// ROUGE-L and the Porter stemmer against fixtures made by independent implementations
// (tests/eval/make_fixtures.py: NLTK's PorterStemmer, rouge_score's algorithm).
#include <fstream>
#include <nlohmann/json.hpp>

#include "eval/porter_stemmer.h"
#include "eval/rouge.h"
#include "test_support.h"

using namespace clear_sweep;

TEST_CASE("the Porter stemmer matches NLTK's on every fixture word", "[eval][rouge]") {
  std::ifstream in(source_path("tests/eval/fixtures/porter_words.tsv"));
  REQUIRE(in);
  std::string line;
  size_t words = 0, wrong = 0;
  while (std::getline(in, line)) {
    const auto tab = line.find('\t');
    const std::string word = line.substr(0, tab), expected = line.substr(tab + 1);
    const std::string got = porter_stem(word);
    if (got != expected) {
      ++wrong;
      if (wrong <= 20) FAIL_CHECK(word << ": got " << got << ", NLTK " << expected);
    }
    ++words;
  }
  CHECK(words > 5000);
  CHECK(wrong == 0);
}

TEST_CASE("ROUGE-L matches rouge_score on 300 varied pairs", "[eval][rouge]") {
  std::ifstream in(source_path("tests/eval/fixtures/rouge_pairs.jsonl"));
  REQUIRE(in);
  std::string line;
  size_t pairs = 0, empty = 0, partial = 0;
  while (std::getline(in, line)) {
    const auto j = nlohmann::json::parse(line);
    const std::string ref = j["reference"], pred = j["prediction"];
    const RougeScore s = rouge_l(ref, pred);
    INFO("reference: " << ref << "\nprediction: " << pred);
    CHECK(s.recall == Approx(j["recall"].get<double>()).margin(1e-12));
    CHECK(s.precision == Approx(j["precision"].get<double>()).margin(1e-12));
    CHECK(s.fmeasure == Approx(j["fmeasure"].get<double>()).margin(1e-12));
    empty += ref.empty() || pred.empty();
    partial += s.recall > 0 && s.recall < 1;
    ++pairs;
  }
  CHECK(pairs >= 200);
  CHECK(empty >= 3);
  CHECK(partial >= 50);  // the fixture exercises partial overlaps, not just 0 and 1
}

TEST_CASE("rouge tokenization: case, punctuation, numbers, stemming, non-ASCII", "[eval][rouge]") {
  using V = std::vector<std::string>;
  CHECK(rouge_tokenize("The Cat's 1999 running-shoes!") == V{"the", "cat", "s", "1999", "run", "shoe"});
  CHECK(rouge_tokenize("Zürich") == V{"z", "rich"});
  CHECK(rouge_tokenize("\xE2\x84\xAA"
                       "elvin") == V{"kelvin"});  // KELVIN SIGN lower-cases to k
  CHECK(rouge_tokenize("...").empty());
  CHECK(rouge_tokenize("running", false) == V{"running"});
  CHECK(rouge_l("a b c d", "a x c").recall == Approx(0.5));
  CHECK(rouge_l("a b c d", "").recall == 0.0);
  CHECK(lcs_length({"a", "b", "c", "b", "d", "a", "b"}, {"b", "d", "c", "a", "b", "a"}) == 4);
}
