#include "store/journal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/error.h"

namespace clear_sweep {
namespace {

using Json = nlohmann::json;

Json number_or_null(double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); }
double number_from(const Json& j) { return j.is_number() ? j.get<double>() : std::nan(""); }

[[noreturn]] void fail_errno(const std::string& path, const std::string& what) {
  throw Error({path}, "", what + ": " + std::strerror(errno));
}

constexpr const char* kResumeHint =
    "every result journaled before is safe; free space (or fix the cause) and rerun "
    "the same command to resume";

}  // namespace

std::string record_to_json(const ResultRecord& r) {
  Json j;
  j["job_id"] = r.job_id;
  j["method"] = r.method;
  j["modality"] = r.modality;
  j["forget_fraction"] = r.forget_fraction;
  j["seed"] = r.seed;
  j["hparams"] = r.hparams;
  j["context_hash"] = r.context_hash;
  j["status"] = run_status_name(r.status);
  j["error"] = r.error;
  if (!r.warnings.empty()) j["warnings"] = r.warnings;  // most lines have none: left out
  j["wall_seconds"] = number_or_null(r.wall_seconds);
  j["load_seconds"] = number_or_null(r.load_seconds);
  j["unlearn_seconds"] = number_or_null(r.unlearn_seconds);
  j["eval_seconds"] = number_or_null(r.eval_seconds);
  j["worker_rank"] = r.worker_rank;
  j["host"] = r.host;
  j["finished_at"] = number_or_null(r.finished_at);
  j["tokens"] = r.tokens;
  j["peak_memory_mb"] = number_or_null(r.peak_memory_mb);
  j["gpu_name"] = r.gpu_name;
  j["gpu_uuid"] = r.gpu_uuid;
  j["peak_gpu_allocated_mb"] = number_or_null(r.peak_gpu_allocated_mb);
  j["peak_gpu_reserved_mb"] = number_or_null(r.peak_gpu_reserved_mb);
  j["tokens_per_second"] = number_or_null(r.tokens_per_second);
  if (!r.trial_id.empty()) {  // search rows only: grid lines stay as they were
    j["trial_id"] = r.trial_id;
    j["rung"] = r.rung;
    j["capped_eval"] = r.capped_eval;
    j["objective"] = number_or_null(r.objective);
    j["constraint_margin"] = number_or_null(r.constraint_margin);
  }
  Json metrics = Json::object();
  for (const auto& [name, value] : r.metrics) metrics[name] = number_or_null(value);
  j["metrics"] = metrics;
  Json vectors = Json::object();
  for (const auto& [name, values] : r.vectors) {
    Json array = Json::array();
    for (double v : values) array.push_back(number_or_null(v));
    vectors[name] = array;
  }
  j["vectors"] = vectors;
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

ResultRecord record_from_json(const std::string& line) {
  const Json j = Json::parse(line);  // throws on malformed text; callers add the location
  ResultRecord r;
  r.job_id = j.at("job_id").get<std::string>();
  r.method = j.at("method").get<std::string>();
  r.modality = j.at("modality").get<std::string>();
  r.forget_fraction = j.at("forget_fraction").get<double>();
  r.seed = j.at("seed").get<int64_t>();
  r.hparams = j.at("hparams").get<std::string>();
  r.context_hash = j.at("context_hash").get<std::string>();
  if (!run_status_parse(j.at("status").get<std::string>(), r.status))
    throw std::runtime_error("unknown status " + j.at("status").dump());
  r.error = j.at("error").get<std::string>();
  r.wall_seconds = number_from(j.at("wall_seconds"));
  r.load_seconds = number_from(j.at("load_seconds"));
  r.unlearn_seconds = number_from(j.at("unlearn_seconds"));
  r.eval_seconds = number_from(j.at("eval_seconds"));
  r.worker_rank = j.at("worker_rank").get<int32_t>();
  r.host = j.at("host").get<std::string>();
  r.finished_at = number_from(j.at("finished_at"));
  r.tokens = j.at("tokens").get<int64_t>();
  r.peak_memory_mb = number_from(j.at("peak_memory_mb"));
  // The GPU fields came later: a journal line without them reads as a CPU job.
  const auto later_number = [&](const char* key) { return j.contains(key) ? number_from(j.at(key)) : 0.0; };
  r.gpu_name = j.value("gpu_name", std::string());
  r.gpu_uuid = j.value("gpu_uuid", std::string());
  r.peak_gpu_allocated_mb = later_number("peak_gpu_allocated_mb");
  r.peak_gpu_reserved_mb = later_number("peak_gpu_reserved_mb");
  r.tokens_per_second = later_number("tokens_per_second");
  r.warnings = j.value("warnings", std::string());
  r.trial_id = j.value("trial_id", std::string());
  r.rung = j.value("rung", int32_t(-1));
  r.capped_eval = j.value("capped_eval", false);
  r.objective = later_number("objective");
  r.constraint_margin = later_number("constraint_margin");
  for (const auto& [name, value] : j.at("metrics").items()) r.metrics[name] = number_from(value);
  for (const auto& [name, values] : j.at("vectors").items()) {
    auto& out = r.vectors[name];
    for (const auto& v : values) out.push_back(number_from(v));
  }
  return r;
}

Journal::Journal(std::string path) : path_(std::move(path)) {
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) fail_errno(path_, "cannot open journal");
  // Cut a torn last line (no newline at the end) so appends start on a fresh line.
  struct stat st;
  if (::fstat(fd_, &st) != 0) fail_errno(path_, "cannot stat journal");
  off_t keep = st.st_size;
  char c = '\n';
  while (keep > 0 && ::pread(fd_, &c, 1, keep - 1) == 1 && c != '\n') --keep;
  if (keep != st.st_size && ::ftruncate(fd_, keep) != 0) fail_errno(path_, "cannot truncate torn journal line");
  if (::lseek(fd_, 0, SEEK_END) < 0) fail_errno(path_, "cannot seek journal");
  syncer_ = std::thread([this] { sync_loop(); });
}

