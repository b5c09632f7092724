#include "data/sentencepiece_tokenizer.h"

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/error.h"
#include "common/file_read.h"
#include "common/file_write.h"
#include "common/module_path.h"
#include "data/utf8.h"

namespace clear_sweep {
namespace {

constexpr const char* kShimName = "libcs_sentencepiece_shim.so";

/// The shim's functions, resolved once.
struct Shim {
  void* (*load)(const char*, size_t, char*, size_t) = nullptr;
  void (*free)(void*) = nullptr;
  int (*piece_size)(void*) = nullptr;
  int (*special)(void*, int) = nullptr;
  int (*piece_to_id)(void*, const char*) = nullptr;
  long (*encode)(void*, const char*, size_t, int*, size_t) = nullptr;
  long (*piece)(void*, int, char*, size_t, int*) = nullptr;
};

const Shim& shim() {
  static Shim s;
  static std::once_flag once;
  std::call_once(once, [] {
    const std::string path = SentencePieceTokenizer::shim_path();
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
    if (!handle)
      throw Error(SourceLocation{path}, "tokenizer", std::string("cannot load the SentencePiece shim: ") + dlerror(),
                  "set CLEAR_SWEEP_SENTENCEPIECE_SHIM to the built " + std::string(kShimName));
    auto bind = [&](auto& fn, const char* name) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(handle, name));
      if (!fn) throw Error(SourceLocation{path}, "tokenizer", std::string("the shim lacks ") + name);
    };
    bind(s.load, "cs_sp_load");
    bind(s.free, "cs_sp_free");
    bind(s.piece_size, "cs_sp_piece_size");
    bind(s.special, "cs_sp_special");
    bind(s.piece_to_id, "cs_sp_piece_to_id");
    bind(s.encode, "cs_sp_encode");
    bind(s.piece, "cs_sp_piece");
  });
  if (!s.load) throw Error(SourceLocation{}, "tokenizer", "the SentencePiece shim failed to load earlier");
  return s;
}

}  // namespace

std::string SentencePieceTokenizer::shim_path() {
  // CS_SENTENCEPIECE_SHIM (set by CMake) names the build tree copy.
  return module_path("CLEAR_SWEEP_SENTENCEPIECE_SHIM", kShimName, CS_SENTENCEPIECE_SHIM);
}

