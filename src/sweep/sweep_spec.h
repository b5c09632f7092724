// A sweep file (README: "Sweep files"), parsed and validated. A SweepSpec that exists is
// valid: every check that can be made without the model happens in sweep_parse, so a
// bad sweep fails at `plan` time, never hours into a run.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "sweep/hparam.h"
#include "sweep/method_catalog.h"
#include "sweep/modality.h"
#include "sweep/search_spec.h"

namespace clear_sweep {

enum class DataSource { synthetic, clear };

/// [data]: the dataset. Synthetic worlds are sized here; real CLEAR is fixed at 200 persons.
struct DataSpec {
  DataSource source = DataSource::synthetic;
  std::string path;               ///< dataset folder; required for source = "clear"
  int64_t persons = 40;           ///< fictitious persons in the world
  int64_t images_per_person = 8;  ///< synthetic only
  int64_t seed = 7;               ///< synthetic only: one seed, one world, bit for bit
  /// "clear", "mllmu" (MLLMU-Bench, arXiv 2410.22108) or "tofu" (TOFU, arXiv
  /// 2401.06121, text only): which benchmark's questions, splits and metrics. A folder's
  /// manifest must say the same.
  std::string benchmark = "clear";
  /// Synthetic MLLMU: profiles of the celebrity set; synthetic TOFU: famous authors of
  /// real_authors.
  int64_t celebrities = 8;

