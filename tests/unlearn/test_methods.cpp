// Unlearning methods: each loss equals its formula computed by hand from the model's own
// full logits (so no sign or term can silently change), NPO and DPO at theta = teacher,
// the L1 term, and what a few steps of training must do (ga raises the forget NLL,
// retain_ft lowers the retain NLL, rmu moves the forget activations toward c, scrub
// alternates, a diverging loss fails the job).
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>

#include "data/batch.h"
#include "data/bpe_tokenizer.h"
#include "data/dataset_source.h"
#include "data/splits.h"
#include "model/compute_threads.h"
#include "model/finetune.h"
#include "model/scoring.h"
#include "small_disk.h"
#include "sweep/method_catalog.h"
#include "sweep/sweep_expand.h"
#include "test_support.h"
#include "unlearn/losses.h"
#include "unlearn/rmu.h"
#include "unlearn/unlearn_method.h"
#include "unlearn/refusals.h"
#include "unlearn/training_state.h"
#include "unlearn/unlearn_loop.h"

using namespace clear_sweep;

namespace {

const char* kSweep = R"(name = "u"
[data]
persons = 6
images_per_person = 1
seed = 3
[model]
preset = "tiny"
[grid]
method = ["retain_ft", "ga", "gd", "kl", "idk", "dpo", "npo", "rmu", "scrub", "llmu",
          "simnpo", "undial", "ceu", "wga", "satimp", "pdu"]
modality = ["both"]
forget_fraction = [20]
[grid.hparams]
lr = [1e-2]
epochs = [2]
batch_size = [4]
[grid.hparams.gd]
forget_weight = [0.7]
[grid.hparams.npo]
beta = [0.3]
[grid.hparams.rmu]
layer = [1]
steering = [5.0]
alpha = [2.0]
[grid.hparams.scrub]
alpha = [0.5]
gamma = [2.0]
[grid.hparams.simnpo]
beta = [2.0]
gamma = [0.5]
[grid.hparams.undial]
beta = [3.0]
[grid.hparams.ceu]
skip_first = [1]
[grid.hparams.wga]
beta = [0.7]
[grid.hparams.satimp]
beta1 = [2.0]
beta2 = [1.5]
retain_weight = [0.3]
[grid.hparams.pdu]
retain_weight = [0.8]
retain_eps = [0.2]
dual_step = [0.5]
)";

struct Fixture {
  SweepSpec spec = sweep_parse(kSweep, "u.toml");
  std::map<std::string, Job> jobs = [this] {
    std::map<std::string, Job> out;
    for (const auto& job : sweep_expand(spec).jobs) out[job.method] = job;
    return out;
  }();
  LoadedData data = load_data(*spec.data);
  BpeTokenizer tok = BpeTokenizer::train(dataset_corpus(data.dataset), 500);
  ModelConfig config = [this] {
    ModelConfig c = model_preset("tiny", tok.vocab_size());
    c.text.hidden = 64;
    c.text.intermediate = 128;
    c.text.layers = 2;
    return c;
  }();
  Vlm model = [this] {
    torch::manual_seed(1);
    Vlm m(config);
    m->eval();
    return m;
  }();
  ImageTensors images{data.images, config.vision.image_size, torch::kCPU};
  std::vector<ItemRef> forget =
      person_items(data.dataset, forget_persons(data.dataset.splits, 20, "m"), Modality::both);
  std::vector<ItemRef> retain =
      person_items(data.dataset, retain_persons(data.dataset.splits, 20, "m"), Modality::both);

  ModelInputs inputs(const std::vector<ItemRef>& items, size_t from, size_t count, const std::string& answer = {}) {
    std::vector<Sequence> seqs;
    for (size_t i = from; i < from + count; ++i) {
      ItemText t = item_text(data.dataset, items[i]);
      if (!answer.empty()) t.answer = answer;
      seqs.push_back(item_sequence(tok, t, int(config.image_tokens())));
    }
    return to_model_inputs(collate(seqs, tok.special().pad, PadSide::right), images, torch::kCPU);
  }
  /// A batch with an image item in both halves; adapters with random (non-zero) weights.
  MethodBatch batch(bool adapters_trained = true) {
    model->attach_adapters(LoraSpec{4, 8.0, 0.0});
    if (adapters_trained) {
      torch::NoGradGuard no_grad;
      for (auto& p : model->adapter_parameters()) p.normal_(0, 0.05);
    }
    MethodBatch b;
    b.forget = inputs(forget, forget.size() - 3, 3);  // the last items are image captions
    b.retain = inputs(retain, retain.size() - 3, 3);
    b.forget_alt = inputs(forget, forget.size() - 3, 3, refusal_answers()[0]);
    return b;
  }
};

