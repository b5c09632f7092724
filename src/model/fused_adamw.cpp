#include "model/fused_adamw.h"

#include <map>
#include <tuple>

#include "common/error.h"

namespace clear_sweep {

FusedAdamW::FusedAdamW(const std::vector<torch::Tensor>& params, const torch::optim::AdamWOptions& options,
                       Kernel kernel)
    : torch::optim::AdamW(params, options), kernel_(kernel) {
  CS_ASSERT(!options.amsgrad(), "FusedAdamW has no amsgrad");
}

torch::Tensor FusedAdamW::step(LossClosure closure) {
  CS_ASSERT(!closure, "FusedAdamW takes no closure");
  if (kernel_ == Kernel::device) {  // the loop where every parameter is on the CPU
    bool on_device = false;
    for (const auto& group : param_groups())
      for (const auto& p : group.params()) on_device = on_device || !p.is_cpu();
    if (!on_device) return torch::optim::AdamW::step();
  }
  torch::NoGradGuard no_grad;
  for (auto& group : param_groups()) {
    const auto& o = static_cast<const torch::optim::AdamWOptions&>(group.options());
    // One call per device and dtype, the tensors of a call at the same step count (the
    // kernel reads each tensor's step; one shared step tensor serves them all).
    struct Lists {
      std::vector<torch::Tensor> params, grads, exp_avgs, exp_avg_sqs;
    };
    std::map<std::tuple<int, int, int, int64_t>, Lists> calls;
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      CS_ASSERT(!p.grad().is_sparse(), "FusedAdamW: sparse gradient");
      auto& slot = state_[p.unsafeGetTensorImpl()];
      if (!slot) {
        auto fresh = std::make_unique<torch::optim::AdamWParamState>();
        fresh->exp_avg(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        fresh->exp_avg_sq(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        slot = std::move(fresh);
      }
      auto& s = static_cast<torch::optim::AdamWParamState&>(*slot);
      s.step(s.step() + 1);
      Lists& l = calls[{int(p.device().type()), int(p.device().index()), int(p.scalar_type()), s.step()}];
      l.params.push_back(p);
      l.grads.push_back(p.grad());
      l.exp_avgs.push_back(s.exp_avg());
      l.exp_avg_sqs.push_back(s.exp_avg_sq());
    }
    for (auto& [key, l] : calls) {
      const torch::Tensor step =
          torch::full({}, double(std::get<3>(key)), l.params.front().options().dtype(torch::kFloat));
      const std::vector<torch::Tensor> steps(l.params.size(), step);
      at::_fused_adamw_(l.params, l.grads, l.exp_avgs, l.exp_avg_sqs, /*max_exp_avg_sqs=*/{}, steps, o.lr(),
                        std::get<0>(o.betas()), std::get<1>(o.betas()), o.weight_decay(), o.eps(),
                        /*amsgrad=*/false, /*maximize=*/false);
    }
  }
  return {};
}

}  // namespace clear_sweep
