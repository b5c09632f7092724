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
  int32_t next = pieces_;
  const int unk = sp.special(processor_, 3);
  auto existing_or_append = [&](const char* piece) {
    const int id = sp.piece_to_id(processor_, piece);
    return (id != unk && id >= 0) ? int32_t(id) : next++;
  };
  special_.bos = sp.special(processor_, 0);
  special_.eos = sp.special(processor_, 1);
  special_.image = existing_or_append("<image>");
  const int pad = sp.special(processor_, 2);
  special_.pad = pad >= 0 ? int32_t(pad) : existing_or_append("<pad>");
  vocab_size_ = next;
  const std::filesystem::path config = std::filesystem::path(model_path).parent_path() / "tokenizer_config.json";
  if (std::filesystem::exists(config)) {
    const auto c = nlohmann::json::parse(read_text_file(config.string()), nullptr, /*allow_exceptions=*/false);
    if (c.is_object() && c.contains("legacy") && c["legacy"].is_boolean()) legacy_ = c["legacy"].get<bool>();
  }
  if (special_.bos < 0 || special_.eos < 0)
    throw Error(SourceLocation{model_path}, "tokenizer", "the model defines no BOS or EOS piece",
                "train it with bos_id and eos_id set (Llama's has 1 and 2)");
}

SentencePieceTokenizer::~SentencePieceTokenizer() {
  if (processor_) shim().free(processor_);
}

std::vector<int32_t> SentencePieceTokenizer::encode(std::string_view text) const {
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
  const size_t head = encode(kHead).size();
  std::vector<int32_t> ids = encode(std::string(kHead) + std::string(text));
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
}

}  // namespace clear_sweep
