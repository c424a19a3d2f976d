#pragma once
// runner_bench runs every measurement in a child process, so that its peak RSS is its own.
#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

namespace runner::bench {

struct ChildResult {
  int exit_code = -1;
  std::string out;
  double peak_rss_mb = 0;
};

// Runs argv (argv[0] a path) with stdout captured; stderr passes through.
ChildResult run_child(const std::vector<std::string>& argv);

// The last line of `text` that starts with '{', parsed as JSON (null when there is none).
YAML::Node last_json_line(const std::string& text);

}  // namespace runner::bench
