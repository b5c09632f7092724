#include "unlearn/oom_retry.h"

#include <ATen/DeviceAccelerator.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <regex>
#include <stdexcept>
#include <vector>

#include "common/error.h"

namespace clear_sweep {
namespace {

constexpr const char* kInjectVariable = "CLEAR_SWEEP_INJECT_OOM";
constexpr double kInjectedBytesPerRow = 256.0 * 1024 * 1024;

double unit_bytes(const std::string& unit) {
  if (unit == "KiB") return 1024.0;
  if (unit == "MiB") return 1024.0 * 1024;
  if (unit == "GiB") return 1024.0 * 1024 * 1024;
  if (unit == "TiB") return 1024.0 * 1024 * 1024 * 1024;
  return 1.0;  // bytes
}

/// The first size `pattern` (one number group, one unit group) finds, in bytes; -1 if none.
double find_size(const std::string& text, const std::regex& pattern) {
  std::smatch m;
  if (!std::regex_search(text, m, pattern)) return -1;
  return std::stod(m[1].str()) * unit_bytes(m[2].str());
}

/// "8 x 1" / "32/64": a setting in a list of those tried.
std::string short_text(const TrainBatching& b) {
  return std::to_string(b.micro_batch) + " x " + std::to_string(b.accum);
}
std::string short_text(const EvalBatching& b) {
  return std::to_string(b.batch_size) + "/" + std::to_string(b.generation_batch);
}

/// "a, b and c"
template <typename Batching>
std::string list_text(const std::vector<Batching>& settings) {
  std::string out;
  for (size_t i = 0; i < settings.size(); ++i)
    out += (i == 0 ? "" : i + 1 == settings.size() ? " and " : ", ") + short_text(settings[i]);
  return out;
}

/// The facts of `error`; where its message does not say what was free (an allocation
/// outside the caching allocator), the device is asked.
OomFacts facts_of(const c10::Error& error, c10::Device device) {
  OomFacts facts = oom_facts(error.what_without_backtrace());
  if (facts.free_bytes < 0 && device.is_cuda()) {
    const auto [free, total] = at::accelerator::getMemoryInfo(device.has_index() ? device.index() : 0);
    facts.free_bytes = double(free);
    facts.total_bytes = double(total);
  }
  return facts;
}

template <typename Batching>
Batching fit(const Batching& start, c10::Device device, const std::string& what,
             const std::function<void(const Batching&)>& attempt, const std::function<void()>& cleanup,
             std::string& warning, const std::function<void(const std::string&)>& on_retry, const std::string& hint) {
  std::vector<Batching> ran_out;
  OomFacts facts;
  Batching b = start;
  while (true) {
    bool out_of_memory = false;
    try {
      attempt(b);
    } catch (const c10::Error& e) {
      if (!is_out_of_memory(e)) throw;
      facts = facts_of(e, device);
      out_of_memory = true;
    }
    if (!out_of_memory) break;
    // Here, out of the handler, the try's tensors are gone with its frames and the
    // exception; what it left attached to the model goes now, then the cached blocks.
    if (cleanup) cleanup();
    oom_release(device);
    ran_out.push_back(b);
    const std::string memory = oom_facts_text(facts);
    const std::optional<Batching> next = oom_smaller(b);
    if (!next)
      throw std::runtime_error("out of GPU memory in " + what + " even at " + batching_text(b) + ", the smallest" +
                               (memory.empty() ? "" : ": " + memory) + " (" + list_text(ran_out) + " ran out); " +
                               hint);
    if (on_retry)
      on_retry("out of GPU memory in " + what + " at " + batching_text(b) +
               (memory.empty() ? "" : " (" + memory + ")") + "; retrying at " + batching_text(*next));
    b = *next;
  }
  if (!ran_out.empty())
    warning = "out of GPU memory in " + what + ": retried with " + batching_text(b) + " (" + list_text(ran_out) +
              " ran out" + (oom_facts_text(facts).empty() ? "" : ": " + oom_facts_text(facts)) + ")";
  return b;
}

std::mutex injection_mutex;
std::optional<OomInjection> injection;  ///< guarded by injection_mutex

}  // namespace

OomFacts oom_facts(const std::string& message) {
  static const std::string size = R"(([0-9]+(?:\.[0-9]+)?) (bytes|KiB|MiB|GiB|TiB))";
  static const std::regex requested("Tried to allocate " + size);
  static const std::regex free_new("of which " + size + " is free");
  static const std::regex free_old(size + " free");
  static const std::regex total_new("total capacity of " + size);
  static const std::regex total_old(size + " total capacity");
  static const std::regex device(R"(GPU ([0-9]+))");
  OomFacts facts;
  facts.requested_bytes = find_size(message, requested);
  facts.free_bytes = find_size(message, free_new);
  if (facts.free_bytes < 0) facts.free_bytes = find_size(message, free_old);
  facts.total_bytes = find_size(message, total_new);
  if (facts.total_bytes < 0) facts.total_bytes = find_size(message, total_old);
  std::smatch m;
  if (std::regex_search(message, m, device)) facts.device = "GPU " + m[1].str();
  return facts;
}

std::string oom_size_text(double bytes) {
  char text[48];
  if (bytes < 1024)
    std::snprintf(text, sizeof text, "%.0f bytes", bytes);
  else if (bytes < 1024.0 * 1024)
    std::snprintf(text, sizeof text, "%.2f KiB", bytes / 1024);
  else if (bytes < 1024.0 * 1024 * 1024)
    std::snprintf(text, sizeof text, "%.2f MiB", bytes / (1024.0 * 1024));
  else
    std::snprintf(text, sizeof text, "%.2f GiB", bytes / (1024.0 * 1024 * 1024));
  return text;
}

std::string oom_facts_text(const OomFacts& f) {
  std::string out;
  if (f.requested_bytes >= 0) out = oom_size_text(f.requested_bytes) + " asked for";
  if (f.free_bytes >= 0) {
    out += (out.empty() ? "" : ", ") + oom_size_text(f.free_bytes) + " free";
    if (f.total_bytes >= 0) out += " of " + oom_size_text(f.total_bytes);
  }
  if (!out.empty() && !f.device.empty()) out += " on " + f.device;
  return out;
}

bool is_out_of_memory(const c10::Error& error) {
  if (dynamic_cast<const c10::OutOfMemoryError*>(&error)) return true;
  const std::string what = error.what_without_backtrace();
  return what.find("CUDA error: out of memory") != std::string::npos ||
         what.find("CUBLAS_STATUS_ALLOC_FAILED") != std::string::npos;
}

std::optional<TrainBatching> oom_smaller(const TrainBatching& b) {
  if (b.micro_batch <= 1) return std::nullopt;
  int64_t divisor = b.micro_batch / 2;  // even: the half; odd: its largest proper divisor
  while (b.micro_batch % divisor != 0) --divisor;
  return TrainBatching{divisor, b.accum * (b.micro_batch / divisor)};
}

std::string batching_text(const TrainBatching& b) {
  return "micro-batch " + std::to_string(b.micro_batch) + " x " + std::to_string(b.accum) + " accumulation";
}

std::optional<EvalBatching> oom_smaller(const EvalBatching& b) {
  if (b.batch_size <= 1 && b.generation_batch <= 1) return std::nullopt;
  return EvalBatching{std::max<int64_t>(1, b.batch_size / 2), std::max<int64_t>(1, b.generation_batch / 2)};
}

std::string batching_text(const EvalBatching& b) {
  return "evaluation batch " + std::to_string(b.batch_size) + ", generation batch " +
         std::to_string(b.generation_batch);
}

TrainBatching oom_fit(const TrainBatching& start, c10::Device device, const std::string& what,
                      const std::function<void(const TrainBatching&)>& attempt, const std::function<void()>& cleanup,
                      std::string& warning, const std::function<void(const std::string&)>& on_retry) {
  return fit(start, device, what, attempt, cleanup, warning, on_retry,
             "lower batch_size or the items' length, set [resources] activation_checkpointing = true, or use a "
             "GPU with more memory");
}

EvalBatching oom_fit(const EvalBatching& start, c10::Device device, const std::string& what,
                     const std::function<void(const EvalBatching&)>& attempt, const std::function<void()>& cleanup,
                     std::string& warning, const std::function<void(const std::string&)>& on_retry) {
  return fit(start, device, what, attempt, cleanup, warning, on_retry,
             "lower [eval] max_new_tokens, or use a GPU with more memory");
}

void oom_release(c10::Device device) {
  if (device.is_cuda()) at::accelerator::emptyCache();
}

OomInjection oom_injection_parse(const std::string& text) {
  OomInjection out;
  size_t at = 0;
  while (at <= text.size() && !text.empty()) {
    const size_t end = std::min(text.find(',', at), text.size());
    const std::string part = text.substr(at, end - at);
    const size_t colon = part.find(':');
    const std::string kind = part.substr(0, colon);
    int64_t* limit = kind == "train" ? &out.train_rows : kind == "eval" ? &out.eval_rows : nullptr;
    char* rest = nullptr;
    const long long rows = colon == std::string::npos ? -1 : std::strtoll(part.c_str() + colon + 1, &rest, 10);
    if (!limit || colon == std::string::npos || colon + 1 == part.size() || *rest != '\0' || rows < 0)
      throw Error(SourceLocation{}, kInjectVariable, "cannot read '" + part + "' in '" + text + "'",
                  "train:N and/or eval:N, comma-separated, N >= 0 (e.g. train:4,eval:8)");
    *limit = rows;
    at = end + 1;
  }
  return out;
}

const OomInjection& oom_injection() {
  std::lock_guard<std::mutex> lock(injection_mutex);
  if (!injection) {
    const char* text = std::getenv(kInjectVariable);
    injection = text ? oom_injection_parse(text) : OomInjection{};
  }
  return *injection;
}

void oom_injection_set(const OomInjection& value) {
  std::lock_guard<std::mutex> lock(injection_mutex);
  injection = value;
}

void oom_inject(const std::string& what, int64_t rows, int64_t limit) {
  if (limit < 0 || rows <= limit) return;
  const double asked = double(rows) * kInjectedBytesPerRow, free = double(limit) * kInjectedBytesPerRow;
  C10_THROW_ERROR(OutOfMemoryError,
                  "CUDA out of memory. Tried to allocate " + oom_size_text(asked) +
                      ". GPU 0 has a total capacity of 80.00 GiB of which " + oom_size_text(free) +
                      " is free. Of the allocated memory 79.00 GiB is allocated by PyTorch, and 0 bytes is reserved "
                      "by PyTorch but unallocated. (injected by " +
                      kInjectVariable + ": " + what + " of " + std::to_string(rows) + " rows, above " +
                      std::to_string(limit) + ")");
}

}  // namespace clear_sweep