// --- The hand computations, from full logits -------------------------------------------

/// Per-token log-probs of the labels and the full distributions at labelled positions.
struct Manual {
  torch::Tensor seq_logprob;  // [B]
  double ce = 0;
  torch::Tensor dists;                           // [N, V] log-softmax at labelled positions
  std::vector<int64_t> labels, positions, rows;  // [N]: the label, its place in its answer, its row
  std::vector<double> tokens;                    // [B] answer tokens per row
};

Manual manual(Vlm& model, const ModelInputs& in, bool teacher) {
  torch::NoGradGuard no_grad;
  std::unique_ptr<AdaptersDisabled> off;
  if (teacher) off = std::make_unique<AdaptersDisabled>(model);
  const auto logits = model->forward(in);
  const auto logp = torch::log_softmax(logits, -1);
  const int64_t b = logits.size(0), t = logits.size(1);
  Manual m;
  m.seq_logprob = torch::zeros({b}, torch::kDouble);
  double total = 0, tokens = 0;
  std::vector<torch::Tensor> rows;
  m.tokens.assign(size_t(b), 0.0);
  for (int64_t r = 0; r < b; ++r)
    for (int64_t i = 1, place = 0; i < t; ++i) {
      const int64_t label = in.labels[r][i].item<int64_t>();
      if (label == kIgnoreLabel) continue;
      const double lp = logp[r][i - 1][label].item<double>();
      m.seq_logprob[r] += lp;
      total -= lp;
      tokens += 1;
      m.tokens[size_t(r)] += 1;
      m.labels.push_back(label);
      m.positions.push_back(place++);
      m.rows.push_back(r);
      rows.push_back(logp[r][i - 1]);
    }
  m.ce = total / tokens;
  m.dists = torch::stack(rows);
  return m;
}

double kl(const torch::Tensor& log_p, const torch::Tensor& log_q) {
  return (log_p.exp() * (log_p - log_q)).sum(-1).mean().item<double>();
}

double log_sigmoid(double x) { return -std::log1p(std::exp(-x)); }

double loss_of(Fixture& f, const std::string& name, const MethodBatch& b, StepKind kind = StepKind::joint) {
  auto method = make_method(f.jobs.at(name), f.config);
  return method->loss(f.model, b, kind).item<double>();
}

}  // namespace

TEST_CASE("the registered methods are the catalog's VLM methods, both ways", "[unlearn]") {
  Fixture f;
  for (const auto& [name, job] : f.jobs) CHECK(make_method(job, f.config)->name() == name);
  std::vector<std::string> catalog;
  for (const auto& m : method_catalog())
    if (m.needs.model && m.kind == ModelKind::vlm) catalog.push_back(m.name);
  std::sort(catalog.begin(), catalog.end());
  CHECK(registered_methods() == catalog);  // sorted by name
  CHECK(catalog.size() == 16);
  CHECK(f.jobs.size() == 16);
  // An unknown name is refused naming the registered ones.
  Job unknown = f.jobs.at("ga");
  unknown.method = "gaa";
  const Error e = expect_error([&] { make_method(unknown, f.config); });
  CHECK(e.key() == "method");
  CHECK(std::string(e.what()).find("model methods: ceu, dpo, ga, gd") != std::string::npos);
  CHECK(refusal_answers().size() >= 50);
}

TEST_CASE("gradient family losses equal their formulas", "[unlearn][loss]") {
  Fixture f;
  const MethodBatch b = f.batch();
  const Manual fm = manual(f.model, b.forget, false), rm = manual(f.model, b.retain, false);
  CHECK(loss_of(f, "retain_ft", b) == Approx(rm.ce).epsilon(1e-5));
  CHECK(loss_of(f, "ga", b) == Approx(-fm.ce).epsilon(1e-5));
  CHECK(loss_of(f, "gd", b) == Approx(rm.ce - 0.7 * fm.ce).epsilon(1e-5));
  // sequential = 1 (MLLMU-Bench's GA_Difference): an ascent pass, then a descent pass.
  Job sequential = f.jobs.at("gd");
  sequential.hparams["sequential"] = int64_t(1);
  auto gd = make_method(sequential, f.config);
  CHECK((gd->epoch_steps(0) == std::vector<StepKind>{StepKind::max_forget, StepKind::min_retain}));
  CHECK((gd->epoch_steps(3) == std::vector<StepKind>{StepKind::max_forget, StepKind::min_retain}));
  CHECK(gd->loss(f.model, b, StepKind::max_forget).item<double>() == Approx(-0.7 * fm.ce).epsilon(1e-5));
  CHECK(gd->loss(f.model, b, StepKind::min_retain).item<double>() == Approx(rm.ce).epsilon(1e-5));
  CHECK((make_method(f.jobs.at("gd"), f.config)->epoch_steps(0) == std::vector<StepKind>{StepKind::joint}));
}

