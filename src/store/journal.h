// The journal: an append-only write-ahead log beside the results file (NAME.h5.journal).
// Every finished job is written to it as one JSON line and fsynced before the
// coordinator answers the worker that sent it (group commit: the results that arrived
// together share one fsync), while HDF5 rows are written in batches. So a crash (kill -9,
// a node lost, a corrupted HDF5 file) loses nothing: the next run replays into the
// HDF5 file whatever the journal has and the file lacks.
#pragma once

#include <string>
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

  /// Appends one record (a write, no fsync yet).
  void append(const ResultRecord& record);
  /// fsyncs: every record appended so far survives a crash. A no-op when nothing is new.
  void sync();

  const std::string& path() const { return path_; }

  /// Every complete record in `path`, in the order written (missing file: none). A torn
  /// last line is skipped and reported in `warnings`; a bad line elsewhere is an Error.
  static std::vector<ResultRecord> read(const std::string& path, std::vector<std::string>* warnings = nullptr);

 private:
  std::string path_;
  int fd_ = -1;
  bool dirty_ = false;
};

/// One JSON object per record (NaN as null), the journal's line format.
std::string record_to_json(const ResultRecord& record);
ResultRecord record_from_json(const std::string& line);

}  // namespace clear_sweep
