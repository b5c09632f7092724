#include "data/chat_template.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/file_read.h"
// minja: third_party/minja (README there says which commit and why).
#include "chat-template.hpp"

namespace clear_sweep {
namespace fs = std::filesystem;

namespace {

nlohmann::ordered_json read_json(const fs::path& path) {
  try {
    return nlohmann::ordered_json::parse(read_text_file(path.string()));
  } catch (const nlohmann::json::exception& e) {
    throw Error(SourceLocation{path.string()}, "json", std::string("not JSON: ") + e.what());
  }
}

/// A template value as transformers reads it: a string, or a list of {name, template}
/// whose "default" entry is the chat template.
std::string template_text(const nlohmann::ordered_json& value, const fs::path& path, const std::string& key) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_array())
    for (const auto& entry : value)
      if (entry.is_object() && entry.value("name", "") == "default" && entry.contains("template") &&
          entry["template"].is_string())
        return entry["template"].get<std::string>();
  throw Error(SourceLocation{path.string()}, key, "is neither a template nor a list with a \"default\" one");
}

/// A special token's text: "<s>" or {"content": "<s>", ...}; "" where absent.
std::string token_text(const nlohmann::ordered_json& config, const char* key) {
  if (!config.is_object() || !config.contains(key)) return "";
  const auto& v = config[key];
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object() && v.contains("content") && v["content"].is_string()) return v["content"].get<std::string>();
  return "";
}

/// llava-hf/llava-1.5-7b-hf's chat_template.json, its Jinja text.
constexpr const char* kLlava15Template =
    "{% for message in messages %}{% if message['role'] != 'system' %}{{ message['role'].upper() + ': '}}"
    "{% endif %}{# Render all images first #}{% for content in message['content'] | selectattr('type', "
    "'equalto', 'image') %}{{ '<image>\\n' }}{% endfor %}{# Render all text next #}{% if message['role'] != "
    "'assistant' %}{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}"
    "{{ content['text'] + ' '}}{% endfor %}{% else %}{% for content in message['content'] | selectattr('type', "
    "'equalto', 'text') %}{% generation %}{{ content['text'] + ' '}}{% endgeneration %}{% endfor %}{% endif %}"
    "{% endfor %}{% if add_generation_prompt %}{{ 'ASSISTANT:' }}{% endif %}";

}  // namespace

struct ChatTemplate::Impl {
  std::string origin;
  std::unique_ptr<minja::chat_template> engine;
  nlohmann::ordered_json special;  ///< unk_token, pad_token ... as the template may name them
};

ChatTemplate::ChatTemplate(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ChatTemplate::~ChatTemplate() = default;

std::unique_ptr<ChatTemplate> ChatTemplate::load(const std::string& dir) {
  const fs::path folder(dir);
  const fs::path config_path = folder / "tokenizer_config.json";
  const nlohmann::ordered_json config = fs::exists(config_path) ? read_json(config_path) : nlohmann::ordered_json();
  auto impl = std::make_unique<Impl>();
  std::string source;
  // transformers 5 saves chat_template.jinja; 4.4x chat_template.json; before, the
  // tokenizer config held it.
  if (fs::exists(folder / "chat_template.jinja")) {
    impl->origin = (folder / "chat_template.jinja").string();
    source = read_text_file((folder / "chat_template.jinja").string());
  } else if (fs::exists(folder / "chat_template.json")) {
    impl->origin = (folder / "chat_template.json").string();
    const auto j = read_json(folder / "chat_template.json");
    if (!j.is_object() || !j.contains("chat_template"))
      throw Error(SourceLocation{impl->origin}, "chat_template", "missing");
    source = template_text(j["chat_template"], impl->origin, "chat_template");
  } else if (config.is_object() && config.contains("chat_template") && !config["chat_template"].is_null()) {
    impl->origin = config_path.string();
    source = template_text(config["chat_template"], config_path, "chat_template");
  } else {
    return nullptr;
  }
  for (const char* key : {"unk_token", "pad_token", "sep_token", "cls_token", "mask_token"})
    if (const std::string text = token_text(config, key); !text.empty()) impl->special[key] = text;
  try {
    impl->engine = std::make_unique<minja::chat_template>(source, token_text(config, "bos_token"),
                                                          token_text(config, "eos_token"));
  } catch (const std::exception& e) {
    throw Error(SourceLocation{impl->origin}, "chat_template", std::string("not a template minja parses: ") + e.what());
  }
  return std::unique_ptr<ChatTemplate>(new ChatTemplate(std::move(impl)));
}

std::shared_ptr<const ChatTemplate> ChatTemplate::llava15() {
  static const std::shared_ptr<const ChatTemplate> built_in = [] {
    auto impl = std::make_unique<Impl>();
    impl->origin = "llava-1.5's chat template (built in)";
    impl->special = nlohmann::ordered_json::object();
    impl->engine = std::make_unique<minja::chat_template>(kLlava15Template, "<s>", "</s>");
    return std::shared_ptr<const ChatTemplate>(new ChatTemplate(std::move(impl)));
  }();
  return built_in;
}

std::string ChatTemplate::render(const std::vector<ChatMessage>& messages, bool add_generation_prompt,
                                 const std::map<std::string, std::string>& variables) const {
  minja::chat_template_inputs inputs;
  inputs.messages = nlohmann::ordered_json::array();
  for (const auto& m : messages) {
    if (m.images < 0) {
      inputs.messages.push_back({{"role", m.role}, {"content", m.content}});
      continue;
    }
    auto parts = nlohmann::ordered_json::array();
    for (int i = 0; i < m.images; ++i) parts.push_back({{"type", "image"}});
    parts.push_back({{"type", "text"}, {"text", m.content}});
    inputs.messages.push_back({{"role", m.role}, {"content", parts}});
  }
  inputs.add_generation_prompt = add_generation_prompt;
  inputs.extra_context = impl_->special;
  for (const auto& [name, value] : variables) inputs.extra_context[name] = value;
  minja::chat_template_options options;
  options.apply_polyfills = false;  // the template as written, as jinja2 renders it
  // No strftime_now: a render never depends on the day or the node's time zone (a
  // template that would ask it, as Llama-3.2's, takes its fixed fallback date; sweeps
  // give open-unlearning's date_string).
  options.define_strftime_now = false;
  try {
    return impl_->engine->apply(inputs, options);
  } catch (const std::exception& e) {
    throw Error(SourceLocation{impl_->origin}, "chat_template", std::string("rendering failed: ") + e.what());
  }
}

const std::string& ChatTemplate::origin() const { return impl_->origin; }

}  // namespace clear_sweep
