// Content hashes: job ids, stage (artifact) addresses, sweep fingerprints.
#pragma once

#include <string>
#include <string_view>

namespace clear_sweep {

/// SHA-256 of `data` as 64 lower-case hex digits.
std::string sha256_hex(std::string_view data);

/// SHA-256 of the file at `path`, read in blocks. Throws Error naming the file when it
/// cannot be read.
std::string sha256_file(const std::string& path);

/// The first `hex_digits` hex digits of sha256_hex(data). 16 digits (64 bits) make a
/// collision among even a million jobs about a 3e-8 chance.
std::string short_hash(std::string_view data, size_t hex_digits = 16);

}  // namespace clear_sweep
