#include "model/greedy_decoder.h"

#include <algorithm>
#include <iostream>
#include <limits>
#include <map>
#include <numeric>

#include "common/error.h"
#include "model/cuda_decode.h"
#include "model/image_placeholders.h"

namespace clear_sweep {

namespace {

/// Slots are allocated in steps of this many, so batches of similar lengths share storage.
constexpr int64_t kSlotGranule = 64;

/// The smallest power of two that holds `rows`.
int64_t bucket_for(int64_t rows) {
  int64_t b = 1;
  while (b < rows) b *= 2;
  return b;
}

}  // namespace

struct GreedyDecoder::Impl {
  Vlm& model;
  GenerateOptions o;
  torch::Device device;
  bool use_graphs;
  Counters counters;

  // Storage kept from batch to batch: `rows_cap` rows and `cache.capacity` slots. `cache`
  // holds views of its first rows, the batch's.
  KvCache cache;
  std::vector<torch::Tensor> keys, values;  // per layer [R, Hkv, L, d]
  torch::Tensor key_mask;                   // [R, L] bool
  torch::Tensor offset;                     // [R, 1] long: a family's position offset, or undefined
  torch::Tensor slot;                       // [1] long
  int64_t rows_cap = 0;
  // The step's inputs and outputs, in place.
  torch::Tensor ids, positions, real;                      // [R, 1] long, long, bool
  torch::Tensor next;                                      // [R] long
  torch::Tensor finished;                                  // [R] bool
  torch::Tensor banned, stops;                             // token ids never emitted; token ids that end a row
  std::vector<int64_t> stop_list;                          // stops, on the host
  std::map<int64_t, std::unique_ptr<DecodeGraph>> graphs;  // by rows
  const DecodeGraph* first_graph = nullptr;

  Impl(Vlm& m, GenerateOptions options)
      : model(m),
        o(std::move(options)),
        device(m->parameters().front().device()),
        use_graphs(o.cuda_graphs && DecodeGraph::available(device)) {
    std::vector<int64_t> ban, stop;  // -1: none (a text-only model has no image token)
    if (m->config().image_token_id >= 0) ban.push_back(m->config().image_token_id);
    if (m->config().pad_token_id >= 0) ban.push_back(m->config().pad_token_id);
    if (o.eos_id >= 0) stop.push_back(o.eos_id);
    for (int32_t id : o.stop_ids) stop.push_back(id);
    banned = torch::tensor(ban, torch::kLong).to(device);
    stops = torch::tensor(stop, torch::kLong).to(device);
    stop_list = stop;
  }

  /// The batch's views: its first `rows` rows of the storage.
  void view_rows(int64_t rows) {
    for (size_t l = 0; l < keys.size(); ++l) {
      cache.keys[l] = keys[l].narrow(0, 0, rows);
      cache.values[l] = values[l].narrow(0, 0, rows);
    }
    cache.key_mask = key_mask.narrow(0, 0, rows);
    cache.position_offset = offset.defined() ? offset.narrow(0, 0, rows) : torch::Tensor();
  }

  /// Picks each row's next token from its logits [b, V] (changed in place) and records it.
  void pick(torch::Tensor logits, int64_t b) {
    // Never emit an image placeholder or padding: neither is text, and a placeholder fed
    // back would ask for an image that is not there.
    if (banned.numel() > 0) logits.index_fill_(-1, banned, -std::numeric_limits<float>::infinity());
    const torch::Tensor token = logits.argmax(-1);  // [b]
    next.narrow(0, 0, b).copy_(token);
    ids.narrow(0, 0, b).copy_(token.unsqueeze(1));
    // Compared with each stop id: no sort or unique (isin's path for many ids syncs).
    if (stops.numel() > 0) finished.narrow(0, 0, b).logical_or_((token.unsqueeze(1) == stops).any(1));
  }

  /// One decode step of the first `b` rows: nothing but device work on tensors that
  /// outlive it (what a graph captures).
  void step(int64_t b) {
    DecodeStepScope no_sync;
    const ModelInputs in{ids.narrow(0, 0, b), real.narrow(0, 0, b), positions.narrow(0, 0, b), {}, {}, {}};
    pick(model->logits(model->hidden(in, {&cache, nullptr}).select(1, 0)), b);  // [b, V]
    positions.narrow(0, 0, b).add_(1);
  }

