#include "data/partition.hpp"

#include <numeric>

#include "data/split.hpp"
#include "framework/core/errors.hpp"

namespace runner {

std::vector<std::int32_t> Part::classes() const {
  std::vector<std::int32_t> out;
  out.reserve(indices.size());
  for (const auto i : indices) {
    out.push_back(set->classes[static_cast<std::size_t>(i)]);
  }
  return out;
}

const Part& Partition::operator[](const std::string& name) const {
  if (name == "train") {
    return train;
  }
  return name == "validation" ? validation : test;
}

namespace {
std::vector<std::int64_t> all_of(const Samples& s) {
  std::vector<std::int64_t> out(static_cast<std::size_t>(s.count()));
  std::iota(out.begin(), out.end(), 0);
  return out;
}

// Splits `pool` (indices into set) as train_test_split(pool, test_size=fraction) does.
SplitIndices split_pool(const Samples& set, const std::vector<std::int64_t>& pool, double fraction,
                        bool stratify, std::uint32_t seed) {
  SplitIndices local;
  if (stratify) {
    std::vector<std::int32_t> classes(pool.size());
    for (std::size_t i = 0; i < pool.size(); ++i) {
      classes[i] = set.classes[static_cast<std::size_t>(pool[i])];
    }
    local = stratified_split(classes, fraction, seed);
  } else {
    local = train_validation_split(static_cast<std::int64_t>(pool.size()), fraction, seed);
  }
  SplitIndices out;
  for (const auto i : local.train) {
    out.train.push_back(pool[static_cast<std::size_t>(i)]);
  }
  for (const auto i : local.validation) {
    out.validation.push_back(pool[static_cast<std::size_t>(i)]);
  }
  return out;
}
}  // namespace

Partition partition(const Dataset& data, const SplitSettings& settings, std::uint32_t seed) {
  if (settings.stratify && !data.train.has_classes()) {
    throw DataError(
        fmt::format("{}: stratify needs one class label per sample", data.train.description));
  }
  Partition p;
  std::vector<std::int64_t> pool = all_of(data.train);
  if (data.test.count() > 0) {
    p.test = Part{&data.test, all_of(data.test)};
  } else if (settings.test_split > 0) {
    SplitIndices s = split_pool(data.train, pool, settings.test_split, settings.stratify, seed);
    p.test = Part{&data.train, std::move(s.validation)};
    pool = std::move(s.train);
  }
  if (data.validation.count() > 0) {
    p.validation = Part{&data.validation, all_of(data.validation)};
  } else if (settings.validation_split > 0) {
    SplitIndices s =
        split_pool(data.train, pool, settings.validation_split, settings.stratify, seed);
    p.validation = Part{&data.train, std::move(s.validation)};
    pool = std::move(s.train);
  }
  p.train = Part{&data.train, std::move(pool)};
  if (p.validation.set == nullptr) {
    p.validation.set = &data.train;
  }
  if (p.test.set == nullptr) {
    p.test.set = &data.train;
  }
  return p;
}

}  // namespace runner
