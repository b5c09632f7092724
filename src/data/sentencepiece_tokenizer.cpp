#include "data/sentencepiece_tokenizer.h"

#include <sentencepiece_processor.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/error.h"

namespace clear_sweep {

SentencePieceTokenizer::SentencePieceTokenizer(const std::string& model_path)
    : processor_(std::make_unique<sentencepiece::SentencePieceProcessor>()) {
  std::ifstream in(model_path, std::ios::binary);
  if (!in) throw Error(SourceLocation{model_path}, "tokenizer", "cannot open the SentencePiece model");
  std::ostringstream bytes;
  bytes << in.rdbuf();
  model_bytes_ = bytes.str();
  const auto status = processor_->LoadFromSerializedProto(model_bytes_);
  if (!status.ok())
    throw Error(SourceLocation{model_path}, "tokenizer", "not a SentencePiece model: " + status.ToString(),
                "expected Llama's tokenizer.model");
  pieces_ = processor_->GetPieceSize();
  int32_t next = pieces_;
  auto existing_or_append = [&](const char* piece) {
    const int id = processor_->PieceToId(piece);
    return (id != processor_->unk_id() && id >= 0) ? int32_t(id) : next++;
  };
  special_.bos = processor_->bos_id();
  special_.eos = processor_->eos_id();
  special_.image = existing_or_append("<image>");
  special_.pad = processor_->pad_id() >= 0 ? int32_t(processor_->pad_id()) : existing_or_append("<pad>");
  vocab_size_ = next;
  if (special_.bos < 0 || special_.eos < 0)
    throw Error(SourceLocation{model_path}, "tokenizer", "the model defines no BOS or EOS piece",
                "train it with bos_id and eos_id set (Llama's has 1 and 2)");
}

SentencePieceTokenizer::~SentencePieceTokenizer() = default;

std::vector<int32_t> SentencePieceTokenizer::encode(std::string_view text) const {
  std::vector<int> ids;
  const auto status = processor_->Encode(text, &ids);
  CS_ASSERT(status.ok(), "SentencePiece encode: " + status.ToString());
  return {ids.begin(), ids.end()};
}

std::string SentencePieceTokenizer::decode(const std::vector<int32_t>& ids) const {
  std::vector<int> own;
  for (int32_t id : ids)
    if (id >= 0 && id < pieces_ && !is_special(id)) own.push_back(id);
  std::string text;
  const auto status = processor_->Decode(own, &text);
  CS_ASSERT(status.ok(), "SentencePiece decode: " + status.ToString());
  return text;
}

void SentencePieceTokenizer::save(const std::string& dir) const {
  const std::string path = (std::filesystem::path(dir) / "tokenizer.model").string();
  std::ofstream out(path, std::ios::binary);
  out << model_bytes_;
  out.close();
  if (!out) throw Error(SourceLocation{path}, "write", "cannot write the tokenizer");
}

}  // namespace clear_sweep
