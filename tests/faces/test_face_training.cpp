// The visual benchmark on synthetic faces: the ResNet learns the identities, the gold
// model does not know the forget persons, SCRUB_bio forgets more than finetuning at
// CLEAR's settings, every method runs, and U-LIRA / U-MIA tell an overfit original's
// members apart but not a gold model's.
#include <algorithm>

#include "face_world.h"
#include "faces/face_methods.h"
#include "faces/shadow_splits.h"
#include "sweep/method_catalog.h"
#include "test_support.h"

using namespace clear_sweep;
using clear_sweep::testing::make_face_world;

namespace {

// CLEAR's cv/unlearning defaults for the two methods compared (lr, epochs, balance).
FaceUnlearnSettings clear_settings(const std::string& method) {
  FaceUnlearnSettings s;
  s.method = method;
  s.batch_size = 32;
  if (method == "finetune") s.lr = 0.01, s.epochs = 5;
  if (method == "scrub_bio") s.lr = 0.2, s.epochs = 4, s.balance = 5;
  return s;
}

FaceTrainOptions base_training(int64_t epochs) {
  FaceTrainOptions o;
  o.epochs = epochs;
  o.lr = 0.05;
  o.batch_size = 32;
  return o;
}

}  // namespace

TEST_CASE(
    "faces: the ResNet learns the synthetic identities, gold does not know the forget persons, SCRUB_bio forgets more "
    "than finetune") {
  // 20 trained persons + 2 holdout, 10 images each; 6 persons forgotten. Chance: 1/22.
  const auto w = make_face_world(20, 10, 30);
  const double chance = 1.0 / double(w.data.identities());
  torch::manual_seed(1);
  FaceModel original(16, w.data.identities());
  std::vector<double> losses;
  train_face_model(original, w.data, w.data.images_of(w.world.dataset.splits.forget_order), base_training(10),
                   [&](int64_t, double loss) { losses.push_back(loss); });
  REQUIRE(losses.size() == 10);
  CHECK(losses.back() < 0.5 * losses.front());
  const auto base = evaluate_face_model(original, w.data, w.forget, w.retain, w.holdout);
  INFO("original: forget " << base.forget << ", retain " << base.retain << ", holdout " << base.holdout);
  CHECK(base.forget >= 0.8);
  CHECK(base.retain >= 0.8);
  CHECK(base.forget > 10 * chance);

  // Gold: a fresh model trained on the retain persons only. The forget persons are as
  // unseen as the holdout ones. Not chance, though: the gallery lets any face embedder
  // place some images of identities it never trained on (the holdout column of CLEAR's
  // Table 2 is that), and synthetic identities share colours and shapes.
  FaceModel gold = clone_face_model(original);
  FaceUnlearnSettings retrain;
  retrain.method = "retrain";
  // 20 epochs: at 10 a fresh ResNet had not learned its own persons on an AMD EPYC
  // (retain 0.37, where another machine's float rounding had passed); here it reaches
  // retain 0.91 with forget 0.43, a margin on both sides.
  retrain.lr = 0.05, retrain.epochs = 20, retrain.batch_size = 32, retrain.seed = 1;
  unlearn_face_model(gold, original, w.data, w.data.images_of(w.forget), w.data.images_of(w.retain), retrain);
  const auto g = evaluate_face_model(gold, w.data, w.forget, w.retain, w.holdout);
  INFO("gold: forget " << g.forget << ", retain " << g.retain << ", holdout " << g.holdout);
  CHECK(g.forget <= base.forget - 0.3);
  CHECK(g.forget <= 0.7);
  // Its forget images sit looser around their centroids than the original's (what the
  // attacks measure).
  auto mean_similarity = [&](const FaceAccuracy& a) {
    double sum = 0;
    const auto images = w.data.images_of(w.forget);
    for (int64_t i : images) sum += a.centroid.own_similarity[size_t(i)];
    return sum / double(images.size());
  };
  CHECK(mean_similarity(g) < mean_similarity(base) - 0.05);
  CHECK(g.retain >= 0.6);

  auto unlearned = [&](const std::string& method) {
    FaceModel m = clone_face_model(original);
    unlearn_face_model(m, original, w.data, w.data.images_of(w.forget), w.data.images_of(w.retain),
                       clear_settings(method));
    return evaluate_face_model(m, w.data, w.forget, w.retain, w.holdout);
  };
  const auto finetune = unlearned("finetune");
  const auto scrub = unlearned("scrub_bio");
  INFO("finetune forget " << finetune.forget << ", scrub_bio forget " << scrub.forget << " (retain " << scrub.retain
                          << ")");
  CHECK(scrub.forget < finetune.forget);
  CHECK(scrub.retain >= 0.7);
}

