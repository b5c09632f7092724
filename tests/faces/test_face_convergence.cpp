// How the face stages train to a common end (issue: the visual benchmark's shadow
// models ended 0.09 to 9.4 apart): batches of near-equal size, batch norm's statistics
// recomputed, the stopping rule and its line search, against computations by hand; and
// sparsity's L1 term against finetune from the same start.
#include <algorithm>
#include <cmath>
#include <set>

#include "face_world.h"
#include "faces/face_method_steps.h"
#include "faces/face_methods.h"
#include "faces/face_training.h"
#include "test_support.h"

using namespace clear_sweep;
using clear_sweep::testing::make_face_world;

TEST_CASE("faces: batches cover every sample once, in sizes that differ by at most one") {
  for (const auto& [n, batch] : std::vector<std::pair<int64_t, int64_t>>{{100, 32}, {200, 32}, {7, 7}, {5, 8}}) {
    std::vector<int64_t> samples(static_cast<size_t>(n), 0);
    for (int64_t i = 0; i < n; ++i) samples[size_t(i)] = 1000 + i;
    const auto batches = shuffled_batches(samples, batch, 3);
    INFO(n << " samples, batch " << batch);
    CHECK(int64_t(batches.size()) == (n + batch - 1) / batch);
    std::multiset<int64_t> seen;
    size_t smallest = size_t(n), largest = 0;
    for (const auto& b : batches) {
      seen.insert(b.begin(), b.end());
      smallest = std::min(smallest, b.size()), largest = std::max(largest, b.size());
    }
    CHECK(seen == std::multiset<int64_t>(samples.begin(), samples.end()));
    CHECK(largest <= size_t(batch));
    CHECK(largest - smallest <= 1);  // 100 at 32: 25 each, not 32, 32, 32 and 4
  }
}

TEST_CASE("faces: recomputed batch-norm statistics are the average over batches of each batch's own") {
  const auto w = make_face_world(6, 5, 30);
  torch::manual_seed(4);
  FaceModel model(4, w.data.identities());
  const auto samples = w.data.images_of(w.world.dataset.splits.forget_order);
  recompute_batch_norm(model, w.data, samples, 8);
  // By hand for the first batch norm (after the stem's convolution): per batch, the
  // channel mean and the unbiased variance of conv1's output; then their plain average.
  torch::NoGradGuard no_grad;
  auto* conv1 = model->net->named_children()["conv1"]->as<torch::nn::Conv2dImpl>();
  auto* bn1 = model->net->named_children()["bn1"]->as<torch::nn::BatchNorm2dImpl>();
  const auto batches = shuffled_batches(samples, 8, 0);
  std::vector<double> mean(4, 0.0), var(4, 0.0);
  for (const auto& batch : batches) {
    const auto x = conv1->forward(gather_pixels(w.data, batch, torch::kCPU)).to(torch::kFloat64);
    const auto per_channel = x.transpose(0, 1).reshape({4, -1});  // [C, B * H * W]
    for (int64_t c = 0; c < 4; ++c) {
      mean[size_t(c)] += per_channel[c].mean().item<double>() / double(batches.size());
      var[size_t(c)] += per_channel[c].var(/*unbiased=*/true).item<double>() / double(batches.size());
    }
  }
  for (int64_t c = 0; c < 4; ++c) {
    CHECK(bn1->running_mean[c].item<double>() == Approx(mean[size_t(c)]).epsilon(1e-4));
    CHECK(bn1->running_var[c].item<double>() == Approx(var[size_t(c)]).epsilon(1e-4));
  }
  CHECK(bn1->options.momentum() == 0.1);  // put back
}