  void run_step(int64_t b) {
    ++counters.steps;
    if (!use_graphs) return step(b);
    auto& graph = graphs[b];
    if (graph) {
      graph->replay();
      cache.filled += 1;  // the host's count; the graph advanced the device's slot
      return;
    }
    // The warm-up is this step, for real; the capture's host pass counts once more.
    const int64_t filled = cache.filled;
    try {
      graph = std::make_unique<DecodeGraph>([&] { step(b); }, first_graph);
    } catch (const GraphCaptureError& e) {  // the warm-up step ran: go on without graphs
      graphs.erase(b);
      cache.filled = filled + 1;
      use_graphs = false;
      std::cerr << "warning: a decode step's CUDA graph capture failed, decoding without graphs: " << e.what() << "\n";
      return;
    }
    cache.filled = filled + 1;
    if (!first_graph) first_graph = graph.get();
    ++counters.graphs;
  }

  /// Moves rows `order` (indices into the batch's `rows`) to the front, in that order.
  void compact(const std::vector<int64_t>& order, int64_t rows, torch::Tensor& tokens) {
    const torch::Tensor index = torch::tensor(order, torch::kLong).to(device);
    const int64_t n = int64_t(order.size());
    auto move = [&](torch::Tensor& t) { t.narrow(0, 0, n).copy_(t.narrow(0, 0, rows).index_select(0, index)); };
    for (size_t l = 0; l < keys.size(); ++l) {
      move(keys[l]);
      move(values[l]);
    }
    move(key_mask);
    if (offset.defined()) move(offset);
    for (torch::Tensor* t : {&ids, &positions, &next, &finished, &tokens}) move(*t);
    view_rows(n);
    ++counters.shrinks;
  }

  /// Prefills `prompts` into the cache (reusing its storage where the batch fits) and
  /// records each row's first token.
  void prefill(const ModelInputs& prompts, int64_t slots_needed) {
    const int64_t b = prompts.input_ids.size(0);
    const bool fits = !keys.empty() && b <= rows_cap && slots_needed <= cache.capacity;
    if (!fits) {
      keys.clear(), values.clear(), key_mask = offset = slot = torch::Tensor();
      graphs.clear();
      first_graph = nullptr;
      cache = KvCache((slots_needed + kSlotGranule - 1) / kSlotGranule * kSlotGranule);
      rows_cap = b;
      ++counters.allocations;
    } else {
      view_rows(b);
      cache.key_mask.zero_();
      cache.filled = 0;
      cache.slot = slot;
    }
    // The LM head at the last position only: [b, D] -> [b, V], not [b, T, V].
    const torch::Tensor hidden = model->hidden(prompts, {&cache, nullptr});  // [b, T, D]
    const torch::Tensor logits = model->logits(hidden.select(1, hidden.size(1) - 1));
    if (!fits) {  // adopt what the pass allocated as the storage
      keys = cache.keys, values = cache.values, key_mask = cache.key_mask, slot = cache.slot;
      const auto options = torch::TensorOptions().dtype(torch::kLong).device(device);
      ids = torch::zeros({b, 1}, options);
      positions = torch::zeros({b, 1}, options);
      real = torch::ones({b, 1}, options.dtype(torch::kBool));
      next = torch::zeros({b}, options);
      finished = torch::zeros({b}, options.dtype(torch::kBool));
    }
    if (cache.position_offset.defined()) {  // a family's offset (Qwen2-VL's rope delta), into storage
      if (!offset.defined()) offset = torch::zeros({rows_cap, 1}, cache.position_offset.options());
      offset.narrow(0, 0, b).copy_(cache.position_offset);
      cache.position_offset = offset.narrow(0, 0, b);
    }
    positions.narrow(0, 0, b).copy_((std::get<0>(prompts.position_ids.max(1)) + 1).unsqueeze(1));
    finished.narrow(0, 0, b).zero_();
    pick(logits, b);
  }

