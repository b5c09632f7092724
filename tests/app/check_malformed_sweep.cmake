# Runs the real binary on a malformed sweep from an empty working directory and checks
# the user-visible contract: exit code 2, exactly one line on stderr that starts with
# file:line:column, nothing on stdout, and no file written.
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
execute_process(COMMAND "${BINARY}" plan "${SWEEP}"
  WORKING_DIRECTORY "${WORK_DIR}"
  RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT code EQUAL 2)
  message(FATAL_ERROR "expected exit code 2, got ${code}; stderr: ${err}")
endif()
if(NOT out STREQUAL "")
  message(FATAL_ERROR "expected no stdout, got: ${out}")
endif()
string(REGEX MATCHALL "\n" newlines "${err}")
list(LENGTH newlines lines)
if(NOT lines EQUAL 1)
  message(FATAL_ERROR "expected one line on stderr, got ${lines}: ${err}")
endif()
if(NOT err MATCHES "^${SWEEP}:7:17: error: grid.method\\[1\\]: unknown method 'dpoo'")
  message(FATAL_ERROR "stderr does not name file:line:column and key: ${err}")
endif()
file(GLOB written "${WORK_DIR}/*")
if(written)
  message(FATAL_ERROR "plan wrote files: ${written}")
endif()