TEST_CASE("faces: every method runs, changes the model, and an unknown one is refused") {
  const auto w = make_face_world(8, 6, 25);
  torch::manual_seed(2);
  FaceModel original(4, w.data.identities());
  FaceTrainOptions o = base_training(8);
  o.batch_size = 8;  // 48 steps: batch norm's running statistics settle (DPO reads raw logits)
  train_face_model(original, w.data, w.data.images_of(w.world.dataset.splits.forget_order), o);
  const auto probe = w.data.pixels.slice(0, 0, 4);
  const auto before = embed_faces(original->net, probe);
  for (const auto& method : face_method_names()) {
    FaceModel m = clone_face_model(original);
    FaceUnlearnSettings s;
    s.method = method, s.epochs = 2, s.batch_size = 8, s.lr = 0.01;
    std::vector<double> losses;
    unlearn_face_model(m, original, w.data, w.data.images_of(w.forget), w.data.images_of(w.retain), s,
                       [&](int64_t, double loss) { losses.push_back(loss); });
    INFO(method);
    CHECK(losses.size() == 2);
    CHECK(std::all_of(losses.begin(), losses.end(), [](double l) { return std::isfinite(l); }));
    const auto after = embed_faces(m->net, probe);
    CHECK(!torch::allclose(before, after));
    CHECK(torch::equal(before, embed_faces(original->net, probe)));  // the original is left as it was
  }
  // face_dpo reads raw logits, which a model barely trained (its batch-norm statistics far
  // off) makes huge: at a large lr it diverges, and says so.
  {
    FaceModel raw(4, w.data.identities());
    train_face_model(raw, w.data, w.data.images_of(w.world.dataset.splits.forget_order), base_training(1));
    FaceModel m = clone_face_model(raw);
    FaceUnlearnSettings s;
    s.method = "face_dpo", s.epochs = 2, s.batch_size = 8, s.lr = 1.0;
    try {
      unlearn_face_model(m, raw, w.data, w.data.images_of(w.forget), w.data.images_of(w.retain), s);
      FAIL("face_dpo at lr 1 on an untrained model did not diverge");
    } catch (const std::runtime_error& e) {
      CHECK(std::string(e.what()).find("face_dpo diverged: the loss is") != std::string::npos);
    }
  }
  FaceUnlearnSettings bad;
  bad.method = "ga";
  const auto e = expect_error([&] {
    FaceModel m = clone_face_model(original);
    unlearn_face_model(m, original, w.data, w.data.images_of(w.forget), w.data.images_of(w.retain), bad);
  });
  CHECK(std::string(e.what()).find("'ga' is not a face unlearning method") != std::string::npos);
}