SentencePieceTokenizer::SentencePieceTokenizer(const std::string& model_path) {
  std::ifstream in(model_path, std::ios::binary);
  if (!in) throw Error(SourceLocation{model_path}, "tokenizer", "cannot open the SentencePiece model");
  std::ostringstream bytes;
  bytes << in.rdbuf();
  model_bytes_ = bytes.str();
  const Shim& sp = shim();
  char error[512] = {0};
  processor_ = sp.load(model_bytes_.data(), model_bytes_.size(), error, sizeof error);
  if (!processor_)
    throw Error(SourceLocation{model_path}, "tokenizer", std::string("not a SentencePiece model: ") + error,
                "expected Llama's tokenizer.model");
  pieces_ = sp.piece_size(processor_);
  piece_text_.resize(size_t(pieces_));
  piece_kind_.resize(size_t(pieces_));
  for (int id = 0; id < pieces_; ++id) {
    char text[64];
    int kind = 0;
    long n = sp.piece(processor_, id, text, sizeof text, &kind);
    std::string& piece = piece_text_[size_t(id)];
    if (n > long(sizeof text)) {  // a long user-defined piece
      piece.resize(size_t(n));
      n = sp.piece(processor_, id, piece.data(), piece.size(), &kind);
    } else {
      piece.assign(text, size_t(std::max(0L, n)));
    }
    piece_kind_[size_t(id)] = PieceKind(kind);
    // A byte piece ("<0xE3>") is kept as the byte it stands for: decode appends it.
    if (piece_kind_[size_t(id)] == PieceKind::byte)
      piece = std::string(1, char(std::stoi(piece.substr(3, 2), nullptr, 16)));
  }
  // tokenizer_config.json beside the model: "legacy", the added tokens
  // (added_tokens_decoder: Idefics2's <fake_token_around_image>, <image> and
  // <end_of_utterance> after Mistral's pieces) and the padding token.
  nlohmann::json config = nlohmann::json::object();
  const std::filesystem::path config_path = std::filesystem::path(model_path).parent_path() / "tokenizer_config.json";
  if (std::filesystem::exists(config_path)) {
    config_text_ = read_text_file(config_path.string());
    config = nlohmann::json::parse(config_text_, nullptr, /*allow_exceptions=*/false);
    if (!config.is_object()) config = nlohmann::json::object();
  }
  if (config.contains("legacy") && config["legacy"].is_boolean()) legacy_ = config["legacy"].get<bool>();
  int32_t next = pieces_;
  auto add = [&](const std::string& content, int32_t id) {
    if (id < pieces_) return;  // one of the model's own pieces, marked special
    for (const auto& known : added_)
      if (known.second == id) return;
    added_.emplace_back(content, id);
    next = std::max(next, id + 1);
  };
  if (config.contains("added_tokens_decoder") && config["added_tokens_decoder"].is_object()) {
    for (const auto& [key, token] : config["added_tokens_decoder"].items()) {
      if (!token.is_object() || !token.contains("content") || !token["content"].is_string()) continue;
      int32_t id = -1;
      try {
        id = int32_t(std::stol(key));
      } catch (const std::exception&) {
        throw Error(SourceLocation{config_path.string()}, "added_tokens_decoder",
                    "has the key '" + key + "', which is not a token id");
      }
      add(token["content"].get<std::string>(), id);
    }
  }
  // transformers 5 keeps the added tokens in tokenizer.json's "added_tokens" alone.
  const std::filesystem::path json_path = std::filesystem::path(model_path).parent_path() / "tokenizer.json";
  if (std::filesystem::exists(json_path)) {
    json_text_ = read_text_file(json_path.string());
    const auto j = nlohmann::json::parse(json_text_, nullptr, /*allow_exceptions=*/false);
    // A folder transformers 5 saved says nothing of "legacy"; its tokenizer.json's
    // Metaspace pre-tokenizer that prepends to the first piece only is the non-legacy split.
    if (!(config.contains("legacy") && config["legacy"].is_boolean()) && j.is_object() && j.contains("pre_tokenizer") &&
        j["pre_tokenizer"].is_object()) {
      const auto& pre = j["pre_tokenizer"];
      if (pre.value("type", "") == "Metaspace" && pre.value("prepend_scheme", "") == "first") legacy_ = false;
    }
    if (j.is_object() && j.contains("added_tokens") && j["added_tokens"].is_array())
      for (const auto& token : j["added_tokens"])
        if (token.is_object() && token.contains("id") && token["id"].is_number_integer() && token.contains("content") &&
            token["content"].is_string())
          add(token["content"].get<std::string>(), token["id"].get<int32_t>());
  }
  // Longest first: where two begin at the same place, the longer is the token.
  std::sort(added_.begin(), added_.end(), [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  const int unk = sp.special(processor_, 3);
  auto existing = [&](const std::string& piece) -> int32_t {
    for (const auto& [text, id] : added_)
      if (text == piece) return id;
    const int id = sp.piece_to_id(processor_, piece.c_str());
    return (id >= 0 && (id != unk || piece == piece_text_[size_t(unk)])) ? int32_t(id) : -1;
  };
  auto existing_or_append = [&](const std::string& piece) {
    const int32_t id = existing(piece);
    return id >= 0 ? id : next++;
  };
  special_.bos = sp.special(processor_, 0);
  special_.eos = sp.special(processor_, 1);
  special_.image = existing_or_append("<image>");
  // The folder's padding token where it names one the vocabulary has (Idefics2's <unk>).
  std::string pad_name;
  if (config.contains("pad_token") && config["pad_token"].is_string())
    pad_name = config["pad_token"].get<std::string>();
  if (config.contains("pad_token") && config["pad_token"].is_object() && config["pad_token"].contains("content") &&
      config["pad_token"]["content"].is_string())
    pad_name = config["pad_token"]["content"].get<std::string>();
  const int pad = sp.special(processor_, 2);
  special_.pad = !pad_name.empty() && existing(pad_name) >= 0 ? existing(pad_name)
                 : pad >= 0                                   ? int32_t(pad)
                                                              : existing_or_append("<pad>");
  vocab_size_ = next;
  if (special_.bos < 0 || special_.eos < 0)
    throw Error(SourceLocation{model_path}, "tokenizer", "the model defines no BOS or EOS piece",
                "train it with bos_id and eos_id set (Llama's has 1 and 2)");
}

SentencePieceTokenizer::~SentencePieceTokenizer() {
  if (processor_) shim().free(processor_);
}

std::vector<int32_t> SentencePieceTokenizer::encode(std::string_view text) const {
  if (added_.empty()) return encode_text(text);
  // As transformers' tokenizers: the added tokens split out first, the text between them
  // encoded apart; past the first, each part as a continuation (non-legacy folders) or
  // with its own dummy prefix (legacy).
  std::vector<int32_t> ids;
  size_t from = 0;
  auto text_part = [&](size_t end) {
    if (end == from) return;
    const std::string_view part = text.substr(from, end - from);
    const auto piece = from == 0 || legacy_ ? encode_text(part) : encode_continuation(part);
    ids.insert(ids.end(), piece.begin(), piece.end());
  };
  for (size_t at = 0; at < text.size();) {
    const std::pair<std::string, int32_t>* token = nullptr;
    for (const auto& added : added_)
      if (text.compare(at, added.first.size(), added.first) == 0) {
        token = &added;
        break;
      }
    if (!token) {
      ++at;
      continue;
    }
    text_part(at);
    ids.push_back(token->second);
    at += token->first.size();
    from = at;
  }
  text_part(text.size());
  return ids;
}

int32_t SentencePieceTokenizer::token_id(const std::string& token) const {
  for (const auto& [text, id] : added_)
    if (text == token) return id;
  return -1;
}

std::vector<int32_t> SentencePieceTokenizer::encode_text(std::string_view text) const {
  if (!legacy_ && !text.empty() && text.front() == ' ') return encode_continuation(text);
  std::vector<int> ids(text.size() + 8);
  long n = shim().encode(processor_, text.data(), text.size(), ids.data(), ids.size());
  if (n > long(ids.size())) {
    ids.resize(size_t(n));
    n = shim().encode(processor_, text.data(), text.size(), ids.data(), ids.size());
  }
  CS_ASSERT(n >= 0, "SentencePiece encode failed");
  return {ids.begin(), ids.begin() + n};
}

std::vector<int32_t> SentencePieceTokenizer::encode_continuation(std::string_view text) const {
  // SentencePiece adds its dummy prefix to whatever it is given. Encoding a fixed head
  // in front and dropping the head's pieces leaves the text's pieces as they fall
  // mid-string; "<unk>" as plain text is the head transformers' slow Llama tokenizer uses.
  static constexpr std::string_view kHead = "<unk>";
  const size_t head = encode_text(kHead).size();
  std::vector<int32_t> ids = encode_text(std::string(kHead) + std::string(text));
  CS_ASSERT(ids.size() >= head, "SentencePiece split the continuation head");
  ids.erase(ids.begin(), ids.begin() + std::ptrdiff_t(head));
  return ids;
}

std::string SentencePieceTokenizer::decode(const std::vector<int32_t>& ids) const {
  // transformers' decoder chain for Llama: Replace("▁", " "), ByteFallback, Fuse,
  // Strip(" ", 1 left), after the special tokens are skipped.
  static constexpr std::string_view kSpace = "\xE2\x96\x81";  // "▁"
  std::string text, run;                                      // run: the bytes of consecutive byte pieces
  size_t run_pieces = 0;
  const auto flush = [&] {
    if (utf8_valid(run)) {
      text += run;
    } else {
      for (size_t i = 0; i < run_pieces; ++i) text += kReplacementCharacter;
    }
    run.clear();
    run_pieces = 0;
  };
  for (int32_t id : ids) {
    if (id < 0 || id >= pieces_ || is_special(id)) continue;  // <image>, <pad>: appended, special
    const PieceKind kind = piece_kind_[size_t(id)];
    const std::string& piece = piece_text_[size_t(id)];
    if (kind == PieceKind::unknown || kind == PieceKind::control) continue;
    if (kind == PieceKind::byte) {
      run += piece;  // its byte
      ++run_pieces;
      continue;
    }
    flush();
    for (size_t at = 0;;) {
      const size_t next = piece.find(kSpace, at);
      text.append(piece, at, next == std::string::npos ? std::string::npos : next - at);
      if (next == std::string::npos) break;
      text += ' ';
      at = next + kSpace.size();
    }
  }
  flush();
  if (!text.empty() && text.front() == ' ') text.erase(0, 1);
  return text;
}

void SentencePieceTokenizer::save(const std::string& dir) const {
  const std::string path = (std::filesystem::path(dir) / "tokenizer.model").string();
  write_file(path, model_bytes_);
  // The added tokens, "legacy" and the padding token come back with the model.
  if (!config_text_.empty()) write_file((std::filesystem::path(dir) / "tokenizer_config.json").string(), config_text_);
  if (!json_text_.empty()) write_file((std::filesystem::path(dir) / "tokenizer.json").string(), json_text_);
}

}  // namespace clear_sweep
