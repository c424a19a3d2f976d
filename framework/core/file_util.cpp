#include "framework/core/file_util.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>

#include "framework/core/errors.hpp"

namespace runner {

namespace {
// The temporary files of writes in progress, for remove_temporary_files().
std::mutex g_temporary_mutex;
std::multiset<std::string> g_temporary_files;

struct TemporaryFile {
  explicit TemporaryFile(std::string name) : name_(std::move(name)) {
    const std::lock_guard lock(g_temporary_mutex);
    g_temporary_files.insert(name_);
  }
  ~TemporaryFile() {
    const std::lock_guard lock(g_temporary_mutex);
    g_temporary_files.erase(g_temporary_files.find(name_));
  }
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;
  std::string name_;
};
}  // namespace

void write_atomically(const std::filesystem::path& path,
                      const std::function<void(const std::filesystem::path& tmp)>& write) {
  const std::filesystem::path tmp =
      path.string() + fmt::format(".tmp-{}", static_cast<long>(::getpid()));
  const TemporaryFile registered(tmp.string());
  try {
    write(tmp);
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
      throw Error(fmt::format("{}: cannot move the finished file into place: {}", path.string(),
                              ec.message()));
    }
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
    throw;
  }
}

std::optional<std::string> not_a_regular_file(const std::filesystem::path& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  switch (status.type()) {
    case std::filesystem::file_type::directory:
      return "a folder, not a file";
    case std::filesystem::file_type::fifo:
      return "a FIFO (named pipe), not a regular file";
    case std::filesystem::file_type::block:
    case std::filesystem::file_type::character:
      return "a device, not a regular file";
    case std::filesystem::file_type::socket:
      return "a socket, not a regular file";
    default:
      return std::nullopt;
  }
}

void remove_temporary_files() {
  const std::lock_guard lock(g_temporary_mutex);
  for (const auto& name : g_temporary_files) {
    std::error_code ignored;
    std::filesystem::remove(name, ignored);
  }
}

void write_text_file(const std::filesystem::path& path, const std::string& text) {
  write_atomically(path, [&](const std::filesystem::path& tmp) {
    errno = 0;
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) {
      throw Error(fmt::format("{}: cannot write: {}", path.string(), os_reason()));
    }
    out << text;
    out.flush();
    if (!out) {
      throw Error(fmt::format("{}: cannot write: {}", path.string(), os_reason()));
    }
  });
}

std::string read_text_file(const std::filesystem::path& path) {
  if (const auto kind = not_a_regular_file(path)) {
    throw Error(fmt::format("{}: cannot read: {}", path.string(), *kind));
  }
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error(fmt::format("{}: cannot read: {}", path.string(), os_reason()));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

bool is_run_file_name(const std::string& name) {
  for (const char* own : {"config.yaml", "history.csv", "results.h5", "model-final.h5",
                          "summary.json", "state.bin", "report.html"}) {
    if (name == own) {
      return true;
    }
  }
  return name.ends_with(".png") || name.ends_with(".svg");  // runner's pictures
}

std::string os_reason() {
  const int error = errno;
  return error != 0 ? std::strerror(error) : "the operating system gave no reason";
}

void create_parent_folder(const std::filesystem::path& path) {
  const std::filesystem::path folder = path.parent_path();
  if (folder.empty()) {
    return;
  }
  std::error_code ec;
  std::filesystem::create_directories(folder, ec);
  if (ec) {
    throw Error(fmt::format("{}: cannot create the folder: {}", folder.string(), ec.message()));
  }
}

}  // namespace runner
