#include "store/results_file.h"

#include <cmath>
#include <cstddef>
#include <cstring>
#include <filesystem>

#include "common/error.h"
#include "store/metric_columns.h"

namespace clear_sweep {
namespace {

constexpr hsize_t kChunkRows = 256;  ///< rows per chunk of /runs (~75 KB)

/// The fixed part of a /runs row in memory; the metric doubles follow it. Strings are
/// HDF5 variable-length (any length, read natively by h5py and pandas).
struct RowHead {
  const char* job_id;
  const char* method;
  const char* modality;
  double forget_fraction;
  int64_t seed;
  const char* hparams;
  const char* context_hash;
  const char* status;
  const char* error;
  const char* warnings;  ///< schema 8 on; a null pointer where an older file has none
  double wall_seconds;
  double load_seconds;
  double unlearn_seconds;
  double eval_seconds;
  int32_t worker_rank;
  const char* host;
  double finished_at;
  int64_t tokens;
  double peak_memory_mb;
  const char* gpu_name;
  const char* gpu_uuid;
  double peak_gpu_allocated_mb;
  double peak_gpu_reserved_mb;
  double tokens_per_second;
  const char* trial_id;
  int32_t rung;
  int32_t capped_eval;
  double objective;
  double constraint_margin;
};
static_assert(sizeof(RowHead) % alignof(double) == 0, "metrics must follow RowHead aligned");

size_t row_size() { return sizeof(RowHead) + sizeof(double) * metric_columns().size(); }

H5Handle string_type() {
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, H5T_VARIABLE);
  H5Tset_cset(t, H5T_CSET_UTF8);
  return {t, H5Tclose};
}

/// The row type of `schema_version`: a file of an older version lacks the later
/// columns, which then stay null in RowHead (read as empty).
H5Handle make_row_type(int schema_version = kSchemaVersion) {
  const H5Handle str = string_type();
  hid_t t = H5Tcreate(H5T_COMPOUND, row_size());
#define CS_FIELD(name, type) H5Tinsert(t, #name, HOFFSET(RowHead, name), type)
  CS_FIELD(job_id, str.get());
  CS_FIELD(method, str.get());
  CS_FIELD(modality, str.get());
  CS_FIELD(forget_fraction, H5T_NATIVE_DOUBLE);
  CS_FIELD(seed, H5T_NATIVE_INT64);
  CS_FIELD(hparams, str.get());
  CS_FIELD(context_hash, str.get());
  CS_FIELD(status, str.get());
  CS_FIELD(error, str.get());
  if (schema_version >= 8) CS_FIELD(warnings, str.get());
  CS_FIELD(wall_seconds, H5T_NATIVE_DOUBLE);
  CS_FIELD(load_seconds, H5T_NATIVE_DOUBLE);
  CS_FIELD(unlearn_seconds, H5T_NATIVE_DOUBLE);
  CS_FIELD(eval_seconds, H5T_NATIVE_DOUBLE);
  CS_FIELD(worker_rank, H5T_NATIVE_INT32);
  CS_FIELD(host, str.get());
  CS_FIELD(finished_at, H5T_NATIVE_DOUBLE);
  CS_FIELD(tokens, H5T_NATIVE_INT64);
  CS_FIELD(peak_memory_mb, H5T_NATIVE_DOUBLE);
  CS_FIELD(gpu_name, str.get());
  CS_FIELD(gpu_uuid, str.get());
  CS_FIELD(peak_gpu_allocated_mb, H5T_NATIVE_DOUBLE);
  CS_FIELD(peak_gpu_reserved_mb, H5T_NATIVE_DOUBLE);
  CS_FIELD(tokens_per_second, H5T_NATIVE_DOUBLE);
  CS_FIELD(trial_id, str.get());
  CS_FIELD(rung, H5T_NATIVE_INT32);
  CS_FIELD(capped_eval, H5T_NATIVE_INT32);
  CS_FIELD(objective, H5T_NATIVE_DOUBLE);
  CS_FIELD(constraint_margin, H5T_NATIVE_DOUBLE);
#undef CS_FIELD
  const auto& columns = metric_columns();
  for (size_t i = 0; i < columns.size(); ++i)
    H5Tinsert(t, columns[i].name.c_str(), sizeof(RowHead) + i * sizeof(double), H5T_NATIVE_DOUBLE);
  return {t, H5Tclose};
}

/// HDF5's own file locking fails on NFS and Lustre (ENOLCK, errno 37); clear-sweep's
/// lock file guards writers, so HDF5 locking is only a best effort: tried, and dropped
/// when the file system refuses it. Readers never lock, so they see a running sweep.
/// Returns the open file, or throws naming HDF5's cause (taken before any other HDF5
/// call, since every call clears HDF5's error stack).
template <typename OpenFn>
H5Handle open_with_best_effort_locking(OpenFn&& open, bool lock, const std::string& path, const std::string& what) {
  std::string cause;
  for (bool locking : {lock, false}) {
    H5Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
    H5Pset_file_locking(fapl.get(), locking, true);
    const hid_t id = open(fapl.get());
    if (id >= 0) return H5Handle(id, H5Fclose);
    cause = h5_last_error();
    H5Eclear2(H5E_DEFAULT);
    if (!locking || cause.find("lock") == std::string::npos) break;  // not a locking failure
  }
  throw Error({path}, "", what + ": " + cause);
}

void write_string_attribute(hid_t object, const char* name, const std::string& value, const std::string& path) {
  if (H5Aexists(object, name) > 0) h5_check(H5Adelete(object, name), path, std::string("replace attribute ") + name);
  const H5Handle type = string_type();
  const H5Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  const H5Handle attr(h5_check(H5Acreate2(object, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), path,
                               std::string("create attribute ") + name),
                      H5Aclose);
  const char* text = value.c_str();
  h5_check(H5Awrite(attr.get(), type.get(), &text), path, std::string("write attribute ") + name);
}

void write_int_attribute(hid_t object, const char* name, int value, const std::string& path) {
  if (H5Aexists(object, name) > 0) h5_check(H5Adelete(object, name), path, std::string("replace attribute ") + name);
  const H5Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  const H5Handle attr(h5_check(H5Acreate2(object, name, H5T_NATIVE_INT, space.get(), H5P_DEFAULT, H5P_DEFAULT), path,
                               std::string("create attribute ") + name),
                      H5Aclose);
  h5_check(H5Awrite(attr.get(), H5T_NATIVE_INT, &value), path, std::string("write attribute ") + name);
}

/// Reads a string attribute written by us (variable length) or by another tool (fixed).
bool read_string_attribute(hid_t object, const char* name, std::string& out) {
  if (H5Aexists(object, name) <= 0) return false;
  const H5Handle attr(H5Aopen(object, name, H5P_DEFAULT), H5Aclose);
  const H5Handle type(H5Aget_type(attr.get()), H5Tclose);
  if (H5Tget_class(type.get()) != H5T_STRING) return false;
  if (H5Tis_variable_str(type.get()) > 0) {
    const H5Handle mem = string_type();
    char* text = nullptr;
    if (H5Aread(attr.get(), mem.get(), &text) < 0) return false;
    out = text ? text : "";
    H5free_memory(text);
  } else {
    std::string buffer(H5Tget_size(type.get()), '\0');
    if (H5Aread(attr.get(), type.get(), buffer.data()) < 0) return false;
    out = buffer.c_str();
  }
  return true;
}

bool read_int_attribute(hid_t object, const char* name, int& out) {
  if (H5Aexists(object, name) <= 0) return false;
  const H5Handle attr(H5Aopen(object, name, H5P_DEFAULT), H5Aclose);
  return H5Aread(attr.get(), H5T_NATIVE_INT, &out) >= 0;
}

std::string nonnull(const char* s) { return s ? s : ""; }

}  // namespace

