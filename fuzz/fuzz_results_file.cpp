// Opening a results file that is not one, and reading its rows. Two kinds of input, by
// the first byte:
//   even: any bytes that are not HDF5 (every place HDF5 looks for its signature is
//         spoiled): another file given as the results;
//   odd:  a valid results file cut short at a length the next 4 bytes choose: what a
//         full disk or a copy killed midway leaves.
// Byte-level damage inside a valid HDF5 file's metadata is left out on purpose: it
// tests the HDF5 library's own parser (Debian's 1.10 hangs in H5HG_read on some such
// files, found by this target), not ours.
#include <cstring>

#include "fuzz_support.h"
#include "store/results_file.h"
#include "store/results_store.h"

namespace {

std::string valid;  ///< a small results file with a few rows and vectors

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const std::string path = clear_sweep::fuzz::scratch_dir() + "/valid.h5";
  {
    clear_sweep::ResultsHeader h;
    h.sweep_name = "fuzz";
    h.context_hash = "0123456789abcdef";
    std::vector<std::string> notes;
    clear_sweep::ResultsStore store(path, h, clear_sweep::StoreOptions{}, notes);
    for (int i = 0; i < 3; ++i) {
      clear_sweep::ResultRecord r;
      r.job_id = "job" + std::to_string(i);
      r.method = "ga";
      r.modality = "text";
      r.forget_fraction = 5;
      r.hparams = "lr=0.001";
      r.status = i == 2 ? clear_sweep::RunStatus::failed : clear_sweep::RunStatus::ok;
      r.error = i == 2 ? "it failed" : "";
      r.metrics = {{"forget_prob", 0.25 * i}, {"model_utility", 0.5}};
      r.vectors = {{"forget_truth_ratio", {0.5, 1.5, double(i)}}};
      store.record(r);
    }
  }
  valid = read_all(path);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  std::string bytes;
  if (data[0] % 2 == 0) {
    bytes.assign(reinterpret_cast<const char*>(data) + 1, size - 1);
    // HDF5 looks for its superblock at 0, 512, 1024, 2048, ...
    for (size_t at = 0; at < bytes.size(); at = at ? at * 2 : 512) bytes[at] = 'X';
  } else {
    uint32_t cut = 0;
    std::memcpy(&cut, data + 1, std::min<size_t>(4, size - 1));
    bytes = valid.substr(0, cut % valid.size());
  }
  const std::string path = clear_sweep::fuzz::write_file("results.h5", bytes);
  clear_sweep::fuzz::expect_clear_error([&] {
    const auto file = clear_sweep::ResultsFile::open_read_only(path);
    for (const auto& row : file.read_rows()) file.read_vectors(row.job_id);
  });
  return 0;
}
