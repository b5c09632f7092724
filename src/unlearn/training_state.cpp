#include "unlearn/training_state.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <sstream>

#include "common/error.h"
#include "common/publish.h"

namespace clear_sweep {
namespace {

torch::Tensor scalar(int64_t v) { return torch::tensor({v}, torch::kInt64); }

}  // namespace

void save_training_state(const std::string& path, const TrainingState& state, const std::vector<torch::Tensor>& params,
                         torch::optim::Optimizer& optimizer) {
  torch::serialize::OutputArchive archive;
  archive.write("epochs", scalar(state.epochs));
  archive.write("steps", scalar(state.steps));
  archive.write("micro", scalar(state.micro));
  archive.write("count", scalar(int64_t(params.size())));
  archive.write("method_state", torch::tensor(state.method_state, torch::kDouble));
  for (size_t i = 0; i < params.size(); ++i) {
    const torch::Tensor& p = params[i];
    archive.write("param/" + std::to_string(i), p.detach().cpu());
    // A gradient not yet stepped (a partial accumulation) resumes too; none is zeros.
    archive.write("grad/" + std::to_string(i),
                  p.grad().defined() ? p.grad().detach().cpu() : torch::zeros_like(p).cpu());
  }
  torch::serialize::OutputArchive optimizer_archive;
  optimizer.save(optimizer_archive);
  archive.write("optimizer", optimizer_archive);

  // Serialised in memory, then written by write_file: torch's own file writer reports a
  // full disk as a generic c10::Error, with the errno lost, and it must be resumable.
  std::ostringstream bytes;
  archive.save_to(bytes);
  publish_file(path, bytes.str(), "cannot save the training state");
}

TrainingState load_training_state(const std::string& path, std::vector<torch::Tensor>& params,
                                  torch::optim::Optimizer& optimizer, const torch::Device& device) {
  torch::serialize::InputArchive archive;
  TrainingState state;
  try {
    archive.load_from(path, device);
    torch::Tensor t;
    archive.read("epochs", t);
    state.epochs = t.item<int64_t>();
    archive.read("steps", t);
    state.steps = t.item<int64_t>();
    archive.read("micro", t);
    state.micro = t.item<int64_t>();
    // Absent in states written before methods had state: none to restore.
    // (A tensor of its own: read() into a defined tensor writes into it, dtype and all.)
    if (torch::Tensor method_state; archive.try_read("method_state", method_state)) {
      method_state = method_state.to(torch::kCPU).to(torch::kDouble).contiguous();
      state.method_state.assign(method_state.data_ptr<double>(),
                                method_state.data_ptr<double>() + method_state.numel());
    }
    archive.read("count", t);
    if (t.item<int64_t>() != int64_t(params.size()))
      throw Error({path}, "",
                  "holds " + std::to_string(t.item<int64_t>()) + " adapter tensors, the model has " +
                      std::to_string(params.size()));
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < params.size(); ++i) {
      torch::Tensor value, grad;
      archive.read("param/" + std::to_string(i), value);
      archive.read("grad/" + std::to_string(i), grad);
      if (!value.sizes().equals(params[i].sizes()))
        throw Error({path}, "", "adapter tensor " + std::to_string(i) + " has another shape than the model's");
      params[i].copy_(value);
      params[i].mutable_grad() = grad.to(params[i].device(), params[i].scalar_type()).clone();
    }
    torch::serialize::InputArchive optimizer_archive;
    archive.read("optimizer", optimizer_archive);
    optimizer.load(optimizer_archive);
  } catch (const c10::Error& e) {
    throw Error({path}, "",
                std::string("not a training state this model can resume from: ") + e.what_without_backtrace());
  }
  return state;
}

}  // namespace clear_sweep
