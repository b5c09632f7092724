#include "data/hf_bpe_tokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <utf8proc.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/file_read.h"
#include "common/file_write.h"
#include "data/utf8.h"

namespace clear_sweep {
namespace fs = std::filesystem;

namespace {

// GPT-2's pre-tokenizer, which tokenizers' ByteLevel applies when use_regex is true.
constexpr const char* kGpt2Pattern = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

std::string utf8_of(uint32_t cp) {
  std::string out;
  if (cp < 0x80) {
    out += char(cp);
  } else if (cp < 0x800) {
    out += char(0xC0 | (cp >> 6)), out += char(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += char(0xE0 | (cp >> 12)), out += char(0x80 | ((cp >> 6) & 0x3F)), out += char(0x80 | (cp & 0x3F));
  } else {
    out += char(0xF0 | (cp >> 18)), out += char(0x80 | ((cp >> 12) & 0x3F));
    out += char(0x80 | ((cp >> 6) & 0x3F)), out += char(0x80 | (cp & 0x3F));
  }
  return out;
}

/// GPT-2's bytes_to_unicode: printable Latin-1 bytes stand for themselves, the other 68
/// for U+0100 on, in byte order. [256] UTF-8 strings, and the way back.
struct ByteAlphabet {
  std::string of_byte[256];
  std::unordered_map<std::string, unsigned char> byte_of;
  ByteAlphabet() {
    uint32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      of_byte[b] = utf8_of(printable ? uint32_t(b) : next++);
      byte_of[of_byte[b]] = static_cast<unsigned char>(b);
    }
  }
};
const ByteAlphabet& alphabet() {
  static const ByteAlphabet a;
  return a;
}

/// The UTF-8 characters of `s`, one string each (ill-formed bytes one each).
std::vector<std::string> characters(const std::string& s) {
  std::vector<std::string> out;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
    n = std::min(n, s.size() - i);
    out.push_back(s.substr(i, n));
    i += n;
  }
  return out;
}

}  // namespace

/// A compiled Split pattern (tokenizers' "Isolated" behaviour: every match a piece of
/// its own, the text between matches too). Unicode classes and case folding as
/// tokenizers' Oniguruma patterns use them.
class PieceRegex {
 public:
  PieceRegex(const std::string& pattern, bool literal, const std::string& source, const std::string& key) {
    int error = 0;
    PCRE2_SIZE offset = 0;
    code_ = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                          PCRE2_UTF | PCRE2_UCP | (literal ? PCRE2_LITERAL : 0), &error, &offset, nullptr);
    if (!code_) {
      PCRE2_UCHAR message[256];
      pcre2_get_error_message(error, message, sizeof message);
      throw Error(SourceLocation{source}, key,
                  "cannot compile the pattern at offset " + std::to_string(offset) + ": " +
                      reinterpret_cast<const char*>(message));
    }
  }
  ~PieceRegex() { pcre2_code_free(code_); }
  PieceRegex(const PieceRegex&) = delete;
  PieceRegex& operator=(const PieceRegex&) = delete;

  void split(const std::string& text, std::vector<std::string>& out) const {
    // Match data per call: encode() may run on several threads at once.
    const std::unique_ptr<pcre2_match_data, void (*)(pcre2_match_data*)> data(
        pcre2_match_data_create_from_pattern(code_, nullptr), pcre2_match_data_free);
    size_t at = 0, last = 0;
    while (at <= text.size()) {
      const int rc =
          pcre2_match(code_, reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(), at, 0, data.get(), nullptr);
      if (rc < 0) break;
      const PCRE2_SIZE* v = pcre2_get_ovector_pointer(data.get());
      const size_t begin = v[0], end = v[1];
      if (end == begin) {  // an empty match: nothing to isolate; step one character on
        at = begin + (begin < text.size() ? characters(text.substr(begin, 4)).front().size() : 1);
        continue;
      }
      if (begin > last) out.push_back(text.substr(last, begin - last));
      out.push_back(text.substr(begin, end - begin));
      last = at = end;
    }
    if (last < text.size()) out.push_back(text.substr(last));
  }

 private:
  pcre2_code* code_ = nullptr;
};

HfBpeTokenizer::~HfBpeTokenizer() = default;

