#pragma once
// `runner resume RUN --epochs N`: a finished (or interrupted) run trains on to epoch N in its
// own folder, as Keras' second `fit(initial_epoch=done, epochs=N)` on the same model: the
// weights the run ended with (EarlyStopping's restored ones included), the optimizer's state
// and learning rate as they were, and, for a finished run, callbacks that start afresh (a new
// fit) while the history, history.csv and the CSVLogger file go on from the last epoch.
#include <cstdint>
#include <filesystem>

#include "framework/train/training_state.hpp"

namespace runner {

// Rewrites the run folder for the longer run and returns the state to resume: state.bin first
// (with the longer config's fingerprint), then config.yaml (fit.epochs: N, and the change in
// `overrides`), then summary.json goes (the run is unfinished again). A repeat of the same
// command after a crash between those steps picks up where it stopped. Throws ConfigError
// when N is not beyond the epochs done.
TrainingState prepare_continuation(const std::filesystem::path& run_dir, std::int64_t epochs);

}  // namespace runner