ResultsFile ResultsFile::create(const std::string& path, const ResultsHeader& header) {
  h5_quiet();
  ResultsFile f;
  f.path_ = path;
  f.writable_ = true;
  f.file_ = open_with_best_effort_locking(
      [&](hid_t fapl) { return H5Fcreate(path.c_str(), H5F_ACC_EXCL, H5P_DEFAULT, fapl); }, true, path,
      "cannot create results file");
  f.row_type_ = make_row_type();

  const H5Handle space = [] {
    const hsize_t dims[1] = {0}, max[1] = {H5S_UNLIMITED};
    return H5Handle(H5Screate_simple(1, dims, max), H5Sclose);
  }();
  const H5Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  const hsize_t chunk[1] = {kChunkRows};
  H5Pset_chunk(dcpl.get(), 1, chunk);
  f.runs_ = H5Handle(
      h5_check(H5Dcreate2(f.file_.get(), "runs", f.row_type_.get(), space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
               path, "cannot create /runs"),
      H5Dclose);
  H5Handle jobs(
      h5_check(H5Gcreate2(f.file_.get(), "jobs", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), path, "cannot create /jobs"),
      H5Gclose);
  write_string_attribute(f.file_.get(), "magic", kResultsMagic, path);
  f.set_header(header);
  f.flush();
  return f;
}

ResultsFile ResultsFile::open_for_append(const std::string& path) {
  h5_quiet();
  ResultsFile f;
  f.path_ = path;
  f.writable_ = true;
  f.file_ = open_with_best_effort_locking([&](hid_t fapl) { return H5Fopen(path.c_str(), H5F_ACC_RDWR, fapl); }, true,
                                          path, "cannot open results file");
  f.open_runs();
  return f;
}

ResultsFile ResultsFile::open_read_only(const std::string& path) {
  h5_quiet();
  ResultsFile f;
  f.path_ = path;
  f.file_ = open_with_best_effort_locking([&](hid_t fapl) { return H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl); },
                                          false, path, "cannot open results file");
  f.open_runs();
  return f;
}