  bool is_mllmu() const { return benchmark == "mllmu"; }
  bool is_tofu() const { return benchmark == "tofu"; }
};

/// MLLMU-Bench's size: 500 fictitious profiles (plus 153 celebrities).
inline constexpr int64_t kMllmuProfiles = 500;

/// CLEAR's size: 200 persons (TOFU's authors), ~3,770 images.
inline constexpr int64_t kClearPersons = 200;
inline constexpr double kClearImagesPerPerson = 3770.0 / 200.0;

/// [model]: a preset name or a folder with config + safetensors weights (exactly one).
struct ModelSpec {
  std::string preset;
  std::string path;
  /// preset "resnet18-faces" only: the ResNet's first-stage width (torchvision: 64) and
  /// the square input its images are resized to (CLEAR: 224).
  int64_t width = 64;
  int64_t image_size = 224;
  /// path only: "chat" prompts through the folder's chat template (model/chat_prompt.h),
  /// with `system_prompt` as the system turn and `date_string` handed to the template
  /// (Llama-3's); "plain": the plain "Question: ...\nAnswer:" template; "llava-1.5":
  /// LLaVA-1.5's (an Idefics2 folder, as MLLMU-Bench's evaluation asks it); "": the
  /// folder's own (plain for a text model from the hub).
  std::string prompt;
  std::string system_prompt;
  std::string date_string;
  /// Which linear layers LoRA adapts (unlearning, and a LoRA finetune): "decoder", the
  /// decoder's (CLEAR's); "all", every one but the LM head: the vision encoder's and the
  /// projector's too (MMUnlearner's and MLLMU-Bench's vision-side baselines).
  std::string lora_targets = "decoder";
};

/// Model presets the model layer provides (src/model/ must keep this list true).
const std::vector<std::string>& model_presets();
/// A preset of a text-only language model (llama, mistral, qwen2): it sees no image.
bool text_only_preset(const std::string& preset);
/// A preset with a published model's shape and random weights (llama-2-7b, qwen2-vl-2b
/// ...; llava-1.5-7b has its own warning), as opposed to one trained from scratch.
bool published_shape_preset(const std::string& preset);

/// [finetune]: how the base model (full set) and the gold models (retain splits) train.
struct FinetuneSpec {
  int64_t epochs = 30;
  double lr = 3e-3;
  int64_t batch_size = 16;
  int64_t lora_rank = 0;  ///< 0 trains every weight (a from-scratch preset); CLEAR: 8 on 7B
  double lora_alpha = 0;  ///< 0: 2 x lora_rank; CLEAR: 32
  /// A PEFT LoRA folder that is the base model's finetune (CLEAR publishes its base as
  /// llava-1.5 + a LoRA): folded into [model], instead of training the base stage.
  std::string base_adapter;
  /// Face stages only (preset resnet18-faces): each stops once its loss on its training
  /// images is below target_loss, or has not improved by 5 % for `patience` epochs,
  /// `epochs` being the most. Unset: the face defaults below.
  std::optional<double> target_loss;
  std::optional<int64_t> patience;
};
/// The face stages' stopping rule when [finetune] leaves it out: every base, gold,
/// target and shadow ResNet trained to the same loss, so U-MIA and U-LIRA do not tell
/// models apart by how far their training went.
inline constexpr double kFaceTargetLoss = 0.3;
inline constexpr int64_t kFacePatience = 8;

enum class TruthRatioForm { per_item, pooled };

/// [eval]: how every job is scored (eval/clear_metrics.h).
/// [eval] attacks: what an adversary does to an unlearned model before its forget set is
/// scored again (unlearn/robustness_attacks.h). Each is optional.
struct AttackSpec {
  std::vector<std::string> names;  ///< of attack_names(), in the file's order; empty: none
  int64_t relearn_steps = 10;      ///< AdamW steps of finetuning on the relearned part
  double relearn_lr = 1e-4;
  double relearn_fraction = 0.25;  ///< share of the forget evaluation set relearned on
  int64_t relearn_batch_size = 4;
  /// "split": relearn on a relearn_fraction share of the forget items, score the rest;
  /// "paraphrases": relearn on every forget item's paraphrased answer, score the
  /// original answers (Hu et al.'s related-data setting).
  std::string relearn_on = "split";
  int64_t quant4_group_size = 128;  ///< input columns sharing one 4-bit scale and zero point
  bool has(const std::string& name) const;
};

/// The attacks [eval] attacks may name: relearn, quant8, quant4.
const std::vector<std::string>& attack_names();

struct EvalSpec {
  int64_t max_items = 300;      ///< items per evaluation set (CLEAR caps at 300)
  int64_t max_new_tokens = 32;  ///< greedy generation length
  /// TOFU's per-item truth ratio by default; "pooled" is CLEAR's code (perturbed mean over the set).
  TruthRatioForm truth_ratio = TruthRatioForm::per_item;
  AttackSpec attacks;
  /// The face kind: gallery images per identity of the nearest-centroid accuracy (CLEAR: 5).
  int64_t enrolled = 5;
};

/// [resources]: where jobs run. Not part of any id: the same experiment on another device
/// is the same experiment.
struct ResourceSpec {
  std::string device = "auto";   ///< auto | cpu | cuda
  int64_t threads_per_rank = 0;  ///< 0: cores on the node / ranks on the node
  /// Recompute each decoder layer in the backward pass instead of keeping its
  /// activations: less memory for long image+text sequences, one more forward per step.
  /// The same numbers either way, so, like the device, not part of any id.
  bool activation_checkpointing = false;
  /// "all": each job's LoRA adapters as a PEFT folder, <artifacts>/adapters/<job id>
  /// (`report --adapters-out` picks each method's best from there); "none": kept nowhere.
  std::string save_adapters = "none";
};

/// One hyperparameter axis as written, with where it was written (for error messages).
struct Axis {
  std::vector<HParamValue> values;
  SourceLocation where;
};

/// [grid]: the Cartesian product to run.
struct GridSpec {
  std::vector<std::string> methods;
  std::vector<Modality> modalities;
  std::vector<double> forget_fractions;  ///< percent of persons, each in (0, 100)
  std::vector<int64_t> seeds = {0};
  /// [grid.hparams]: applies to every listed method that declares the hyperparameter.
  std::map<std::string, Axis> shared_axes;
  /// [grid.hparams.METHOD]: that method only; replaces a shared axis of the same name.
  std::map<std::string, std::map<std::string, Axis>> method_axes;
};

struct SweepSpec {
  std::string name;
  std::string file;                ///< where it was read from, as given
  std::string text;                ///< the TOML text, verbatim (stored with the results)
  std::optional<DataSpec> data;    ///< required when a method needs a model
  std::optional<ModelSpec> model;  ///< required when a method needs a model
  FinetuneSpec finetune;
  EvalSpec eval;
  GridSpec grid;
  /// [search]: when set, the grid's cells are searched, each with `trials` sampled trials.
  std::optional<SearchSpec> search;
  ResourceSpec resources;
  /// Settings that parse but are likely a mistake, one line each ("FILE: KEY: why");
  /// plan, finetune and run print them to stderr.
  std::vector<std::string> warnings;

  /// True when some method in the grid needs a model (so: data, model, finetune stages).
  bool needs_model() const;
  /// faces for [model] preset = "resnet18-faces", else vlm (also when there is no model).
  ModelKind model_kind() const;
  /// The largest shadow_models of the grid's face methods (0: no U-MIA / U-LIRA).
  int64_t max_shadow_models() const;

  /// Canonical text of what defines trained artifacts: [data], [model], [finetune]
  /// with defaults filled. Stage ids hash it.
  std::string training_context() const;
  /// training_context() plus [eval]: what, besides its own fields, defines a job's result.
  std::string job_context() const;
  /// short_hash(job_context()): two result files may share rows only when it matches.
  std::string context_hash() const;

  /// Persons forgotten at `forget_fraction` percent: round(persons * fraction / 100).
  int64_t forget_persons(double forget_fraction) const;
  int64_t persons() const;
  double images_per_person() const;
};

/// Parses and validates a sweep from its TOML text; `file` names it in errors.
/// Throws clear_sweep::Error naming file, line, column and key.
SweepSpec sweep_parse(std::string_view text, const std::string& file);

/// Reads `path` and parses it. A missing or unreadable file is an Error too.
SweepSpec sweep_load(const std::string& path);

const char* data_source_name(DataSource source);
const char* truth_ratio_name(TruthRatioForm form);

}  // namespace clear_sweep
