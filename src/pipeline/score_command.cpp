#include "pipeline/score_command.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/exit_codes.h"
#include "common/progress_bar.h"
#include "data/batch.h"
#include "data/image_processor.h"
#include "model/chat_prompt.h"
#include "model/checkpoint.h"
#include "model/device.h"
#include "model/model_family.h"
#include "model/model_inputs.h"
#include "model/scoring.h"

namespace clear_sweep {
namespace fs = std::filesystem;

namespace {

struct ScoreItem {
  uint32_t line = 0;
  std::string question, answer, image;  ///< image: a resolved path, or empty
};

std::vector<ScoreItem> read_items(const ScoreCommandOptions& o) {
  std::ifstream in(o.items);
  if (!in) throw Error(SourceLocation{o.items}, "items", "cannot open the file");
  const fs::path image_root = o.images.empty() ? fs::path(o.items).parent_path() : fs::path(o.images);
  std::vector<ScoreItem> items;
  std::string text;
  for (uint32_t line = 1; std::getline(in, text); ++line) {
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    const SourceLocation where{o.items, line};
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {  // parse_error, or a number that overflows
      throw Error(where, "json", std::string("not JSON: ") + e.what());
    }
    if (!j.is_object()) throw Error(where, "json", "not a JSON object");
    ScoreItem item;
    item.line = line;
    for (const char* key : {"question", "answer"}) {
      if (!j.contains(key) || !j[key].is_string())
        throw Error(where, key, "missing or not a string", "each line is {\"question\", \"answer\", \"image\"?}");
      (std::string(key) == "question" ? item.question : item.answer) = j[key].get<std::string>();
    }
    if (j.contains("image") && !j["image"].is_null()) {
      if (!j["image"].is_string()) throw Error(where, "image", "not a string");
      const fs::path path = image_root / j["image"].get<std::string>();
      if (!fs::exists(path)) throw Error(where, "image", "no such image: " + path.string());
      item.image = path.string();
    }
    items.push_back(std::move(item));
  }
  if (items.empty()) throw Error(SourceLocation{o.items}, "items", "no items in the file");
  return items;
}

}  // namespace

int score_command(const ScoreCommandOptions& o, std::ostream& out) {
  const torch::Device device = resolve_device(o.device);
  const std::vector<ScoreItem> items = read_items(o);  // bad input fails before the model loads
  LoadedModel loaded = load_model(o.model, device);
  Vlm& model = loaded.model;
  const Tokenizer& tok = *loaded.tokenizer;
  use_prompt(model, tok, o.model, o.prompt, o.system_prompt, o.date_string, "--prompt");
  model->eval();
  torch::NoGradGuard no_grad;
  const ModelConfig& config = model->config();
  ImageTable table;
  for (const auto& item : items) {
    if (item.image.empty()) continue;
    if (!config.has_vision)
      throw Error(SourceLocation{o.items, item.line}, "image",
                  "the " + config.family + " model in " + o.model + " is text-only and takes no image",
                  "score text-only items ({\"question\", \"answer\"}) with it");
    if (!table.count(item.image)) table.emplace(item.image, read_image(item.image));
  }
  // A text-only model has no image processor; its table stays empty.
  ImageTensors images(
      table, config.has_vision ? model_family(config.family).image_processor(o.model, config) : ImageProcessor{},
      device);
  const PromptFormat format = prompt_format(config, images);
  const int32_t pad = padding_id(tok, config);

  // Items as a bar on stderr (stdout is the scores).
  ProgressBar bar(std::cerr, "score", int64_t(items.size()), stderr_is_terminal());
  int64_t scored = 0;
  for (const auto& item : items) {
    bar.update(scored++);
    // A chat template wraps the bare question; the plain one asks "Question: ...\nAnswer:".
    const std::string prompt = format.chat() ? item.question : qa_prompt(item.question);
    const Sequence s = make_sequence(tok, prompt, item.answer, item.image, format);
    const ModelInputs in = to_model_inputs(collate({s}, pad, PadSide::right), images, device);
    const torch::Tensor nll = token_nll(model->forward(in), in.labels).to(torch::kCPU, torch::kDouble);  // [1, T-1]
    const int64_t start = int64_t(s.prompt.size()), count = int64_t(s.answer.size());
    const torch::Tensor answer_nll = nll[0].narrow(0, start - 1, count);  // logits at t predict t + 1
    std::vector<int32_t> generated;
    if (o.max_new_tokens > 0) {
      const Sequence prompt_only = make_sequence(tok, prompt, "", item.image, format);
      const ModelInputs p = to_model_inputs(collate({prompt_only}, pad, PadSide::left, true), images, device);
      GenerateOptions g;
      g.max_new_tokens = o.max_new_tokens, g.eos_id = tok.special().eos, g.stop_ids = tok.end_of_turn_ids();
      generated = generate_greedy(model, p, g)[0];
    }
    std::vector<int32_t> ids = s.prompt;
    ids.insert(ids.end(), s.answer.begin(), s.answer.end());
    const double sum = answer_nll.sum().item<double>();
    bar.suspend();  // on a terminal, the line goes where the bar was; the bar comes back below
    if (o.json) {
      nlohmann::ordered_json j;
      j["input_ids"] = ids;
      j["answer_start"] = start;
      j["nll_per_token"] = std::vector<double>(answer_nll.data_ptr<double>(), answer_nll.data_ptr<double>() + count);
      j["nll_sum"] = sum;
      j["tokens"] = count;
      j["generation"] = tok.decode(generated);
      j["generation_ids"] = generated;
      out << j.dump() << "\n";
    } else {
      out << "line " << item.line << ": nll " << sum << " over " << count << " tokens (mean " << sum / double(count)
          << ")";
      if (o.max_new_tokens > 0) out << " | " << tok.decode(generated);
      out << "\n";
    }
  }
  bar.update(scored);
  bar.finish();
  return kExitOk;
}

}  // namespace clear_sweep
