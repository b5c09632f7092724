#include "store/results_store.h"

#include <cstdio>
#include <ctime>
#include <filesystem>

#include "common/error.h"
#include "store/hdf5_handle.h"

namespace clear_sweep {
namespace {

/// The last record of each job id, in first-seen order.
std::vector<ResultRecord> latest_per_job(const std::vector<ResultRecord>& records) {
  std::map<std::string, size_t> index;
  std::vector<ResultRecord> out;
  for (const auto& r : records) {
    const auto it = index.find(r.job_id);
    if (it == index.end()) {
      index[r.job_id] = out.size();
      out.push_back(r);
    } else {
      out[it->second] = r;
    }
  }
  return out;
}

}  // namespace

std::string journal_path(const std::string& results_path) { return results_path + ".journal"; }
std::string lock_path(const std::string& results_path) { return results_path + ".lock"; }

ResultsStore::ResultsStore(const std::string& path, const ResultsHeader& header, const StoreOptions& options,
                           std::vector<std::string>& notes)
    : path_(path), options_(options) {
  lock_ = std::make_unique<LockFile>(lock_path(path));
  const std::vector<ResultRecord> journaled = latest_per_job(Journal::read(journal_path(path), &notes));

  if (std::filesystem::exists(path)) {
    try {
      file_ = ResultsFile::open_for_append(path);
    } catch (const Error& e) {
      // A file we cannot open is rebuilt only when our journal proves it is ours and
      // holds its rows; anything else (someone's other file) is left untouched.
      const bool not_ours = e.message().find("not a clear-sweep results file") != std::string::npos ||
                            e.message().find("schema version") != std::string::npos;
      if (not_ours || journaled.empty()) throw;
      const std::string aside = path + ".corrupt-" + std::to_string(std::time(nullptr));
      if (std::rename(path.c_str(), aside.c_str()) != 0)
        throw Error({path}, "", "cannot open results file (" + e.message() + ") nor move it aside");
      notes.push_back(path + ": could not be opened (" + e.message() + "); moved to " + aside +
                      " and rebuilt from its journal");
    }
  }

  // Another experiment's results? Decided before anything is written.
  const std::string stored_context =
      file_ ? file_->header().context_hash : (journaled.empty() ? header.context_hash : journaled.back().context_hash);
  if (stored_context != header.context_hash && !options.force)
    throw Error({path}, "",
                "holds results of another experiment (context " + stored_context +
                    (file_ ? ", sweep '" + file_->header().sweep_name + "'" : std::string()) +
                    "); this sweep's context is " + header.context_hash,
                "write to another --out, or pass --force to add this sweep's jobs to the same file");

  if (!file_) {
    file_ = ResultsFile::create(path, header);
  } else if (stored_context != header.context_hash) {
    file_->set_header(header);  // forced: the file now describes the latest sweep
    notes.push_back(path + ": holds another experiment's results; adding this sweep's (--force)");
  }

  for (const auto& [id, entry] : file_->index()) stored_[id] = entry.status;

  // Replay what the journal has and the file lacks: rows of jobs that finished after
  // the last flush before a crash, or every row of a rebuilt file.
  std::vector<ResultRecord> replay;
  for (const auto& r : journaled) {
    const auto it = stored_.find(r.job_id);
    if (it == stored_.end() || it->second != r.status) replay.push_back(r);
  }
  if (!replay.empty()) {
    file_->write(replay);
    file_->flush();
    for (const auto& r : replay) stored_[r.job_id] = r.status;
    notes.push_back(path + ": recovered " + std::to_string(replay.size()) + " result(s) from the journal");
  }

  // The file's rows, then what the journal had beyond them: the order they finished in.
  search_rows_ = file_->search_rows();
  std::map<std::string, size_t> search_index;
  for (size_t i = 0; i < search_rows_.size(); ++i) search_index[search_rows_[i].job_id] = i;
  for (const auto& r : replay) {
    if (r.trial_id.empty()) continue;
    ResultRecord row = r;
    row.vectors.clear();
    const auto it = search_index.find(row.job_id);
    if (it != search_index.end()) {
      search_rows_[it->second] = std::move(row);
    } else {
      search_index[row.job_id] = search_rows_.size();
      search_rows_.push_back(std::move(row));
    }
  }

  journal_ = std::make_unique<Journal>(journal_path(path));
  writer_ = std::thread([this] { writer_loop(); });
}

void ResultsStore::writer_loop() {
  h5_quiet();  // HDF5's error printing is per thread: its failures come back as messages
  using Clock = std::chrono::steady_clock;
  const auto interval =
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options_.flush_seconds));
  std::unique_lock<std::mutex> lock(mutex_);
  auto last_flush = Clock::now();
  while (true) {
    const bool full = pending_.size() >= options_.batch_rows;
    const bool due = !pending_.empty() && Clock::now() - last_flush >= interval;
    if (!full && !due && !flush_requested_ && !quit_) {
      // Sleep until a batch fills, the interval passes, or someone asks.
      if (pending_.empty())
        changed_.wait(lock);
      else
        changed_.wait_until(lock, last_flush + interval);
      continue;
    }
    std::vector<ResultRecord> batch;
    batch.swap(pending_);
    writing_ = batch.size();
    const bool final_round = quit_;
    lock.unlock();
    std::string error;
    try {
      file_->write(batch);
      file_->flush();
    } catch (const std::exception& e) {
      error = e.what();
    }
    lock.lock();
    writing_ = 0;
    last_flush = Clock::now();
    if (!error.empty() && failure_.empty()) failure_ = error;
    if (pending_.empty()) flush_requested_ = false;
    changed_.notify_all();
    if (final_round && pending_.empty()) return;
    if (!failure_.empty()) {  // stop writing; the journal keeps every row for the next run
      changed_.wait(lock, [this] { return quit_; });
      return;
    }
  }
}

