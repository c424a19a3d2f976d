# The program's layers, one library target each, lowest first. A layer's sources may include
# headers of its own folders and of the layers it may use (and what those may use), nothing
# else: a wrong-way include fails the build (cmake/check_includes.cmake runs before each layer
# compiles, and again whenever one of its files changes).
#
#   core      framework/core       tensors, shapes, errors, parallel_for, text, files, strict YAML, registry
#   data      data                 data sources (IDX, NumPy, HDF5, CSV, image folders), splits, preprocessing
#   nn        framework/nn         layer contract and registry, model, losses, metrics
#   kernels   layers/kernels       the math of the layers (no framework above core)
#   layers    layers               one file per layer type
#   train     framework/train      trainer, optimizers, callbacks, history, progress, state
#   search    framework/search     search spaces, samplers (random, TPE) and pruners of sweeps
#   config    framework/config     the experiment and sweep files, --set
#   io        framework/io         HDF5, JSON, Keras checkpoints, run folders
#   plot      framework/plot       charts (Cairo) and model diagrams (Graphviz)
#   app       framework/app        runs, sweeps, compare, report, MPI
#   cli       framework/cli        the command line
include(${CMAKE_CURRENT_LIST_DIR}/layer_of.cmake)
set(RUNNER_LAYERS core data nn kernels layers train search config io plot app cli)
set(RUNNER_LAYER_DIRS_core framework/core)
set(RUNNER_LAYER_DIRS_data data)
set(RUNNER_LAYER_DIRS_nn framework/nn)
set(RUNNER_LAYER_DIRS_kernels layers/kernels)
set(RUNNER_LAYER_DIRS_layers layers)
set(RUNNER_LAYER_DIRS_train framework/train)
set(RUNNER_LAYER_DIRS_search framework/search)
set(RUNNER_LAYER_DIRS_config framework/config)
set(RUNNER_LAYER_DIRS_io framework/io)
set(RUNNER_LAYER_DIRS_plot framework/plot)
set(RUNNER_LAYER_DIRS_app framework/app)
set(RUNNER_LAYER_DIRS_cli framework/cli)
# Direct uses; what they use is allowed too.
set(RUNNER_LAYER_USES_core "")
set(RUNNER_LAYER_USES_data core)
set(RUNNER_LAYER_USES_nn core)
set(RUNNER_LAYER_USES_kernels core)
set(RUNNER_LAYER_USES_layers nn kernels)
set(RUNNER_LAYER_USES_train nn data)
set(RUNNER_LAYER_USES_search core)
set(RUNNER_LAYER_USES_config train search)
set(RUNNER_LAYER_USES_io config)
set(RUNNER_LAYER_USES_plot train)
set(RUNNER_LAYER_USES_app io plot)
set(RUNNER_LAYER_USES_cli app)

# RUNNER_LAYER_ALLOWED_<layer>: the layer itself and everything below it that it may use.
foreach(layer IN LISTS RUNNER_LAYERS)
  set(allowed ${layer})
  foreach(used IN LISTS RUNNER_LAYER_USES_${layer})
    list(APPEND allowed ${RUNNER_LAYER_ALLOWED_${used}})
  endforeach()
  list(REMOVE_DUPLICATES allowed)
  set(RUNNER_LAYER_ALLOWED_${layer} ${allowed})
endforeach()

# "prefix=layer" pairs, longest folders first, for the include check.
set(RUNNER_LAYER_MAP "")
foreach(layer IN LISTS RUNNER_LAYERS)
  foreach(dir IN LISTS RUNNER_LAYER_DIRS_${layer})
    list(APPEND RUNNER_LAYER_MAP "${dir}/=${layer}")
  endforeach()
endforeach()
list(SORT RUNNER_LAYER_MAP ORDER DESCENDING)  # layers/kernels/ before layers/

# The files of a layer's folders (a subfolder that is itself a layer is left out).
function(runner_layer_files layer out_sources out_all)
  set(sources "")
  set(all "")
  foreach(dir IN LISTS RUNNER_LAYER_DIRS_${layer})
    file(GLOB_RECURSE found CONFIGURE_DEPENDS RELATIVE ${PROJECT_SOURCE_DIR}
         ${dir}/*.cpp ${dir}/*.hpp)
    foreach(file IN LISTS found)
      runner_layer_of("${file}" "${RUNNER_LAYER_MAP}" owner)
      if(owner STREQUAL layer)
        list(APPEND all ${file})
        if(file MATCHES "\\.cpp$")
          list(APPEND sources ${file})
        endif()
      endif()
    endforeach()
  endforeach()
  set(${out_sources} ${sources} PARENT_SCOPE)
  set(${out_all} ${all} PARENT_SCOPE)
endfunction()

# Runs the include check on every file of `layer` before `target` compiles.
function(runner_check_layer_includes layer target)
  runner_layer_files(${layer} unused files)
  list(TRANSFORM files PREPEND ${PROJECT_SOURCE_DIR}/ OUTPUT_VARIABLE absolute)
  set(stamp ${CMAKE_CURRENT_BINARY_DIR}/layering/${layer}.checked)
  string(REPLACE ";" "," allowed "${RUNNER_LAYER_ALLOWED_${layer}}")
  string(REPLACE ";" "," map "${RUNNER_LAYER_MAP}")
  string(REPLACE ";" "," file_list "${files}")
  add_custom_command(
    OUTPUT ${stamp}
    COMMAND ${CMAKE_COMMAND} -D ROOT=${PROJECT_SOURCE_DIR} -D LAYER=${layer} -D ALLOWED=${allowed}
            -D MAP=${map} -D FILES=${file_list} -D STAMP=${stamp}
            -P ${PROJECT_SOURCE_DIR}/cmake/check_includes.cmake
    DEPENDS ${absolute} ${PROJECT_SOURCE_DIR}/cmake/check_includes.cmake
            ${PROJECT_SOURCE_DIR}/cmake/layer_of.cmake
    COMMENT "Checking that ${layer} includes only the layers below it"
    VERBATIM)
  add_custom_target(${target}_includes DEPENDS ${stamp})
  add_dependencies(${target} ${target}_includes)
endfunction()

# Fails configuration when `target` links, directly or through other targets, one of `banned`.
function(runner_forbid_links target)
  set(pending ${target})
  set(visited "")
  while(pending)
    list(POP_FRONT pending current)
    if(current IN_LIST visited OR NOT TARGET ${current})
      continue()
    endif()
    list(APPEND visited ${current})
    get_target_property(links ${current} INTERFACE_LINK_LIBRARIES)
    get_target_property(type ${current} TYPE)
    if(NOT type STREQUAL "INTERFACE_LIBRARY")
      get_target_property(private ${current} LINK_LIBRARIES)
      if(private)
        list(APPEND links ${private})
      endif()
    endif()
    foreach(link IN LISTS links)
      if(link AND NOT link MATCHES "NOTFOUND$")
        foreach(banned IN LISTS ARGN)
          if(link STREQUAL banned)
            message(FATAL_ERROR "${target} must not link ${banned} (it reaches it through ${current})")
          endif()
        endforeach()
        list(APPEND pending ${link})
      endif()
    endforeach()
  endwhile()
endfunction()