TEST_CASE("preference family losses equal their formulas", "[unlearn][loss]") {
  Fixture f;
  const MethodBatch b = f.batch();
  const Manual fm = manual(f.model, b.forget, false), ft = manual(f.model, b.forget, true);
  const Manual am = manual(f.model, b.forget_alt, false), at = manual(f.model, b.forget_alt, true);
  const Manual rm = manual(f.model, b.retain, false);
  CHECK(loss_of(f, "idk", b) == Approx(am.ce + rm.ce).epsilon(1e-5));
  double npo = 0, dpo = 0;
  const double npo_beta = 0.3, dpo_beta = 0.1;
  for (int r = 0; r < 3; ++r) {
    const double ratio = fm.seq_logprob[r].item<double>() - ft.seq_logprob[r].item<double>();
    const double chosen = am.seq_logprob[r].item<double>() - at.seq_logprob[r].item<double>();
    npo += -(2 / npo_beta) * log_sigmoid(-npo_beta * ratio) / 3;
    dpo += -(2 / dpo_beta) * log_sigmoid(dpo_beta * (chosen - ratio)) / 3;
  }
  CHECK(loss_of(f, "npo", b) == Approx(npo + rm.ce).epsilon(1e-4));
  CHECK(loss_of(f, "dpo", b) == Approx(dpo + rm.ce).epsilon(1e-4));
}

TEST_CASE("npo with gold_reference takes p0 from the oracle's log-probs, not the teacher", "[unlearn][loss]") {
  Fixture f;
  MethodBatch b = f.batch();
  const Manual fm = manual(f.model, b.forget, false), rm = manual(f.model, b.retain, false);
  Job job = f.jobs.at("npo");
  job.hparams["gold_reference"] = int64_t(1);
  auto npo = make_method(job, f.config);
  CHECK(npo->wants_oracle_reference());
  CHECK_FALSE(make_method(f.jobs.at("npo"), f.config)->wants_oracle_reference());
  const std::vector<float> oracle = {-7.5f, -3.25f, -11.0f};  // any log-probs
  b.forget_reference = torch::tensor(oracle);
  double expected = 0;
  for (int r = 0; r < 3; ++r)
    expected += -(2 / 0.3) * log_sigmoid(-0.3 * (fm.seq_logprob[r].item<double>() - oracle[size_t(r)])) / 3;
  CHECK(npo->loss(f.model, b, StepKind::joint).item<double>() == Approx(expected + rm.ce).epsilon(1e-4));
}

TEST_CASE("forget_logprobs gives each item's answer log-probability, batch by batch", "[unlearn]") {
  Fixture f;
  f.batch();  // random adapters: the model as it is, adapters included
  const std::vector<ItemRef> items(f.forget.end() - 5, f.forget.end());
  const std::vector<double> got = forget_logprobs(f.model, f.tok, f.data.dataset, f.images, items, 2);
  REQUIRE(got.size() == 5);
  const Manual all = manual(f.model, f.inputs(f.forget, f.forget.size() - 5, 5), false);
  for (size_t i = 0; i < 5; ++i) CHECK(got[i] == Approx(all.seq_logprob[int64_t(i)].item<double>()).epsilon(1e-4));
  f.model->detach_adapters();
}

TEST_CASE("at theta = teacher, NPO's and DPO's forget terms are (2/beta) log 2", "[unlearn][loss]") {
  Fixture f;
  const MethodBatch b = f.batch(false);  // B = 0: the adapted model is the teacher
  const double retain_ce = manual(f.model, b.retain, false).ce;
  CHECK(loss_of(f, "npo", b) - retain_ce == Approx(2 / 0.3 * std::log(2.0)).epsilon(1e-5));
  CHECK(loss_of(f, "dpo", b) - retain_ce == Approx(2 / 0.1 * std::log(2.0)).epsilon(1e-5));
}

TEST_CASE("teacher-matching losses equal their formulas", "[unlearn][loss]") {
  Fixture f;
  const MethodBatch b = f.batch();
  const Manual fm = manual(f.model, b.forget, false), ft = manual(f.model, b.forget, true);
  const Manual rm = manual(f.model, b.retain, false), rt = manual(f.model, b.retain, true);
  const Manual am = manual(f.model, b.forget_alt, false);
  CHECK(loss_of(f, "kl", b) == Approx(-fm.ce + kl(rt.dists, rm.dists)).epsilon(1e-4));
  CHECK(loss_of(f, "scrub", b, StepKind::max_forget) == Approx(-kl(fm.dists, ft.dists)).epsilon(1e-4));
  CHECK(loss_of(f, "scrub", b, StepKind::min_retain) ==
        Approx(0.5 * kl(rm.dists, rt.dists) + 2.0 * rm.ce).epsilon(1e-4));
  // llmu's forget_alt holds random answers in training; any answers check the formula.
  CHECK(loss_of(f, "llmu", b) == Approx(-0.5 * fm.ce + 1.0 * am.ce + 1.0 * kl(rm.dists, rt.dists)).epsilon(1e-4));
  CHECK(kl(rm.dists, rt.dists) > 0);  // the adapters do change the model
}

