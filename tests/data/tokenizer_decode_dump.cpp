// For tests/data/test_tokenizer_decode.py: decodes id lists with a model folder's
// tokenizer, as a sweep decodes generations.
//   tokenizer_decode_dump train-bpe DIR   trains a small byte-level BPE into DIR
//   tokenizer_decode_dump decode DIR      stdin: one JSON array of ids a line; stdout: one
//                                         {"text", "bytes_hex"?} a line (bytes_hex: the
//                                         BPE pieces' raw bytes, for the reference)
//   tokenizer_decode_dump encode DIR      stdin: one JSON string a line; stdout: its ids,
//                                         one JSON array a line
//   tokenizer_decode_dump chat DIR        stdin: {"messages", "add_generation_prompt"} a
//                                         line ("variables": the template's keyword
//                                         arguments); stdout: {"text", "ids"}, the folder's chat
//                                         template rendered and encoded
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "data/bpe_tokenizer.h"
#include "data/chat_template.h"
#include "data/tokenizer.h"

using namespace clear_sweep;

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: tokenizer_decode_dump train-bpe|decode|encode|chat DIR\n";
    return 2;
  }
  const std::string mode = argv[1], dir = argv[2];
  if (mode == "train-bpe") {
    // Several scripts, so that merges split characters and byte tokens stand alone.
    std::vector<std::string> corpus;
    for (int i = 0; i < 20; ++i)
      for (const char* line :
           {"Naïve café — déjà vu? Oui: 3 croissants à 2,50 €.", "東京は日本の首都です。",
            "Ünïcödé ✓ 🙂 emoji and Ελληνικά", "The quick brown fox jumps over the lazy dog."})
        corpus.emplace_back(line);
    BpeTokenizer::train(corpus, 400).save(dir);
    return 0;
  }
  std::unique_ptr<Tokenizer> tokenizer;
  try {
    tokenizer = load_tokenizer(dir);
  } catch (const std::exception& e) {
    std::cerr << "tokenizer_decode_dump: " << e.what() << "\n";
    return 1;
  }
  if (mode == "chat") {
    try {
      const auto chat = ChatTemplate::load(dir);
      if (!chat) throw std::runtime_error("no chat template in " + dir);
      std::string line;
      while (std::getline(std::cin, line)) {
        const auto request = nlohmann::json::parse(line);
        std::vector<ChatMessage> messages;
        for (const auto& m : request.at("messages")) messages.push_back({m.at("role"), m.at("content")});
        std::map<std::string, std::string> variables;  // the template's keyword arguments
        if (request.contains("variables"))
          for (const auto& [name, value] : request["variables"].items()) variables[name] = value.get<std::string>();
        const std::string text = chat->render(messages, request.at("add_generation_prompt").get<bool>(), variables);
        std::cout << nlohmann::json{{"text", text}, {"ids", tokenizer->encode(text)}}.dump() << "\n";
      }
    } catch (const std::exception& e) {
      std::cerr << "tokenizer_decode_dump: " << e.what() << "\n";
      return 1;
    }
    return 0;
  }
  if (mode == "encode") {
    std::string line;
    while (std::getline(std::cin, line))
      std::cout << nlohmann::json(tokenizer->encode(nlohmann::json::parse(line).get<std::string>())).dump() << "\n";
    return 0;
  }
  const auto* bpe = dynamic_cast<const BpeTokenizer*>(tokenizer.get());
  std::string line;
  while (std::getline(std::cin, line)) {
    const std::vector<int32_t> ids = nlohmann::json::parse(line).get<std::vector<int32_t>>();
    nlohmann::json out;
    out["text"] = tokenizer->decode(ids);  // throws on invalid UTF-8: the text must be valid
    if (bpe) {
      static const char* kHex = "0123456789abcdef";
      std::string hex;
      for (int32_t id : ids)
        if (id >= BpeTokenizer::kFirstByte && id < bpe->vocab_size())
          for (unsigned char c : bpe->piece(id)) hex += {kHex[c >> 4], kHex[c & 15]};
      out["bytes_hex"] = hex;
    }
    std::cout << out.dump() << "\n";
  }
  return 0;
}
