#include "data/tokenizer.h"

#include <filesystem>

#include "common/error.h"
#include "data/bpe_tokenizer.h"
#include "data/hf_bpe_tokenizer.h"
#include "data/sentencepiece_tokenizer.h"

namespace clear_sweep {

std::vector<int32_t> Tokenizer::end_of_turn_ids() const {
  std::vector<int32_t> ids;
  for (const char* token : {"<end_of_utterance>"})
    if (const int32_t id = token_id(token); id >= 0 && id != special_.eos) ids.push_back(id);
  return ids;
}

std::unique_ptr<Tokenizer> load_tokenizer(const std::string& dir) {
  const std::filesystem::path folder(dir);
  // SentencePiece first: a Hugging Face Llama folder holds tokenizer.model and also a
  // tokenizer.json of its own format; ours never writes a .model.
  if (std::filesystem::exists(folder / "tokenizer.model"))
    return std::make_unique<SentencePieceTokenizer>((folder / "tokenizer.model").string());
  if (std::filesystem::exists(folder / "tokenizer.json")) {
    const std::string path = (folder / "tokenizer.json").string();
    if (auto hf = HfBpeTokenizer::load_if_hf(path)) return hf;  // Llama-3, Qwen2
    return std::make_unique<BpeTokenizer>(BpeTokenizer::load(path));
  }
  throw Error(SourceLocation{dir}, "tokenizer", "no tokenizer.json or tokenizer.model in the folder",
              "a model folder holds its tokenizer beside the weights");
}

}  // namespace clear_sweep
