// Independent uniform draws (log-uniform for `log: true` ranges), as Optuna's RandomSampler.
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
    ParameterValues values;
    for (const auto& p : study.space->parameters) {
      const double v = sample_uniform(p.distribution, rng);  // drawn either way: stable streams
      if (study.space->active(p, values)) {
        values[p.path] = v;
      }
    }
    return values;
  }
};

}  // namespace
RUNNER_REGISTER_SAMPLER(RandomSampler);
}  // namespace runner
