#include "framework/app/sweep_journal.hpp"

#include <fmt/format.h>

#include "framework/core/errors.hpp"
#include "framework/core/file_util.hpp"
#include "framework/io/json.hpp"

namespace runner {

namespace {
constexpr const char* kFile = "trials.json";

std::string flow(const YAML::Node& node) {
  YAML::Emitter out;
  out << YAML::Flow << node;
  return out.c_str();
}
}  // namespace

std::string search_fingerprint(const Sweep& sweep) {
  std::string text = flow(sweep.method_node) + "|" + std::to_string(sweep.seed) + "|" +
                     sweep.metric + (sweep.minimize ? "<" : ">");
  for (const auto& p : sweep.space.parameters) {
    const auto& d = p.distribution;
    text += fmt::format("|{}:{}:{}:{}:{}:{}:{}", p.path, static_cast<int>(d.kind),
                        fmt::join(d.choices, ","), d.low, d.high, d.step.value_or(0), d.log);
    if (p.condition) {
      text += fmt::format("?{}={}", p.condition->parent, fmt::join(p.condition->values, ","));
    }
  }
  // FNV-1a 64: short, stable across builds and platforms.
  std::uint64_t hash = 1469598103934665603ULL;
  for (const unsigned char c : text) {
    hash = (hash ^ c) * 1099511628211ULL;
  }
  return fmt::format("{:016x}", hash);
}

std::vector<JournalEntry> read_journal(const std::filesystem::path& dir, const Sweep& sweep,
                                       std::string* note) {
  const auto path = dir / kFile;
  if (!std::filesystem::exists(path)) {
    return {};
  }
  const YAML::Node root = parse_json(read_text_file(path), path.string());
  if (!root.IsMap() || !root["trials"].IsSequence() || !root["search"].IsScalar()) {
    throw Error(fmt::format("{}: not a sweep journal (no search or trials)", path.string()));
  }
  if (root["search"].Scalar() != search_fingerprint(sweep)) {
    if (note != nullptr) {
      *note = fmt::format(
          "{} was written for another search (method, parameters, seed or metric changed): "
          "proposals start afresh; finished trials with the same settings are kept",
          path.string());
    }
    return {};
  }
  std::vector<JournalEntry> entries;
  for (const auto& t : root["trials"]) {
    if (!t.IsMap() || !t["trial"].IsScalar() || !t["params"].IsMap()) {
      throw Error(
          fmt::format("{}: trial {} has no folder or params", path.string(), entries.size()));
    }
    JournalEntry e;
    e.id = t["trial"].Scalar();
    // A folder name made by runner: "trial-" and hexadecimal digits, nothing that could leave
    // the sweep folder.
    if (!e.id.starts_with("trial-") || e.id.size() == 6 ||
        e.id.find_first_not_of("0123456789abcdef", 6) != std::string::npos) {
      throw Error(fmt::format("{}: '{}' is not a trial folder name", path.string(), e.id));
    }
    for (const auto& p : sweep.space.parameters) {  // in the space's order
      if (const YAML::Node v = t["params"][p.path]; v.IsDefined() && v.IsScalar()) {
        e.trial.assignments.emplace_back(p.path, v.Scalar());
      }
    }
    entries.push_back(std::move(e));
  }
  return entries;
}

void write_journal(const std::filesystem::path& dir, const Sweep& sweep,
                   const std::vector<JournalEntry>& entries) {
  YAML::Node root;
  root["sweep"] = sweep.name;
  root["search"] = search_fingerprint(sweep);
  YAML::Node trials(YAML::NodeType::Sequence);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    YAML::Node t;
    t["number"] = static_cast<std::int64_t>(i);
    t["trial"] = entries[i].id;
    YAML::Node params(YAML::NodeType::Map);
    for (const auto& [path, value] : entries[i].trial.assignments) {
      params[path] = value;
    }
    t["params"] = params;
    trials.push_back(t);
  }
  root["trials"] = trials;
  write_text_file(dir / kFile, to_json(root) + "\n");
}

}  // namespace runner