Journal::~Journal() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    quit_ = true;
  }
  changed_.notify_all();
  syncer_.join();  // the loop syncs what is left before it returns
  if (fd_ >= 0) ::close(fd_);
}

void Journal::sync_loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    changed_.wait(lock, [this] { return quit_ || appended_ > synced_; });
    if (appended_ > synced_ && failure_.empty()) {
      const uint64_t target = appended_;
      lock.unlock();
      const bool ok = ::fdatasync(fd_) == 0;
      const int error = errno;
      lock.lock();
      if (ok)
        synced_ = target;
      else
        failure_ = std::string("cannot fsync journal: ") + std::strerror(error);
      changed_.notify_all();
      continue;
    }
    if (quit_) return;
    if (!failure_.empty()) changed_.wait(lock, [this] { return quit_; });
  }
}

void Journal::check_failure() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!failure_.empty()) throw ResumableError({path_}, "", failure_, kResumeHint);
}

void Journal::append(const ResultRecord& record) {
  check_failure();
  const std::string line = record_to_json(record) + "\n";
  size_t written = 0;
  while (written < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + written, line.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      throw ResumableError({path_}, "", std::string("cannot write journal: ") + std::strerror(errno), kResumeHint);
    written += size_t(n);
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++appended_;
  }
  changed_.notify_all();
}

void Journal::sync() {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [this] { return synced_ >= appended_ || !failure_.empty(); });
  if (!failure_.empty()) throw ResumableError({path_}, "", failure_, kResumeHint);
}

std::vector<ResultRecord> Journal::read(const std::string& path, std::vector<std::string>* warnings) {
  std::vector<ResultRecord> records;
  std::ifstream in(path, std::ios::binary);
  if (!in) return records;  // no journal yet
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  size_t start = 0, line_number = 0;
  while (start < text.size()) {
    ++line_number;
    const size_t end = text.find('\n', start);
    if (end == std::string::npos) {  // a torn write: the crash came mid-line
      if (warnings)
        warnings->push_back(path + ":" + std::to_string(line_number) +
                            ": incomplete last line ignored (a crash during a write); that job runs again");
      break;
    }
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    if (line.empty()) continue;
    try {
      records.push_back(record_from_json(line));
    } catch (const std::exception& e) {
      throw Error({path, uint32_t(line_number)}, "", std::string("corrupt journal line: ") + e.what(),
                  "the journal is written by clear-sweep only; move it aside to start over");
    }
  }
  return records;
}

}  // namespace clear_sweep
