// The VLM: shapes, causal masking, image placeholders, KV-cache generation against full
// recomputation, LoRA (B = 0 is a no-op, merge / unmerge round-trip, teacher = adapters
// off), safetensors (round trip, a Python-written file) and checkpoint name checks.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "data/bpe_tokenizer.h"
#include "model/causal_lm.h"
#include "model/checkpoint.h"
#include "model/llava/llava_model.h"
#include "model/model_inputs.h"
#include "model/qwen2_vl/qwen2_vl_model.h"
#include "model/safetensors.h"
#include "model/scoring.h"
#include "small_disk.h"
#include "sweep/method_catalog.h"
#include "sweep/sweep_spec.h"
#include "test_support.h"

using namespace clear_sweep;

namespace {

torch::Tensor longs(std::vector<int64_t> values) { return torch::tensor(values, torch::kLong); }

ModelConfig test_config() {
  ModelConfig c = model_preset("tiny", 300);
  c.vision.image_size = 16, c.vision.patch_size = 8, c.vision.hidden = 32, c.vision.layers = 2;  // 4 patches
  c.vision.heads = 2, c.vision.intermediate = 64, c.vision.select_layer = -1;
  c.text.hidden = 32;
  c.text.heads = 4;
  c.text.kv_heads = 2;
  c.text.intermediate = 64;
  c.text.layers = 2;
  return c;
}

Vlm make_model(uint64_t seed = 1) {
  torch::manual_seed(seed);
  Vlm m(test_config());
  m->eval();
  return m;
}

/// A right-padded batch of two rows, the second with an image.
ModelInputs sample_inputs(const ModelConfig& c) {
  const int64_t img = c.image_token_id;
  ModelInputs in;
  in.input_ids = longs({1, 10, 11, 12, 13, 14, 15, 0, 1, img, img, img, img, 20, 21, 22}).view({2, 8});
  in.attention_mask = in.input_ids != 0;
  in.attention_mask[1].fill_(true);
  in.position_ids = torch::arange(8, torch::kLong).repeat({2, 1});
  in.labels = torch::full({2, 8}, -100, torch::kLong);
  in.labels.index_put_({0, torch::indexing::Slice(4, 7)}, in.input_ids.index({0, torch::indexing::Slice(4, 7)}));
  in.images = torch::randn({1, 3, 16, 16});
  return in;
}

/// Greedy generation of `new_tokens` (never stopping early) after left-padded `prompts`
/// gives the same tokens with the KV cache as recomputing the whole sequence each step.
void check_generation_without_cache(Vlm& m, const ModelInputs& prompts, int64_t new_tokens) {
  m->eval();
  torch::NoGradGuard no_grad;
  GenerateOptions g;
  g.max_new_tokens = new_tokens;
  g.eos_id = -1;
  const auto cached = generate_greedy(m, prompts, g);
  g.use_cache = false;
  CHECK(generate_greedy(m, prompts, g) == cached);
}

}  // namespace

TEST_CASE("the VLM maps a batch to logits of the vocabulary", "[model]") {
  Vlm m = make_model();
  const auto in = sample_inputs(m->config());
  const auto logits = m->forward(in);
  CHECK(logits.sizes() == torch::IntArrayRef({2, 8, 300}));
  CHECK(torch::isfinite(logits).all().item<bool>());
  std::vector<torch::Tensor> hidden;
  m->forward(in, {nullptr, &hidden});
  CHECK(hidden.size() == 2);
  CHECK(hidden[1].sizes() == torch::IntArrayRef({2, 8, 32}));
  // The parameter count formula matches the modules.
  int64_t counted = 0;
  for (const auto& p : m->parameters()) counted += p.numel();
  CHECK(counted == m->config().parameter_count());
}

TEST_CASE("attention is causal: a later token never changes earlier logits", "[model]") {
  Vlm m = make_model();
  auto in = sample_inputs(m->config());
  torch::NoGradGuard no_grad;
  const auto before = m->forward(in);
  in.input_ids[0][5] = 42;
  const auto after = m->forward(in);
  CHECK(torch::allclose(before[0].narrow(0, 0, 5), after[0].narrow(0, 0, 5)));
  CHECK(!torch::allclose(before[0].narrow(0, 5, 1), after[0].narrow(0, 5, 1)));
  CHECK(torch::allclose(before[1], after[1]));  // rows are independent
}

TEST_CASE("image placeholders take the image: another image changes the row", "[model]") {
  Vlm m = make_model();
  auto in = sample_inputs(m->config());
  torch::NoGradGuard no_grad;
  const auto a = m->forward(in);
  in.images = torch::randn({1, 3, 16, 16});
  const auto b = m->forward(in);
  CHECK(torch::allclose(a[0], b[0]));
  CHECK(!torch::allclose(a[1].narrow(0, 5, 3), b[1].narrow(0, 5, 3)));
}

