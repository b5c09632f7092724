// MLLMU-Bench's text metrics worked by hand: sentence BLEU with method1 smoothing,
// ROUGE-N, and reading a multiple-choice letter or a cloze answer out of a generation.
// (test_text_metrics_reference.py holds BLEU and ROUGE against NLTK and rouge_score.)
#include <catch2/catch.hpp>

#include <cmath>

#include "eval/answer_parsing.h"
#include "eval/bleu.h"
#include "eval/rouge.h"

using namespace clear_sweep;

TEST_CASE("sentence BLEU: brevity, clipping, method1 smoothing and NLTK's zero rule", "[eval][bleu]") {
  CHECK(sentence_bleu("the cat sat on the mat", "the cat sat on the mat") == Approx(1.0).epsilon(1e-15));
  // "the cat": p1 = 2/2, p2 = 1/1; no 3- or 4-gram, so each is 0.1 / max(1, 0) (method1).
  // Brevity: 2 words against 6, exp(1 - 6/2).
  CHECK(sentence_bleu("the cat sat on the mat", "the cat") ==
        Approx(std::exp(-2.0) * std::pow(1.0 * 1.0 * 0.1 * 0.1, 0.25)).epsilon(1e-14));
  // Clipping: "the the the the" has 4 unigrams; the reference holds "the" twice.
  // p1 = 2/4, p2 = 0/3 -> 0.1/3, p3 = 0.1/2, p4 = 0.1/1; longer than the reference: no penalty.
  CHECK(sentence_bleu("the cat the", "the the the the") ==
        Approx(std::pow(0.5 * (0.1 / 3) * (0.1 / 2) * 0.1, 0.25)).epsilon(1e-14));
  CHECK(sentence_bleu("a b c", "x y z") == 0.0);  // no unigram in common
  CHECK(sentence_bleu("a b c", "") == 0.0);
  CHECK(sentence_bleu("a b c", " \t\n") == 0.0);
  // Tokens are whitespace-separated, case and punctuation kept.
  CHECK(whitespace_tokens(" The  cat,\tsat\xC2\xA0on\n") == std::vector<std::string>{"The", "cat,", "sat", "on"});
  CHECK(sentence_bleu("The cat", "the cat") < sentence_bleu("The cat", "The cat"));
}

TEST_CASE("ROUGE-N: clipped n-gram overlap over each side's count", "[eval][rouge]") {
  // Tokens after rouge_score's tokenizer: "the cat sat" / "the the cat".
  const RougeScore one = rouge_n("The cat sat.", "the the cat", 1);
  CHECK(one.precision == Approx(2.0 / 3));  // "the" counts once: the reference has one
  CHECK(one.recall == Approx(2.0 / 3));
  CHECK(one.fmeasure == Approx(2.0 / 3));
  const RougeScore two = rouge_n("The cat sat.", "the the cat", 2);
  CHECK(two.precision == Approx(1.0 / 2));  // "the cat" of "the the", "the cat"
  CHECK(two.recall == Approx(1.0 / 2));
  // Stemming: "running" and "runs" share the stem "run".
  CHECK(rouge_n("runs fast", "running fast", 1).fmeasure == Approx(1.0));
  CHECK(rouge_n("a", "", 1).fmeasure == 0.0);
  CHECK(rouge_n("one", "one", 2).fmeasure == 0.0);  // no bigram on either side
}

TEST_CASE("multiple choice: the first letter after the answer prompt, as eval.py reads it", "[eval]") {
  CHECK(choice_letter("B", "ABCD") == 'B');
  CHECK(choice_letter("  c) Paris", "ABCD") == 'C');
  CHECK(choice_letter("USER: Q? ASSISTANT: D. Because", "ABCD") == 'D');
  CHECK(choice_letter("ASSISTANT: A ASSISTANT: B", "ABCD") == 'A');   // up to the next marker
  CHECK(choice_letter("Correct Answer: b", "ABCD") == 'C');           // the first character, whatever follows
  CHECK(choice_letter("b", "ABCD") == 'B');                           // a lower-case letter
  CHECK_FALSE(choice_letter("The answer is B", "ABCD").has_value());  // 'T' is no option
  CHECK_FALSE(choice_letter("ASSISTANT:   ", "ABCD").has_value());
  CHECK_FALSE(choice_letter("", "ABCD").has_value());
  CHECK_FALSE(choice_letter("E", "ABCD").has_value());
}

TEST_CASE("cloze: the ground truth inside the answer, case ignored", "[eval]") {
  CHECK(cloze_correct("Lisbon", "She was born in lisbon, Portugal."));
  CHECK(cloze_correct("New York", "NEW YORK"));
  CHECK_FALSE(cloze_correct("Lisbon", "She was born in Porto."));
  CHECK_FALSE(cloze_correct("New York", "New  York"));
  CHECK_FALSE(cloze_correct("Lisbon", ""));  // an empty answer
  // The answer part, as eval.py takes it for cloze and generation.
  CHECK(assistant_response("USER: x ASSISTANT:  Lisbon \n") == "Lisbon");
  CHECK(assistant_response("Correct Answer: Porto") == "Porto");
  CHECK(assistant_response("  in Oslo. ") == "in Oslo.");
  CHECK(assistant_response("") == "");
}
