# clear_sweep_library(NAME SOURCES... [DEPS target...])
# One static library per subsystem folder (DESIGN.md section 2), named cs_<folder>,
# with src/ on the include path so headers are included as "sweep/job.h".
function(clear_sweep_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(cs_${name} STATIC ${ARG_SOURCES})
  target_include_directories(cs_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(cs_${name} PUBLIC ${ARG_DEPS})
endfunction()

# reuse_torch_pch(TARGET): an executable compiled against libtorch reuses cs_model's
# precompiled header. A PCH only serves the same code model, so the executable compiles
# as cs_model does (-fPIC, not the -fPIE executables get).
function(reuse_torch_pch target)
  set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE OFF)
  target_compile_options(${target} PRIVATE -fPIC)
  target_precompile_headers(${target} REUSE_FROM cs_model)
endfunction()