TEST_CASE("left padding does not change a row's logits", "[model]") {
  Vlm m = make_model();
  torch::NoGradGuard no_grad;
  ModelInputs plain;
  plain.input_ids = longs({1, 5, 6, 7}).view({1, 4});
  plain.attention_mask = torch::ones({1, 4}, torch::kBool);
  plain.position_ids = torch::arange(4, torch::kLong).view({1, 4});
  ModelInputs padded;
  padded.input_ids = longs({0, 0, 1, 5, 6, 7}).view({1, 6});
  padded.attention_mask = padded.input_ids != 0;
  padded.position_ids = longs({0, 0, 0, 1, 2, 3}).view({1, 6});
  const auto a = m->forward(plain);
  const auto b = m->forward(padded).narrow(1, 2, 4);
  CHECK(torch::allclose(a, b, 1e-4, 1e-5));
}

TEST_CASE("KV-cache generation equals full recomputation token for token", "[model][generate]") {
  Vlm m = make_model(3);
  ModelInputs prompts;
  const int64_t img = m->config().image_token_id;
  prompts.input_ids = torch::cat({longs({0, 0, 0, 0, 0, 1, 30, 31, 32, 33, 34}).view({1, 11}),
                                  longs({1, img, img, img, img, 40, 41, 42, 43, 44, 45}).view({1, 11})});
  prompts.attention_mask = prompts.input_ids != 0;
  prompts.position_ids = (prompts.attention_mask.to(torch::kLong).cumsum(1) - 1).clamp_min(0);
  prompts.images = torch::randn({1, 3, 16, 16});
  GenerateOptions options;
  options.max_new_tokens = 12;
  options.eos_id = -1;                                       // never stop early: compare every step
  const auto cached = generate_greedy(m, prompts, options);  // the static cache
  options.static_cache = false;
  CHECK(generate_greedy(m, prompts, options) == cached);  // the growing one
  options.use_cache = false;
  const auto full = generate_greedy(m, prompts, options);
  CHECK(cached == full);
  CHECK(cached[0].size() == 12);
}

TEST_CASE("the static KV cache: in place, one key shape after the prompt, the growing cache's tokens",
          "[model][generate]") {
  // A sliding window shorter than prompt and answer (Mistral's mask over the slots), GQA,
  // left padding: the static cache's steps read every slot, and give the growing cache's
  // logits.
  ModelConfig c = model_preset("tiny-text", 64);
  c.text.sliding_window = 5;
  torch::manual_seed(4);
  Vlm m(c);
  m->eval();
  torch::NoGradGuard no_grad;
  ModelInputs prompt;
  prompt.input_ids = torch::cat(
      {longs({0, 0, 0, 1, 30, 31, 32, 33}).view({1, 8}), longs({1, 40, 41, 42, 43, 44, 45, 46}).view({1, 8})});
  prompt.attention_mask = prompt.input_ids != 0;
  prompt.position_ids = (prompt.attention_mask.to(torch::kLong).cumsum(1) - 1).clamp_min(0);
  KvCache fixed(8 + 6), growing;
  torch::Tensor a = m->forward(prompt, {&fixed, nullptr}), b = m->forward(prompt, {&growing, nullptr});
  CHECK(torch::allclose(a, b, 0, 1e-6));
  const auto key_storage = fixed.keys[0].data_ptr();
  for (int64_t step = 0; step < 6; ++step) {
    const torch::Tensor next = a.select(1, a.size(1) - 1).argmax(-1, true);  // [B, 1]
    ModelInputs in{
        next, torch::ones_like(next, torch::kBool), prompt.position_ids.select(1, 7).unsqueeze(1) + 1 + step, {}, {},
        {}};
    a = m->forward(in, {&fixed, nullptr});
    b = m->forward(in, {&growing, nullptr});
    CHECK(torch::allclose(a, b, 0, 1e-5));
  }
  CHECK(fixed.keys[0].size(2) == 14);              // every slot, from the first write
  CHECK(fixed.keys[0].data_ptr() == key_storage);  // written in place
  CHECK(fixed.length() == growing.length());
  KvCache full(9);
  m->forward(prompt, {&full, nullptr});
  ModelInputs two{prompt.input_ids.narrow(1, 0, 2),
                  prompt.attention_mask.narrow(1, 0, 2),
                  prompt.position_ids.narrow(1, 0, 2),
                  {},
                  {},
                  {}};
  CHECK_THROWS(m->forward(two, {&full, nullptr}));  // past its slots: a bug, caught
}

