#include "app/merge_command.h"

#include <filesystem>
#include <map>
#include <optional>

#include "common/error.h"
#include "store/results_file.h"
#include "store/results_store.h"

namespace clear_sweep {
int merge_command(const MergeOptions& options, std::ostream& out) {
  if (std::filesystem::exists(options.out_path))
    throw Error({options.out_path}, "", "already exists; merge never overwrites", "give merge a new output path");

  struct Chosen {
    ResultRecord record;
    size_t input;
  };
  std::map<std::string, Chosen> chosen;
  std::vector<std::string> order;  // first-seen job order, for stable output
  std::optional<ResultsHeader> header;
  size_t rows_read = 0;
  for (size_t i = 0; i < options.inputs.size(); ++i) {
    const std::string& path = options.inputs[i];
    ResultsSnapshot snap = results_snapshot(path);
    if (!header) {
      header = snap.header;
    } else if (snap.header.context_hash != header->context_hash && !options.force) {
      throw Error({path}, "",
                  "holds results of another experiment (context " + snap.header.context_hash + ", not " +
                      header->context_hash + " of " + options.inputs[0] + ")",
                  "merge files of one experiment, or pass --force");
    }
    for (auto& r : snap.rows) {
      ++rows_read;
      const std::string id = r.job_id;  // before r is moved from
      const auto it = chosen.find(id);
      if (it == chosen.end()) {
        order.push_back(id);
        chosen.emplace(id, Chosen{std::move(r), i});
      } else if (preferred_record(r, it->second.record)) {
        it->second = Chosen{std::move(r), i};
      }
    }
  }
  if (!header) throw Error({}, "inputs", "no results files to merge");

  // Vectors of rows read from HDF5 are loaded from their file; journal rows carry theirs.
  std::vector<std::optional<ResultsFile>> readers(options.inputs.size());
  std::vector<ResultRecord> rows;
  rows.reserve(order.size());
  for (const auto& id : order) {
    Chosen& c = chosen.at(id);
    if (c.record.vectors.empty() && std::filesystem::exists(options.inputs[c.input])) {
      auto& reader = readers[c.input];
      if (!reader) reader = ResultsFile::open_read_only(options.inputs[c.input]);
      c.record.vectors = reader->read_vectors(id);
    }
    rows.push_back(std::move(c.record));
  }

  ResultsHeader merged = *header;
  merged.shard.clear();  // the merge is the whole of what its inputs hold
  ResultsFile file = ResultsFile::create(options.out_path, merged);
  for (size_t start = 0; start < rows.size(); start += 256) {
    const std::vector<ResultRecord> batch(rows.begin() + long(start),
                                          rows.begin() + long(std::min(rows.size(), start + 256)));
    file.write(batch);
  }
  file.flush();
  size_t ok = 0;
  for (const auto& r : rows) ok += r.status == RunStatus::ok;
  out << "merged " << options.inputs.size() << " file(s), " << rows_read << " row(s): " << rows.size() << " job(s) ("
      << ok << " ok, " << rows.size() - ok << " failed) -> " << options.out_path << "\n";
  return 0;
}

}  // namespace clear_sweep