void ResultsStore::check_failure() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!failure_.empty())
    throw ResumableError({path_}, "", "cannot write results: " + failure_,
                         "every result is in the journal; free space (or fix the cause) and rerun the same command "
                         "to resume");
}

ResultsStore::~ResultsStore() {
  try {
    close();
  } catch (...) {
    // A destructor must not throw; the journal still holds every recorded row.
  }
}

void ResultsStore::record(const ResultRecord& record) {
  CS_ASSERT(!closed_, "record() after close()");
  check_failure();
  journal_->append(record);
  stored_[record.job_id] = record.status;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    bool replaced = false;  // a job recorded twice before a write keeps its latest row
    for (auto& p : pending_)
      if (p.job_id == record.job_id) {
        p = record;
        replaced = true;
      }
    if (!replaced) pending_.push_back(record);
  }
  changed_.notify_all();
}

void ResultsStore::commit() {
  CS_ASSERT(!closed_, "commit() after close()");
  check_failure();
}

size_t ResultsStore::buffered() {
  std::lock_guard<std::mutex> lock(mutex_);
  return pending_.size() + writing_;
}

void ResultsStore::flush() {
  if (closed_) return;
  journal_->sync();
  {
    std::unique_lock<std::mutex> lock(mutex_);
    flush_requested_ = true;
    changed_.notify_all();
    changed_.wait(lock, [this] { return (pending_.empty() && writing_ == 0) || !failure_.empty(); });
  }
  check_failure();
}

void ResultsStore::close() {
  if (closed_) return;
  std::exception_ptr failure;
  try {
    flush();
  } catch (...) {
    failure = std::current_exception();
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    quit_ = true;
  }
  changed_.notify_all();
  writer_.join();
  closed_ = true;
  file_.reset();
  journal_.reset();
  if (lock_) lock_->release();
  if (failure) std::rethrow_exception(failure);
}

ResultsSnapshot results_snapshot(const std::string& path) {
  ResultsSnapshot snap;
  if (!std::filesystem::exists(path) && !std::filesystem::exists(journal_path(path)))
    throw Error({path}, "", "no such results file", "the path given to `run --out`");
  std::map<std::string, size_t> index;
  if (std::filesystem::exists(path)) {
    try {
      const ResultsFile file = ResultsFile::open_read_only(path);
      snap.header = file.header();
      snap.rows = file.read_rows();
    } catch (const Error& e) {
      // A file damaged by a full disk or a crash: the journal still has every row, and
      // the next run rebuilds the file from it.
      if (!std::filesystem::exists(journal_path(path))) throw;
      snap.rows.clear();
      snap.notes.push_back(path + " cannot be read (" + e.message() +
                           "); showing the journal's rows, and the next run rebuilds the file from them");
    }
    for (size_t i = 0; i < snap.rows.size(); ++i) index[snap.rows[i].job_id] = i;
  }
  for (const auto& r : latest_per_job(Journal::read(journal_path(path), &snap.notes))) {
    const auto it = index.find(r.job_id);
    if (it == index.end()) {
      index[r.job_id] = snap.rows.size();
      snap.rows.push_back(r);
      ++snap.unflushed;
    } else if (snap.rows[it->second].status != r.status) {
      snap.rows[it->second] = r;
      ++snap.unflushed;
    }
  }
  return snap;
}

}  // namespace clear_sweep
