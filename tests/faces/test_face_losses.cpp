// The face model's losses against computations by hand (loops over plain numbers), its
// persistence, and the shadow splits' layout.
#include <cmath>
#include <filesystem>
#include <set>

#include "faces/face_methods.h"
#include "faces/face_model.h"
#include "faces/shadow_splits.h"
#include "test_support.h"

using namespace clear_sweep;

namespace {

double cosine(const std::vector<double>& a, const std::vector<double>& b) {
  double dot = 0, na = 0, nb = 0;
  for (size_t i = 0; i < a.size(); ++i) dot += a[i] * b[i], na += a[i] * a[i], nb += b[i] * b[i];
  return dot / std::sqrt(na * nb);
}

std::vector<double> row(const torch::Tensor& t, int64_t i) {
  const auto r = t[i].to(torch::kFloat64).contiguous();
  return {r.data_ptr<double>(), r.data_ptr<double>() + r.numel()};
}

std::vector<double> softmax(const std::vector<double>& z) {
  double m = -1e300, sum = 0;
  for (double v : z) m = std::max(m, v);
  std::vector<double> p;
  for (double v : z) p.push_back(std::exp(v - m)), sum += p.back();
  for (auto& v : p) v /= sum;
  return p;
}

}  // namespace

TEST_CASE("faces: AM-Softmax equals its definition computed by hand") {
  torch::manual_seed(3);
  const auto x = torch::randn({4, 5}, torch::kFloat64);
  const auto w = torch::randn({3, 5}, torch::kFloat64);
  const auto labels = torch::tensor({0, 2, 1, 2}, torch::kInt64);
  const AmSoftmaxSettings am{30.0, 0.4};
  double want = 0;
  for (int64_t i = 0; i < 4; ++i) {
    const int64_t y = labels[i].item<int64_t>();
    const double top = am.scale * (cosine(row(x, i), row(w, y)) - am.margin);
    double below = std::exp(top);
    for (int64_t j = 0; j < 3; ++j)
      if (j != y) below += std::exp(am.scale * cosine(row(x, i), row(w, j)));
    want += -(top - std::log(below)) / 4;
  }
  CHECK(am_softmax_loss(x, w, labels, am).item<double>() == Approx(want).epsilon(1e-12));
  // The margin makes the loss larger than plain softmax over scaled cosines.
  CHECK(am_softmax_loss(x, w, labels, {30.0, 0.0}).item<double>() < want);
}

TEST_CASE("faces: the embedding losses (cosine embedding, KL, DPO, L1) equal their definitions by hand") {
  torch::manual_seed(4);
  const auto a = torch::randn({3, 4}, torch::kFloat64), b = torch::randn({3, 4}, torch::kFloat64);
  const auto sign = torch::tensor({1.0, -1.0, -1.0}, torch::kFloat64);
  double want = 0;
  for (int64_t i = 0; i < 3; ++i) {
    const double c = cosine(row(a, i), row(b, i));
    want += (sign[i].item<double>() > 0 ? 1 - c : std::max(0.0, c)) / 3;
  }
  CHECK(scrub_bio_loss(a, b, sign).item<double>() == Approx(want).epsilon(1e-12));

  double kl = 0;  // KL(softmax(b) || softmax(a)) per row, averaged over rows
  for (int64_t i = 0; i < 3; ++i) {
    const auto p = softmax(row(b, i)), q = softmax(row(a, i));
    for (size_t k = 0; k < p.size(); ++k) kl += p[k] * std::log(p[k] / q[k]) / 3;
  }
  CHECK(kl_batchmean(a, b).item<double>() == Approx(kl).epsilon(1e-12));

  const auto f = torch::randn({2, 3}, torch::kFloat64), f0 = torch::randn({2, 3}, torch::kFloat64);
  const auto r = torch::randn({2, 3}, torch::kFloat64), r0 = torch::randn({2, 3}, torch::kFloat64);
  const auto fl = torch::tensor({2, 0}, torch::kInt64), rl = torch::tensor({1, 1}, torch::kInt64);
  const double beta = 0.7;
  double dpo = 0;
  for (int64_t i = 0; i < 2; ++i) {
    const double chosen = beta * std::log(softmax(row(r, i))[size_t(rl[i].item<int64_t>())] /
                                          softmax(row(r0, i))[size_t(rl[i].item<int64_t>())]);
    const double rejected = beta * std::log(softmax(row(f, i))[size_t(fl[i].item<int64_t>())] /
                                            softmax(row(f0, i))[size_t(fl[i].item<int64_t>())]);
    dpo += -(1 / beta) * std::log(1 / (1 + std::exp(-(chosen - rejected)))) / 2;
  }
  CHECK(face_dpo_loss(f, f0, fl, r, r0, rl, beta).item<double>() == Approx(dpo).epsilon(1e-12));

  ResNet18Embedder net(2);
  double l1 = 0;
  for (const auto& p : net->parameters()) {
    const auto flat = p.detach().to(torch::kFloat64).flatten().contiguous();
    for (int64_t i = 0; i < flat.numel(); ++i) l1 += std::fabs(flat.data_ptr<double>()[i]);
  }
  CHECK(l1_norm(net).item<double>() == Approx(l1).epsilon(1e-5));
}

