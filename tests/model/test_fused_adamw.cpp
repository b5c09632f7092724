// FusedAdamW (fused_adamw.h) against torch::optim::AdamW: with the fused kernel on the
// CPU, the same parameters step after step (a changing learning rate, a parameter without
// a gradient on some steps) and state one can save from one and load into the other;
// without it, on the CPU, AdamW's loop bit for bit.
#include <sstream>

#include "model/fused_adamw.h"
#include "test_support.h"

using namespace clear_sweep;

TEST_CASE("FusedAdamW updates as torch::optim::AdamW does, and shares its saved state", "[model][optimizer]") {
  torch::manual_seed(3);
  const std::vector<torch::Tensor> start = {torch::randn({8, 5}), torch::randn({5}), torch::randn({3, 4, 2})};
  auto copies = [&] {
    std::vector<torch::Tensor> out;
    for (const auto& t : start) out.push_back(t.clone().set_requires_grad(true));
    return out;
  };
  std::vector<torch::Tensor> a = copies(), b = copies();
  const auto options = torch::optim::AdamWOptions(0.01).weight_decay(0.1).betas({0.8, 0.95}).eps(1e-6);
  FusedAdamW fused(a, options, FusedAdamW::Kernel::everywhere);  // the fused kernel on the CPU
  torch::optim::AdamW plain(b, options);
  for (int step = 0; step < 6; ++step) {
    for (size_t i = 0; i < start.size(); ++i) {
      const bool skipped = i == 1 && step % 2 == 1;  // no gradient: left alone, its step count too
      const torch::Tensor g = torch::randn(start[i].sizes());
      a[i].mutable_grad() = skipped ? torch::Tensor() : g.clone();
      b[i].mutable_grad() = skipped ? torch::Tensor() : g.clone();
    }
    for (auto* o : {static_cast<torch::optim::Optimizer*>(&fused), static_cast<torch::optim::Optimizer*>(&plain)})
      o->param_groups()[0].options().set_lr(0.01 * (1 + step));  // a schedule
    fused.step();
    plain.step();
    for (size_t i = 0; i < start.size(); ++i) {
      INFO("step " << step << ", tensor " << i);
      CHECK(torch::allclose(a[i], b[i], 1e-6, 1e-6));
      CHECK(!torch::equal(a[i], start[i]));
    }
  }
  // Saved by one, loaded by the other: the next steps agree.
  std::stringstream saved;
  {
    torch::serialize::OutputArchive archive;
    fused.save(archive);
    archive.save_to(saved);
  }
  std::vector<torch::Tensor> c;
  for (const auto& t : a) c.push_back(t.detach().clone().set_requires_grad(true));
  torch::optim::AdamW resumed(c, torch::optim::AdamWOptions(options).lr(0.06));
  {
    torch::serialize::InputArchive archive;
    archive.load_from(saved);
    resumed.load(archive);
  }
  for (size_t i = 0; i < start.size(); ++i) {
    const torch::Tensor g = torch::randn(start[i].sizes());
    a[i].mutable_grad() = g.clone();
    c[i].mutable_grad() = g.clone();
  }
  fused.step();
  resumed.step();
  for (size_t i = 0; i < start.size(); ++i) CHECK(torch::allclose(a[i], c[i], 1e-6, 1e-6));
}

TEST_CASE("FusedAdamW on the CPU is AdamW's loop, bit for bit, unless asked", "[model][optimizer]") {
  torch::manual_seed(4);
  const torch::Tensor start = torch::randn({6, 7});
  torch::Tensor a = start.clone().set_requires_grad(true), b = start.clone().set_requires_grad(true);
  const auto options = torch::optim::AdamWOptions(0.01).weight_decay(0.1);
  FusedAdamW device_only({a}, options);
  torch::optim::AdamW plain({b}, options);
  for (int step = 0; step < 4; ++step) {
    const torch::Tensor g = torch::randn({6, 7});
    a.mutable_grad() = g.clone();
    b.mutable_grad() = g.clone();
    device_only.step();
    plain.step();
  }
  CHECK(torch::equal(a, b));
}
