#include "framework/cli/options.hpp"

#include <fmt/format.h>

#include <charconv>
#include <sstream>

#include "framework/core/errors.hpp"

namespace runner::cli {

po::typed_value<std::string>* threads_value(std::size_t& threads) {
  return po::value<std::string>()->default_value("0")->notifier([&threads](const std::string& s) {
    std::size_t n = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec != std::errc{} || end != s.data() + s.size() || n > kMaxThreads) {
      throw ConfigError(
          fmt::format("--threads {}: expected 0 (all cores) or a number of threads from 1 to {}", s,
                      kMaxThreads));
    }
    threads = n;
  });
}

void add_common_options(po::options_description& desc, CommonOptions& common, bool with_threads) {
  desc.add_options()("set", po::value(&common.overrides)->composing(),
                     "override a config value, e.g. --set fit.epochs=3 (repeatable)");
  if (with_threads) {
    desc.add_options()("threads", threads_value(common.threads),
                       "worker threads (0: all cores); results do not depend on it");
  }
  desc.add_options()("help,h", po::bool_switch(&common.help), "show this help");
}

po::variables_map parse(const std::vector<std::string>& args, const po::options_description& desc,
                        const std::vector<std::string>& positional, const std::string& command,
                        bool last_repeats) {
  po::positional_options_description pos;
  for (std::size_t i = 0; i < positional.size(); ++i) {
    pos.add(positional[i].c_str(), last_repeats && i + 1 == positional.size() ? -1 : 1);
  }
  po::variables_map vm;
  try {
    // No guessing: "--thread" must not silently mean "--threads".
    const int style =
        po::command_line_style::default_style ^ po::command_line_style::allow_guessing;
    po::store(po::command_line_parser(args).options(desc).positional(pos).style(style).run(), vm);
    po::notify(vm);
  } catch (const po::too_many_positional_options_error& e) {
    // Hydra's "key=value" is the likeliest stray argument: say what runner wants instead.
    for (std::size_t i = 0; i < args.size(); ++i) {
      const std::string& a = args[i];
      const bool option_value = i > 0 && args[i - 1] == "--set";
      if (!a.starts_with("-") && a.find('=') != std::string::npos && !option_value) {
        throw ConfigError(fmt::format(
            "runner {}: '{}' is not an argument runner takes; to override a config value "
            "use --set {}",
            command, a, a));
      }
    }
    std::ostringstream help;
    help << desc;
    throw ConfigError(fmt::format("runner {}: {}\n{}", command, e.what(), help.str()));
  } catch (const po::error& e) {
    std::ostringstream help;
    help << desc;
    throw ConfigError(fmt::format("runner {}: {}\n{}", command, e.what(), help.str()));
  }
  return vm;
}

}  // namespace runner::cli