TEST_CASE("open-unlearning's methods: each loss equals its formula from full logits", "[unlearn][loss]") {
  Fixture f;
  const MethodBatch b = f.batch();
  const Manual fm = manual(f.model, b.forget, false), ft = manual(f.model, b.forget, true);
  const Manual rm = manual(f.model, b.retain, false);
  const size_t n = fm.labels.size();
  REQUIRE(n == size_t(fm.dists.size(0)));
  auto lp = [&](const Manual& m, size_t i, int64_t v) { return m.dists[int64_t(i)][v].item<double>(); };
  const int64_t vocab = fm.dists.size(1);

  // simnpo: -(2/beta) mean_rows log sigmoid(beta * (NLL / tokens) - gamma) + CE(r); beta 2, gamma 0.5.
  double simnpo = 0;
  for (int r = 0; r < 3; ++r) {
    const double mean_nll = -fm.seq_logprob[r].item<double>() / fm.tokens[size_t(r)];
    simnpo += -(2 / 2.0) * log_sigmoid(2.0 * mean_nll - 0.5) / 3;
  }
  CHECK(loss_of(f, "simnpo", b) == Approx(simnpo + rm.ce).epsilon(1e-4));

  // undial: the teacher's distribution with the true token's logit lowered by 3 is the target.
  double undial = 0;
  for (size_t i = 0; i < n; ++i) {
    std::vector<double> adjusted(static_cast<size_t>(vocab), 0.0);
    double z = 0;
    for (int64_t v = 0; v < vocab; ++v) {
      adjusted[size_t(v)] = std::exp(lp(ft, i, v) - (v == fm.labels[i] ? 3.0 : 0.0));
      z += adjusted[size_t(v)];
    }
    for (int64_t v = 0; v < vocab; ++v) undial -= adjusted[size_t(v)] / z * lp(fm, i, v) / double(n);
  }
  CHECK(loss_of(f, "undial", b) == Approx(undial + rm.ce).epsilon(1e-4));

  // ceu: the model's own distribution without the true token, first answer token skipped.
  double ceu = 0;
  int kept = 0;
  for (size_t i = 0; i < n; ++i) {
    if (fm.positions[i] < 1) continue;
    double z = 0;
    for (int64_t v = 0; v < vocab; ++v)
      if (v != fm.labels[i]) z += std::exp(lp(fm, i, v));
    for (int64_t v = 0; v < vocab; ++v)
      if (v != fm.labels[i]) ceu -= std::exp(lp(fm, i, v)) / z * lp(fm, i, v);
    ++kept;
  }
  REQUIRE(kept > 0);
  CHECK(loss_of(f, "ceu", b) == Approx(ceu / kept).epsilon(1e-4));

  // wga (beta 0.7) and satimp (2, 1.5, retain 0.3): ascent weighted by each token's p.
  double wga = 0, satimp = 0;
  for (size_t i = 0; i < n; ++i) {
    const double nll = -lp(fm, i, fm.labels[i]), p = std::exp(-nll);
    wga -= std::pow(p, 0.7) * nll / double(n);
    satimp -= std::pow(p, 2.0) * std::pow(1 - p, 1.5) * nll / double(n);
  }
  CHECK(loss_of(f, "wga", b) == Approx(wga + rm.ce).epsilon(1e-4));
  CHECK(loss_of(f, "satimp", b) == Approx(satimp + 0.3 * rm.ce).epsilon(1e-4));

  // pdu: (max logit - mean logit)^2 on f + lambda (CE(r) - eps); lambda 0.8, eps 0.2, step 0.5.
  double flat = 0;
  for (size_t i = 0; i < n; ++i) {
    double max = -1e300, mean = 0;
    for (int64_t v = 0; v < vocab; ++v) {
      max = std::max(max, lp(fm, i, v));
      mean += lp(fm, i, v) / double(vocab);
    }
    flat += (max - mean) * (max - mean) / double(n);
  }
  auto pdu = make_method(f.jobs.at("pdu"), f.config);
  CHECK(pdu->loss(f.model, b, StepKind::joint).item<double>() == Approx(flat + 0.8 * (rm.ce - 0.2)).epsilon(1e-4));
  // The dual step: lambda <- max(0, lambda + step (CE(r) - eps)), kept as the method's state.
  const double lambda = std::max(0.0, 0.8 + 0.5 * (rm.ce - 0.2));
  REQUIRE(pdu->state().size() == 1);
  CHECK(pdu->state()[0] == Approx(lambda).epsilon(1e-5));
  CHECK(pdu->loss(f.model, b, StepKind::joint).item<double>() == Approx(flat + lambda * (rm.ce - 0.2)).epsilon(1e-4));
  pdu->restore_state({0.25});
  CHECK(pdu->loss(f.model, b, StepKind::joint).item<double>() == Approx(flat + 0.25 * (rm.ce - 0.2)).epsilon(1e-4));

  // gd's variants (CLEAR's grad_diff): entropy or KL ascended on f, KL descended on r.
  double entropy = 0, forget_kl = 0;
  for (size_t i = 0; i < n; ++i)
    for (int64_t v = 0; v < vocab; ++v) {
      entropy -= std::exp(lp(fm, i, v)) * lp(fm, i, v) / double(n);
      forget_kl += std::exp(lp(ft, i, v)) * (lp(ft, i, v) - lp(fm, i, v)) / double(n);
    }
  const Manual rt = manual(f.model, b.retain, true);
  const double retain_kl = kl(rt.dists, rm.dists);
  auto gd_with = [&](int64_t forget_term, int64_t retain_term) {
    Job job = f.jobs.at("gd");
    job.hparams["forget_term"] = forget_term;
    job.hparams["retain_term"] = retain_term;
    return make_method(job, f.config)->loss(f.model, b, StepKind::joint).item<double>();
  };
  CHECK(gd_with(kForgetEntropy, kRetainCe) == Approx(rm.ce - 0.7 * entropy).epsilon(1e-4));
  CHECK(gd_with(kForgetKl, kRetainCe) == Approx(rm.ce - 0.7 * forget_kl).epsilon(1e-4));
  CHECK(gd_with(kForgetCe, kRetainKl) == Approx(retain_kl - 0.7 * fm.ce).epsilon(1e-4));
  CHECK(gd_with(kForgetKl, kRetainKl) == Approx(retain_kl - 0.7 * forget_kl).epsilon(1e-4));
}

