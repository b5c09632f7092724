#include <catch2/catch.hpp>

#include <cerrno>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

#include "common/error.h"
#include "common/file_write.h"
#include "common/hash.h"
#include "common/number_format.h"
#include "common/suggest.h"
#include "small_disk.h"

using namespace clear_sweep;

TEST_CASE("sha256 matches the FIPS 180-2 test vectors") {
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(short_hash("abc") == "ba7816bf8f01cfea");
  CHECK(short_hash("abc", 8) == "ba7816bf");
  CHECK_THROWS_AS(short_hash("abc", 0), InternalError);
}

TEST_CASE("format_number gives the shortest text that reads back to the same double") {
  CHECK(format_number(0.0001) == "0.0001");
  CHECK(format_number(1e-4) == format_number(0.0001));
  CHECK(format_number(1e-5) == "1e-05");
  CHECK(format_number(3.0) == "3");
  CHECK(format_number(2.5) == "2.5");
  CHECK(format_number(0.0) == "0");
  CHECK(format_number(-0.0) == "0");
  CHECK(format_number(0.1 + 0.2) == "0.30000000000000004");
  CHECK(format_number(std::nan("")) == "nan");
  CHECK(format_number(-std::numeric_limits<double>::infinity()) == "-inf");
  // As Python's repr(float) writes them, less repr's integral ".0".
  CHECK(format_number(1e16) == "1e+16");
  CHECK(format_number(1e15) == "1000000000000000");
  CHECK(format_number(1.5e-7) == "1.5e-07");
  CHECK(format_number(0.00012) == "0.00012");
  CHECK(format_number(100.0) == "100");
  CHECK(format_number(1234.5) == "1234.5");
  CHECK(format_number(-2.5e-10) == "-2.5e-10");
  CHECK(format_number(1.2345678901234568e+17) == "1.2345678901234568e+17");
  CHECK(format_number(1e-300) == "1e-300");
  for (double v : {1e-300, 3.14159, 12345678.9, 6.02e23, 1.0 / 3}) CHECK(std::stod(format_number(v)) == v);
}

TEST_CASE("Error formats one line: file:line:column, key, message, hint") {
  const Error e({"sweeps/x.toml", 12, 5}, "grid.metod", "unknown key", "did you mean 'method'?");
  CHECK(std::string(e.what()) == "sweeps/x.toml:12:5: error: grid.metod: unknown key (hint: did you mean 'method'?)");
  CHECK(e.where().line == 12);
  CHECK(e.key() == "grid.metod");

  const Error no_line({"x.toml"}, "", "cannot open sweep file");
  CHECK(std::string(no_line.what()) == "x.toml: error: cannot open sweep file");

  const Error multi({}, "k", "first\nsecond");
  CHECK(std::string(multi.what()).find('\n') == std::string::npos);
}

TEST_CASE("CS_ASSERT throws InternalError naming file and line") {
  try {
    CS_ASSERT(1 + 1 == 3, "arithmetic");
    FAIL("no throw");
  } catch (const InternalError& e) {
    const std::string what = e.what();
    CHECK(what.find("test_common.cpp:") != std::string::npos);
    CHECK(what.find("1 + 1 == 3") != std::string::npos);
    CHECK(what.find("arithmetic") != std::string::npos);
  }
}

TEST_CASE("suggest_name finds plausible typos and nothing else") {
  const std::vector<std::string> keys = {"method", "modality", "forget_fraction", "seed", "hparams"};
  CHECK(suggest_name("metod", keys) == "method");
  CHECK(suggest_name("modalty", keys) == "modality");
  CHECK(suggest_name("forget_fractions", keys) == "forget_fraction");
  CHECK(suggest_name("Seed", keys) == "seed");
  CHECK(suggest_name("nmae", {"name", "data"}) == "name");  // a swap of neighbours is one typo
  CHECK(suggest_name("nop", {"npo", "ga"}) == "npo");
  CHECK(suggest_name("learning_rate", keys).empty());
  CHECK(suggest_name("x", keys).empty());
  CHECK(join({"a", "b", "c"}) == "a, b, c");
  CHECK(join({}) == "");
}

TEST_CASE("a write that runs out of space is resumable, any other failure is an error naming the file") {
  // /dev/full refuses every write with ENOSPC, as a full disk does. Containers may lack
  // it (and a write would then create a plain file): a small tmpfs stands in.
  const SmallDisk disk("8k");
  const bool dev_full = std::filesystem::is_character_file("/dev/full");
  const std::string full = dev_full ? "/dev/full" : disk.file("f");
  if (dev_full || disk.mounted()) {
    try {
      write_file(full, std::string(100000, 'x'));
      FAIL("a write to a full disk must throw");
    } catch (const ResumableError& e) {
      CHECK(e.where().file == full);
      CHECK(e.message().find("No space left on device") != std::string::npos);
      CHECK(e.hint().find("rerun the same command to resume") != std::string::npos);
    }
    if (!dev_full) CHECK_FALSE(std::filesystem::exists(full));  // no half file left
  }
  CHECK(is_out_of_space(ENOSPC));
  CHECK(is_out_of_space(EDQUOT));
  CHECK_FALSE(is_out_of_space(EACCES));
  // A folder that does not exist is the user's to fix, not a resumable stop.
  char pattern[] = "/tmp/clear-sweep-write-XXXXXX";
  REQUIRE(mkdtemp(pattern));
  const std::string dir = pattern;
  const std::string missing = dir + "/no/such/folder/f";
  try {
    write_file(missing, "x");
    FAIL("a write into a missing folder must throw");
  } catch (const ResumableError&) {
    FAIL("a missing folder is not a full disk");
  } catch (const Error& e) {
    CHECK(e.where().file == missing);
    CHECK(e.message().find("No such file or directory") != std::string::npos);
  }
  // The bytes arrive whole, a second write replaces the first.
  write_file(dir + "/f", std::string(100000, 'a'));
  write_file(dir + "/f", "short");
  std::ifstream in(dir + "/f");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(text == "short");
  // A std::filesystem failure inside an artifact's writing is classified the same way.
  CHECK_THROWS_AS(classify_write_errors("saving",
                                        [] {
                                          throw std::filesystem::filesystem_error(
                                              "copy", "/x", std::make_error_code(std::errc::no_space_on_device));
                                        }),
                  ResumableError);
  try {
    classify_write_errors("saving", [&] { std::filesystem::copy_file(dir + "/none", dir + "/copy"); });
    FAIL("copying a missing file must throw");
  } catch (const ResumableError&) {
    FAIL("a missing file is not a full disk");
  } catch (const Error& e) {
    CHECK(e.where().file == dir + "/none");
    CHECK(e.message().find("saving") == 0);
  }
  std::filesystem::remove_all(dir);
}