TEST_CASE("a fresh LoRA adapter (B = 0) changes nothing, and merge and unmerge round-trip", "[model][lora]") {
  Vlm m = make_model();
  const auto in = sample_inputs(m->config());
  torch::NoGradGuard no_grad;
  const auto base = m->forward(in);
  const size_t attached = m->attach_adapters(LoraSpec{4, 16.0, 0.0});
  CHECK(attached == 2 * 7);  // q k v o gate up down per decoder layer
  CHECK(torch::equal(base, m->forward(in)));
  for (const auto& p : m->parameters()) CHECK(!p.requires_grad());
  for (const auto& p : m->adapter_parameters()) CHECK(p.requires_grad());

  for (auto& p : m->adapter_parameters()) p.normal_(0, 0.1);  // a trained adapter
  const auto adapted = m->forward(in);
  CHECK(!torch::allclose(base, adapted));
  {
    AdaptersDisabled teacher(m);  // the frozen teacher is the base
    CHECK(torch::allclose(base, m->forward(in)));
  }
  CHECK(torch::allclose(adapted, m->forward(in)));
  const auto q_proj = [&] {
    return m->as<LlavaImpl>()->language_model->model->layers[0]->as<LlamaLayer>()->self_attn->q_proj;
  };
  const auto weight = q_proj()->weight.clone();
  m->merge_adapters();
  CHECK(torch::allclose(adapted, m->forward(in), 1e-4, 1e-5));
  m->unmerge_adapters();
  CHECK(torch::allclose(weight, q_proj()->weight, 1e-6, 1e-6));
  m->detach_adapters();
  CHECK(torch::allclose(base, m->forward(in), 1e-5, 1e-6));
}

TEST_CASE("answer scores are the mean NLL over labelled tokens", "[model][score]") {
  Vlm m = make_model();
  const auto in = sample_inputs(m->config());
  torch::NoGradGuard no_grad;
  const auto logits = m->forward(in);
  const auto scores = answer_scores(logits, in.labels);
  const auto logp = torch::log_softmax(logits[0], -1);
  double expected = 0;
  for (int t = 4; t < 7; ++t) expected -= logp[t - 1][in.input_ids[0][t].item<int64_t>()].item<double>();
  CHECK(scores.tokens[0].item<double>() == 3);
  CHECK(scores.sum_nll[0].item<double>() == Approx(expected).epsilon(1e-5));
  CHECK(scores.tokens[1].item<double>() == 0);
}

TEST_CASE("safetensors: a round trip keeps names, dtypes and values", "[model][safetensors]") {
  TempDir tmp;
  const std::string path = tmp.file("t.safetensors");
  const auto a = torch::randn({3, 5});
  const auto b = torch::arange(7, torch::kLong);
  const auto c = torch::randn({2, 2}).to(torch::kBFloat16);
  write_safetensors(path, {{"x.a", a}, {"y", b}, {"z", c}}, {{"note", "hi"}});
  SafetensorsFile f(path);
  REQUIRE(f.entries().size() == 3);
  CHECK(torch::equal(f.read(*f.find("x.a")), a));
  CHECK(torch::equal(f.read(*f.find("y")), b));
  CHECK(torch::equal(f.read(*f.find("z")), c));
  CHECK(f.find("z")->dtype == "BF16");
  CHECK(f.metadata().at("note") == "hi");
  // The data starts 8-byte aligned, as the format asks.
  CHECK((std::filesystem::file_size(path) - (3 * 5 * 4 + 7 * 8 + 4 * 2)) % 8 == 0);

  // A truncated file is an error, not a crash.
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 10);
  CHECK(expect_error([&] { SafetensorsFile bad(path); }).message().find("outside the file") != std::string::npos);
}

TEST_CASE("a full disk while saving weights or a checkpoint: a resumable error, no half file left",
          "[model][safetensors]") {
  const SmallDisk disk("256k");
  if (!disk.mounted()) return;
  const auto big = torch::randn({512, 1024});  // 2 MB of weights on a 256 KB disk
  try {
    write_safetensors(disk.file("w.safetensors"), {{"w", big}});
    FAIL("the weights cannot fit");
  } catch (const ResumableError& e) {
    CHECK(e.where().file == disk.file("w.safetensors"));
    CHECK(e.message().find("No space left on device") != std::string::npos);
  }
  CHECK(std::filesystem::is_empty(disk.path()));  // the partial file went with the error
  // A checkpoint folder (weights, config.json, tokenizer) the same way.
  Vlm m = make_model(5);
  const auto tok = BpeTokenizer::train({"hello world", "hello there"}, 300);
  const SmallDisk tiny("8k");
  if (!tiny.mounted()) return;
  CHECK_THROWS_AS(save_model(m, tok, tiny.file("ckpt")), ResumableError);
  // Freed, the same call writes a loadable folder.
  tiny.grow("64m");
  save_model(m, tok, tiny.file("ckpt"));
  CHECK(load_model(tiny.file("ckpt")).model->config().text.hidden == m->config().text.hidden);
}

TEST_CASE("safetensors: reads a file written by Python's struct and json", "[model][safetensors]") {
  SafetensorsFile f(source_path("tests/model/fixtures/python_written.safetensors"));
  CHECK(f.metadata().at("writer") == "python");
  CHECK(torch::equal(f.read(*f.find("a")), torch::arange(6, torch::kFloat).view({2, 3}) * 0.5));
  CHECK(torch::equal(f.read(*f.find("b.weight")), longs({-2, -1, 0, 7})));
  CHECK(torch::equal(f.read(*f.find("c")).to(torch::kFloat), torch::tensor({1.5f, -0.25f})));
  CHECK(torch::equal(f.read(*f.find("d")).to(torch::kFloat), torch::tensor({1.0f, -2.0f, 0.5f})));
}

