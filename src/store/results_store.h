// ResultsStore: what the coordinator writes through. It owns the lock, the journal and
// the HDF5 file, and decides when rows reach HDF5:
//  - open: lock; read the journal; open the file (or create it; or, if it is corrupt
//    and the journal says it is ours, move it aside and rebuild it from the journal);
//    refuse results of another experiment unless forced; replay journal records the
//    file lacks.
//  - record + commit: each result goes to the journal at once; commit() fsyncs the
//    journal (one fsync for everything recorded since the last commit) and writes the
//    buffered rows to HDF5 when a batch is full or the flush interval has passed.
//  - close: flush, release the lock.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "store/journal.h"
#include "store/lock_file.h"
#include "store/results_file.h"

namespace clear_sweep {

struct StoreOptions {
  /// Accept a file that holds another experiment's results (context hash differs).
  bool force = false;
  /// Buffered rows reach HDF5 at least this often (seconds)...
  double flush_seconds = 2.0;
  /// ...or as soon as this many are buffered: single-row appends to an extensible
  /// compound dataset are orders of magnitude slower than batches.
  size_t batch_rows = 256;
};

class ResultsStore {
 public:
  /// Opens or creates the results at `path` for the sweep described by `header`.
  /// Anything worth telling the user (a torn journal line, a rebuilt file) goes to `notes`.
  ResultsStore(const std::string& path, const ResultsHeader& header, const StoreOptions& options,
               std::vector<std::string>& notes);
  ~ResultsStore();
  ResultsStore(const ResultsStore&) = delete;
  ResultsStore& operator=(const ResultsStore&) = delete;

  /// Status of every job stored so far (the file's rows, the journal and this run's).
  const std::map<std::string, RunStatus>& stored() const { return stored_; }

  /// Journals a finished job (not yet durable: see commit) and buffers its row.
  void record(const ResultRecord& record);
  /// Makes every recorded job durable (fsync), and flushes rows to HDF5 when due.
  void commit();
  /// Writes every buffered row to HDF5 and flushes the file now.
  void flush();
  /// flush(), then releases the lock. Called by the destructor if not before.
  void close();

  const std::string& path() const { return path_; }
  size_t buffered() const { return pending_.size(); }

 private:
  std::string path_;
  StoreOptions options_;
  std::unique_ptr<LockFile> lock_;
  std::unique_ptr<Journal> journal_;
  std::optional<ResultsFile> file_;
  std::map<std::string, RunStatus> stored_;
  std::vector<ResultRecord> pending_;  ///< journaled, not yet in HDF5
  std::chrono::steady_clock::time_point last_flush_;
  bool closed_ = false;
};

/// Everything a reader can see of a results file: its rows, plus the records in its
/// journal not flushed to HDF5 yet (a sweep running, or killed before its last flush).
struct ResultsSnapshot {
  ResultsHeader header;
  std::vector<ResultRecord> rows;  ///< one per job id, the latest
  size_t unflushed = 0;            ///< how many rows came from the journal only
  std::vector<std::string> notes;
};

/// Reads `path` (and `path`.journal) without taking the lock; works while a sweep runs.
ResultsSnapshot results_snapshot(const std::string& path);

std::string journal_path(const std::string& results_path);
std::string lock_path(const std::string& results_path);

}  // namespace clear_sweep
