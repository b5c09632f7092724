# clear_sweep_library(NAME SOURCES... [DEPS target...])
# One static library per subsystem folder (DESIGN.md section 2), named cs_<folder>,
# with src/ on the include path so headers are included as "sweep/job.h".
function(clear_sweep_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(cs_${name} STATIC ${ARG_SOURCES})
  target_include_directories(cs_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(cs_${name} PUBLIC ${ARG_DEPS})
endfunction()
