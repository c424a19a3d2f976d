# runner_layer_of(PATH MAP OUT): the layer that owns PATH (a path from the source root), by the
# longest matching folder in MAP ("folder/=layer" pairs, longest first); empty when none does.
# Shared by cmake/Layering.cmake and the include check (cmake/check_includes.cmake).
function(runner_layer_of path map out)
  set(owner "")
  foreach(pair IN LISTS map)
    string(REPLACE "=" ";" pair "${pair}")
    list(GET pair 0 prefix)
    list(GET pair 1 candidate)
    string(FIND "${path}" "${prefix}" at)
    if(at EQUAL 0)
      set(owner ${candidate})
      break()
    endif()
  endforeach()
  set(${out} "${owner}" PARENT_SCOPE)
endfunction()