void ResultsFile::open_runs() {
  std::string magic;
  if (!read_string_attribute(file_.get(), "magic", magic) || magic != kResultsMagic)
    throw Error({path_}, "", "not a clear-sweep results file (no magic attribute '" + std::string(kResultsMagic) + "')",
                "give --out a new path; existing files are never overwritten");
  ResultsHeader h;
  read_int_attribute(file_.get(), "schema_version", h.schema_version);
  // Rows are written in this version's layout only; older files are read as they are.
  if (writable_ && h.schema_version != kSchemaVersion)
    throw Error({path_}, "",
                "results schema version " + std::to_string(h.schema_version) + ", this clear-sweep writes version " +
                    std::to_string(kSchemaVersion),
                "write this sweep to a new file, or bring the old one to this version with `clear-sweep merge NEW.h5 "
                "OLD.h5` (it reads versions from " +
                    std::to_string(kOldestReadableSchemaVersion) + " on)");
  if (h.schema_version < kOldestReadableSchemaVersion || h.schema_version > kSchemaVersion)
    throw Error({path_}, "",
                "results schema version " + std::to_string(h.schema_version) + ", this clear-sweep reads versions " +
                    std::to_string(kOldestReadableSchemaVersion) + " to " + std::to_string(kSchemaVersion),
                "use the clear-sweep version that wrote it, or write this sweep to a new file");
  read_string_attribute(file_.get(), "sweep_name", h.sweep_name);
  read_string_attribute(file_.get(), "sweep_toml", h.sweep_toml);
  read_string_attribute(file_.get(), "context_hash", h.context_hash);
  read_string_attribute(file_.get(), "program_version", h.program_version);
  read_string_attribute(file_.get(), "created_at", h.created_at);
  read_string_attribute(file_.get(), "shard", h.shard);
  header_ = h;
  row_type_ = make_row_type(h.schema_version);
  runs_ = H5Handle(h5_check(H5Dopen2(file_.get(), "runs", H5P_DEFAULT), path_, "cannot open /runs"), H5Dclose);
  check_runs_layout();
  if (writable_) index_rows();  // readers read the rows themselves: reading them here too would double it
}

