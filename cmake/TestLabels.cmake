# CTest labels for the doctest cases: `slow` for the cases in test suites named slow/...
# (end-to-end runs of the executable, MPI, the browser, signals), `fast` for the rest.
# doctest_discover_tests can only label by suite name, so a small script that CTest includes
# after doctest's own list asks the test executable which cases are in slow/ suites.
function(runner_label_tests target test_list)
  set(script "${CMAKE_CURRENT_BINARY_DIR}/${target}_labels.cmake")
  file(GENERATE OUTPUT "${script}" CONTENT "
cmake_policy(PUSH)
cmake_policy(SET CMP0057 NEW)  # if(IN_LIST): CTest runs this file without the project's policies
set(executable \"$<TARGET_FILE:${target}>\")
if(EXISTS \"\${executable}\" AND DEFINED ${test_list})
  execute_process(COMMAND \"\${executable}\" --list-test-cases --test-suite=slow/*
                  OUTPUT_VARIABLE listing RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR \"\${executable} --list-test-cases failed: \${status}\")
  endif()
  string(REPLACE \"\\n\" \";\" listing \"\${listing}\")
  foreach(name IN LISTS ${test_list})
    if(name IN_LIST listing)
      set_tests_properties(\"\${name}\" PROPERTIES LABELS slow)
    else()
      set_tests_properties(\"\${name}\" PROPERTIES LABELS fast)
    endif()
  endforeach()
endif()
cmake_policy(POP)
")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${script}")
endfunction()
