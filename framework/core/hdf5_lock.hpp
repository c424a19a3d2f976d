#pragma once
// Debian's HDF5 is built without thread safety: every HDF5 call in the program (checkpoints,
// results.h5, HDF5 data sources) holds this one lock, so trials of a sweep running side by side
// can read and write their files.
#include <mutex>

namespace runner {

[[nodiscard]] std::unique_lock<std::recursive_mutex> lock_hdf5();

}  // namespace runner