TEST_CASE("faces: the stopping rule ends a model within [target / 2, target], or at a plateau, or at epochs") {
  const auto w = make_face_world(8, 6, 25);
  const auto samples = w.data.images_of(w.world.dataset.splits.forget_order);
  FaceTrainOptions o;
  o.lr = 0.05, o.batch_size = 16, o.epochs = 60, o.warmup_cosine = true, o.target_loss = 0.5, o.patience = 10;
  torch::manual_seed(5);
  FaceModel model(8, w.data.identities());
  const FaceTrainSummary s = train_face_model(model, w.data, samples, o);
  REQUIRE(s.stopped_by == "target_loss");
  CHECK(s.epochs < 60);
  CHECK(int64_t(s.epoch_fit_loss.size()) == s.epochs);
  REQUIRE(s.fit);
  CHECK(s.fit->loss < 0.5);
  if (s.last_stretch < 1) CHECK(s.fit->loss >= 0.25);
  // The model is the one measured: its fit again, after its statistics are recomputed.
  recompute_batch_norm(model, w.data, samples, o.batch_size);
  CHECK(face_fit(model, w.data, samples).loss == Approx(s.fit->loss).epsilon(1e-5));
  CHECK(s.fit->accuracy >= 0.9);

  // A learning rate of 0: the training loss never falls 5 % below its best.
  FaceTrainOptions still = o;
  still.lr = 0, still.warmup_cosine = false, still.patience = 3;
  FaceModel frozen(8, w.data.identities());
  const FaceTrainSummary p = train_face_model(frozen, w.data, samples, still);
  CHECK(p.stopped_by == "plateau");
  CHECK(p.epochs == 4);  // the first epoch sets the best; three without a better one

  FaceTrainOptions plain = still;
  plain.epochs = 2, plain.target_loss = 0, plain.patience = 0;
  const FaceTrainSummary e = train_face_model(frozen, w.data, samples, plain);
  CHECK(e.stopped_by == "epochs");
  CHECK(e.epochs == 2);
  CHECK(!e.fit);  // no rule, nothing measured
}

TEST_CASE("faces: the line search lands on the segment between two models, within [target / 2, target]") {
  const auto w = make_face_world(8, 6, 25);
  const auto samples = w.data.images_of(w.world.dataset.splits.forget_order);
  torch::manual_seed(6);
  FaceModel model(8, w.data.identities());
  const auto fresh = parameter_copy(model);
  FaceTrainOptions o;
  o.lr = 0.05, o.batch_size = 16, o.epochs = 40;
  train_face_model(model, w.data, samples, o);
  recompute_batch_norm(model, w.data, samples, 16);
  const double trained = face_fit(model, w.data, samples).loss;
  const auto end = parameter_copy(model);
  const double target = 2.0;
  REQUIRE(trained < target / 2);
  const double t = land_on_target(model, fresh, w.data, samples, 16, target);
  INFO("trained " << trained << ", t " << t);
  CHECK(t > 0);
  CHECK(t < 1);
  const double landed = face_fit(model, w.data, samples).loss;
  CHECK(landed >= target / 2);
  CHECK(landed < target);
  const auto now = parameter_copy(model);
  for (size_t i = 0; i < now.size(); ++i) CHECK(torch::allclose(now[i], fresh[i] + t * (end[i] - fresh[i])));
}

TEST_CASE("faces: sparsity's step is finetune's plus -lr x l1_weight x sign(theta) on the embedder, by hand") {
  // One step from one start with one batch holding every retain image (the same batch
  // statistics for both): SGD's first momentum step is lr x gradient, and the L1 term's
  // gradient is l1_weight x sign(theta) on the embedder's parameters (CLEAR's sparsity.py
  // takes the L1 norm of the network, not of the AM-Softmax head).
  const auto w = make_face_world(8, 6, 25);
  torch::manual_seed(7);
  FaceModel start(8, w.data.identities());
  const auto retain = w.data.images_of(w.retain), forget = w.data.images_of(w.forget);
  FaceUnlearnSettings s;
  s.epochs = 1, s.batch_size = int64_t(retain.size()), s.lr = 0.01, s.l1_weight = 0.01;
  auto after = [&](const std::string& method) {
    FaceModel m = clone_face_model(start);
    s.method = method;
    unlearn_face_model(m, start, w.data, forget, retain, s);
    return m;
  };
  const FaceModel finetuned = after("finetune"), sparse = after("sparsity");
  const auto net0 = start->net->parameters(), net_f = finetuned->net->parameters(), net_s = sparse->net->parameters();
  double largest_gap = 0;
  for (size_t i = 0; i < net0.size(); ++i) {
    const auto expected = -s.lr * s.l1_weight * torch::sign(net0[i]);  // 1e-4 per weight
    largest_gap = std::max(largest_gap, (net_s[i] - net_f[i] - expected).abs().max().item<double>());
  }
  CHECK(largest_gap < 2e-6);  // float32 rounding of two sums in different orders
  CHECK(torch::allclose(sparse->head, finetuned->head, 0, 1e-6));  // no L1 on the head
}