TEST_CASE("faces: the embedder's shape and torchvision's parameter names") {
  ResNet18Embedder net(8);
  CHECK(net->embedding_dim() == 64);
  std::set<std::string> names;
  for (const auto& p : net->named_parameters()) names.insert(p.key());
  for (const auto& b : net->named_buffers()) names.insert(b.key());
  for (const char* name : {"conv1.weight", "bn1.running_var", "layer1.1.conv2.weight", "layer2.0.downsample.0.weight",
                           "layer4.0.downsample.1.num_batches_tracked", "layer4.1.bn2.bias"})
    CHECK(names.count(name) == 1);
  CHECK(names.count("layer1.0.downsample.0.weight") == 0);  // the first stage keeps its shape
  net->eval();
  CHECK(net->forward(torch::randn({2, 3, 32, 32})).sizes() == torch::IntArrayRef({2, 64}));
  CHECK(net->forward(torch::randn({1, 3, 64, 64})).sizes() == torch::IntArrayRef({1, 64}));
}

TEST_CASE("faces: a face model saved and loaded gives the same embeddings, and a damaged one is refused") {
  TempDir tmp;
  torch::manual_seed(5);
  FaceModel model(4, 6);
  model->train();
  model->net->forward(torch::randn({4, 3, 32, 32}));  // moves the batch-norm statistics off their start
  model->eval();
  save_face_model(model, tmp.file("m"));
  FaceModel back = load_face_model(tmp.file("m"), torch::kCPU);
  back->eval();
  const auto x = torch::randn({3, 3, 32, 32});
  CHECK(torch::equal(model->net->forward(x), back->net->forward(x)));
  CHECK(torch::equal(model->head, back->head));
  FaceModel copy = clone_face_model(model);
  copy->eval();
  CHECK(torch::equal(model->net->forward(x), copy->net->forward(x)));

  const auto missing = expect_error([&] { load_face_model(tmp.file("nothing"), torch::kCPU); });
  CHECK(std::string(missing.what()).find("nothing/model.safetensors") != std::string::npos);
  std::filesystem::resize_file(tmp.file("m/model.safetensors"), 100);
  expect_error([&] { load_face_model(tmp.file("m"), torch::kCPU); });
}

TEST_CASE("faces: shadow splits mirror the forget and holdout pools, half targets, half shadows") {
  const std::vector<int64_t> forget = {1, 2}, holdout = {20, 21}, others = {3, 4, 5, 6, 7, 8, 9};
  const auto splits = shadow_splits(forget, holdout, others, 3, 11);
  REQUIRE(splits.size() == 12);
  std::set<std::vector<int64_t>> distinct;
  for (const auto& s : splits) {
    CHECK(s.forget_side == (s.index % 2 == 0));
    CHECK(s.target == ((s.index / 2) % 2 == 0));
    CHECK(s.train_persons.size() == 2 + 3);  // the pool and half (rounded down) of the others
    const auto& pool = s.forget_side ? forget : holdout;
    const auto& not_pool = s.forget_side ? holdout : forget;
    for (int64_t p : pool) CHECK(std::count(s.train_persons.begin(), s.train_persons.end(), p) == 1);
    for (int64_t p : not_pool) CHECK(std::count(s.train_persons.begin(), s.train_persons.end(), p) == 0);
    CHECK(&unlearned_persons(s, forget, holdout) == (s.forget_side ? &forget : &holdout));
    distinct.insert(s.train_persons);
  }
  CHECK(distinct.size() > 6);  // the others are drawn anew per split
  // The same split whatever the count: the 4 splits of 1 per role are the first 4 of 3.
  const auto small = shadow_splits(forget, holdout, others, 1, 11);
  for (size_t k = 0; k < 4; ++k) {
    CHECK(small[k].train_persons == splits[k].train_persons);
    CHECK(small[k].target == splits[k].target);
  }

  // Samples: forget images are "in" under forget-side models.
  std::vector<std::vector<double>> scores(12, std::vector<double>(2, 0.0));
  for (size_t k = 0; k < 12; ++k) scores[k] = {double(k), 100.0 + double(k)};
  const auto samples = shadow_samples(splits, scores, {0}, {1});
  REQUIRE(samples.size() == 2);
  // k: 0 forget target, 1 holdout target, 2 forget shadow, 3 holdout shadow, 4 ...
  CHECK(samples[0].target_in == std::vector<double>{0, 4, 8});
  CHECK(samples[0].shadow_in == std::vector<double>{2, 6, 10});
  CHECK(samples[0].target_out == std::vector<double>{1, 5, 9});
  CHECK(samples[0].shadow_out == std::vector<double>{3, 7, 11});
  CHECK(samples[1].target_in == std::vector<double>{101, 105, 109});
  CHECK(samples[1].shadow_out == std::vector<double>{102, 106, 110});

  CHECK(std::string(expect_error([&] { shadow_splits(forget, {}, others, 1, 0); }).what()).find("holdout") !=
        std::string::npos);
}
