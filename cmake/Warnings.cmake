# Warnings as an INTERFACE target; RUNNER_WERROR turns them into errors (CI sets it).
option(RUNNER_WERROR "Treat warnings as errors" OFF)
add_library(runner_warnings INTERFACE)
target_compile_options(runner_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Woverloaded-virtual
  -Wold-style-cast -Wsuggest-override
  $<$<BOOL:${RUNNER_WERROR}>:-Werror>)
