#include "sweep/method_catalog.h"

#include <algorithm>

namespace clear_sweep {
namespace {

constexpr double kInf = 1e308;

HParamDecl real(std::string name, double def, HParamRange range, std::string doc) {
  return {std::move(name), HParamType::real, def, range, std::move(doc)};
}

HParamDecl integer(std::string name, int64_t def, HParamRange range, std::string doc) {
  return {std::move(name), HParamType::integer, def, range, std::move(doc)};
}

std::vector<HParamDecl> sorted(std::vector<HParamDecl> decls) {
  std::sort(decls.begin(), decls.end(), [](const HParamDecl& a, const HParamDecl& b) { return a.name < b.name; });
  return decls;
}

// Ranges reject what cannot be meant (a zero learning rate, a negative weight), not
// what is merely unusual: a sweep is a search, and its edges are the user's call.
std::vector<HParamDecl> make_training_hparams() {
  return sorted({
      real("lr", 1e-4, {0, 1, true, false},
           "AdamW learning rate (CLEAR uses 1e-5 on 7B models; the tiny preset wants more)"),
      integer("epochs", 5, {1, 10000}, "passes over the forget set (CLEAR: 5)"),
      integer("batch_size", 8, {1, 65536}, "forget items per step (retain items pair 1:1)"),
      integer("grad_accum", 1, {1, 65536}, "micro-batches accumulated per optimiser step"),
      real("warmup_epochs", 1.0, {0, kInf}, "linear learning-rate warm-up (CLEAR: one epoch)"),
      real("max_grad_norm", 1.0, {0, kInf, true, false}, "gradient clipping threshold"),
      real("weight_decay", 0.01, {0, kInf}, "AdamW decoupled weight decay"),
      real("l1_lambda", 0.0, {0, kInf},
           "weight of the L1 norm of the LoRA weights; CLEAR's finding: it keeps "
           "GA/GD/KL/RMU from collapsing the retain metric"),
      integer("lora_rank", 8, {1, 65536}, "LoRA rank r (CLEAR: 8)"),
      real("lora_alpha", 32.0, {0, kInf, true, false}, "LoRA scale alpha; scale = alpha / r (CLEAR: 32)"),
      real("lora_dropout", 0.0, {0, 1, false, true}, "dropout on the LoRA input"),
  });
}

// The face kind's methods (CLEAR's cv/unlearning scripts, faces/face_methods.h). They
// train the whole ResNet with SGD, not LoRA, so they share none of training_hparams();
// each declares its own optimiser settings with CLEAR's defaults for that script.
std::vector<HParamDecl> face_hparams(double lr, int64_t epochs, int64_t balance, std::vector<HParamDecl> own = {}) {
  own.push_back(real("lr", lr, {0, 10, true, false}, "SGD learning rate (CLEAR's default for this method)"));
  own.push_back(integer("epochs", epochs, {1, 10000}, "passes over the training images"));
  own.push_back(integer("batch_size", 64, {1, 65536}, "images per step (CLEAR: 256 on 3,700 images)"));
  own.push_back(real("weight_decay", 5e-5, {0, kInf}, "SGD weight decay (CLEAR: 5e-5)"));
  own.push_back(real("momentum", 0.9, {0, 1, false, true}, "SGD momentum (CLEAR: 0.9)"));
  own.push_back(integer("balance", balance, {1, 1000}, "forget images repeated this often per epoch"));
  own.push_back(integer(kShadowModelsHParam, 0, {0, 4096},
                        "U-MIA and U-LIRA: N target and N shadow models per side, 4N in all, each trained on a "
                        "random split (cached stages) and unlearned by this method; 0: no attack (CLEAR: 32)"));
  return own;
}

void add_face_methods(std::vector<MethodInfo>& m) {
  MethodNeeds retain;
  retain.retain = true;
  MethodNeeds teacher = retain;
  teacher.teacher = true;
  auto add = [&](std::string name, std::string summary, MethodNeeds needs, std::vector<HParamDecl> hparams,
                 double passes) {
    m.push_back({std::move(name), std::move(summary), needs, false, std::move(hparams), passes, ModelKind::faces});
  };
  add("finetune", "AM-Softmax on the retain images", retain, face_hparams(0.01, 5, 1), 1.0);
  add("retrain",
      "a fresh ResNet trained on the retain images only, as the gold stage trains (warm-up, cosine, [finetune]'s "
      "target_loss and patience)",
      retain, face_hparams(0.05, 10, 1), 1.0);
  add("neggrad", "each epoch: -AM-Softmax steps on forget, then AM-Softmax steps on retain", retain,
      face_hparams(0.1, 2, 1), 1.0);
  add("scrub_bio", "cosine-embedding loss against the original's embeddings: cosine <= 0 on forget, 1 on retain",
      teacher, face_hparams(0.2, 4, 5), 1.0 + 1.0 / 3);
  add("twins", "MSE of the forget embedding to the original's embedding of the flipped image", teacher,
      face_hparams(0.4, 5, 10), 1.0 + 1.0 / 3);
  add("sparsity", "AM-Softmax on retain + l1_weight |theta|_1", retain,
      face_hparams(0.01, 4, 1, {real("l1_weight", 1e-4, {0, kInf}, "weight of the L1 norm (CLEAR: 1e-4)")}), 1.0);
  add("face_dpo",
      "-(1/beta) log sigmoid(beta log(p/p0)[retain label] - beta log(p/p0)[forget label]) on the head's raw logits",
      teacher, face_hparams(0.01, 4, 10, {real("beta", 1.0, {0, 100, true, false}, "inverse temperature (CLEAR: 1)")}),
      2.0 + 2.0 / 3);
  add("face_llmu",
      "forget_weight -AM(f) + random_weight AM(f, random retain labels) + retain_weight KL(original || theta) on r",
      teacher,
      face_hparams(0.01, 5, 10,
                   {real("forget_weight", 0.02, {0, kInf}, "CLEAR's cv llmu: 0.02"),
                    real("random_weight", 0.01, {0, kInf}, "CLEAR's cv llmu: 0.01"),
                    real("retain_weight", 1.0, {0, kInf}, "CLEAR's cv llmu: 1")}),
      3.0 + 1.0 / 3);
  add("face_rmu", "MSE to steering U(-1,1)^D on forget, to the original's embedding on retain", teacher,
      face_hparams(0.2, 3, 10,
                   {real("steering", 2.0, {0, kInf, true, false}, "scale of the random targets (CLEAR's C: 2)")}),
      1.0 + 1.0 / 3);
}

std::vector<MethodInfo> make_catalog() {
  const HParamRange positive{0, kInf, true, false};
  MethodNeeds forget_only;  // model only
  MethodNeeds with_retain;
  with_retain.retain = true;
  MethodNeeds retain_teacher = with_retain;
  retain_teacher.teacher = true;
  MethodNeeds retain_refusals = with_retain;
  retain_refusals.refusals = true;

  std::vector<MethodInfo> m;
  m.push_back({"retain_ft", "CE(r): finetune on the retain set only", with_retain, true, {}, 1.0});
  m.push_back({"ga", "-CE(f): gradient ascent on the forget set", forget_only, true, {}, 1.0});
  m.push_back({"gd",
               "CE(r) - forget_weight * CE(f): gradient difference",
               with_retain,
               true,
               {real("forget_weight", 1.0, positive, "weight of the ascent term (beta of CE(r) - beta CE(f))"),
                integer("sequential", 0, {0, 1},
                        "1: each epoch is a pass of forget ascent steps, then a pass of retain descent steps "
                        "(MLLMU-Bench's GA_Difference); 0: one joint loss per step"),
                integer("forget_term", kForgetCe, {0, 2},
                        "what is ascended on f (CLEAR's grad_diff variants): 0 CE, 1 the answers' entropy, "
                        "2 KL(teacher || theta)"),
                integer("retain_term", kRetainCe, {0, 1}, "what is descended on r: 0 CE, 1 KL(teacher || theta)")},
               2.0});
  m.push_back({"kl", "-CE(f) + KL(teacher || theta) on r", retain_teacher, true, {}, 2.0 + 1.0 / 3});
  m.push_back({"idk", "CE(f with refusal answers) + CE(r)", retain_refusals, true, {}, 2.0});
  {
    MethodNeeds needs = retain_refusals;
    needs.teacher = true;
    m.push_back({"dpo",
                 "-(2/beta) log sigmoid(beta [(log p(idk|f) - log p0(idk|f)) - (log p(a|f) - "
                 "log p0(a|f))]) + CE(r)",
                 needs,
                 true,
                 {real("beta", 0.1, {0, 100, true, false}, "inverse temperature (DPO paper: 0.1)")},
                 3.0 + 2.0 / 3});
  }
  m.push_back({"npo",
               "-(2/beta) log sigmoid(-beta (log p(a|f) - log p0(a|f))) + CE(r)",
               retain_teacher,
               true,
               {real("beta", 0.1, {0, 100, true, false}, "inverse temperature (NPO paper: 0.1..0.5)"),
                integer("gold_reference", 0, {0, 1},
                        "1: p0 is the gold model's (finetuned without the forget set), MLLMU-Bench's oracle; "
                        "0: the model's before unlearning (NPO paper, CLEAR)")},
               2.0 + 1.0 / 3});
  {
    MethodNeeds needs = retain_teacher;
    needs.hidden_states = true;
    m.push_back({"rmu",
                 "mean ||h_l(f) - c||^2 + alpha ||h_l(r) - h_l^teacher(r)||^2",
                 needs,
                 true,
                 {integer("layer", 7, {0, 4096},
                          "decoder layer whose hidden states are steered (CLEAR: 7; checked "
                          "against the model's depth when the job starts)"),
                  real("steering", 300.0, positive, "norm of the random control vector c (CLEAR: 300)"),
                  real("alpha", 1200.0, {0, kInf}, "weight of the retain term (WMDP's RMU: 1200)")},
                 2.0 + 1.0 / 3});
  }
  m.push_back({"scrub",
               "max steps raise KL(theta || teacher) on f; min steps lower alpha KL(theta || "
               "teacher) + gamma CE on r",
               retain_teacher,
               true,
               {integer("max_epochs", 1, {0, 10000},
                        "epochs that run a pass of max steps before their min steps; later "
                        "epochs run min steps only (SCRUB's msteps)"),
                real("alpha", 1.0, {0, kInf}, "weight of the retain KL in min steps"),
                real("gamma", 1.0, {0, kInf}, "weight of the retain CE in min steps")},
               2.0 + 2.0 / 3});
  {
    MethodNeeds needs = retain_refusals;
    needs.teacher = true;
    m.push_back({"llmu",
                 "-forget_weight CE(f) + random_weight CE(f with random answers) + "
                 "retain_weight KL(theta || teacher) on r",
                 needs,
                 true,
                 {real("forget_weight", 0.5, {0, kInf}, "epsilon_1 of Yao et al. (0.5)"),
                  real("random_weight", 1.0, {0, kInf}, "epsilon_2 of Yao et al. (1)"),
                  real("retain_weight", 1.0, {0, kInf}, "epsilon_3 of Yao et al. (1)")},
                 3.0 + 1.0 / 3});
  }
  // open-unlearning's methods beyond CLEAR's (unlearn/reweighted_methods.cpp).
  m.push_back({"simnpo",
               "-(2/beta) log sigmoid(beta mean_t NLL(a|f) - gamma) + CE(r): NPO without a reference, "
               "length-normalised",
               with_retain,
               true,
               {real("beta", 2.5, {0, 100, true, false}, "inverse temperature (SimNPO on TOFU: 2.5)"),
                real("gamma", 0.0, {0, 100}, "reward margin (SimNPO: 0 on TOFU)")},
               2.0});
  m.push_back({"undial",
               "CE(softmax(teacher logits - beta onehot(a)), theta) on f + CE(r): self-distillation with the "
               "true token lowered",
               retain_teacher,
               true,
               {real("beta", 10.0, {0, 1000, true, false}, "how far the true token's logit is lowered (UNDIAL: 10)")},
               2.0 + 1.0 / 3});
  m.push_back({"ceu",
               "CE(softmax(theta logits without a), theta) on f: cross entropy unlearning, forget set only",
               forget_only,
               true,
               {integer("skip_first", 1, {0, 1000}, "answer tokens at the start left out (CE-U: 1)")},
               1.0});
  m.push_back({"wga",
               "-mean_t(p_t^beta NLL_t) on f + CE(r): gradient ascent weighted by each token's probability",
               with_retain,
               true,
               {real("beta", 1.0, {0, 100}, "weight exponent (WGA: 1)")},
               2.0});
  m.push_back({"satimp",
               "-mean_t(p_t^beta1 (1 - p_t)^beta2 NLL_t) on f + retain_weight CE(r): saturation and importance "
               "reweighting",
               with_retain,
               true,
               {real("beta1", 5.0, {0, 100}, "saturation exponent (SatImp: 5)"),
                real("beta2", 1.0, {0, 100}, "importance exponent (SatImp: 1)"),
                real("retain_weight", 0.1, {0, kInf}, "weight of CE(r) (SatImp: 0.1)")},
               2.0});
  m.push_back({"pdu",
               "mean_t(max logit - mean logit)^2 on f + lambda (CE(r) - eps), lambda <- max(0, lambda + "
               "dual_step (CE(r) - eps)) after each step: primal-dual unlearning",
               with_retain,
               true,
               {real("retain_weight", 1.0, {0, kInf}, "lambda's start"),
                real("retain_eps", 0.1, {0, kInf}, "the bound on CE(r) the dual step enforces"),
                real("dual_step", 0.1, {0, kInf}, "the dual variable's step size")},
               2.0});
  {
    MethodNeeds none;
    none.model = false;
    m.push_back({"noop",
                 "no model: sleeps, then returns deterministic pseudo-metrics and a synthetic learning "
                 "curve (tests and benchmarks of the cluster layer and the search)",
                 none,
                 false,
                 {real("seconds", 0.0, {0, 86400}, "how long each epoch sleeps"),
                  real("fail_rate", 0.0, {0, 1}, "probability (seeded by the job id) that it throws"),
                  real("hang_rate", 0.0, {0, 1},
                       "probability (seeded by the job id) that it hangs, never to return (tests of the time limit)"),
                  integer("epochs", 1, {1, 10000}, "epochs: the resource of a search's successive halving"),
                  real("x", 0.5, {0, 1},
                       "a learning-rate-like input of the synthetic learning curve reported as model_utility "
                       "(its optimum: x = 0.01)"),
                  real("y", 0.5, {0, 1}, "the curve's second input (its optimum: y = 0.7)")},
                 1.0});
  }
  add_face_methods(m);
  for (auto& method : m) method.own_hparams = sorted(std::move(method.own_hparams));
  return m;
}

}  // namespace

const char* model_kind_name(ModelKind kind) { return kind == ModelKind::faces ? kFacePreset : "the VLM"; }

const std::vector<MethodInfo>& method_catalog() {
  static const std::vector<MethodInfo> catalog = make_catalog();
  return catalog;
}

const std::vector<HParamDecl>& training_hparams() {
  static const std::vector<HParamDecl> decls = make_training_hparams();
  return decls;
}

const MethodInfo* method_find(std::string_view name) {
  for (const auto& method : method_catalog())
    if (method.name == name) return &method;
  return nullptr;
}

std::string method_names_joined() {
  std::string out;
  for (const auto& method : method_catalog()) {
    if (!out.empty()) out += ", ";
    out += method.name;
  }
  return out;
}

std::string method_names_joined(ModelKind kind) {
  std::string out;
  for (const auto& method : method_catalog()) {
    if (!method.needs.model || method.kind != kind) continue;
    if (!out.empty()) out += ", ";
    out += method.name;
  }
  return out;
}

std::vector<HParamDecl> method_hparams(const MethodInfo& method) {
  std::vector<HParamDecl> all = method.own_hparams;
  if (method.trains) all.insert(all.end(), training_hparams().begin(), training_hparams().end());
  return sorted(std::move(all));
}

const HParamDecl* method_hparam(const MethodInfo& method, std::string_view name) {
  for (const auto& decl : method.own_hparams)
    if (decl.name == name) return &decl;
  if (method.trains)
    for (const auto& decl : training_hparams())
      if (decl.name == name) return &decl;
  return nullptr;
}

}  // namespace clear_sweep
