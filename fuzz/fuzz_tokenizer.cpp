// A saved BPE tokenizer file, then encoding and decoding with what it loaded.
#include "data/bpe_tokenizer.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path =
      clear_sweep::fuzz::write_file("tokenizer.json", std::string(reinterpret_cast<const char*>(data), size));
  clear_sweep::fuzz::expect_clear_error([&] {
    const auto tok = clear_sweep::BpeTokenizer::load(path);
    const auto ids = tok.encode("Question: Where was Ada Quill born?\nAnswer: in a small town, 1984.");
    if (tok.decode(ids) != "Question: Where was Ada Quill born?\nAnswer: in a small town, 1984.") std::abort();
  });
  return 0;
}