  std::vector<std::vector<int32_t>> generate(const ModelInputs& prompts) {
    torch::NoGradGuard no_grad;
    const int64_t b0 = prompts.input_ids.size(0);
    std::vector<std::vector<int32_t>> out(static_cast<size_t>(b0));
    if (b0 == 0 || o.max_new_tokens <= 0) return out;
    prefill(prompts, prompts.input_ids.size(1) + o.max_new_tokens);

    torch::Tensor tokens = torch::empty({b0, o.max_new_tokens}, ids.options());  // [rows, new] in row order
    tokens.select(1, 0).copy_(next.narrow(0, 0, b0));
    std::vector<int64_t> row_of(static_cast<size_t>(b0));  // the prompt row of each batch row
    std::iota(row_of.begin(), row_of.end(), 0);
    std::vector<torch::Tensor> dropped;  // host [n, new] tokens of rows that left the batch
    std::vector<int64_t> dropped_rows;
    int64_t rows = b0, made = 1;

    // The finished flags as of the last copy (in the batch's current order): stop when
    // every row is done; shrink the batch when its live rows fit a smaller bucket.
    auto all_finished = [&](const torch::Tensor& flags) {
      const bool* done = flags.data_ptr<bool>();
      std::vector<int64_t> live, over;
      for (int64_t r = 0; r < rows; ++r) (done[r] ? over : live).push_back(r);
      if (live.empty()) return true;
      const int64_t target = bucket_for(int64_t(live.size()));
      if (target >= rows) return false;
      std::vector<int64_t> order = live;  // the live rows, then finished ones to fill the bucket
      order.insert(order.end(), over.begin(), over.begin() + (target - int64_t(live.size())));
      std::vector<int64_t> gone(over.begin() + (target - int64_t(live.size())), over.end());
      dropped.push_back(tokens.narrow(0, 0, rows)
                            .index_select(0, torch::tensor(gone, torch::kLong).to(device))
                            .narrow(1, 0, made)
                            .to(torch::kCPU));
      for (int64_t r : gone) dropped_rows.push_back(row_of[size_t(r)]);
      std::vector<int64_t> moved;
      for (int64_t r : order) moved.push_back(row_of[size_t(r)]);
      compact(order, rows, tokens);
      row_of = moved;
      rows = target;
      return false;
    };

    // On CUDA each read waits for the copy made `every` steps before (the GPU runs
    // behind the host); on the CPU the flags are read as they stand.
    const bool lagging = device.is_cuda();
    const int64_t every = lagging ? std::max<int64_t>(1, o.stop_check_every) : 1;
    AsyncHostCopy flags;
    for (;; ++made) {
      if ((made - 1) % every == 0) {
        if (!lagging) flags.start(finished.narrow(0, 0, rows));
        if (flags.pending() && all_finished(flags.wait())) break;
        if (lagging) flags.start(finished.narrow(0, 0, rows));
      }
      if (made >= o.max_new_tokens) break;
      run_step(rows);
      tokens.narrow(0, 0, rows).select(1, made).copy_(next.narrow(0, 0, rows));
    }
    if (flags.pending()) flags.wait();

    dropped.push_back(tokens.narrow(0, 0, rows).narrow(1, 0, std::min(made, o.max_new_tokens)).to(torch::kCPU));
    dropped_rows.insert(dropped_rows.end(), row_of.begin(), row_of.end());
    size_t k = 0;
    for (const torch::Tensor& block : dropped) {
      const torch::Tensor t = block.contiguous();
      for (int64_t r = 0; r < t.size(0); ++r, ++k) {
        auto& row = out[size_t(dropped_rows[k])];
        const int64_t* token = t[r].data_ptr<int64_t>();
        for (int64_t j = 0; j < t.size(1); ++j) {
          if (std::find(stop_list.begin(), stop_list.end(), token[j]) != stop_list.end()) break;
          row.push_back(int32_t(token[j]));
        }
      }
    }
    return out;
  }
};

GreedyDecoder::GreedyDecoder(Vlm& model, GenerateOptions options)
    : impl_(std::make_unique<Impl>(model, std::move(options))) {}
GreedyDecoder::~GreedyDecoder() = default;

std::vector<std::vector<int32_t>> GreedyDecoder::generate(const ModelInputs& prompts) {
  return impl_->generate(prompts);
}

const GreedyDecoder::Counters& GreedyDecoder::counters() const { return impl_->counters; }

}  // namespace clear_sweep