std::unique_ptr<HfBpeTokenizer> HfBpeTokenizer::load(const std::string& path) {
  auto t = load_if_hf(path);
  if (!t) throw Error(SourceLocation{path}, "model", "missing: not a Hugging Face tokenizer.json");
  return t;
}

std::unique_ptr<HfBpeTokenizer> HfBpeTokenizer::load_if_hf(const std::string& path) {
  std::unique_ptr<HfBpeTokenizer> t(new HfBpeTokenizer());
  t->source_ = path;
  t->text_ = read_text_file(path);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(t->text_);
  } catch (const nlohmann::json::exception& e) {
    throw Error(SourceLocation{path}, "tokenizer", std::string("not JSON: ") + e.what());
  }
  if (!j.is_object() || !j.contains("model") || !j["model"].is_object()) return nullptr;
  auto fail = [&](const std::string& key, const std::string& message) -> void {
    throw Error(SourceLocation{path}, key, message);
  };
  auto string_or = [](const nlohmann::json& o, const char* key, const std::string& fallback) {
    const auto it = o.find(key);
    return it != o.end() && it->is_string() ? it->get<std::string>() : fallback;
  };
  auto flag = [&](const nlohmann::json& o, const std::string& prefix, const char* key, bool fallback) {
    const auto it = o.find(key);
    if (it == o.end() || it->is_null()) return fallback;
    if (!it->is_boolean()) fail(prefix + key, "must be true or false");
    return it->get<bool>();
  };

  // The model: BPE over the byte alphabet.
  const auto& model = j.at("model");
  if (string_or(model, "type", "BPE") != "BPE")
    fail("model.type", "is '" + string_or(model, "type", "") + "': clear-sweep reads BPE tokenizer.json files only");
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"})
    if (!string_or(model, key, "").empty()) fail(std::string("model.") + key, "is set: byte-level BPE uses none");
  if (model.contains("dropout") && !model["dropout"].is_null() && model["dropout"] != 0.0)
    fail("model.dropout", "is set: encoding would be random");
  if (flag(model, "model.", "byte_fallback", false)) fail("model.byte_fallback", "is true: not a byte-level BPE");
  t->ignore_merges_ = flag(model, "model.", "ignore_merges", false);
  if (!model.contains("vocab") || !model["vocab"].is_object()) fail("model.vocab", "missing: a token -> id object");
  int32_t top = -1;
  for (const auto& [token, id] : model["vocab"].items()) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > std::numeric_limits<int32_t>::max())
      fail("model.vocab." + token, "must be a non-negative integer id");
    t->vocab_[token] = id.get<int32_t>();
    top = std::max(top, id.get<int32_t>());
  }
  if (!model.contains("merges") || !model["merges"].is_array()) fail("model.merges", "missing: a list of merges");
  const auto& merges = model["merges"];
  for (size_t i = 0; i < merges.size(); ++i) {
    const auto& m = merges[i];
    std::pair<std::string, std::string> pair;
    if (m.is_string()) {  // "a b" (tokenizers before 0.20)
      const std::string s = m.get<std::string>();
      const size_t space = s.find(' ');
      if (space == std::string::npos) fail("model.merges[" + std::to_string(i) + "]", "is not 'a b'");
      pair = {s.substr(0, space), s.substr(space + 1)};
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
      pair = {m[0].get<std::string>(), m[1].get<std::string>()};
    } else {
      fail("model.merges[" + std::to_string(i) + "]", "is neither 'a b' nor [a, b]");
    }
    t->merge_rank_.emplace(std::move(pair), int32_t(i));
  }

  // Added tokens: split out of the text before anything else.
  if (j.contains("added_tokens") && j["added_tokens"].is_array())
    for (size_t i = 0; i < j["added_tokens"].size(); ++i) {
      const auto& a = j["added_tokens"][i];
      const std::string key = "added_tokens[" + std::to_string(i) + "]";
      if (!a.is_object() || !a.contains("id") || !a["id"].is_number_integer() || !a.contains("content") ||
          !a["content"].is_string() || a["content"].get<std::string>().empty())
        fail(key, "must have an integer id and a non-empty content");
      for (const char* side : {"lstrip", "rstrip", "single_word"})
        if (flag(a, key + ".", side, false))
          fail(key + "." + side, "is true: clear-sweep matches added tokens as they are written");
      const int32_t id = a["id"].get<int32_t>();
      t->added_.emplace_back(a["content"].get<std::string>(), id);
      t->vocab_[a["content"].get<std::string>()] = id;
      if (flag(a, key + ".", "special", false)) t->special_ids_.insert(id);
      top = std::max(top, id);
    }
  std::stable_sort(t->added_.begin(), t->added_.end(),
                   [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  t->vocab_size_ = top + 1;
  t->pieces_.assign(size_t(t->vocab_size_), "");
  for (const auto& [token, id] : t->vocab_) t->pieces_[size_t(id)] = token;

  // The normalizer: none, NFC, or a sequence of NFC.
  if (j.contains("normalizer") && !j["normalizer"].is_null()) {
    const auto& n = j["normalizer"];
    std::vector<nlohmann::json> steps;
    if (string_or(n, "type", "") == "Sequence" && n.contains("normalizers") && n["normalizers"].is_array())
      steps.assign(n["normalizers"].begin(), n["normalizers"].end());
    else
      steps.push_back(n);
    for (const auto& step : steps)
      if (string_or(step, "type", "") == "NFC")
        t->nfc_ = true;
      else
        fail("normalizer.type", "is '" + string_or(step, "type", "") + "': clear-sweep applies NFC or nothing");
  }

  // The pre-tokenizer: Split patterns, then ByteLevel (its own GPT-2 split with use_regex).
  if (!j.contains("pre_tokenizer") || !j["pre_tokenizer"].is_object())
    fail("pre_tokenizer", "missing: a byte-level BPE has a ByteLevel pre-tokenizer");
  const auto& p = j["pre_tokenizer"];
  std::vector<nlohmann::json> steps;
  if (string_or(p, "type", "") == "Sequence" && p.contains("pretokenizers") && p["pretokenizers"].is_array())
    steps.assign(p["pretokenizers"].begin(), p["pretokenizers"].end());
  else
    steps.push_back(p);
  bool byte_level = false;
  for (size_t i = 0; i < steps.size(); ++i) {
    const auto& s = steps[i];
    const std::string key =
        steps.size() > 1 ? "pre_tokenizer.pretokenizers[" + std::to_string(i) + "]" : "pre_tokenizer";
    const std::string type = string_or(s, "type", "");
    if (type == "Split") {
      if (string_or(s, "behavior", "Isolated") != "Isolated")
        fail(key + ".behavior", "is '" + string_or(s, "behavior", "") + "': clear-sweep splits as Isolated only");
      if (flag(s, key + ".", "invert", false)) fail(key + ".invert", "is true: not supported");
      const auto& pattern = s.contains("pattern") ? s["pattern"] : nlohmann::json();
      if (pattern.contains("Regex") && pattern["Regex"].is_string())
        t->splits_.push_back(
            std::make_unique<PieceRegex>(pattern["Regex"].get<std::string>(), false, path, key + ".pattern.Regex"));
      else if (pattern.contains("String") && pattern["String"].is_string())
        t->splits_.push_back(
            std::make_unique<PieceRegex>(pattern["String"].get<std::string>(), true, path, key + ".pattern.String"));
      else
        fail(key + ".pattern", "must be {\"Regex\": ...} or {\"String\": ...}");
    } else if (type == "ByteLevel") {
      byte_level = true;
      t->add_prefix_space_ = flag(s, key + ".", "add_prefix_space", true);
      if (flag(s, key + ".", "use_regex", true))
        t->splits_.push_back(std::make_unique<PieceRegex>(kGpt2Pattern, false, path, key));
    } else {
      fail(key + ".type", "is '" + type + "': clear-sweep pre-tokenizes with Split and ByteLevel");
    }
  }
  if (!byte_level) fail("pre_tokenizer", "has no ByteLevel step: not a byte-level BPE");

  // BOS, EOS and padding as transformers names them in tokenizer_config.json.
  t->special_ = SpecialTokens{-1, -1, -1, -1};
  const fs::path config = fs::path(path).parent_path() / "tokenizer_config.json";
  if (fs::exists(config)) {
    t->config_text_ = read_text_file(config.string());
    const auto c = nlohmann::json::parse(t->config_text_, nullptr, false);
    auto id_of = [&](const char* key) {
      if (!c.is_object() || !c.contains(key)) return -1;
      const auto& v = c[key];
      const std::string name = v.is_string() ? v.get<std::string>() : v.is_object() ? string_or(v, "content", "") : "";
      return name.empty() ? -1 : t->token_id(name);
    };
    t->special_.bos = id_of("bos_token");
    t->special_.eos = id_of("eos_token");
    t->special_.pad = id_of("pad_token");
  }
  return t;
}

int32_t HfBpeTokenizer::token_id(const std::string& token) const {
  const auto it = vocab_.find(token);
  return it == vocab_.end() ? -1 : it->second;
}

std::vector<std::string> HfBpeTokenizer::pre_tokenize(const std::string& normalized) const {
  std::vector<std::string> pieces{normalized};
  if (add_prefix_space_ && !normalized.empty() && normalized[0] != ' ') pieces[0] = " " + normalized;
  for (const auto& regex : splits_) {
    std::vector<std::string> next;
    for (const auto& piece : pieces) regex->split(piece, next);
    pieces = std::move(next);
  }
  return pieces;
}

void HfBpeTokenizer::encode_word(const std::string& word, std::vector<int32_t>& out) const {
  std::string mapped;
  for (unsigned char b : word) mapped += alphabet().of_byte[b];
  if (ignore_merges_) {  // Llama-3: a word in the vocabulary is one token, merges or not
    if (const int32_t id = token_id(mapped); id >= 0) return out.push_back(id);
  }
  std::vector<std::string> symbols = characters(mapped);
  // The lowest-ranked adjacent pair merges first, the leftmost of equals (tokenizers'
  // merge order), until no pair has a rank.
  while (symbols.size() > 1) {
    int32_t best = std::numeric_limits<int32_t>::max();
    size_t at = 0;
    for (size_t i = 0; i + 1 < symbols.size(); ++i) {
      const auto it = merge_rank_.find({symbols[i], symbols[i + 1]});
      if (it != merge_rank_.end() && it->second < best) best = it->second, at = i;
    }
    if (best == std::numeric_limits<int32_t>::max()) break;
    symbols[at] += symbols[at + 1];
    symbols.erase(symbols.begin() + long(at) + 1);
  }
  for (const auto& s : symbols) {
    const int32_t id = token_id(s);
    if (id < 0)
      throw Error(SourceLocation{source_}, "model.vocab", "has no token for '" + s + "' (a byte of the text)");
    out.push_back(id);
  }
}

std::vector<int32_t> HfBpeTokenizer::encode(std::string_view text) const {
  std::vector<int32_t> out;
  auto encode_plain = [&](const std::string& segment) {
    if (segment.empty()) return;
    std::string normalized = segment;
    if (nfc_) {
      utf8proc_uint8_t* composed = utf8proc_NFC(reinterpret_cast<const utf8proc_uint8_t*>(segment.c_str()));
      if (composed) {  // null for ill-formed UTF-8: left as it is
        normalized = reinterpret_cast<const char*>(composed);
        std::free(composed);
      }
    }
    for (const auto& word : pre_tokenize(normalized)) encode_word(word, out);
  };
  // Added tokens first: at each place the longest that starts there.
  std::string pending;
  for (size_t i = 0; i < text.size();) {
    const std::pair<std::string, int32_t>* hit = nullptr;
    for (const auto& a : added_)
      if (text.compare(i, a.first.size(), a.first) == 0) {
        hit = &a;
        break;
      }
    if (!hit) {
      pending += text[i++];
      continue;
    }
    encode_plain(pending);
    pending.clear();
    out.push_back(hit->second);
    i += hit->first.size();
  }
  encode_plain(pending);
  return out;
}

std::string HfBpeTokenizer::decode(const std::vector<int32_t>& ids) const {
  std::string bytes;
  for (int32_t id : ids) {
    if (id < 0 || id >= vocab_size_ || special_ids_.count(id)) continue;
    for (const auto& c : characters(pieces_[size_t(id)])) {
      const auto it = alphabet().byte_of.find(c);
      if (it != alphabet().byte_of.end())
        bytes += char(it->second);
      else
        bytes += c;  // an added token's own text
    }
  }
  return utf8_lossy(bytes);
}

void HfBpeTokenizer::save(const std::string& dir) const {
  write_file((fs::path(dir) / "tokenizer.json").string(), text_);
  if (!config_text_.empty()) write_file((fs::path(dir) / "tokenizer_config.json").string(), config_text_);
}

}  // namespace clear_sweep
