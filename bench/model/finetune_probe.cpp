// Trains a preset on a synthetic world and reports how well it memorised it: per-epoch
// loss and time, then greedy answers on training QA (exact match and token recall) and
// face recognition on trained and holdout persons. For sizing `tiny` and the mini sweep.
//   finetune_probe [persons] [images_per_person] [epochs] [lr] [batch] [threads] [preset]
#include <chrono>
#include <cstdio>
#include <set>
#include <sstream>

#include "data/bpe_tokenizer.h"
#include "data/synth_world.h"
#include "model/compute_threads.h"
#include "model/finetune.h"
#include "model/model_inputs.h"
#include "model/scoring.h"

using namespace clear_sweep;

namespace {

std::vector<std::string> words(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

/// Greedy answers for items; returns (exact-match rate, mean token recall).
std::pair<double, double> probe(Vlm& model, const Tokenizer& tok, const Dataset& ds, const ImageTable& images,
                                const std::vector<ItemRef>& items, int max_new) {
  ImageTensors tensors(images, model->config().vision.image_size, torch::kCPU);
  double exact = 0, recall = 0;
  for (size_t first = 0; first < items.size(); first += 32) {
    std::vector<Sequence> seqs;
    std::vector<std::string> refs;
    for (size_t i = first; i < std::min(items.size(), first + 32); ++i) {
      const ItemText t = item_text(ds, items[i]);
      seqs.push_back(make_sequence(tok, t.prompt, "", t.image, int(model->config().image_tokens())));
      refs.push_back(t.answer);
    }
    const auto batch = collate(seqs, tok.special().pad, PadSide::left, true);
    GenerateOptions g;
    g.max_new_tokens = max_new;
    g.eos_id = tok.special().eos;
    const auto out = generate_greedy(model, to_model_inputs(batch, tensors, torch::kCPU), g);
    for (size_t r = 0; r < out.size(); ++r) {
      std::string text = tok.decode(out[r]);
      if (!text.empty() && text[0] == ' ') text.erase(0, 1);
      exact += text == refs[r];
      const auto ref = words(refs[r]);
      auto got = words(text);
      std::multiset<std::string> pool(got.begin(), got.end());
      int hit = 0;
      for (const auto& w : ref)
        if (pool.count(w)) {
          pool.erase(pool.find(w));
          ++hit;
        }
      recall += ref.empty() ? 1 : double(hit) / double(ref.size());
    }
  }
  return {exact / double(items.size()), recall / double(items.size())};
}

}  // namespace

int main(int argc, char** argv) {
  SynthOptions w;
  w.persons = argc > 1 ? std::atoll(argv[1]) : 40;
  w.images_per_person = argc > 2 ? std::atoll(argv[2]) : 8;
  FinetuneOptions o;
  o.epochs = argc > 3 ? std::atoll(argv[3]) : 30;
  o.lr = argc > 4 ? std::atof(argv[4]) : 3e-3;
  o.batch_size = argc > 5 ? std::atoll(argv[5]) : 16;
  set_compute_threads(argc > 6 ? std::atoi(argv[6]) : 1);
  const std::string preset = argc > 7 ? argv[7] : "tiny";

  const auto world = synth_world(w);
  const Dataset& ds = world.dataset;
  ImageTable images;
  for (const auto& [path, image] : world.images) images[path] = image;
  ModelConfig config = model_preset(preset);
  const auto tok = BpeTokenizer::train(dataset_corpus(ds), int32_t(config.text.vocab_size));
  torch::manual_seed(0);
  Vlm model(config);
  std::printf("%s: %.2f M parameters, %zu image tokens\n", preset.c_str(), config.parameter_count() / 1e6,
              size_t(config.image_tokens()));
  const auto items = finetune_items(ds, ds.splits.forget_order);
  std::printf("%zu training items\n", items.size());
  finetune(model, tok, ds, images, items, o, [](const EpochReport& e) {
    std::printf("epoch %3lld  loss %.4f  %.1f s  %.0f tokens/s\n", (long long)e.epoch, e.mean_loss, e.seconds,
                e.tokens / e.seconds);
    std::fflush(stdout);
  });
  std::vector<ItemRef> qa, faces_trained, faces_holdout;
  for (const auto& i : person_items(ds, ds.splits.forget_order, Modality::text)) qa.push_back(i);
  faces_trained = face_items(ds, ds.splits.forget_order);
  faces_holdout = face_items(ds, ds.splits.holdout);
  const auto [qa_exact, qa_recall] = probe(model, tok, ds, images, qa, 32);
  const auto [face_exact, face_recall] = probe(model, tok, ds, images, faces_trained, 8);
  const auto [hold_exact, hold_recall] = probe(model, tok, ds, images, faces_holdout, 8);
  auto captions = person_items(ds, ds.splits.forget_order, Modality::visual);
  const auto [cap_exact, cap_recall] = probe(model, tok, ds, images, captions, 32);
  std::printf("train QA: exact %.3f recall %.3f\ncaptions: exact %.3f recall %.3f\n", qa_exact, qa_recall, cap_exact,
              cap_recall);
  std::printf("faces (trained): exact %.3f   faces (holdout): exact %.3f\n", face_exact, hold_exact);
}