void ResultsFile::check_runs_layout() const {
  // A damaged file's row type can hold members that reach past the row, which HDF5's
  // conversion then reads out of bounds (found by fuzz/fuzz_results_file): every column
  // we read must be in the file's type, of the same class, inside its size.
  auto damaged = [&](const std::string& why) {
    return Error({path_}, "runs", "the results file is damaged: " + why,
                 "rerun the sweep into a new file; the journal beside it (NAME.h5.journal) still holds every row "
                 "written");
  };
  const H5Handle file_type(h5_check(H5Dget_type(runs_.get()), path_, "cannot read the type of /runs"), H5Tclose);
  if (H5Tget_class(file_type.get()) != H5T_COMPOUND) throw damaged("/runs is not a table of rows");
  const size_t row_bytes = H5Tget_size(file_type.get());
  const int members = H5Tget_nmembers(row_type_.get());
  for (int i = 0; i < members; ++i) {
    char* name = H5Tget_member_name(row_type_.get(), unsigned(i));
    const std::string column = name ? name : "";
    H5free_memory(name);
    const int at = H5Tget_member_index(file_type.get(), column.c_str());
    if (at < 0) throw damaged("/runs has no column " + column);
    const H5Handle member(H5Tget_member_type(file_type.get(), unsigned(at)), H5Tclose);
    if (!member.valid() || H5Tget_class(member.get()) != H5Tget_member_class(row_type_.get(), unsigned(i)) ||
        H5Tget_member_offset(file_type.get(), unsigned(at)) + H5Tget_size(member.get()) > row_bytes)
      throw damaged("/runs column " + column + " has another type or lies outside the row");
  }
  // Rows take bytes on disk: more rows than the file has bytes is a damaged extent.
  const H5Handle space(H5Dget_space(runs_.get()), H5Sclose);
  hsize_t n = 0;
  if (H5Sget_simple_extent_ndims(space.get()) != 1 || H5Sget_simple_extent_dims(space.get(), &n, nullptr) < 0)
    throw damaged("/runs is not one-dimensional");
  std::error_code ec;
  const auto file_bytes = std::filesystem::file_size(path_, ec);
  if (!ec && n > file_bytes) throw damaged("/runs claims " + std::to_string(n) + " rows");
}

void ResultsFile::set_header(const ResultsHeader& header) {
  CS_ASSERT(writable_, "set_header on a read-only results file");
  write_int_attribute(file_.get(), "schema_version", kSchemaVersion, path_);
  write_string_attribute(file_.get(), "sweep_name", header.sweep_name, path_);
  write_string_attribute(file_.get(), "sweep_toml", header.sweep_toml, path_);
  write_string_attribute(file_.get(), "context_hash", header.context_hash, path_);
  write_string_attribute(file_.get(), "program_version", header.program_version, path_);
  write_string_attribute(file_.get(), "created_at", header.created_at, path_);
  write_string_attribute(file_.get(), "shard", header.shard, path_);
  header_ = header;
  header_.schema_version = kSchemaVersion;
}

void ResultsFile::index_rows() {
  index_.clear();
  search_rows_.clear();
  auto rows = read_rows();
  for (size_t i = 0; i < rows.size(); ++i) {
    index_[rows[i].job_id] = {i, rows[i].status};
    if (!rows[i].trial_id.empty()) search_rows_.push_back(std::move(rows[i]));
  }
}

std::vector<ResultRecord> ResultsFile::read_rows() const {
  const H5Handle space(H5Dget_space(runs_.get()), H5Sclose);
  hsize_t n = 0;
  H5Sget_simple_extent_dims(space.get(), &n, nullptr);
  std::vector<ResultRecord> rows;
  if (n == 0) return rows;
  std::vector<char> buffer(n * row_size());
  h5_check(H5Dread(runs_.get(), row_type_.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer.data()), path_,
           "cannot read /runs");
  const auto& columns = metric_columns();
  rows.reserve(n);
  for (hsize_t i = 0; i < n; ++i) {
    const char* base = buffer.data() + i * row_size();
    RowHead h;
    std::memcpy(&h, base, sizeof h);
    ResultRecord r;
    r.job_id = nonnull(h.job_id);
    r.method = nonnull(h.method);
    r.modality = nonnull(h.modality);
    r.forget_fraction = h.forget_fraction;
    r.seed = h.seed;
    r.hparams = nonnull(h.hparams);
    r.context_hash = nonnull(h.context_hash);
    if (!run_status_parse(nonnull(h.status), r.status)) r.status = RunStatus::failed;
    r.error = nonnull(h.error);
    r.warnings = nonnull(h.warnings);
    r.wall_seconds = h.wall_seconds;
    r.load_seconds = h.load_seconds;
    r.unlearn_seconds = h.unlearn_seconds;
    r.eval_seconds = h.eval_seconds;
    r.worker_rank = h.worker_rank;
    r.host = nonnull(h.host);
    r.finished_at = h.finished_at;
    r.tokens = h.tokens;
    r.peak_memory_mb = h.peak_memory_mb;
    r.gpu_name = nonnull(h.gpu_name);
    r.gpu_uuid = nonnull(h.gpu_uuid);
    r.peak_gpu_allocated_mb = h.peak_gpu_allocated_mb;
    r.peak_gpu_reserved_mb = h.peak_gpu_reserved_mb;
    r.tokens_per_second = h.tokens_per_second;
    r.trial_id = nonnull(h.trial_id);
    r.rung = h.rung;
    r.capped_eval = h.capped_eval != 0;
    r.objective = h.objective;
    r.constraint_margin = h.constraint_margin;
    for (size_t m = 0; m < columns.size(); ++m) {
      double value;
      std::memcpy(&value, base + sizeof(RowHead) + m * sizeof(double), sizeof value);
      if (!std::isnan(value)) r.metrics[columns[m].name] = value;
    }
    rows.push_back(std::move(r));
  }
  H5Dvlen_reclaim(row_type_.get(), space.get(), H5P_DEFAULT, buffer.data());
  return rows;
}

