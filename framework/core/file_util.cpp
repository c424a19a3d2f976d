#include "framework/core/file_util.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "framework/core/errors.hpp"

namespace runner {

void write_atomically(const std::filesystem::path& path,
                      const std::function<void(const std::filesystem::path& tmp)>& write) {
  const std::filesystem::path tmp =
      path.string() + fmt::format(".tmp-{}", static_cast<long>(::getpid()));
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
