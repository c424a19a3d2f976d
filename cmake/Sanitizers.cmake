# RUNNER_SANITIZE=address,undefined (or thread) instruments every target that links runner_sanitizers.
set(RUNNER_SANITIZE "" CACHE STRING "Comma-separated sanitizers: address,undefined,thread")
add_library(runner_sanitizers INTERFACE)
if(RUNNER_SANITIZE)
  target_compile_options(runner_sanitizers INTERFACE
    -fsanitize=${RUNNER_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all
    # GCC 12 reports false "may be used uninitialized" inside libstdc++'s std::regex and
    # std::function when sanitizers are on; the release build keeps the warning.
    $<$<CXX_COMPILER_ID:GNU>:-Wno-maybe-uninitialized>)
  target_link_options(runner_sanitizers INTERFACE -fsanitize=${RUNNER_SANITIZE})
  # Executables without PIE: the sanitizers' per-check data (source locations, type descriptors)
  # made 1.3 million relative relocations (32 MB) in runner_tests, which every process applied
  # at start, copying the pages they touch; each test case is a process, and the CLI tests start
  # runner again and again. Linked at a fixed address, a test case starts in 0.07 s instead of
  # 0.09 with 86 MB instead of 121 (clang 14, ASan+UBSan).
  target_link_options(runner_sanitizers INTERFACE
                      $<$<STREQUAL:$<TARGET_PROPERTY:TYPE>,EXECUTABLE>:-no-pie>)
endif()

# RUNNER_FUZZ builds the libFuzzer targets in tests/fuzz (clang only); the layers they exercise get
# coverage instrumentation for them (CMakeLists.txt says which).
option(RUNNER_FUZZ "Build the libFuzzer targets (clang)" OFF)