std::map<std::string, std::vector<double>> ResultsFile::read_vectors(const std::string& job_id) const {
  std::map<std::string, std::vector<double>> out;
  const std::string group_path = "/jobs/" + job_id;
  if (H5Lexists(file_.get(), "jobs", H5P_DEFAULT) <= 0 || H5Lexists(file_.get(), group_path.c_str(), H5P_DEFAULT) <= 0)
    return out;
  const H5Handle group(
      h5_check(H5Gopen2(file_.get(), group_path.c_str(), H5P_DEFAULT), path_, "cannot open " + group_path), H5Gclose);
  std::vector<std::string> names;
  H5Literate(
      group.get(), H5_INDEX_NAME, H5_ITER_INC, nullptr,
      [](hid_t, const char* name, const H5L_info_t*, void* data) -> herr_t {
        static_cast<std::vector<std::string>*>(data)->push_back(name);
        return 0;
      },
      &names);
  for (const auto& name : names) {
    const H5Handle ds(H5Dopen2(group.get(), name.c_str(), H5P_DEFAULT), H5Dclose);
    const H5Handle space(H5Dget_space(ds.get()), H5Sclose);
    hsize_t n = 0;
    H5Sget_simple_extent_dims(space.get(), &n, nullptr);
    std::vector<double> values(n);
    if (n > 0)
      h5_check(H5Dread(ds.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), path_,
               "cannot read " + group_path + "/" + name);
    out[name] = std::move(values);
  }
  return out;
}