TEST_CASE("checkpoints save and load by Hugging Face names, and mismatches are listed", "[model][checkpoint]") {
  TempDir tmp;
  Vlm m = make_model(5);
  const auto tok = BpeTokenizer::train({"hello world", "hello there"}, 300);
  save_model(m, tok, tmp.path());
  SafetensorsFile f(tmp.file("model.safetensors"));
  CHECK(f.find("language_model.model.layers.1.self_attn.q_proj.weight"));
  CHECK(f.find("language_model.model.embed_tokens.weight"));
  CHECK(f.find("language_model.lm_head.weight"));
  CHECK(f.find("vision_tower.vision_model.encoder.layers.0.mlp.fc1.bias"));
  CHECK(f.find("vision_tower.vision_model.embeddings.class_embedding"));
  CHECK(f.find("multi_modal_projector.linear_2.weight"));

  auto loaded = load_model(tmp.path());
  const auto in = sample_inputs(m->config());
  torch::NoGradGuard no_grad;
  loaded.model->eval();
  CHECK(torch::equal(m->forward(in), loaded.model->forward(in)));
  CHECK(loaded.tokenizer->encode("hello") == tok.encode("hello"));

  // A model of another shape: the error names what does not fit.
  ModelConfig other = test_config();
  other.text.layers = 3;
  other.text.intermediate = 48;
  Vlm wrong(other);
  const auto e = expect_error([&] { load_weights(wrong, tmp.path()); });
  CHECK(e.message().find("missing language_model.model.layers.2.") != std::string::npos);
  CHECK(e.message().find("wrong shape language_model.model.layers.0.mlp.gate_proj.weight") != std::string::npos);
  Vlm fewer([] {
    ModelConfig c = test_config();
    c.text.layers = 1;
    return c;
  }());
  CHECK(expect_error([&] { load_weights(fewer, tmp.path()); })
            .message()
            .find("unexpected language_model.model.layers.1.") != std::string::npos);
}

