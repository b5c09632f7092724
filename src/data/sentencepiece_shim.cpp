// A C interface to libsentencepiece, built as its own shared module and opened with
// dlopen(RTLD_LOCAL | RTLD_DEEPBIND) by sentencepiece_tokenizer.cpp. Why: Debian's
// libsentencepiece carries (and exports) its own copy of protobuf-lite, and libtorch
// loads libprotobuf; in one symbol namespace the two copies crash at start-up. Kept in a
// local namespace, each library binds to its own.
#include <sentencepiece_processor.h>

#include <cstring>
#include <string>
#include <vector>

extern "C" {

void* cs_sp_load(const char* bytes, size_t size, char* error, size_t error_size) {
  auto* p = new sentencepiece::SentencePieceProcessor();
  const auto status = p->LoadFromSerializedProto(std::string(bytes, size));
  if (!status.ok()) {
    std::strncpy(error, status.ToString().c_str(), error_size - 1);
    error[error_size - 1] = '\0';
    delete p;
    return nullptr;
  }
  return p;
}

void cs_sp_free(void* p) { delete static_cast<sentencepiece::SentencePieceProcessor*>(p); }

int cs_sp_piece_size(void* p) { return static_cast<sentencepiece::SentencePieceProcessor*>(p)->GetPieceSize(); }

int cs_sp_special(void* p, int which) {
  auto* sp = static_cast<sentencepiece::SentencePieceProcessor*>(p);
  switch (which) {
    case 0:
      return sp->bos_id();
    case 1:
      return sp->eos_id();
    case 2:
      return sp->pad_id();
    default:
      return sp->unk_id();
  }
}

int cs_sp_piece_to_id(void* p, const char* piece) {
  return static_cast<sentencepiece::SentencePieceProcessor*>(p)->PieceToId(piece);
}

/// Encodes into `out` (capacity `cap`); returns the id count, or -1 on failure. A count
/// above `cap` asks the caller to call again with room for it.
long cs_sp_encode(void* p, const char* text, size_t size, int* out, size_t cap) {
  std::vector<int> ids;
  if (!static_cast<sentencepiece::SentencePieceProcessor*>(p)->Encode(std::string(text, size), &ids).ok()) return -1;
  if (ids.size() <= cap) std::memcpy(out, ids.data(), ids.size() * sizeof(int));
  return long(ids.size());
}

/// The piece of `id` into `out` (capacity `cap`); returns its byte count as cs_sp_encode
/// does, and its kind in `kind`: 0 normal, 1 unknown, 2 control, 3 byte, 4 unused.
long cs_sp_piece(void* p, int id, char* out, size_t cap, int* kind) {
  auto* sp = static_cast<sentencepiece::SentencePieceProcessor*>(p);
  const std::string& piece = sp->IdToPiece(id);
  *kind = sp->IsUnknown(id) ? 1 : sp->IsControl(id) ? 2 : sp->IsByte(id) ? 3 : sp->IsUnused(id) ? 4 : 0;
  if (piece.size() <= cap) std::memcpy(out, piece.data(), piece.size());
  return long(piece.size());
}

}  // extern "C"