TEST_CASE("score_answer_tokens: each answer token's log-prob, argmax and distribution moments", "[unlearn][eval]") {
  Fixture f;
  const MethodBatch b = f.batch();
  const Manual fm = manual(f.model, b.forget, false);
  torch::NoGradGuard no_grad;
  const AnswerTokenScores s = score_answer_tokens(f.model, b.forget);
  REQUIRE(s.logprob.size(0) == int64_t(fm.labels.size()));
  for (size_t i = 0; i < fm.labels.size(); ++i) {
    const torch::Tensor d = fm.dists[int64_t(i)].to(torch::kDouble);  // [V]
    CHECK(s.row[int64_t(i)].item<int64_t>() == fm.rows[i]);
    CHECK(s.logprob[int64_t(i)].item<double>() == Approx(d[fm.labels[i]].item<double>()).epsilon(1e-4));
    CHECK(s.correct[int64_t(i)].item<bool>() == (d.argmax().item<int64_t>() == fm.labels[i]));
    const double mean = (d.exp() * d).sum().item<double>();
    CHECK(s.mean_logprob[int64_t(i)].item<double>() == Approx(mean).epsilon(1e-4));
    CHECK(s.var_logprob[int64_t(i)].item<double>() ==
          Approx((d.exp() * d.square()).sum().item<double>() - mean * mean).epsilon(1e-3));
  }
  // The row sums are score_answers'.
  const AnswerScores plain = score_answers(f.model, b.forget);
  CHECK(torch::allclose(s.sums.sum_nll, plain.sum_nll, 1e-4, 1e-4));
  f.model->detach_adapters();
}