TEST_CASE("model configs round-trip through config.json and bad ones name the key", "[model][config]") {
  const ModelConfig c = model_preset("llava-1.5-7b");
  const ModelConfig back = model_config_parse(model_config_json(c), "config.json");
  CHECK(back.text.hidden == 4096);
  CHECK(back.vision.patches() == 576);
  CHECK(back.image_token_id == 32000);
  CHECK(c.parameter_count() > 7'000'000'000);
  CHECK(c.parameter_count() < 7'200'000'000);
  CHECK(model_preset("tiny").parameter_count() < 5'000'000);
  CHECK(expect_error([] { model_preset("huge"); }).key() == "model.preset");
  std::string text = model_config_json(model_preset("tiny"));
  text.replace(text.find("\"num_key_value_heads\": 2"), 24, "\"num_key_value_heads\": 3");
  CHECK(expect_error([&] { model_config_parse(text, "c.json"); }).key() == "text_config.num_key_value_heads");
}

TEST_CASE("the model-family registry picks a folder's family by model_type and then architectures", "[model][family]") {
  CHECK(model_family_names() ==
        std::vector<std::string>{"idefics2", "llama", "llava", "llava_next", "mistral", "qwen2", "qwen2_vl"});
  // The VLM presets sweep files may name are the families' (sweep/ keeps its own list,
  // with the face embedder's preset of src/faces/).
  std::vector<std::string> sweep_presets = model_presets();
  sweep_presets.erase(std::remove(sweep_presets.begin(), sweep_presets.end(), kFacePreset), sweep_presets.end());
  CHECK(model_preset_names() == sweep_presets);
  for (const auto& preset : model_preset_names()) {
    CHECK(model_preset(preset).family ==
          model_family_of(nlohmann::json::parse(model_config_json(model_preset(preset))), "config.json").name);
    // sweep/ knows which presets see no image; the families say the same.
    CHECK(text_only_preset(preset) == !model_preset(preset).has_vision);
    // A preset's config.json reads back as the same shape.
    const ModelConfig back = model_config_parse(model_config_json(model_preset(preset)), "config.json");
    CHECK(back.parameter_count() == model_preset(preset).parameter_count());
    CHECK(back.preset == preset);
  }
  // The published shapes' sizes (parameters with the embeddings): Llama-3.2-1B 1.24 B,
  // Llama-2-7B 6.74 B, Mistral-7B-v0.3 7.25 B, Qwen2.5-1.5B 1.54 B and -7B 7.62 B.
  CHECK(model_preset("llama-3.2-1b").parameter_count() / 10'000'000 == 123);
  CHECK(model_preset("llama-2-7b").parameter_count() / 10'000'000 == 673);
  CHECK(model_preset("mistral-7b").parameter_count() / 10'000'000 == 724);
  CHECK(model_preset("qwen2.5-1.5b").parameter_count() / 10'000'000 == 154);
  CHECK(model_preset("qwen2.5-7b").parameter_count() / 10'000'000 == 761);
  // Qwen2-VL-2B-Instruct 2.21 B, Qwen2-VL-7B-Instruct 8.29 B, Qwen2.5-VL-3B-Instruct 3.75 B,
  // Qwen2.5-VL-7B-Instruct 8.29 B (their model cards' safetensors counts).
  CHECK(model_preset("qwen2-vl-2b").parameter_count() / 10'000'000 == 220);
  CHECK(model_preset("qwen2-vl-7b").parameter_count() / 10'000'000 == 829);
  CHECK(model_preset("qwen2.5-vl-3b").parameter_count() / 10'000'000 == 375);
  CHECK(model_preset("qwen2.5-vl-7b").parameter_count() / 10'000'000 == 829);
  // llava-v1.6-vicuna-7b 7.06 B and llava-v1.6-mistral-7b 7.57 B.
  CHECK(model_preset("llava-v1.6-vicuna-7b").parameter_count() / 10'000'000 == 706);
  CHECK(model_preset("llava-v1.6-mistral-7b").parameter_count() / 10'000'000 == 756);
  // Trained from scratch, the tiny one takes its tokenizer's vocabulary; the others keep theirs.
  CHECK(model_preset("tiny-text", 777).text.vocab_size == 777);
  CHECK(model_preset("llama-3.2-1b", 777).text.vocab_size == 128256);
  // transformers' own folders name model_type; architectures alone also finds it.
  auto j = nlohmann::json::parse(model_config_json(model_preset("tiny")));
  j.erase("model_type");
  CHECK(model_config_parse(j.dump(), "c.json").family == "llava");
  // Unknown ones are refused naming the key, its value and the families there are.
  j["model_type"] = "paligemma";
  Error e = expect_error([&] { model_config_parse(j.dump(), "c.json"); });
  CHECK(e.key() == "model_type");
  CHECK(e.message().find("'paligemma'") != std::string::npos);
  CHECK(e.message().find("llava (model_type llava; LlavaForConditionalGeneration)") != std::string::npos);
  j.erase("model_type");
  j["architectures"] = {"PaliGemmaForConditionalGeneration"};
  CHECK(expect_error([&] { model_config_parse(j.dump(), "c.json"); }).key() == "architectures");
  j.erase("architectures");
  CHECK(expect_error([&] { model_config_parse(j.dump(), "c.json"); }).key() == "model_type");
  // A model is built by its config's family, and sees the one interface.
  torch::manual_seed(1);
  Vlm m(model_preset("tiny", 300));
  CHECK(m->as<LlavaImpl>() != nullptr);
  CHECK(m->default_lora_target("language_model.model.layers.0.self_attn.q_proj"));
  CHECK_FALSE(m->default_lora_target("vision_tower.vision_model.encoder.layers.0.self_attn.q_proj"));
  // A text-only family: transformers' names, no vision, no image.
  const std::string llama = R"({"model_type": "llama", "vocab_size": 64, "hidden_size": 16, "intermediate_size": 32,
      "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 1})";
  const ModelConfig text_only = model_config_parse(llama, "llama.json");
  CHECK(text_only.family == "llama");
  CHECK_FALSE(text_only.has_vision);
  Vlm lm(text_only);
  CHECK(lm->as<CausalLmImpl>() != nullptr);
  CHECK(lm->default_lora_target("model.layers.1.mlp.down_proj"));
  CHECK_FALSE(lm->default_lora_target("lm_head"));
  CHECK(lm->named_parameters().contains("model.embed_tokens.weight"));
  CHECK(text_only.parameter_count() == int64_t(torch::cat([&] {
                                                 std::vector<torch::Tensor> flat;
                                                 for (const auto& p : lm->parameters()) flat.push_back(p.flatten());
                                                 return flat;
                                               }())
                                                   .numel()));
  e = expect_error([&] {
    ModelInputs in;
    in.input_ids = torch::zeros({1, 3}, torch::kLong);
    in.images = torch::zeros({1, 3, 32, 32});
    lm->embed(in);
  });
  CHECK(e.key() == "images");
}

TEST_CASE("Qwen2-VL presets: parameters as counted, images of their own size, generation after the image",
          "[model][qwen2_vl]") {
  for (const char* preset : {"tiny-qwen2-vl", "tiny-qwen2.5-vl"}) {
    INFO(preset);
    torch::manual_seed(3);
    const ModelConfig c = model_preset(preset, 300);
    Vlm m(c);
    CHECK(m->as<Qwen2VlImpl>() != nullptr);
    int64_t counted = 0;
    for (const auto& p : m->parameters()) counted += p.numel();
    CHECK(counted == c.parameter_count());
    CHECK(m->default_lora_target("model.language_model.layers.0.self_attn.q_proj"));
    CHECK_FALSE(m->default_lora_target("model.visual.blocks.0.attn.qkv"));
    // Every linear layer but the head when asked: the encoder's fused qkv and the merger's MLP too.
    m->set_adapt_every_linear(true);
    const size_t every = m->attach_adapters({4, 8.0, 0.0});
    m->detach_adapters();
    m->set_adapt_every_linear(false);
    const size_t decoder = m->attach_adapters({4, 8.0, 0.0});
    m->detach_adapters();
    CHECK(decoder == size_t(7 * c.text.layers));
    CHECK(every == decoder + size_t(c.vision.layers * (c.vision.gated_mlp ? 5 : 4) + 2));

    // Two images of other sizes than the preset's square: each takes the placeholders its
    // size gives, and the batch's grids say which patches are whose.
    ImageTable table;
    table.emplace("wide.png", Image(48, 24));
    table.emplace("tall.png", Image(16, 40));
    ImageTensors images(table, model_family(c.family).image_processor("", c), torch::kCPU);
    REQUIRE(images.sized_by_image());
    const PromptFormat format = prompt_format(c, images);
    BpeTokenizer tok = BpeTokenizer::train({"who is this person in the picture", "the answer is here"}, 300);
    std::vector<Sequence> rows;
    for (const char* path : {"wide.png", "tall.png"})
      rows.push_back(make_sequence(tok, "who is this?", "", path, format));
    for (size_t r = 0; r < rows.size(); ++r) {
      const auto& p = rows[r].prompt;
      CHECK(std::count(p.begin(), p.end(), c.image_token_id) == images.image_tokens(rows[r].image));
    }
    CHECK(images.image_tokens("wide.png") != images.image_tokens("tall.png"));
    const ModelInputs in = to_model_inputs(collate(rows, 0, PadSide::left, true), images, torch::kCPU);
    REQUIRE(in.image_grids.defined());
    CHECK(in.image_grids.size(0) == 2);
    CHECK(in.images.size(0) == in.image_grids.prod(1).sum().item<int64_t>());
    m->eval();
    torch::NoGradGuard no_grad;
    const torch::Tensor logits = m->forward(in);
    CHECK(logits.size(0) == 2);
    // Generation after the image: with the cache (positions continue from the rope delta)
    // as without it.
    check_generation_without_cache(m, in, 5);
    // Another image changes the row it is in and not the other.
    ModelInputs other = in;
    other.images = in.images.clone();
    other.images.narrow(0, 0, 4).add_(1.0);
    const torch::Tensor changed = m->forward(other);
    CHECK((changed[0] - logits[0]).abs().max().item<float>() > 1e-4);
    CHECK((changed[1] - logits[1]).abs().max().item<float>() < 1e-5);

    // An image the processor cannot resize (200:1) is refused naming the image.
    table.emplace("strip.png", Image(700, 3));
    const Error strip = expect_error([&] { make_sequence(tok, "who is this?", "", "strip.png", format); });
    CHECK(strip.where().file == "strip.png");
    // A question whose text gives the image token is refused: it would ask for an image.
    PromptFormat stray = format;
    stray.image_id = tok.encode("who")[0];
    CHECK(expect_error([&] { make_sequence(tok, "who is this?", "", "wide.png", stray); }).key() == "question");
  }
}

TEST_CASE("LLaVA-NeXT's tiny preset: parameters as counted, each image tiled at its own pinpoint",
          "[model][llava_next]") {
  torch::manual_seed(5);
  const ModelConfig c = model_preset("tiny-llava-next", 300);
  Vlm m(c);
  int64_t counted = 0;
  for (const auto& p : m->parameters()) counted += p.numel();
  CHECK(counted == c.parameter_count());
  CHECK(m->named_parameters().contains("image_newline"));
  ImageTable table;
  table.emplace("wide.png", Image(45, 20));
  table.emplace("square.png", Image(50, 50));
  ImageTensors images(table, model_family(c.family).image_processor("", c), torch::kCPU);
  REQUIRE(images.sized_by_image());
  CHECK(images.image_tokens("wide.png") != images.image_tokens("square.png"));
  const PromptFormat format = prompt_format(c, images);
  BpeTokenizer tok = BpeTokenizer::train({"who is this person in the picture", "the answer is here"}, 300);
  std::vector<Sequence> rows;
  for (const char* path : {"wide.png", "square.png"})
    rows.push_back(make_sequence(tok, "who is this?", "", path, format));
  const ModelInputs in = to_model_inputs(collate(rows, 0, PadSide::left, true), images, torch::kCPU);
  CHECK(in.images.size(0) == in.image_grids.select(1, 0).sum().item<int64_t>());  // every tile of both images
  check_generation_without_cache(m, in, 4);
}

TEST_CASE("Idefics2's presets: parameters as counted, crops of their own size, each image as its latents",
          "[model][idefics2]") {
  // The published shape: config.json round trip, its parameter count (8.4 B, as the
  // model card's float32 shards weigh).
  const ModelConfig big = model_preset("idefics2-8b");
  const ModelConfig back = model_config_parse(model_config_json(big), "config.json");
  CHECK(back.vision.resampler.latents == 64);
  CHECK(back.vision.resampler.head_dim == 96);
  CHECK(back.text.sliding_window == 4096);
  CHECK(back.parameter_count() == big.parameter_count());
  CHECK(big.parameter_count() > 8'300'000'000);
  CHECK(big.parameter_count() < 8'500'000'000);
  // The hub's config.json leaves the perceiver's keys out: transformers' defaults, its
  // width the decoder's.
  const ModelConfig hub = model_config_parse(R"({"architectures": ["Idefics2ForConditionalGeneration"],
      "model_type": "idefics2", "image_token_id": 32001, "tie_word_embeddings": false,
      "perceiver_config": {"model_type": "idefics2"},
      "text_config": {"max_position_embeddings": 32768, "model_type": "mistral", "pad_token_id": 0,
                      "rms_norm_eps": 1e-05, "vocab_size": 32003},
      "vision_config": {"hidden_size": 1152, "image_size": 980, "intermediate_size": 4304,
                        "num_attention_heads": 16, "num_hidden_layers": 27, "patch_size": 14}})",
                                             "hub/config.json");
  CHECK(hub.parameter_count() == big.parameter_count());
  CHECK(hub.prompt_template == kChatPrompt);
  std::string bad = model_config_json(big);
  bad.replace(bad.find("\"num_key_value_heads\": 4"), 24, "\"num_key_value_heads\": 5");
  CHECK(expect_error([&] { model_config_parse(bad, "c.json"); }).key() == "perceiver_config.num_key_value_heads");

  torch::manual_seed(5);
  ModelConfig c = model_preset("tiny-idefics2", 300);
  Vlm m(c);
  int64_t counted = 0;
  for (const auto& p : m->parameters()) counted += p.numel();
  CHECK(counted == c.parameter_count());
  ImageTable table;
  table.emplace("wide.png", Image(45, 20));
  table.emplace("square.png", Image(50, 50));
  for (const bool splitting : {false, true}) {
    c.vision.image_splitting = splitting;
    ImageTensors images(table, model_family(c.family).image_processor("", c), torch::kCPU);
    REQUIRE(images.sized_by_image());
    // Every image becomes its crops' latents, whatever its size.
    CHECK(images.image_tokens("wide.png") == c.image_tokens());
    CHECK(images.layout("wide.png").size() == (splitting ? 5u : 1u));
    const PromptFormat format = prompt_format(c, images);
    BpeTokenizer tok = BpeTokenizer::train({"who is this person in the picture", "the answer is here"}, 300);
    std::vector<Sequence> rows;
    for (const char* path : {"wide.png", "square.png"})
      rows.push_back(make_sequence(tok, "who is this?", "", path, format));
    const ModelInputs in = to_model_inputs(collate(rows, 0, PadSide::left, true), images, torch::kCPU);
    CHECK(in.image_grids.size(0) == (splitting ? 10 : 2));  // a row per crop
    check_generation_without_cache(m, in, 4);
  }
}

TEST_CASE("a folder's image processor must be its family's and agree with config.json", "[model][family]") {
  TempDir dir;
  auto write = [&](const std::string& text) { std::ofstream(dir.file("preprocessor_config.json")) << text; };
  // LLaVA-NeXT tiles at config.json's pinpoints, in tiles of the tower's size.
  const ModelConfig next = model_preset("tiny-llava-next", 300);
  write(R"({"image_processor_type": "LlavaNextImageProcessor", "crop_size": {"height": 224, "width": 224},
            "size": {"shortest_edge": 224}, "image_grid_pinpoints": [[224, 448]]})");
  CHECK(expect_error([&] { model_family(next.family).image_processor(dir.path(), next); }).key() == "crop_size");
  write(R"({"image_processor_type": "LlavaNextImageProcessor", "crop_size": {"height": 32, "width": 32},
            "size": {"shortest_edge": 32}, "image_grid_pinpoints": [[32, 64]]})");
  CHECK(expect_error([&] { model_family(next.family).image_processor(dir.path(), next); }).key() ==
        "image_grid_pinpoints");
  // LLaVA-1.5 reads CLIP's square images only.
  const ModelConfig llava = model_preset("tiny", 300);
  CHECK(expect_error([&] { model_family(llava.family).image_processor(dir.path(), llava); }).key() ==
        "image_processor_type");
  // Mistral's sliding_window: absent, its config class's 4096; null, none.
  const std::string mistral = R"({"model_type": "mistral", "vocab_size": 64, "hidden_size": 16,
      "intermediate_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 1)";
  CHECK(model_config_parse(mistral + "}", "m.json").text.sliding_window == 4096);
  CHECK(model_config_parse(mistral + R"(, "sliding_window": null})", "m.json").text.sliding_window == 0);
  const ModelConfig next_mistral = model_preset("llava-v1.6-mistral-7b");
  CHECK(model_config_parse(model_config_json(next_mistral), "c.json").text.sliding_window ==
        next_mistral.text.sliding_window);
}

