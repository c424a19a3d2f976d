#pragma once
// Files appear whole or not at all: everything is written under a temporary name in the same
// folder and renamed into place, so a reader or a crash never sees half a file.
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

namespace runner {

// Calls write(tmp) and renames tmp to `path`; on any failure removes tmp and throws Error.
void write_atomically(const std::filesystem::path& path,
                      const std::function<void(const std::filesystem::path& tmp)>& write);
void write_text_file(const std::filesystem::path& path, const std::string& text);
// Removes the temporary files of every write still in progress (abandon_process() calls it, so a
// process ended at once leaves none behind).
void remove_temporary_files();
std::string read_text_file(const std::filesystem::path& path);

// Why `path` cannot be read as a file ("a FIFO, not a regular file"; a folder, a device or a
// socket likewise), or nothing: for a regular file, and for one that does not exist (opening it
// then says so). Checked before opening, since opening a FIFO waits for a writer.
std::optional<std::string> not_a_regular_file(const std::filesystem::path& path);

// Whether `name` (a file directly in a run folder) is one runner writes itself: config.yaml,
// history.csv, results.h5, model-final.h5, summary.json, state.bin and the pictures (.png, .svg).
// A callback's file must not take one of these names.
bool is_run_file_name(const std::string& name);

// What the operating system said about the last failed call ("No space left on device"), for
// messages that name the path; read it right after the failure, before errno changes.
std::string os_reason();
// Creates the folder `path` will be written into when it is missing (as Keras' model.save()
// does); throws Error with the operating system's reason when it cannot.
void create_parent_folder(const std::filesystem::path& path);

}  // namespace runner
