#pragma once
// Boost.Program_options with runner's error style: a usage mistake is a ConfigError.
#include <boost/program_options.hpp>
#include <string>
#include <vector>

namespace runner::cli {

namespace po = boost::program_options;

// Options every experiment-reading command takes.
struct CommonOptions {
  std::string experiment;
  std::vector<std::string> overrides;
  std::size_t threads = 0;
  bool help = false;
};

// --threads N's value: 0 (all cores) or 1 to kMaxThreads; anything else ("-1", "two") is a
// usage error naming the flag (program_options would read -1 as 2^64 - 1 threads).
inline constexpr std::size_t kMaxThreads = 4096;
po::typed_value<std::string>* threads_value(std::size_t& threads);

// Adds --set, --threads (commands that compute: with_threads) and --help to `desc`.
void add_common_options(po::options_description& desc, CommonOptions& common,
                        bool with_threads = true);
// Parses `args` with `positional` names (in order; the last takes all remaining arguments when
// `last_repeats`); throws ConfigError on mistakes.
po::variables_map parse(const std::vector<std::string>& args, const po::options_description& desc,
                        const std::vector<std::string>& positional, const std::string& command,
                        bool last_repeats = false);

}  // namespace runner::cli