TEST_CASE("a SentencePiece tokenizer works in a process that also holds libtorch", "[model][sentencepiece]") {
  // libsentencepiece's own protobuf and libtorch's clash in one symbol namespace; the
  // tokenizer reaches it through a shim opened apart (data/sentencepiece_shim.cpp).
  TempDir tmp;
  std::filesystem::copy_file(source_path("tests/model/fixtures/tiny_sentencepiece.model"), tmp.file("tokenizer.model"));
  const auto sp = load_tokenizer(tmp.path());
  CHECK(sp->kind() == "sentencepiece");
  CHECK(sp->vocab_size() == 402);
  CHECK(sp->special().image == 400);
  const std::string text = "Where was Delmi Pesillund born? In 1987, at dusk.";
  CHECK(sp->decode(sp->encode(text)) == text);
  CHECK(torch::ones({2}).sum().item<float>() == 2.0f);

  // Idefics2's added tokens after the pieces, from tokenizer_config.json: split out of the
  // text (the text after one encoded as a continuation), skipped when decoding, padding
  // the folder's <unk>; the file comes back with the model.
  std::ofstream(tmp.file("tokenizer_config.json")) << R"({"legacy": false, "pad_token": "<unk>",
      "added_tokens_decoder": {"400": {"content": "<fake_token_around_image>", "special": true},
                               "401": {"content": "<image>", "special": true},
                               "402": {"content": "<end_of_utterance>", "special": true}}})";
  const auto added = load_tokenizer(tmp.path());
  CHECK(added->vocab_size() == 403);
  CHECK(added->special().image == 401);
  CHECK(added->special().pad == 0);
  const auto ids = added->encode("Where<fake_token_around_image><image><fake_token_around_image> was");
  REQUIRE(ids.size() >= 4);
  const std::vector<int32_t> middle(ids.end() - std::ptrdiff_t(3 + added->encode_continuation(" was").size()),
                                    ids.end() - std::ptrdiff_t(added->encode_continuation(" was").size()));
  CHECK(middle == std::vector<int32_t>{400, 401, 400});
  CHECK(added->decode(ids) == "Where was");
  CHECK(added->end_of_turn_ids() == std::vector<int32_t>{402});  // generation stops there too
  TempDir saved;
  added->save(saved.path());
  CHECK(load_tokenizer(saved.path())->special().image == 401);
}

