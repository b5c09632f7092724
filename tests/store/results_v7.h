// A results file of schema version 7, as clear-sweep wrote it before the warnings column
// (schema 8): the same rows, vectors and root attributes, /runs without `warnings`.
// Made from a file of this version by HDF5 itself (columns matched by name), so the test
// needs no copy of the old row layout.
#pragma once

#include <hdf5.h>

#include <algorithm>
#include <string>
#include <vector>

#include "store/results_file.h"

namespace clear_sweep::test {

/// Rewrites the results file at `path` (schema 8, closed) in place as version 7.
inline void downgrade_results_to_v7(const std::string& path) {
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  REQUIRE(file >= 0);
  const hid_t runs = H5Dopen2(file, "runs", H5P_DEFAULT);
  const hid_t full = H5Dget_type(runs);
  // Every member but warnings, packed in their order.
  size_t size = 0;
  std::vector<std::pair<std::string, hid_t>> members;
  for (int i = 0; i < H5Tget_nmembers(full); ++i) {
    char* name = H5Tget_member_name(full, unsigned(i));
    if (std::string(name) != "warnings") {
      members.emplace_back(name, H5Tget_member_type(full, unsigned(i)));
      size += H5Tget_size(members.back().second);
    }
    H5free_memory(name);
  }
  REQUIRE(members.size() == size_t(H5Tget_nmembers(full)) - 1);
  const hid_t old_type = H5Tcreate(H5T_COMPOUND, size);
  size_t offset = 0;
  for (const auto& [name, type] : members) {
    H5Tinsert(old_type, name.c_str(), offset, type);
    offset += H5Tget_size(type);
    H5Tclose(type);
  }
  const hid_t space = H5Dget_space(runs);
  hsize_t n = 0;
  H5Sget_simple_extent_dims(space, &n, nullptr);
  std::vector<char> rows(std::max<hsize_t>(n, 1) * size);
  if (n > 0) REQUIRE(H5Dread(runs, old_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows.data()) >= 0);
  H5Dclose(runs);
  REQUIRE(H5Ldelete(file, "runs", H5P_DEFAULT) >= 0);

  const hsize_t max[1] = {H5S_UNLIMITED}, chunk[1] = {256};
  const hid_t new_space = H5Screate_simple(1, &n, max);
  const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_chunk(dcpl, 1, chunk);
  const hid_t old_runs = H5Dcreate2(file, "runs", old_type, new_space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  REQUIRE(old_runs >= 0);
  if (n > 0) REQUIRE(H5Dwrite(old_runs, old_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows.data()) >= 0);
  if (n > 0) H5Dvlen_reclaim(old_type, new_space, H5P_DEFAULT, rows.data());

  const int version = 7;
  const hid_t attr = H5Aopen(file, "schema_version", H5P_DEFAULT);
  REQUIRE(H5Awrite(attr, H5T_NATIVE_INT, &version) >= 0);
  H5Aclose(attr);
  H5Dclose(old_runs);
  H5Pclose(dcpl);
  H5Sclose(new_space);
  H5Sclose(space);
  H5Tclose(old_type);
  H5Tclose(full);
  H5Fclose(file);
}

}  // namespace clear_sweep::test
