// Tokenizers: the BPE trained on the world and SentencePiece models, round trips,
// special tokens, save and load.
#include <sentencepiece_trainer.h>

#include <filesystem>

#include "data/batch.h"
#include "data/bpe_tokenizer.h"
#include "data/items.h"
#include "data/sentencepiece_tokenizer.h"
#include "data/utf8.h"
#include "data_fixtures.h"

using namespace clear_sweep;
using namespace clear_sweep::testing;

namespace {

std::vector<std::string> world_corpus() { return dataset_corpus(synth_world(small_world_options()).dataset); }

}  // namespace

TEST_CASE("pre-tokenisation keeps a word's leading space and splits digits and punctuation", "[data][tokenizer]") {
  const auto words = BpeTokenizer::split_words("Kalo Mira was born in 1987, in \"Oslo\".\n  Done");
  const std::vector<std::string> expected{"Kalo", " Mira", " was", " born", " in", " 1", "9",  "8", "7",
                                          ",",    " in",   " \"",  "Oslo",  "\"",  ".",  "\n", " ", " Done"};
  CHECK(words == expected);
}

TEST_CASE("the BPE tokenizer round-trips any text and compresses the world's", "[data][tokenizer]") {
  const auto corpus = world_corpus();
  const auto bpe = BpeTokenizer::train(corpus, 1024);
  CHECK(bpe.vocab_size() == 1024);
  size_t bytes = 0, tokens = 0;
  for (const auto& text : corpus) {
    const auto ids = bpe.encode(text);
    CHECK(bpe.decode(ids) == text);
    for (int32_t id : ids) CHECK((id >= BpeTokenizer::kFirstByte && id < bpe.vocab_size()));
    bytes += text.size();
    tokens += ids.size();
  }
  INFO(bytes << " bytes in " << tokens << " tokens");
  CHECK(tokens * 3 < bytes);  // at least 3 bytes per token on the text it was trained on
  // Text it never saw, non-ASCII included, round-trips through the bytes; bytes that are
  // not UTF-8 come back as a byte-level decoder gives them, with U+FFFD
  // (tests/data/test_tokenizer_decode.py holds that against Python's decoder).
  for (const std::string& text : std::vector<std::string>{"Zürich, 北京 — naïve", "tabs\tand\r\nlines", ""})
    CHECK(bpe.decode(bpe.encode(text)) == text);
  const std::string raw("\x00\xff\x80", 3);
  CHECK(bpe.decode(bpe.encode(raw)) == utf8_lossy(raw));
  CHECK(utf8_valid(bpe.decode(bpe.encode(raw))));
  // Special tokens never come out of encode and are skipped by decode.
  auto ids = bpe.encode("Describe the image.");
  ids.insert(ids.begin(), {bpe.special().bos, bpe.special().image});
  ids.push_back(bpe.special().eos);
  CHECK(bpe.decode(ids) == "Describe the image.");
}

TEST_CASE("BPE training is deterministic and a saved tokenizer encodes the same", "[data][tokenizer]") {
  const auto corpus = world_corpus();
  const auto a = BpeTokenizer::train(corpus, 600);
  const auto b = BpeTokenizer::train(corpus, 600);
  CHECK(a.merges() == b.merges());
  TempDir tmp;
  a.save(tmp.path());
  const auto loaded = load_tokenizer(tmp.path());
  CHECK(loaded->kind() == "bpe");
  CHECK(loaded->vocab_size() == a.vocab_size());
  for (const auto& text : corpus) CHECK(loaded->encode(text) == a.encode(text));

  write_file(tmp.file("tokenizer.json"),
             "{\"type\": \"clear-sweep-bpe\", \"version\": 1, \"first_byte\": 4, \"merges\": [[5, 900]]}");
  CHECK(expect_error([&] { load_tokenizer(tmp.path()); }).key() == "merges[0]");
  std::filesystem::remove(tmp.file("tokenizer.json"));
  CHECK(expect_error([&] { load_tokenizer(tmp.path()); }).key() == "tokenizer");
}