TEST_CASE("scoring only the labelled positions gives the full forward's numbers", "[model][score]") {
  Vlm m = make_model();
  const auto in = sample_inputs(m->config());
  const auto full = answer_scores(m->forward(in), in.labels);
  const auto fast = score_answers(m, in);
  CHECK(torch::allclose(full.sum_nll, fast.sum_nll, 1e-5, 1e-6));
  CHECK(torch::equal(full.tokens, fast.tokens));
  // Gradients agree too: training uses the fast path.
  m->attach_adapters(LoraSpec{2, 4.0, 0.0});
  {
    torch::NoGradGuard no_grad;
    for (auto& p : m->adapter_parameters()) p.normal_(0, 0.1);
  }
  auto grads = [&](bool fast_path) {
    for (auto& p : m->adapter_parameters()) p.mutable_grad() = torch::Tensor();
    const auto s = fast_path ? score_answers(m, in) : answer_scores(m->forward(in), in.labels);
    s.sum_nll.sum().backward();
    std::vector<torch::Tensor> g;
    for (auto& p : m->adapter_parameters()) g.push_back(p.grad().clone());
    return g;
  };
  const auto a = grads(false), b = grads(true);
  for (size_t i = 0; i < a.size(); ++i) CHECK(torch::allclose(a[i], b[i], 1e-4, 1e-6));
}

