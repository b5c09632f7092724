#include "model/qwen2_vl/qwen2_vl_vision.h"

#include <algorithm>
#include <numeric>

#include "common/error.h"
#include "model/parameter_factory.h"

namespace clear_sweep {

namespace {

constexpr double kNormEps = 1e-6;  // every norm of the encoder and merger, as transformers builds them

}  // namespace

QwenPatchProjectionImpl::QwenPatchProjectionImpl(const VisionConfig& c) {
  const int64_t fan_in = 3 * c.temporal_patch * c.patch_size * c.patch_size;
  weight = register_parameter("weight", make_parameter({c.hidden, 3, c.temporal_patch, c.patch_size, c.patch_size},
                                                       ParameterInit::uniform(1.0 / std::sqrt(double(fan_in)))));
}

torch::Tensor QwenPatchProjectionImpl::forward(const torch::Tensor& patches) {
  // A Conv3d whose kernel is the whole patch is one dot product per output channel, over
  // the patch's values in (channel, frame, row, column) order: the processor's order.
  const torch::Tensor w = weight.reshape({weight.size(0), -1});  // [D, 3 * temporal * p * p]
  return torch::matmul(patches.to(w.scalar_type()), w.t());      // [P, D]
}

QwenPatchEmbedImpl::QwenPatchEmbedImpl(const VisionConfig& c) {
  proj = register_module("proj", QwenPatchProjection(c));
}

QwenVisionNormImpl::QwenVisionNormImpl(int64_t dim, bool rms) : rms_(rms) {
  weight = register_parameter("weight", make_parameter({dim}, ParameterInit::ones()));
  if (!rms) bias = register_parameter("bias", make_parameter({dim}, ParameterInit::zeros()));
}

torch::Tensor QwenVisionNormImpl::forward(const torch::Tensor& x) {
  if (!rms_) return torch::layer_norm(x, {x.size(-1)}, weight, bias, kNormEps);
  const torch::Tensor x32 = x.to(torch::kFloat);  // as RMSNorm (attention.h)
  return weight * (x32 * torch::rsqrt(x32.pow(2).mean(-1, true) + kNormEps)).to(x.scalar_type());
}

QwenVisionAttentionImpl::QwenVisionAttentionImpl(const VisionConfig& c) : heads_(c.heads) {
  qkv = register_module("qkv", LoraLinear(c.hidden, 3 * c.hidden, true));
  proj = register_module("proj", LoraLinear(c.hidden, c.hidden, true));
}

torch::Tensor QwenVisionAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& cos,
                                               const torch::Tensor& sin, const std::vector<int64_t>& segments) {
  const int64_t p = x.size(0), d = x.size(1) / heads_;
  const torch::Tensor qkv_all = qkv(x).view({p, 3, heads_, d}).permute({1, 2, 0, 3});  // [3, H, P, hd]
  // The rotation in float32, as transformers' apply_rotary_pos_emb_vision.
  auto rotate = [&](const torch::Tensor& y) { return apply_rope(y.to(torch::kFloat), cos, sin).to(y.scalar_type()); };
  const torch::Tensor out =
      attend_segments(rotate(qkv_all[0]), rotate(qkv_all[1]), qkv_all[2], segments);  // [H, P, hd]
  return proj(out.transpose(0, 1).reshape({p, heads_ * d}));
}

QwenVisionMlpImpl::QwenVisionMlpImpl(const VisionConfig& c) : act_(c.hidden_act) {
  if (c.gated_mlp) {
    gate_proj = register_module("gate_proj", LoraLinear(c.hidden, c.intermediate, true));
    up_proj = register_module("up_proj", LoraLinear(c.hidden, c.intermediate, true));
    down_proj = register_module("down_proj", LoraLinear(c.intermediate, c.hidden, true));
  } else {
    fc1 = register_module("fc1", LoraLinear(c.hidden, c.intermediate, true));
    fc2 = register_module("fc2", LoraLinear(c.intermediate, c.hidden, true));
  }
}

torch::Tensor QwenVisionMlpImpl::forward(const torch::Tensor& x) {
  if (gate_proj) return down_proj(activation(act_, gate_proj(x)) * up_proj(x));
  return fc2(activation(act_, fc1(x)));
}

QwenVisionBlockImpl::QwenVisionBlockImpl(const VisionConfig& c) {
  norm1 = register_module("norm1", QwenVisionNorm(c.hidden, c.gated_mlp));
  norm2 = register_module("norm2", QwenVisionNorm(c.hidden, c.gated_mlp));
  attn = register_module("attn", QwenVisionAttention(c));
  mlp = register_module("mlp", QwenVisionMlp(c));
}

torch::Tensor QwenVisionBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                                           const std::vector<int64_t>& segments) {
  const torch::Tensor h = x + attn(norm1(x), cos, sin, segments);
  return h + mlp(norm2(h));
}

QwenMergerMlpImpl::QwenMergerMlpImpl(int64_t merged, int64_t out) {
  first = register_module("0", LoraLinear(merged, merged, true));
  second = register_module("2", LoraLinear(merged, out, true));
}

torch::Tensor QwenMergerMlpImpl::forward(const torch::Tensor& x) { return second(torch::gelu(first(x))); }