TEST_CASE("open-unlearning's methods: bad hyperparameters are refused at plan time, naming the key",
          "[unlearn][catalog]") {
  const std::string head = "name = \"h\"\n[data]\npersons = 6\n[model]\npreset = \"tiny\"\n[grid]\nmethod = [\"";
  const std::string tail = "\"]\nmodality = [\"both\"]\nforget_fraction = [20]\n";
  // The key names the axis, and the value's index where one value is out of range.
  auto error_key = [&](const std::string& method, const std::string& axis) {
    std::string key = expect_error([&] {
                        sweep_parse(head + method + tail + "[grid.hparams." + method + "]\n" + axis, "h.toml");
                      }).key();
    if (key.size() > 3 && key.compare(key.size() - 3, 3, "[0]") == 0) key.resize(key.size() - 3);
    return key;
  };
  CHECK(error_key("simnpo", "beta = [0.0]\n") == "grid.hparams.simnpo.beta");
  CHECK(error_key("simnpo", "gamma = [-1.0]\n") == "grid.hparams.simnpo.gamma");
  CHECK(error_key("undial", "beta = [-2.0]\n") == "grid.hparams.undial.beta");
  CHECK(error_key("ceu", "skip_first = [-1]\n") == "grid.hparams.ceu.skip_first");
  CHECK(error_key("ceu", "skip_first = [0.5]\n") == "grid.hparams.ceu.skip_first");
  CHECK(error_key("wga", "beta = [-0.1]\n") == "grid.hparams.wga.beta");
  CHECK(error_key("satimp", "beta2 = [-1.0]\n") == "grid.hparams.satimp.beta2");
  CHECK(error_key("satimp", "retain_weight = [-1.0]\n") == "grid.hparams.satimp.retain_weight");
  CHECK(error_key("pdu", "dual_step = [-1.0]\n") == "grid.hparams.pdu.dual_step");
  CHECK(error_key("pdu", "retain_eps = [-0.5]\n") == "grid.hparams.pdu.retain_eps");
  CHECK(error_key("gd", "forget_term = [3]\n") == "grid.hparams.gd.forget_term");
  CHECK(error_key("gd", "retain_term = [2]\n") == "grid.hparams.gd.retain_term");
  CHECK(error_key("ceu", "beta = [1.0]\n") == "grid.hparams.ceu.beta");  // not ceu's
}

TEST_CASE("training: each new method lowers the forget answers' probability on a memorised model", "[unlearn][train]") {
  set_compute_threads(1);
  Fixture f;
  // Memorise forget and retain first: unlearning is measured against what was learnt.
  std::vector<ItemRef> everything = f.forget;
  everything.insert(everything.end(), f.retain.begin(), f.retain.end());
  FinetuneOptions memorise;
  memorise.epochs = 12;
  memorise.lr = 1e-2;
  memorise.batch_size = 8;
  finetune(f.model, f.tok, f.data.dataset, f.data.images, everything, memorise, {});
  f.model->eval();
  f.model->set_base_trainable(false);
  const ModelInputs all_forget = f.inputs(f.forget, 0, f.forget.size());
  auto forget_nll = [&] {
    torch::NoGradGuard no_grad;
    return cross_entropy(f.model, all_forget).item<double>();
  };
  const double before = forget_nll();
  REQUIRE(before < 1.0);  // memorised: mean answer-token probability above e^-1
  for (const char* name : {"simnpo", "undial", "ceu", "wga", "satimp", "pdu"}) {
    INFO(name);
    Job job = f.jobs.at(name);
    job.hparams["epochs"] = int64_t(3);
    job.hparams["lr"] = 2e-2;
    if (job.method == "undial") job.hparams["beta"] = 10.0;  // its default; the fixture's 3 moves it less
    auto method = make_method(job, f.config);
    run_unlearning(f.model, *method, job, f.tok, f.data.dataset, f.images, f.forget, f.retain);
    CHECK(forget_nll() > before + 0.3);
    f.model->detach_adapters();
    CHECK(forget_nll() == Approx(before).epsilon(1e-5));
  }
}

TEST_CASE("rmu's loss is the steering distance plus the retain drift", "[unlearn][loss][rmu]") {
  Fixture f;
  const MethodBatch b = f.batch();
  auto method = make_method(f.jobs.at("rmu"), f.config);
  const auto c = rmu_control_vector(*method);
  CHECK(c.norm().item<double>() == Approx(5.0));
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> fh, rh, th;
  f.model->forward(b.forget, {nullptr, &fh});
  f.model->forward(b.retain, {nullptr, &rh});
  {
    AdaptersDisabled off(f.model);
    f.model->forward(b.retain, {nullptr, &th});
  }
  auto masked_mse = [](const torch::Tensor& a, const torch::Tensor& target, const torch::Tensor& mask) {
    const auto m = mask.unsqueeze(-1).to(torch::kFloat);
    return (((a - target).pow(2) * m).sum() / (m.sum() * a.size(-1))).item<double>();
  };
  const double expected =
      masked_mse(fh[1], c, b.forget.attention_mask) + 2.0 * masked_mse(rh[1], th[1], b.retain.attention_mask);
  CHECK(method->loss(f.model, b, StepKind::joint).item<double>() == Approx(expected).epsilon(1e-5));

  Job deep = f.jobs.at("rmu");
  deep.hparams["layer"] = int64_t(2);
  CHECK(expect_error([&] { make_method(deep, f.config); }).key() == "grid.hparams.rmu.layer");
}