namespace {

/// A tokenizer with chosen special ids: padding_id's inputs.
class FixedSpecials : public Tokenizer {
 public:
  FixedSpecials(int32_t pad, int32_t eos) { special_ = SpecialTokens{pad, -1, eos, -1}; }
  std::string kind() const override { return "fixed"; }
  std::vector<int32_t> encode(std::string_view) const override { return {}; }
  std::string decode(const std::vector<int32_t>&) const override { return {}; }
  int32_t vocab_size() const override { return 1000; }
  void save(const std::string&) const override {}
};

}  // namespace

TEST_CASE("padding takes an id the model has: config, tokenizer, EOS, else 0", "[model][batch]") {
  ModelConfig c = model_preset("tiny-text", 100);
  c.pad_token_id = 7;
  CHECK(padding_id(FixedSpecials(5, 9), c) == 7);
  c.pad_token_id = -1;  // a text folder's config.json without pad_token_id
  CHECK(padding_id(FixedSpecials(5, 9), c) == 5);
  CHECK(padding_id(FixedSpecials(-1, 9), c) == 9);   // Llama-3: no padding token, EOS pads
  CHECK(padding_id(FixedSpecials(101, 9), c) == 9);  // SentencePiece's appended <pad>, past the vocabulary
  CHECK(padding_id(FixedSpecials(-1, -1), c) == 0);
}
