// ResultsStore: what the coordinator writes through. It owns the lock, the journal and
// the HDF5 file, and decides when rows reach HDF5:
//  - open: lock; read the journal; open the file (or create it; or, if it is corrupt
//    and the journal says it is ours, move it aside and rebuild it from the journal);
//    refuse results of another experiment unless forced; replay journal records the
//    file lacks.
//  - record: each result goes to the journal at once (the journal's own thread fsyncs
//    it) and to a queue that a writer thread turns into HDF5 rows, in batches: when a
//    batch is full or the flush interval has passed. The coordinator never waits on
//    the disk; only the writer thread calls HDF5 while the store is open.
//  - flush: waits until everything recorded is fsynced and in HDF5.
//  - close: flush, stop the writer, release the lock.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
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
  /// Every search trial's rung result stored before this run opened the store, oldest
  /// first, one per job id, without vectors: what a search resumes from.
  const std::vector<ResultRecord>& stored_search_rows() const { return search_rows_; }

  /// Journals a finished job and queues its row for HDF5. Rethrows a failure of the
  /// background threads (a full disk, say) so the sweep stops instead of losing rows.
  void record(const ResultRecord& record);
  /// Rethrows a background failure, if any. Cheap: the coordinator calls it every loop.
  void commit();
  /// Waits until every recorded job is fsynced in the journal and written to HDF5.
  void flush();
  /// flush(), then stops the writer and releases the lock. The destructor does it too.
  void close();

  const std::string& path() const { return path_; }
  /// Rows recorded but not yet written to HDF5.
  size_t buffered();

 private:
  void writer_loop();
  void check_failure();

  std::string path_;
  StoreOptions options_;
  std::unique_ptr<LockFile> lock_;
  std::unique_ptr<Journal> journal_;
  std::optional<ResultsFile> file_;
  std::map<std::string, RunStatus> stored_;
  std::vector<ResultRecord> search_rows_;
  bool closed_ = false;

  // Shared with the writer thread.
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<ResultRecord> pending_;  ///< journaled, not yet in HDF5 (one per job id)
  size_t writing_ = 0;                 ///< rows the writer has taken and not finished
  bool flush_requested_ = false, quit_ = false;
  std::string failure_;
  std::thread writer_;
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