void ResultsFile::write(const std::vector<ResultRecord>& records) {
  CS_ASSERT(writable_, "write on a read-only results file");
  if (records.empty()) return;
  const auto& columns = metric_columns();

  // Pack the rows; the const char* fields point into `records`, which outlive the write.
  std::vector<char> buffer(records.size() * row_size());
  for (size_t i = 0; i < records.size(); ++i) {
    const ResultRecord& r = records[i];
    RowHead h{r.job_id.c_str(),
              r.method.c_str(),
              r.modality.c_str(),
              r.forget_fraction,
              r.seed,
              r.hparams.c_str(),
              r.context_hash.c_str(),
              run_status_name(r.status),
              r.error.c_str(),
              r.warnings.c_str(),
              r.wall_seconds,
              r.load_seconds,
              r.unlearn_seconds,
              r.eval_seconds,
              r.worker_rank,
              r.host.c_str(),
              r.finished_at,
              r.tokens,
              r.peak_memory_mb,
              r.gpu_name.c_str(),
              r.gpu_uuid.c_str(),
              r.peak_gpu_allocated_mb,
              r.peak_gpu_reserved_mb,
              r.tokens_per_second,
              r.trial_id.c_str(),
              r.rung,
              r.capped_eval ? 1 : 0,
              r.objective,
              r.constraint_margin};
    char* base = buffer.data() + i * row_size();
    std::memcpy(base, &h, sizeof h);
    for (size_t m = 0; m < columns.size(); ++m) {
      const auto it = r.metrics.find(columns[m].name);
      const double value = it == r.metrics.end() ? std::nan("") : it->second;
      std::memcpy(base + sizeof(RowHead) + m * sizeof(double), &value, sizeof value);
    }
    for (const auto& [name, value] : r.metrics) {
      (void)value;
      CS_ASSERT(metric_column_index(name) >= 0, "job " + r.job_id + " reported unknown metric '" + name + "'");
    }
  }

  // Rows of known jobs are overwritten in place; new rows go to the end in one block.
  const hsize_t old_rows = index_.size();
  std::vector<size_t> fresh;  // indices into `records` of jobs without a row yet
  for (size_t i = 0; i < records.size(); ++i) {
    for (size_t k = 0; k < i; ++k)
      CS_ASSERT(records[k].job_id != records[i].job_id, "job " + records[i].job_id + " twice in one write");
    const auto [entry, added] = index_.emplace(records[i].job_id, RowIndex{old_rows + fresh.size(), records[i].status});
    if (added) fresh.push_back(i);
    entry->second.status = records[i].status;
  }
  if (!fresh.empty()) {
    const hsize_t new_size[1] = {old_rows + fresh.size()};
    h5_check(H5Dset_extent(runs_.get(), new_size), path_, "cannot extend /runs");
  }
  const H5Handle file_space(H5Dget_space(runs_.get()), H5Sclose);
  for (size_t i = 0; i < records.size(); ++i) {
    const hsize_t row = index_.at(records[i].job_id).row;
    // Consecutive fresh rows are written together below; here only overwrites.
    if (row >= old_rows) continue;
    const hsize_t start[1] = {row}, count[1] = {1};
    H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr);
    const H5Handle mem(H5Screate_simple(1, count, nullptr), H5Sclose);
    h5_check(H5Dwrite(runs_.get(), row_type_.get(), mem.get(), file_space.get(), H5P_DEFAULT,
                      buffer.data() + i * row_size()),
             path_, "cannot write row of job " + records[i].job_id);
  }
  if (!fresh.empty()) {
    std::vector<char> block(fresh.size() * row_size());
    for (size_t k = 0; k < fresh.size(); ++k)
      std::memcpy(block.data() + k * row_size(), buffer.data() + fresh[k] * row_size(), row_size());
    const hsize_t start[1] = {old_rows}, count[1] = {hsize_t(fresh.size())};
    H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr);
    const H5Handle mem(H5Screate_simple(1, count, nullptr), H5Sclose);
    h5_check(H5Dwrite(runs_.get(), row_type_.get(), mem.get(), file_space.get(), H5P_DEFAULT, block.data()), path_,
             "cannot append rows to /runs");
  }

  // Vectors: /jobs/<id>/<name>, replaced whole when a job is rewritten.
  for (const ResultRecord& r : records) {
    const std::string group_path = "/jobs/" + r.job_id;
    if (H5Lexists(file_.get(), group_path.c_str(), H5P_DEFAULT) > 0)
      h5_check(H5Ldelete(file_.get(), group_path.c_str(), H5P_DEFAULT), path_, "cannot replace " + group_path);
    if (r.vectors.empty()) continue;
    const H5Handle group(h5_check(H5Gcreate2(file_.get(), group_path.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                                  path_, "cannot create " + group_path),
                         H5Gclose);
    for (const auto& [name, values] : r.vectors) {
      const hsize_t dims[1] = {hsize_t(values.size())};
      const H5Handle space(H5Screate_simple(1, dims, nullptr), H5Sclose);
      const H5Handle ds(h5_check(H5Dcreate2(group.get(), name.c_str(), H5T_IEEE_F64LE, space.get(), H5P_DEFAULT,
                                            H5P_DEFAULT, H5P_DEFAULT),
                                 path_, "cannot create " + group_path + "/" + name),
                        H5Dclose);
      if (!values.empty())
        h5_check(H5Dwrite(ds.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), path_,
                 "cannot write " + group_path + "/" + name);
    }
  }
}

void ResultsFile::flush() {
  if (writable_) h5_check(H5Fflush(file_.get(), H5F_SCOPE_GLOBAL), path_, "cannot flush results file");
}

}  // namespace clear_sweep
