// Reading a small text file whole (a config.json, a template, a tokenizer file): an Error
// naming the file where it cannot be opened or read.
#pragma once

#include <string>

namespace clear_sweep {

/// The file's bytes. Error (key "file") naming `path` where it cannot be read.
std::string read_text_file(const std::string& path);

}  // namespace clear_sweep