TEST_CASE("the L1 term is lambda times the sum of |LoRA weights|", "[unlearn][loss]") {
  Fixture f;
  f.batch();
  const auto params = f.model->adapter_parameters();
  double manual_sum = 0;
  for (const auto& p : params) manual_sum += p.abs().sum().item<double>();
  CHECK(l1_norm(params).item<double>() == Approx(manual_sum).epsilon(1e-6));
}

TEST_CASE("scrub alternates max and min passes as configured", "[unlearn]") {
  Fixture f;
  auto scrub = make_method(f.jobs.at("scrub"), f.config);  // max_epochs 1 (default)
  CHECK((scrub->epoch_steps(0) == std::vector<StepKind>{StepKind::max_forget, StepKind::min_retain}));
  CHECK((scrub->epoch_steps(1) == std::vector<StepKind>{StepKind::min_retain}));
  CHECK((make_method(f.jobs.at("ga"), f.config)->epoch_steps(0) == std::vector<StepKind>{StepKind::joint}));
}

TEST_CASE("gradient accumulation counts every epoch's own passes and applies the last partial step",
          "[unlearn][train]") {
  set_compute_threads(1);
  Fixture f;
  Job job = f.jobs.at("scrub");  // epoch 1: max + min passes, epoch 2: min only
  job.hparams["grad_accum"] = int64_t(4);
  auto scrub = make_method(job, f.config);
  const auto report = run_unlearning(f.model, *scrub, job, f.tok, f.data.dataset, f.images, f.forget, f.retain);
  f.model->detach_adapters();
  CHECK(report.steps == 5);  // (2 + 1) passes x 6 batches = 18 micro-batches: 4 full steps + 1 partial
}

TEST_CASE("training: ga raises the forget NLL, retain_ft lowers the retain NLL, rmu steers", "[unlearn][train]") {
  set_compute_threads(1);
  Fixture f;
  const ModelInputs all_forget = f.inputs(f.forget, 0, f.forget.size());
  const ModelInputs all_retain = f.inputs(f.retain, 0, 40);
  auto nll = [&](const ModelInputs& in) {
    torch::NoGradGuard no_grad;
    return cross_entropy(f.model, in).item<double>();
  };
  const double forget_before = nll(all_forget), retain_before = nll(all_retain);

  auto ga = make_method(f.jobs.at("ga"), f.config);
  const auto report =
      run_unlearning(f.model, *ga, f.jobs.at("ga"), f.tok, f.data.dataset, f.images, f.forget, f.retain);
  CHECK(report.epoch_loss.size() == 2);
  CHECK(report.steps == 2 * 6);  // 22 forget items in batches of 4
  CHECK(nll(all_forget) > forget_before + 0.5);
  f.model->detach_adapters();
  CHECK(nll(all_forget) == Approx(forget_before).epsilon(1e-5));  // the base is untouched

  auto retain_ft = make_method(f.jobs.at("retain_ft"), f.config);
  run_unlearning(f.model, *retain_ft, f.jobs.at("retain_ft"), f.tok, f.data.dataset, f.images, f.forget, f.retain);
  CHECK(nll(all_retain) < retain_before - 0.5);
  f.model->detach_adapters();

  auto rmu = make_method(f.jobs.at("rmu"), f.config);
  const auto c = rmu_control_vector(*rmu);
  auto distance = [&] {
    torch::NoGradGuard no_grad;
    std::vector<torch::Tensor> h;
    f.model->forward(all_forget, {nullptr, &h});
    const auto m = all_forget.attention_mask.unsqueeze(-1).to(torch::kFloat);
    return (((h[1] - c).pow(2) * m).sum() / m.sum()).item<double>();
  };
  const double before = distance();
  run_unlearning(f.model, *rmu, f.jobs.at("rmu"), f.tok, f.data.dataset, f.images, f.forget, f.retain);
  CHECK(distance() < 0.8 * before);
  f.model->detach_adapters();
}

TEST_CASE("L1 on LoRA keeps adapters smaller, and a diverging loss fails the job clearly", "[unlearn][train]") {
  set_compute_threads(1);
  Fixture f;
  auto l1_after = [&](double lambda) {
    Job job = f.jobs.at("ga");
    job.hparams["l1_lambda"] = lambda;
    job.hparams["epochs"] = int64_t(1);
    auto ga = make_method(job, f.config);
    run_unlearning(f.model, *ga, job, f.tok, f.data.dataset, f.images, f.forget, f.retain);
    const double norm = l1_norm(f.model->adapter_parameters()).item<double>();
    f.model->detach_adapters();
    return norm;
  };
  CHECK(l1_after(1e-2) < 0.9 * l1_after(0.0));

  Job wild = f.jobs.at("ga");
  wild.hparams["lr"] = 1e30;
  wild.hparams["max_grad_norm"] = 1e30;
  auto ga = make_method(wild, f.config);
  try {
    run_unlearning(f.model, *ga, wild, f.tok, f.data.dataset, f.images, f.forget, f.retain);
    FAIL("a diverging run must throw");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()).find("ga diverged: the loss is") != std::string::npos);
  }
  f.model->detach_adapters();
}

