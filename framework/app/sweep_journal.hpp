#pragma once
// The sweep's memory of its proposals, <sweep folder>/trials.json: trial number -> folder and
// settings. A sweep that runs again takes its trials from here (finished ones are kept,
// interrupted ones resume), so a model-based sampler continues from the same history instead
// of proposing anew. A journal written for another search (method, parameters, seed, metric)
// is set aside.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "framework/config/sweep.hpp"

namespace runner {

struct JournalEntry {
  std::string id;  // the trial's folder
  Trial trial;
};

// What makes proposals comparable: the method and its settings, the space, the seed, the
// metric and goal.
std::string search_fingerprint(const Sweep& sweep);

// The journal's entries, or nothing when there is none or it belongs to another search (then
// `note` says so). Throws Error for a damaged file.
std::vector<JournalEntry> read_journal(const std::filesystem::path& dir, const Sweep& sweep,
                                       std::string* note);
void write_journal(const std::filesystem::path& dir, const Sweep& sweep,
                   const std::vector<JournalEntry>& entries);

}  // namespace runner
