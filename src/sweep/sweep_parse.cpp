// sweep_parse: TOML text -> validated SweepSpec. Each section has one reader below;
// cross-section rules (a dataset when a method needs a model, forget fractions that
// select at least one person, axes that some method declares) come after.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/hash.h"
#include "common/number_format.h"
#include "common/suggest.h"
#include "sweep/method_catalog.h"
#include "sweep/search_parse.h"
#include "sweep/sweep_spec.h"
#include "sweep/toml_reader.h"

namespace clear_sweep {
namespace {

/// A guard against a typo that multiplies the grid by thousands: planning a million
/// jobs takes seconds; more is almost certainly not what was meant.
constexpr double kMaxJobs = 1e6;

std::string location_text(const SourceLocation& where) {
  return "line " + std::to_string(where.line) + ", column " + std::to_string(where.column);
}

/// Remembers each value of an axis to report a repeat with the first occurrence.
template <typename T>
class DuplicateCheck {
 public:
  void add(const T& value, const std::string& shown, const SourceLocation& where, const std::string& key) {
    for (const auto& [seen, seen_where] : seen_)
      if (seen == value)
        throw Error(where, key, "duplicate value " + shown + " (first at " + location_text(seen_where) + ")",
                    "each axis value must be distinct");
    seen_.emplace_back(value, where);
  }

