// The journal: an append-only write-ahead log beside the results file (NAME.h5.journal).
// Every finished job is written to it as one JSON line at once (a write: it survives
// the process being killed), and a background thread fsyncs whatever has been appended
// (group commit: it survives the machine going down within milliseconds), while HDF5
// rows are written in batches. So a crash (kill -9, a node lost, a corrupted HDF5 file)
// loses nothing that was synced: the next run replays into the HDF5 file whatever the
// journal has and the file lacks; a result lost in the last unsynced milliseconds is a
// job that runs again, never a duplicate.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/result_record.h"

namespace clear_sweep {

class Journal {
 public:
  /// Opens (creating if needed) `path` for appending. A torn last line, left by a crash
  /// mid-write, is cut off first so the next record starts on a line of its own.
  explicit Journal(std::string path);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  /// Appends one record (a write; the sync thread fsyncs it within milliseconds).
  void append(const ResultRecord& record);
  /// Waits until every record appended so far is fsynced. Rethrows a sync failure.
  void sync();

  const std::string& path() const { return path_; }

  /// Every complete record in `path`, in the order written (missing file: none). A torn
  /// last line is skipped and reported in `warnings`; a bad line elsewhere is an Error.
  static std::vector<ResultRecord> read(const std::string& path, std::vector<std::string>* warnings = nullptr);

 private:
  void sync_loop();
  void check_failure();

  std::string path_;
  int fd_ = -1;
  // The sync thread's state: records appended, records known durable, a failure.
  std::mutex mutex_;
  std::condition_variable changed_;
  uint64_t appended_ = 0, synced_ = 0;
  bool quit_ = false;
  std::string failure_;
  std::thread syncer_;
};

/// One JSON object per record (NaN as null), the journal's line format.
std::string record_to_json(const ResultRecord& record);
ResultRecord record_from_json(const std::string& line);

}  // namespace clear_sweep
