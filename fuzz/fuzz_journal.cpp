// Journal replay: the JSON lines a crashed run left beside its results file.
#include "fuzz_support.h"
#include "store/journal.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path =
      clear_sweep::fuzz::write_file("results.h5.journal", std::string(reinterpret_cast<const char*>(data), size));
  clear_sweep::fuzz::expect_clear_error([&] {
    std::vector<std::string> warnings;
    clear_sweep::Journal::read(path, &warnings);
  });
  return 0;
}
