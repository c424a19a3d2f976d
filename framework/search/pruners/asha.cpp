// Asynchronous successive halving, as Optuna's SuccessiveHalvingPruner: rungs end at
// min_resource * reduction_factor^(min_early_stopping_rate + r) epochs, and at each a trial
// goes on only if it is in the best 1/reduction_factor of the trials that reached that rung.
#include <vector>

#include "framework/search/pruner.hpp"

namespace runner {
namespace {

class AshaPruner final : public Pruner {
 public:
  static const Schema& schema() {
    static const Schema s = [] {
      Schema out("asha", "asynchronous successive halving over epochs");
      out.integer("min_resource", "epochs of the first rung", 1)
          .at_least(1)
          .integer("reduction_factor", "1/factor of the trials go on at each rung", 4)
          .at_least(2)
          .integer("min_early_stopping_rate", "rungs skipped at the start", 0)
          .at_least(0);
      return out;
    }();
    return s;
  }
  static std::unique_ptr<Pruner> create(const Params& p) { return std::make_unique<AshaPruner>(p); }
  explicit AshaPruner(const Params& p)
      : rule_{p.integer("min_resource"), p.integer("reduction_factor"),
              p.integer("min_early_stopping_rate")} {}

  [[nodiscard]] bool prune(const StudyView& study, const TrialRecord& trial) const override {
    std::vector<const TrialRecord*> all;
    for (const auto& t : study.trials) {
      all.push_back(&t);
    }
    return halving_prunes(rule_, study.minimize, all, trial);
  }

 private:
  HalvingRule rule_;
};

}  // namespace
RUNNER_REGISTER_PRUNER(AshaPruner);
}  // namespace runner