TEST_CASE("faces: U-LIRA and U-MIA separate an overfit original's members, not a gold model's") {
  // 16 trained persons (4 forgotten) + 4 holdout, 6 images each; 4 models per role: 16
  // models per condition. "original": each split's model as trained; "gold": each
  // retrained without the persons it would unlearn.
  const auto w = make_face_world(16, 6, 25, 32, 5, 4);
  const auto splits = shadow_splits(w.forget, w.holdout, w.retain, 4, 1);
  std::vector<std::vector<double>> original, gold;
  for (const auto& s : splits) {
    FaceTrainOptions o = base_training(40);
    o.seed = uint64_t(s.index);
    torch::manual_seed(s.index);
    FaceModel m(8, w.data.identities());
    train_face_model(m, w.data, w.data.images_of(s.train_persons), o);
    original.push_back(membership_scores(m, w.data));
    const auto& unlearn = unlearned_persons(s, w.forget, w.holdout);
    std::vector<int64_t> kept;
    for (int64_t p : s.train_persons)
      if (std::find(unlearn.begin(), unlearn.end(), p) == unlearn.end()) kept.push_back(p);
    o.seed += 100;
    torch::manual_seed(s.index + 100);
    FaceModel g(8, w.data.identities());
    train_face_model(g, w.data, w.data.images_of(kept), o);
    gold.push_back(membership_scores(g, w.data));
  }
  const auto forget_images = w.data.images_of(w.forget), holdout_images = w.data.images_of(w.holdout);
  const auto o_samples = shadow_samples(splits, original, forget_images, holdout_images);
  const auto g_samples = shadow_samples(splits, gold, forget_images, holdout_images);
  const auto o_lira = ulira(o_samples), g_lira = ulira(g_samples);
  const auto o_mia = umia(o_samples), g_mia = umia(g_samples);
  INFO("U-LIRA AUC original " << o_lira.auc << ", gold " << g_lira.auc << "; U-MIA AUC original " << o_mia.auc
                              << ", gold " << g_mia.auc);
  CHECK(o_lira.guesses == long(2 * 4 * (forget_images.size() + holdout_images.size())));
  CHECK(o_lira.auc >= 0.65);
  CHECK(o_lira.accuracy >= 0.6);
  CHECK(std::fabs(g_lira.auc - 0.5) <= 0.12);
  CHECK(o_mia.auc >= 0.75);
  CHECK(g_mia.auc <= 0.6);
}

TEST_CASE("faces: twins and scrub_bio train on the losses their definitions give, by hand") {
  // One epoch, one batch holding every training image, so the epoch's loss is the first
  // step's: computed here from the original model directly.
  const auto w = make_face_world(6, 6, 34);
  torch::manual_seed(3);
  FaceModel original(4, w.data.identities());
  train_face_model(original, w.data, w.data.images_of(w.world.dataset.splits.forget_order), base_training(3));
  const auto forget = w.data.images_of(w.forget), retain = w.data.images_of(w.retain);
  const auto pixels = [&](const std::vector<int64_t>& idx) {
    return w.data.pixels.index_select(0, torch::tensor(idx, torch::kInt64));
  };
  auto first_loss = [&](const std::string& method) {
    FaceModel m = clone_face_model(original);
    FaceUnlearnSettings s;
    s.method = method, s.epochs = 1, s.batch_size = 1000, s.lr = 1e-3;
    double loss = NAN;
    unlearn_face_model(m, original, w.data, forget, retain, s, [&](int64_t, double l) { loss = l; });
    return loss;
  };
  const double twins = first_loss("twins"), scrub = first_loss("scrub_bio");
  torch::NoGradGuard no_grad;
  {
    // twins: MSE of the forget images' embeddings (batch norm on the batch's statistics,
    // as in training) to the original's embeddings of the flipped images.
    FaceModel m = clone_face_model(original);
    m->train();
    const auto x = m->net->forward(pixels(forget));
    const auto target = embed_faces(original->net, pixels(forget).flip({3}));
    CHECK(twins == Approx(torch::mse_loss(x, target).item<double>()).epsilon(1e-5));
  }
  {
    // scrub_bio: forget then retain images in one batch; cosine <= 0 pushed on forget,
    // 1 - cosine pulled on retain, against the original's embeddings.
    std::vector<int64_t> all = forget;
    all.insert(all.end(), retain.begin(), retain.end());
    FaceModel m = clone_face_model(original);
    m->train();
    const auto x = m->net->forward(pixels(all));
    const auto target = embed_faces(original->net, pixels(all));
    double want = 0;
    for (size_t i = 0; i < all.size(); ++i) {
      const double c = torch::cosine_similarity(x[int64_t(i)], target[int64_t(i)], 0).item<double>();
      want += (i < forget.size() ? std::max(0.0, c) : 1 - c) / double(all.size());
    }
    CHECK(scrub == Approx(want).epsilon(1e-5));
  }
}

TEST_CASE("the registered face methods are the catalog's face methods, both ways", "[faces]") {
  std::vector<std::string> catalog;
  for (const auto& m : method_catalog())
    if (m.kind == ModelKind::faces) catalog.push_back(m.name);
  std::sort(catalog.begin(), catalog.end());
  CHECK(face_method_names() == catalog);  // sorted by name
  CHECK(catalog.size() == 9);
}