TEST_CASE("a SentencePiece model round-trips and gains <image> and <pad> ids", "[data][tokenizer][sentencepiece]") {
  TempDir tmp;
  const std::string corpus_path = tmp.file("corpus.txt");
  {
    std::string text;
    for (const auto& line : world_corpus()) {
      std::string one = line;
      std::replace(one.begin(), one.end(), '\n', ' ');
      text += one + "\n";
    }
    write_file(corpus_path, text);
  }
  // A small model with Llama's settings: BPE, bos 1, eos 2, unk 0, no pad, byte
  // fallback, digits split, no normalisation (newlines and runs of spaces kept).
  const auto status = sentencepiece::SentencePieceTrainer::Train(
      "--input=" + corpus_path + " --model_prefix=" + tmp.file("tokenizer") +
      " --vocab_size=600 --model_type=bpe --character_coverage=1.0 --byte_fallback=true --split_digits=true"
      " --normalization_rule_name=identity --remove_extra_whitespaces=false --allow_whitespace_only_pieces=true"
      " --unk_id=0 --bos_id=1 --eos_id=2 --pad_id=-1 --minloglevel=2");
  INFO(status.ToString());
  REQUIRE(status.ok());

  const auto sp = load_tokenizer(tmp.path());
  CHECK(sp->kind() == "sentencepiece");
  CHECK(sp->special().bos == 1);
  CHECK(sp->special().eos == 2);
  CHECK(sp->special().image == 600);  // appended after the model's pieces, as LLaVA does
  CHECK(sp->special().pad == 601);
  CHECK(sp->vocab_size() == 602);
  for (const std::string text : {"Where was Kalo Mira born?", "Kalo Mira was born in 1987.", "Ünïcödé fällback"})
    CHECK(sp->decode(sp->encode(text)) == text);
  auto ids = sp->encode("Describe the image.");
  ids.insert(ids.begin(), {sp->special().bos, sp->special().image, sp->special().image});
  ids.push_back(sp->special().pad);
  CHECK(sp->decode(ids) == "Describe the image.");

  // A continuation has no dummy prefix: joined to what precedes it, it decodes as one
  // string (transformers' test_hf_score.py checks the ids themselves).
  for (const auto& [head, tail] : std::vector<std::pair<std::string, std::string>>{
           {"Where was", " Kalo Mira born?"}, {"USER: ", "\nDescribe the image."}, {"In 19", "87."}}) {
    auto joined = sp->encode(head);
    const auto rest = sp->encode_continuation(tail);
    joined.insert(joined.end(), rest.begin(), rest.end());
    CHECK(sp->decode(joined) == head + tail);
  }
  CHECK(sp->encode_continuation("Lisbon") != sp->encode("Lisbon"));
  // llava-1.5's template: the whole sequence decodes as the chat text, placeholders skipped.
  const PromptFormat llava("llava-1.5", 3, sp->special().image);
  const Sequence s = make_sequence(*sp, "Describe the image.", "Kalo Mira.", "a.png", llava);
  CHECK(std::count(s.prompt.begin(), s.prompt.end(), sp->special().image) == 3);
  CHECK(s.prompt.front() == sp->special().bos);
  CHECK(s.answer.back() == sp->special().eos);
  std::vector<int32_t> all = s.prompt;
  all.insert(all.end(), s.answer.begin(), s.answer.end());
  CHECK(sp->decode(all) == "USER: \nDescribe the image. ASSISTANT: Kalo Mira.");
  CHECK(template_text(llava, "Q?", true) == "USER: <image>\nQ? ASSISTANT:");
  CHECK(template_text(llava, "Q?", false) == "USER: Q? ASSISTANT:");
  const Sequence text_only = make_sequence(*sp, "Where was Kalo Mira born?", "Lisbon", "", llava);
  CHECK(std::count(text_only.prompt.begin(), text_only.prompt.end(), sp->special().image) == 0);

  TempDir copy;
  sp->save(copy.path());
  CHECK(load_tokenizer(copy.path())->encode("Lisbon") == sp->encode("Lisbon"));
  write_file(copy.file("tokenizer.model"), "not a model");
  CHECK(expect_error([&] { load_tokenizer(copy.path()); }).message().find("not a SentencePiece model") !=
        std::string::npos);
}