 private:
  std::vector<std::pair<T, SourceLocation>> seen_;
};

void read_name(const TomlTable& root, SweepSpec& spec) {
  auto name = root.string("name");
  if (!name) root.fail({spec.file}, "name", "missing required key", "add e.g. name = \"my-sweep\" at the top");
  if (name->empty() || name->size() > 100)
    root.fail(root.locate(*root.find("name")), "name", "must be 1 to 100 characters");
  for (char c : *name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
      root.fail(root.locate(*root.find("name")), "name",
                "'" + *name + "' has a character other than letters, digits, '-', '_' and '.'",
                "the name becomes part of file names");
  spec.name = *name;
}

DataSpec read_data(const TomlTable& t) {
  t.expect_keys({"source", "path", "persons", "images_per_person", "seed", "benchmark", "celebrities"});
  DataSpec data;
  data.benchmark = t.choice("benchmark", {"clear", "mllmu", "tofu"}).value_or("clear");
  if (t.has("celebrities") && !((data.is_mllmu() || data.is_tofu()) &&
                                t.choice("source", {"synthetic", "clear"}).value_or("synthetic") == "synthetic"))
    t.fail(t.locate_key("celebrities"), t.key_path("celebrities"),
           "only for a synthetic world of benchmark = \"mllmu\" or \"tofu\"",
           "the celebrity set (TOFU: the real authors) of a dataset folder is its own");
  if ((data.is_mllmu() || data.is_tofu()) && t.has("images_per_person"))
    t.fail(t.locate_key("images_per_person"), t.key_path("images_per_person"), "only for benchmark = \"clear\"",
           data.is_mllmu() ? "an MLLMU-Bench profile has one image and one test image" : "TOFU has no image");
  const auto source = t.choice("source", {"synthetic", "clear"}).value_or("synthetic");
  if (source == "clear") {
    data.source = DataSource::clear;
    for (const char* key : {"persons", "images_per_person", "seed"})
      if (t.has(key))
        t.fail(t.locate_key(key), t.key_path(key), "only for source = \"synthetic\"",
               "real CLEAR has a fixed 200 persons; remove the key");
    auto path = t.string("path");
    if (!path || path->empty())
      t.fail(t.where(), t.key_path("path"), "missing required key for source = \"clear\"",
             data.is_tofu()    ? "the folder written by scripts/export_tofu.py"
             : data.is_mllmu() ? "the folder written by scripts/export_mllmu.py"
                               : "the folder written by scripts/export_clear.py");
    data.path = *path;
    data.persons = data.is_mllmu() ? kMllmuProfiles : kClearPersons;  // TOFU: CLEAR's 200 authors
  } else {
    if (t.has("path"))
      t.fail(t.locate_key("path"), t.key_path("path"), "only for source = \"clear\"",
             "a synthetic world is generated from persons, images_per_person and seed");
    data.persons = t.integer("persons", {2, 1e6}).value_or(data.persons);
    data.images_per_person = t.integer("images_per_person", {1, 10000}).value_or(data.images_per_person);
    data.seed = t.integer("seed", {0, 9.2e18}).value_or(data.seed);
    data.celebrities = t.integer("celebrities", {data.is_tofu() ? 4.0 : 1.0, 10000}).value_or(data.celebrities);
    if (data.is_mllmu()) data.images_per_person = 2;  // the profile image and the test image
    if (data.is_tofu()) data.images_per_person = 0;
  }
  return data;
}

ModelSpec read_model(const TomlTable& t) {
  t.expect_keys({"preset", "path", "width", "image_size", "prompt", "system_prompt", "date_string", "lora_targets"});
  ModelSpec model;
  model.preset = t.choice("preset", model_presets()).value_or("");
  model.path = t.string("path").value_or("");
  if (model.preset.empty() == model.path.empty())
    t.fail(t.where(), t.path(), "give exactly one of 'preset' and 'path'",
           "preset is one of " + join(model_presets()) + "; path is a folder with config + safetensors");
  for (const char* key : {"width", "image_size"})
    if (t.has(key) && model.preset != kFacePreset)
      t.fail(t.locate_key(key), t.key_path(key), std::string("only for preset = \"") + kFacePreset + "\"",
             "the VLM's shape comes from its preset or config.json");
  model.width = t.integer("width", {1, 1024}).value_or(model.width);
  model.image_size = t.integer("image_size", {32, 4096}).value_or(model.image_size);
  const auto prompt = t.choice("prompt", {"plain", "chat", "llava-1.5"});
  if (prompt && *prompt != "plain" && !model.preset.empty())
    t.fail(t.locate_key("prompt"), t.key_path("prompt"), "\"" + *prompt + "\" with preset \"" + model.preset + "\"",
           "a preset trained from scratch has no chat template; chat and llava-1.5 are for a model folder (path)");
  model.prompt = prompt.value_or("");
  for (const char* key : {"system_prompt", "date_string"})
    if (t.has(key) && model.prompt != "chat")
      t.fail(t.locate_key(key), t.key_path(key), "only with prompt = \"chat\"",
             "the plain template has no system turn and no date");
  model.system_prompt = t.string("system_prompt").value_or("");
  model.date_string = t.string("date_string").value_or("");
  model.lora_targets = t.choice("lora_targets", {"decoder", "all"}).value_or("decoder");
  if (model.lora_targets == "all" && model.preset == kFacePreset)
    t.fail(t.locate_key("lora_targets"), t.key_path("lora_targets"), "the face model trains without LoRA",
           "lora_targets is for vision-language models");
  return model;
}

FinetuneSpec read_finetune(const TomlTable& t) {
  t.expect_keys({"epochs", "lr", "batch_size", "lora_rank", "lora_alpha", "base_adapter", "target_loss", "patience"});
  FinetuneSpec f;
  f.epochs = t.integer("epochs", {1, 100000}).value_or(f.epochs);
  f.lr = t.number("lr", {0, 1, true, false}).value_or(f.lr);
  f.batch_size = t.integer("batch_size", {1, 65536}).value_or(f.batch_size);
  f.lora_rank = t.integer("lora_rank", {0, 65536}).value_or(f.lora_rank);
  f.lora_alpha = t.number("lora_alpha", {0, 1e6, true, true}).value_or(f.lora_alpha);
  if (t.has("lora_alpha") && f.lora_rank == 0)
    t.fail(t.locate_key("lora_alpha"), t.key_path("lora_alpha"), "set without lora_rank",
           "lora_alpha scales LoRA adapters; give lora_rank too");
  f.base_adapter = t.string("base_adapter").value_or("");
  f.target_loss = t.number("target_loss", {0, 1e6, false, false});
  f.patience = t.integer("patience", {0, 100000});
  return f;
}

AttackSpec read_attacks(const TomlTable& t) {
  AttackSpec a;
  if (t.has("attacks")) {
    DuplicateCheck<std::string> seen;
    const auto nodes = t.axis("attacks");
    for (size_t i = 0; i < nodes.size(); ++i) {
      const std::string element = t.key_path("attacks") + "[" + std::to_string(i) + "]";
      const auto* name = nodes[i]->as_string();
      if (!name)
        t.fail(t.locate(*nodes[i]), element, "expected an attack name (a string), got " + toml_type_name(*nodes[i]));
      const std::string value(name->get());
      if (std::find(attack_names().begin(), attack_names().end(), value) == attack_names().end()) {
        const std::string guess = suggest_name(value, attack_names());
        t.fail(t.locate(*nodes[i]), element, "unknown attack '" + value + "'",
               (guess.empty() ? std::string() : "did you mean '" + guess + "'? ") + "attacks: " + join(attack_names()));
      }
      seen.add(value, "'" + value + "'", t.locate(*nodes[i]), t.key_path("attacks"));
      a.names.push_back(value);
    }
  }
  // A setting of an attack that does not run would silently do nothing.
  auto only_with = [&](const char* key, const char* attack) {
    if (t.has(key) && !a.has(attack))
      t.fail(t.locate_key(key), t.key_path(key), std::string("set, but attacks does not name \"") + attack + "\"",
             std::string("add \"") + attack + "\" to attacks, or remove " + key);
  };
  for (const char* key : {"relearn_steps", "relearn_lr", "relearn_fraction", "relearn_batch_size", "relearn_on"})
    only_with(key, "relearn");
  only_with("quant4_group_size", "quant4");
  a.relearn_steps = t.integer("relearn_steps", {1, 1000000}).value_or(a.relearn_steps);
  a.relearn_lr = t.number("relearn_lr", {0, 1, true, false}).value_or(a.relearn_lr);
  a.relearn_fraction = t.number("relearn_fraction", {0, 1, true, true}).value_or(a.relearn_fraction);
  a.relearn_batch_size = t.integer("relearn_batch_size", {1, 65536}).value_or(a.relearn_batch_size);
  a.relearn_on = t.choice("relearn_on", {"split", "paraphrases"}).value_or(a.relearn_on);
  if (a.relearn_on == "paraphrases" && t.has("relearn_fraction"))
    t.fail(t.locate_key("relearn_fraction"), t.key_path("relearn_fraction"), "set with relearn_on = \"paraphrases\"",
           "paraphrases relearn on every forget item; relearn_fraction is for relearn_on = \"split\"");
  a.quant4_group_size = t.integer("quant4_group_size", {1, 1 << 20}).value_or(a.quant4_group_size);
  return a;
}

EvalSpec read_eval(const TomlTable& t) {
  t.expect_keys({"max_items", "max_new_tokens", "truth_ratio", "attacks", "relearn_steps", "relearn_lr",
                 "relearn_fraction", "relearn_batch_size", "relearn_on", "quant4_group_size", "enrolled"});
  EvalSpec e;
  e.enrolled = t.integer("enrolled", {1, 10000}).value_or(e.enrolled);
  e.attacks = read_attacks(t);
  e.max_items = t.integer("max_items", {1, 1e9}).value_or(e.max_items);
  e.max_new_tokens = t.integer("max_new_tokens", {1, 65536}).value_or(e.max_new_tokens);
  if (t.choice("truth_ratio", {"per_item", "pooled"}).value_or("per_item") == "pooled")
    e.truth_ratio = TruthRatioForm::pooled;
  return e;
}

ResourceSpec read_resources(const TomlTable& t) {
  t.expect_keys({"device", "threads_per_rank", "activation_checkpointing", "save_adapters"});
  ResourceSpec r;
  r.save_adapters = t.choice("save_adapters", {"none", "all"}).value_or(r.save_adapters);
  r.device = t.choice("device", {"auto", "cpu", "cuda"}).value_or(r.device);
  r.threads_per_rank = t.integer("threads_per_rank", {0, 4096}).value_or(r.threads_per_rank);
  r.activation_checkpointing = t.boolean("activation_checkpointing").value_or(r.activation_checkpointing);
  return r;
}

/// Reads one hyperparameter axis against its declaration: integers for integer
/// hyperparameters, numbers (integers become doubles) for real ones, each in range.
Axis read_hparam_axis(const TomlTable& t, const std::string& key, const HParamDecl& decl, const std::string& owner) {
  Axis axis;
  axis.where = t.locate_key(key);
  DuplicateCheck<HParamValue> duplicates;
  const auto nodes = t.axis(key);
  const bool written_as_array = t.find(key)->is_array();
  for (size_t i = 0; i < nodes.size(); ++i) {
    const toml::node& node = *nodes[i];
    const std::string element = t.key_path(key) + (written_as_array ? "[" + std::to_string(i) + "]" : "");
    const SourceLocation where = t.locate(node);
    HParamValue value;
    if (decl.type == HParamType::integer) {
      const auto* v = node.as_integer();
      if (!v)
        t.fail(where, element, "expected an integer, got " + toml_type_name(node),
               "'" + decl.name + "' of " + owner + " is an integer hyperparameter");
      value = v->get();
    } else {
      const auto v = toml_number(node);
      if (!v)
        t.fail(where, element, "expected a number, got " + toml_type_name(node),
               "'" + decl.name + "' of " + owner + " is a number");
      if (!std::isfinite(*v)) t.fail(where, element, "must be a finite number");
      value = *v;
    }
    const double as_double = hparam_as_double(value);
    if (!decl.range.contains(as_double))
      t.fail(where, element,
             hparam_text(value) + " is outside the valid range " + decl.range.text() + " of '" + decl.name + "' (" +
                 owner + ")",
             decl.doc);
    duplicates.add(value, hparam_text(value), where, t.key_path(key));
    axis.values.push_back(value);
  }
  return axis;
}

/// The methods listed in the grid that declare `hparam`.
std::vector<std::string> methods_declaring(const std::vector<std::string>& methods, const std::string& hparam) {
  std::vector<std::string> out;
  for (const auto& name : methods)
    if (method_hparam(*method_find(name), hparam)) out.push_back(name);
  return out;
}

void read_hparams(const TomlTable& t, GridSpec& grid) {
  // A key whose value is a table is a method section; any other key is a shared axis.
  for (auto&& [k, node] : t.raw()) {
    const std::string key(k.str());
    const SourceLocation key_where{t.file(), k.source().begin.line, k.source().begin.column};
    if (node.is_table()) {
      const MethodInfo* method = method_find(key);
      if (!method) {
        std::vector<std::string> names;
        for (const auto& m : method_catalog()) names.push_back(m.name);
        const std::string guess = suggest_name(key, names);
        t.fail(key_where, t.key_path(key), "unknown method '" + key + "'",
               (guess.empty() ? std::string() : "did you mean '" + guess + "'? ") +
                   "valid methods: " + method_names_joined());
      }
      bool listed = false;
      for (const auto& m : grid.methods) listed = listed || m == key;
      if (!listed)
        t.fail(key_where, t.key_path(key), "axes for method '" + key + "', which grid.method does not list",
               "add \"" + key + "\" to grid.method or remove [" + t.key_path(key) + "]");
      const TomlTable section = *t.table(key);
      std::vector<std::string> known;
      for (const auto& decl : method_hparams(*method)) known.push_back(decl.name);
      section.expect_keys(known);
      for (auto&& [hk, hv] : section.raw()) {
        const std::string hname(hk.str());
        grid.method_axes[key][hname] = read_hparam_axis(section, hname, *method_hparam(*method, hname), key);
      }
      continue;
    }
    // A shared axis: it must mean the same type and range for every method that has it.
    const auto owners = methods_declaring(grid.methods, key);
    if (owners.empty()) {
      std::vector<std::string> elsewhere;
      for (const auto& m : method_catalog())
        if (method_hparam(m, key)) elsewhere.push_back(m.name);
      std::vector<std::string> known;
      for (const auto& name : grid.methods)
        for (const auto& decl : method_hparams(*method_find(name))) {
          bool seen = false;
          for (const auto& k2 : known) seen = seen || k2 == decl.name;
          if (!seen) known.push_back(decl.name);
        }
      const std::string guess = suggest_name(key, known);
      std::string hint = guess.empty() ? std::string() : "did you mean '" + guess + "'? ";
      hint += elsewhere.empty() ? "hyperparameters of the listed methods: " + join(known)
                                : "'" + key + "' belongs to " + join(elsewhere) + ", none of which grid.method lists";
      t.fail(key_where, t.key_path(key), "no method in grid.method has a hyperparameter '" + key + "'", hint);
    }
    const HParamDecl& decl = shared_hparam_decl(t, key_where, key, owners, "grid.hparams");
    grid.shared_axes[key] = read_hparam_axis(t, key, decl, "shared by " + join(owners));
  }
}

GridSpec read_grid(const TomlTable& t) {
  t.expect_keys({"method", "modality", "forget_fraction", "seed", "hparams"});
  GridSpec grid;
  for (const char* key : {"method", "modality", "forget_fraction"})
    if (!t.has(key))
      t.fail(t.where(), t.key_path(key), "missing required key",
             std::string("e.g. ") + (std::string(key) == "method"     ? "method = [\"ga\", \"npo\"]"
                                     : std::string(key) == "modality" ? "modality = [\"text\", \"visual\", \"both\"]"
                                                                      : "forget_fraction = [1, 5, 10]"));

  DuplicateCheck<std::string> method_seen;
  const auto method_nodes = t.axis("method");
  for (size_t i = 0; i < method_nodes.size(); ++i) {
    const toml::node& node = *method_nodes[i];
    const std::string element = "grid.method[" + std::to_string(i) + "]";
    const auto* name = node.as_string();
    if (!name) t.fail(t.locate(node), element, "expected a method name (a string), got " + toml_type_name(node));
    const std::string value(name->get());
    if (!method_find(value)) {
      std::vector<std::string> names;
      for (const auto& m : method_catalog()) names.push_back(m.name);
      const std::string guess = suggest_name(value, names);
      t.fail(t.locate(node), element, "unknown method '" + value + "'",
             (guess.empty() ? std::string() : "did you mean '" + guess + "'? ") +
                 "valid methods: " + method_names_joined());
    }
    method_seen.add(value, "'" + value + "'", t.locate(node), "grid.method");
    grid.methods.push_back(value);
  }

  DuplicateCheck<Modality> modality_seen;
  const auto modality_nodes = t.axis("modality");
  for (size_t i = 0; i < modality_nodes.size(); ++i) {
    const toml::node& node = *modality_nodes[i];
    const std::string element = "grid.modality[" + std::to_string(i) + "]";
    const auto* name = node.as_string();
    if (!name) t.fail(t.locate(node), element, "expected a modality (a string), got " + toml_type_name(node));
    const auto modality = modality_parse(name->get());
    if (!modality)
      t.fail(t.locate(node), element, "unknown modality '" + std::string(name->get()) + "'",
             "valid modalities: text, visual, both");
    modality_seen.add(*modality, "'" + std::string(name->get()) + "'", t.locate(node), "grid.modality");
    grid.modalities.push_back(*modality);
  }

  DuplicateCheck<double> fraction_seen;
  const auto fraction_nodes = t.axis("forget_fraction");
  for (size_t i = 0; i < fraction_nodes.size(); ++i) {
    const toml::node& node = *fraction_nodes[i];
    const std::string element = "grid.forget_fraction[" + std::to_string(i) + "]";
    const auto value = toml_number(node);
    if (!value) t.fail(t.locate(node), element, "expected a number (percent of persons), got " + toml_type_name(node));
    if (!(std::isfinite(*value) && *value > 0 && *value < 100))
      t.fail(t.locate(node), element, format_number(*value) + " is outside (0, 100)",
             "forget_fraction is a percentage of persons: CLEAR uses 1, 5 and 10");
    fraction_seen.add(*value, format_number(*value), t.locate(node), "grid.forget_fraction");
    grid.forget_fractions.push_back(*value);
  }

  if (t.has("seed")) {
    grid.seeds.clear();
    DuplicateCheck<int64_t> seed_seen;
    const auto seed_nodes = t.axis("seed");
    for (size_t i = 0; i < seed_nodes.size(); ++i) {
      const toml::node& node = *seed_nodes[i];
      const std::string element = "grid.seed[" + std::to_string(i) + "]";
      const auto* value = node.as_integer();
      if (!value) t.fail(t.locate(node), element, "expected an integer seed, got " + toml_type_name(node));
      if (value->get() < 0) t.fail(t.locate(node), element, "seeds must be >= 0");
      seed_seen.add(value->get(), std::to_string(value->get()), t.locate(node), "grid.seed");
      grid.seeds.push_back(value->get());
    }
  }

  if (auto hparams = t.table("hparams")) read_hparams(*hparams, grid);
  return grid;
}

/// The product of axis lengths, before anything is expanded.
double grid_job_count(const GridSpec& grid) {
  double total = 0;
  for (const auto& name : grid.methods) {
    double n = double(grid.modalities.size()) * grid.forget_fractions.size() * grid.seeds.size();
    for (const auto& decl : method_hparams(*method_find(name))) {
      const auto own = grid.method_axes.find(name);
      if (own != grid.method_axes.end() && own->second.count(decl.name)) {
        n *= own->second.at(decl.name).values.size();
      } else if (grid.shared_axes.count(decl.name)) {
        n *= grid.shared_axes.at(decl.name).values.size();
      }
    }
    total += n;
  }
  return total;
}

/// Every model method of the grid must unlearn the kind of model [model] is; the face
/// kind takes images only, and none of the VLM's settings or attacks.
void check_model_kind(const TomlTable& root, const SweepSpec& spec) {
  const ModelKind kind = spec.model_kind();
  const auto grid_table = root.table("grid");
  const auto method_nodes = grid_table->axis("method");
  const std::string model =
      spec.model->preset.empty() ? "the model folder " + spec.model->path : "preset \"" + spec.model->preset + "\"";
  for (size_t i = 0; i < spec.grid.methods.size(); ++i) {
    const MethodInfo& method = *method_find(spec.grid.methods[i]);
    if (!method.needs.model || method.kind == kind) continue;
    root.fail(grid_table->locate(*method_nodes[i]), "grid.method[" + std::to_string(i) + "]",
              "'" + method.name + "' unlearns " + model_kind_name(method.kind) + ", and [model] is " + model + " (" +
                  model_kind_name(kind) + ")",
              "methods for " + std::string(model_kind_name(kind)) + ": " + method_names_joined(kind));
  }
  if (kind != ModelKind::faces) {
    for (const char* key : {"target_loss", "patience"})
      if (root.table("finetune") && root.table("finetune")->has(key))
        root.fail(root.table("finetune")->locate_key(key), std::string("finetune.") + key,
                  std::string("only for preset = \"") + kFacePreset + "\"",
                  "the VLM's stages train for `epochs`; the stopping rule is the face stages'");
    return;
  }
  if (spec.data->is_mllmu())
    root.fail(root.table("data")->locate_key("benchmark"), "data.benchmark",
              std::string("\"mllmu\" with preset \"") + kFacePreset + "\"",
              "the visual benchmark is CLEAR's: its faces and persons (benchmark = \"clear\")");
  for (size_t i = 0; i < spec.grid.modalities.size(); ++i)
    if (spec.grid.modalities[i] != Modality::visual)
      root.fail(grid_table->locate(*grid_table->axis("modality")[i]), "grid.modality[" + std::to_string(i) + "]",
                std::string("\"") + modality_name(spec.grid.modalities[i]) + "\" with preset \"" + kFacePreset + "\"",
                "the face benchmark recognises faces in images: modality = [\"visual\"]");
  if (spec.finetune.lora_rank > 0 || !spec.finetune.base_adapter.empty())
    root.fail(root.table("finetune")->locate_key(spec.finetune.lora_rank > 0 ? "lora_rank" : "base_adapter"),
              spec.finetune.lora_rank > 0 ? "finetune.lora_rank" : "finetune.base_adapter",
              std::string("set with preset \"") + kFacePreset + "\"",
              "the ResNet trains every weight with SGD; LoRA is the VLM's");
  if (!spec.eval.attacks.names.empty())
    root.fail(root.table("eval")->locate_key("attacks"), "eval.attacks",
              std::string("relearn and quantization attacks are the VLM's; [model] is \"") + kFacePreset + "\"",
              "the face benchmark's attacks are U-MIA and U-LIRA: set the methods' shadow_models");
}

/// A text-only language model's preset reads no image: its jobs unlearn and are scored
/// on the text modality, and MLLMU-Bench (which asks with images whatever the modality)
/// is not for it. A model folder's family is known when it loads: the runner checks then.
/// TOFU has no image, whatever the model.
void check_text_only_model(const TomlTable& root, const SweepSpec& spec) {
  const bool text_preset = text_only_preset(spec.model->preset);
  if (spec.data->is_tofu() || text_preset) {
    // Why only text: the data has no image (TOFU first), or the model reads none.
    const std::string with =
        spec.data->is_tofu() ? "benchmark \"tofu\"" : "the text-only preset \"" + spec.model->preset + "\"";
    const char* hint = spec.data->is_tofu() ? "TOFU's authors have no image: modality = [\"text\"]"
                                            : "a language model sees no image: modality = [\"text\"]";
    const auto grid_table = root.table("grid");
    for (size_t i = 0; i < spec.grid.modalities.size(); ++i)
      if (spec.grid.modalities[i] != Modality::text)
        root.fail(grid_table->locate(*grid_table->axis("modality")[i]), "grid.modality[" + std::to_string(i) + "]",
                  std::string("\"") + modality_name(spec.grid.modalities[i]) + "\" with " + with, hint);
  }
  if (text_preset && spec.data->is_mllmu())
    root.fail(root.table("data")->locate_key("benchmark"), "data.benchmark",
              "\"mllmu\" with the text-only preset \"" + spec.model->preset + "\"",
              "MLLMU-Bench asks its questions with images; a text-only model runs benchmark = \"clear\" or \"tofu\"");
}

void check_cross_sections(const TomlTable& root, SweepSpec& spec) {
  if (spec.needs_model()) {
    std::vector<std::string> model_methods;
    for (const auto& name : spec.grid.methods)
      if (method_find(name)->needs.model) model_methods.push_back(name);
    const std::string why = "method " + join(model_methods) + " needs a model trained on a dataset";
    if (!spec.data)
      root.fail({spec.file}, "data", "missing [data] section",
                why + "; e.g. [data] source = \"synthetic\", persons = 40");
    if (!spec.model)
      root.fail({spec.file}, "model", "missing [model] section", why + "; e.g. [model] preset = \"tiny\"");
    check_model_kind(root, spec);
    check_text_only_model(root, spec);
    // The big preset has the real shape but random weights: fine for plan and benchmarks,
    // noise as the start of an unlearning study on real data.
    if (spec.model->preset == "llava-1.5-7b" && spec.data->source == DataSource::clear)
      spec.warnings.push_back(spec.file +
                              ": model.preset: \"llava-1.5-7b\" is randomly initialised; finetuning it "
                              "on real CLEAR data trains a 7B model from noise, and its unlearning numbers mean "
                              "nothing. Use [model] path = a llava-hf/llava-1.5-7b-hf folder (README: \"Running on "
                              "a Slurm cluster\")");
    else if (spec.data->source == DataSource::clear && published_shape_preset(spec.model->preset))
      spec.warnings.push_back(spec.file + ": model.preset: \"" + spec.model->preset +
                              "\" has the published model's shape and random weights; finetuning it on real data "
                              "trains it from noise, and its unlearning numbers mean nothing. Use [model] path = "
                              "the model's folder from the hub");
    // Every forget split must forget someone and keep someone.
    const auto grid_table = root.table("grid");
    const auto fraction_nodes = grid_table->axis("forget_fraction");
    for (size_t i = 0; i < spec.grid.forget_fractions.size(); ++i) {
      const double fraction = spec.grid.forget_fractions[i];
      const int64_t forgotten = spec.forget_persons(fraction);
      const int64_t persons = spec.persons();
      if (forgotten < 1 || forgotten >= persons)
        root.fail(grid_table->locate(*fraction_nodes[i]), "grid.forget_fraction[" + std::to_string(i) + "]",
                  format_number(fraction) + " % of " + std::to_string(persons) + " persons selects " +
                      std::to_string(forgotten) + " persons to forget",
                  forgotten < 1 ? "raise data.persons to at least " +
                                      std::to_string(int64_t(std::ceil(50.0 / fraction))) + " or the fraction"
                                : "leave at least one person in the retain split");
    }
  }
  if (!spec.eval.attacks.names.empty()) {
    const auto eval_table = root.table("eval");
    if (!spec.needs_model())
      root.fail(eval_table->locate_key("attacks"), "eval.attacks", "no method of the grid trains a model",
                "attacks act on unlearned models; remove them from a noop sweep");
    // The attacks are scored by CLEAR's forget metrics.
    if (spec.data && spec.data->benchmark == "mllmu")
      root.fail(eval_table->locate_key("attacks"), "eval.attacks",
                "attacks are scored on CLEAR's forget metrics, and data.benchmark is \"mllmu\"",
                "run attacks on a CLEAR dataset; MLLMU-Bench's forget scores after an attack are not measured yet");
  }
  const double jobs = grid_job_count(spec.grid);
  if (jobs > kMaxJobs)
    root.fail(root.locate_key("grid"), "grid",
              "the grid expands to " + format_number(jobs) + " jobs, over the limit of " + format_number(kMaxJobs),
              "split it into several sweep files, or shorten an axis");
}

}  // namespace

SweepSpec sweep_parse(std::string_view text, const std::string& file) {
  SweepSpec spec;
  spec.file = file;
  spec.text = std::string(text);

  toml::table document;
  try {
    document = toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    const auto& begin = e.source().begin;
    throw Error({file, begin.line, begin.column}, "", "TOML syntax: " + std::string(e.description()),
                "see https://toml.io for the syntax");
  }

  const TomlTable root(document, "", file);
  root.expect_keys({"name", "data", "model", "finetune", "eval", "grid", "search", "resources"});
  read_name(root, spec);
  if (auto t = root.table("data")) spec.data = read_data(*t);
  if (auto t = root.table("model")) spec.model = read_model(*t);
  if (auto t = root.table("finetune")) spec.finetune = read_finetune(*t);
  if (auto t = root.table("eval")) spec.eval = read_eval(*t);
  if (auto t = root.table("resources")) spec.resources = read_resources(*t);
  const auto grid = root.table("grid");
  if (!grid)
    root.fail({file}, "grid", "missing [grid] section",
              "a sweep needs at least grid.method, grid.modality and grid.forget_fraction");
  spec.grid = read_grid(*grid);
  if (auto t = root.table("search")) spec.search = read_search(*t, spec.grid);
  check_cross_sections(root, spec);
  return spec;
}

SweepSpec sweep_load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int saved = errno;
    throw Error({path}, "", std::string("cannot open sweep file: ") + std::strerror(saved),
                "check the path; shipped sweeps are in sweeps/");
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) throw Error({path}, "", "cannot read sweep file");
  return sweep_parse(buffer.str(), path);
}

}  // namespace clear_sweep
