# clear_sweep_library(NAME [REGISTERS] SOURCES... [DEPS target...])
# One static library per subsystem folder (README: "Layout"), named cs_<folder>,
# with src/ on the include path so headers are included as "sweep/job.h".
#
# REGISTERS: the library's files register what they implement at static
# initialisation (model families, unlearning methods), and nothing names those files'
# symbols, so a linker taking only the objects it needs would drop them. Its archive is
# then cs_<folder>_archive, and cs_<folder> is an interface target that links it whole
# (every consumer, directly or through another library, gets every registration).
function(clear_sweep_library name)
  cmake_parse_arguments(ARG "REGISTERS" "" "SOURCES;DEPS" ${ARGN})
  set(archive cs_${name})
  if(ARG_REGISTERS)
    set(archive cs_${name}_archive)
    add_library(cs_${name} INTERFACE)
    target_link_libraries(cs_${name} INTERFACE "$<LINK_LIBRARY:WHOLE_ARCHIVE,${archive}>")
  endif()
  add_library(${archive} STATIC ${ARG_SOURCES})
  target_include_directories(${archive} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${archive} PUBLIC ${ARG_DEPS})
endfunction()

# reuse_torch_pch(TARGET): a target compiled against libtorch reuses the model layer's
# precompiled header. A PCH only serves the same code model, so the target compiles as
# the model layer does (-fPIC, not the -fPIE executables get).
function(reuse_torch_pch target)
  set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE OFF)
  target_compile_options(${target} PRIVATE -fPIC)
  target_precompile_headers(${target} REUSE_FROM cs_model_archive)
endfunction()
