# The inputs of the target clear-sweep, as Ninja sees them: the model module
# (its entry point, src/pipeline/plugin_entry.cpp) must be among them, and no file of
# tests/.
execute_process(COMMAND "${NINJA}" -C "${BUILD_DIR}" -t inputs clear-sweep
  RESULT_VARIABLE code OUTPUT_VARIABLE inputs ERROR_VARIABLE err)
if(NOT code EQUAL 0)
  message(FATAL_ERROR "ninja -t inputs failed: ${err}")
endif()
if(NOT inputs MATCHES "src/pipeline/plugin_entry.cpp")
  message(FATAL_ERROR "the target clear-sweep does not build the model module")
endif()
string(REGEX MATCHALL "[^\n]*/tests/[^\n]*" test_inputs "${inputs}")
if(test_inputs)
  message(FATAL_ERROR "the target clear-sweep builds test files: ${test_inputs}")
endif()
