// The HDF5 results file of a sweep (README: "Results files"):
//   /runs            chunked, extensible compound dataset: one row per job (record fields
//                    and one float64 column per metric, NaN where not measured)
//   /jobs/<id>/<v>   float64 vectors of a job (per-item truth ratios, losses, curves)
//   root attributes  magic, schema_version, sweep_name, sweep_toml, context_hash,
//                    program_version, created_at
// One writer at a time (ResultsStore takes the lock); readers may open it while a
// sweep runs and see everything up to the last flush.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "store/hdf5_handle.h"
#include "store/result_record.h"

namespace clear_sweep {

inline constexpr const char* kResultsMagic = "clear-sweep-results";
/// Bumped whenever /runs changes shape (a field or a metric column added or renamed).
/// 2: the GPU columns (card, peak memory, tokens/s); 3: a search's trial, rung and objective.
/// 4: MLLMU-Bench's columns. 6: the visual benchmark's (faces_*). 7: TOFU's (tofu_*).
/// 8: warnings (what a job got over: an out-of-memory retry).
inline constexpr int kSchemaVersion = 8;
/// The oldest version open_read_only still reads (its rows lack the later columns, read
/// as empty); writing goes to files of kSchemaVersion only.
inline constexpr int kOldestReadableSchemaVersion = 7;

struct ResultsHeader {
  std::string sweep_name;
  std::string sweep_toml;    ///< the sweep file's text, verbatim
  std::string context_hash;  ///< which experiment the rows belong to (SweepSpec::context_hash)
  std::string program_version;
  std::string created_at;  ///< ISO 8601, UTC
  std::string shard;       ///< "I/N" when the file holds one shard of the grid, else ""
  int schema_version = kSchemaVersion;
};

class ResultsFile {
 public:
  /// Makes a new file; an existing file at `path` is an error (never overwritten).
  static ResultsFile create(const std::string& path, const ResultsHeader& header);
  /// Opens an existing file to add rows; checks magic and schema version (kSchemaVersion).
  static ResultsFile open_for_append(const std::string& path);
  /// Opens read-only, without HDF5 file locking, so it works while a sweep writes. Reads
  /// files back to kOldestReadableSchemaVersion; header().schema_version says which.
  static ResultsFile open_read_only(const std::string& path);

  const std::string& path() const { return path_; }
  const ResultsHeader& header() const { return header_; }
  /// Replaces the root attributes (a forced run of another sweep into this file).
  void set_header(const ResultsHeader& header);

  /// Where each job's row is and how it ended; kept for files opened to write only
  /// (made while opening, from the one read of /runs it takes).
  struct RowIndex {
    size_t row = 0;
    RunStatus status = RunStatus::ok;
  };
  const std::map<std::string, RowIndex>& index() const { return index_; }
  size_t row_count() const { return index_.size(); }
  /// The rows of search trials (trial_id set), in row order; files opened to write only.
  const std::vector<ResultRecord>& search_rows() const { return search_rows_; }
  /// Every row (vectors not included: read_vectors loads them per job).
  std::vector<ResultRecord> read_rows() const;
  std::map<std::string, std::vector<double>> read_vectors(const std::string& job_id) const;

  /// Writes each record as a row: a new row, or over the row of the same job id (a
  /// retried job), so a job never has two rows. Its vectors replace any earlier ones.
  void write(const std::vector<ResultRecord>& records);
  /// Makes everything written so far durable and visible to readers.
  void flush();

 private:
  ResultsFile() = default;
  void open_runs();
  /// Refuses a /runs whose row type or extent a damaged file made unreadable.
  void check_runs_layout() const;
  void index_rows();

  std::string path_;
  bool writable_ = false;
  H5Handle file_;
  H5Handle runs_;
  H5Handle row_type_;
  ResultsHeader header_;
  std::map<std::string, RowIndex> index_;  ///< job id -> row and status (writable files)
  std::vector<ResultRecord> search_rows_;
};

}  // namespace clear_sweep
