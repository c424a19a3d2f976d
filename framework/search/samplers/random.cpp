// Independent uniform draws (log-uniform for `log: true` ranges), as Optuna's RandomSampler,
// except that a setting already tried is replaced by an untried one while there is one.
#include "framework/search/sampler.hpp"

namespace runner {
namespace {

class RandomSampler final : public Sampler {
 public:
  static const Schema& schema() {
    static const Schema s("random", "independent uniform draws (log-uniform for log ranges)");
    return s;
  }
  static std::unique_ptr<Sampler> create(const Params& /*params*/) {
    return std::make_unique<RandomSampler>();
  }

  [[nodiscard]] ParameterValues sample(const StudyView& study, std::int64_t number) const override {
    Rng rng = trial_rng(study, number);
    ParameterValues values = sample_setting(*study.space, rng);
    // Without replacement: a tried setting is drawn again only when no other is found.
    const TakenSettings taken(study);
    if (taken.contains(values)) {
      values = untried_setting(study, taken, rng).value_or(values);
    }
    return values;
  }
};

}  // namespace
RUNNER_REGISTER_SAMPLER(RandomSampler);
}  // namespace runner