QwenPatchMergerImpl::QwenPatchMergerImpl(const VisionConfig& c, int64_t out)
    : merged_(c.hidden * c.spatial_merge * c.spatial_merge) {
  ln_q = register_module("ln_q", QwenVisionNorm(c.hidden, c.gated_mlp));
  mlp = register_module("mlp", QwenMergerMlp(merged_, out));
}

torch::Tensor QwenPatchMergerImpl::forward(const torch::Tensor& x) {
  // The processor put each m x m block's patches next to each other: a row of m^2 of them.
  return mlp(ln_q(x).reshape({-1, merged_}));
}

QwenVisionImpl::QwenVisionImpl(const VisionConfig& c, int64_t text_hidden) : config_(c) {
  patch_embed = register_module("patch_embed", QwenPatchEmbed(c));
  blocks = register_module("blocks", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.layers; ++i) blocks->push_back(QwenVisionBlock(c));
  merger = register_module("merger", QwenPatchMerger(c, text_hidden));
}

torch::Tensor qwen_vision_positions(const std::vector<ImageGrid>& grids, int64_t merge) {
  std::vector<int64_t> rows;
  for (const auto& g : grids)
    for (int64_t t = 0; t < g.t; ++t)
      for (int64_t bh = 0; bh < g.h / merge; ++bh)
        for (int64_t bw = 0; bw < g.w / merge; ++bw)
          for (int64_t mh = 0; mh < merge; ++mh)
            for (int64_t mw = 0; mw < merge; ++mw) {
              rows.push_back(bh * merge + mh);
              rows.push_back(bw * merge + mw);
            }
  return torch::tensor(rows, torch::kLong).view({-1, 2});
}

VisionWindows qwen_vision_windows(const std::vector<ImageGrid>& grids, int64_t merge, int64_t window_size,
                                  int64_t patch) {
  const int64_t side = window_size / merge / patch;  // merged units per window side
  CS_ASSERT(side > 0, "window_size smaller than a merged patch");
  VisionWindows w;
  int64_t base = 0;
  for (const auto& g : grids) {
    const int64_t lh = g.h / merge, lw = g.w / merge;
    for (int64_t t = 0; t < g.t; ++t)
      for (int64_t wy = 0; wy * side < lh; ++wy)
        for (int64_t wx = 0; wx * side < lw; ++wx) {
          const size_t before = w.order.size();
          for (int64_t y = wy * side; y < std::min(lh, (wy + 1) * side); ++y)
            for (int64_t x = wx * side; x < std::min(lw, (wx + 1) * side); ++x)
              w.order.push_back(base + (t * lh + y) * lw + x);
          w.lengths.push_back(int64_t(w.order.size() - before) * merge * merge);
        }
    base += g.t * lh * lw;
  }
  return w;
}

torch::Tensor QwenVisionImpl::forward(const torch::Tensor& patches, const std::vector<ImageGrid>& grids) {
  const torch::Device device = patches.device();
  const int64_t m = config_.spatial_merge, unit = m * m;
  torch::Tensor x = patch_embed->proj(patches);  // [P, D]
  const int64_t p = x.size(0);

  // 2-D rotary angles: the first half of each head's frequencies turns with the patch's
  // row, the second with its column ([P, hd], float32).
  const int64_t head = config_.hidden / config_.heads, spatial = head / 2;
  const torch::Tensor inv_freq = rope_inv_freq(spatial, config_.rope_theta, device);  // [hd / 4]
  const torch::Tensor freqs =
      qwen_vision_positions(grids, m).to(device).to(torch::kFloat).unsqueeze(-1) * inv_freq;  // [P, 2, hd / 4]
  const torch::Tensor half = torch::cat({freqs.select(1, 0), freqs.select(1, 1)}, -1);        // [P, hd / 2]
  torch::Tensor angles = torch::cat({half, half}, -1);                                        // [P, hd]

  // Each image's frames attend within themselves: runs of h * w patches.
  std::vector<int64_t> frames;
  for (const auto& g : grids) frames.insert(frames.end(), size_t(g.t), g.h * g.w);
  CS_ASSERT(std::accumulate(frames.begin(), frames.end(), int64_t(0)) == p,
            "image_grid_thw does not account for every patch");

  const bool windowed = config_.window_size > 0;
  VisionWindows windows;
  torch::Tensor order;  // [P / m^2] long
  if (windowed) {
    // Qwen2.5-VL: patches in window order (whole merged units moved together), so that a
    // window is a run of them; each frame stays one run, as no window crosses one.
    windows = qwen_vision_windows(grids, m, config_.window_size, config_.patch_size);
    order = torch::tensor(windows.order, torch::kLong).to(device);
    auto by_window = [&](const torch::Tensor& y) {
      return y.view({p / unit, unit, -1}).index_select(0, order).view({p, -1});
    };
    x = by_window(x);
    angles = by_window(angles);
  }
  const torch::Tensor cos = angles.cos(), sin = angles.sin();
  const auto& full = config_.full_attention_blocks;
  for (size_t i = 0; i < blocks->size(); ++i) {
    const bool whole = !windowed || std::find(full.begin(), full.end(), int64_t(i)) != full.end();
    x = blocks[i]->as<QwenVisionBlock>()->forward(x, cos, sin, whole ? frames : windows.lengths);
  }
  torch::Tensor merged = merger(x);  // [P / m^2, text width]
  if (windowed) merged = merged.index_select(0, torch::argsort(order));
  return merged;
}

}  // namespace clear_sweep
