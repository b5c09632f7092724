// Writing a folder or file whole or not at all: it is written beside its place under a
// partial name (PARENT/.NAME.partial-PID), then renamed into place. A reader, a rerun
// or a resumed sweep never sees half of it, and a failure leaves no partial behind to
// take the space a rerun needs. Errors are classified as file_write.h does (a full disk
// is a ResumableError).
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

namespace clear_sweep {

/// `fill` writes the folder's files into a fresh partial folder, which then takes the
/// place of `target`: with `replace`, whatever was there is removed first; without, only
/// an empty folder may be there (anything else is an error, and stays as it was). On
/// failure the partial folder is removed and the error passes on, a filesystem error
/// classified; `what` begins its message ("cannot save the adapters").
void publish_dir(const std::filesystem::path& target, const std::string& what,
                 const std::function<void(const std::filesystem::path& partial)>& fill, bool replace = true);

/// Writes `bytes` as `target`, flushed to the disk, through a partial file.
void publish_file(const std::filesystem::path& target, std::string_view bytes, const std::string& what);

}  // namespace clear_sweep