TEST_CASE("a search trial that resumes from its saved state trains what one long run would", "[unlearn][train]") {
  // NPO (a teacher, retain pairs), SCRUB (passes that change with the epoch) and PDU (a
  // dual variable updated every step), with a gradient accumulation that leaves a partial
  // step at each epoch's end: 1 epoch, saved, then on to 3 must give the adapters, AdamW
  // state, counters and method state of 3 at once.
  set_compute_threads(1);
  Fixture f;
  TempDir dir;
  for (const char* name : {"npo", "scrub", "pdu"}) {
    Job job = f.jobs.at(name);
    job.hparams["grad_accum"] = int64_t(4);
    job.hparams["epochs"] = int64_t(3);
    auto adapters = [&] {
      std::vector<torch::Tensor> out;
      for (const auto& p : f.model->adapter_parameters()) out.push_back(p.detach().clone());
      return out;
    };
    auto once = make_method(job, f.config);
    const auto whole = run_unlearning(f.model, *once, job, f.tok, f.data.dataset, f.images, f.forget, f.retain);
    const auto expected = adapters();
    f.model->detach_adapters();

    Job first = job;
    first.hparams["epochs"] = int64_t(1);
    const std::string state = dir.file(std::string(name) + "-e1.pt");
    auto m1 = make_method(first, f.config);
    UnlearnContinuation save;
    save.save_path = state;
    run_unlearning(f.model, *m1, first, f.tok, f.data.dataset, f.images, f.forget, f.retain, {}, save);
    f.model->detach_adapters();
    REQUIRE(std::filesystem::exists(state));

    auto m2 = make_method(job, f.config);
    UnlearnContinuation resume;
    resume.resume_path = state;
    resume.resume_epochs = 1;
    const auto rest =
        run_unlearning(f.model, *m2, job, f.tok, f.data.dataset, f.images, f.forget, f.retain, {}, resume);
    const auto resumed = adapters();
    f.model->detach_adapters();
    INFO(name);
    CHECK(m2->state() == once->state());  // PDU's lambda went on from where it was saved
    CHECK(rest.resumed_epochs == 1);
    CHECK(rest.epoch_loss.size() == 2);
    CHECK(rest.steps == whole.steps);
    REQUIRE(resumed.size() == expected.size());
    for (size_t i = 0; i < expected.size(); ++i) CHECK(torch::equal(resumed[i], expected[i]));

    // A file that is not a state is refused by name.
    std::ofstream(dir.file("junk.pt")) << "not an archive";
    auto m3 = make_method(job, f.config);
    UnlearnContinuation junk;
    junk.resume_path = dir.file("junk.pt");
    junk.resume_epochs = 1;
    const Error e = expect_error(
        [&] { run_unlearning(f.model, *m3, job, f.tok, f.data.dataset, f.images, f.forget, f.retain, {}, junk); });
    f.model->detach_adapters();
    CHECK(e.where().file == dir.file("junk.pt"));
  }
}

TEST_CASE("a full disk while saving a search trial's state: a resumable error, no half file left", "[unlearn][train]") {
  const SmallDisk disk("64k");
  if (!disk.mounted()) return;
  std::vector<torch::Tensor> params{
      torch::randn({256, 256}, torch::requires_grad())};  // 256 KB, and AdamW's twice that
  torch::optim::AdamW optimizer(params, torch::optim::AdamWOptions(1e-3));
  params[0].sum().backward();
  optimizer.step();
  const std::string path = disk.file("trials/t/state-e1.pt");
  try {
    save_training_state(path, TrainingState{}, params, optimizer);
    FAIL("the state cannot fit");
  } catch (const ResumableError& e) {
    CHECK(e.message().find("No space left on device") != std::string::npos);
    CHECK(e.message().find("training state") != std::string::npos);
  }
  for (const auto& e : std::filesystem::recursive_directory_iterator(disk.path())) CHECK(e.is_directory());
  // Once space is freed the same state saves and loads back.
  disk.grow("16m");
  save_training_state(path, TrainingState{}, params, optimizer);
  std::vector<torch::Tensor> loaded{torch::zeros({256, 256}, torch::requires_grad())};
  torch::optim::AdamW reloaded(loaded, torch::optim::AdamWOptions(1e-3));
  load_training_state(path, loaded, reloaded, torch::kCPU);
  CHECK(torch::equal(loaded[0], params[0]));
}
