# device = "cuda" where libtorch sees no GPU (CI, or a CPU-only build): `finetune` and
# `run` under mpirun stop with exit 2 and an error naming the device, before any work:
# no artifact, no job row. Where a GPU is visible there is nothing to check.
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
execute_process(COMMAND nvidia-smi -L RESULT_VARIABLE no_gpu OUTPUT_QUIET ERROR_QUIET)
if(no_gpu EQUAL 0)
  message("a GPU is visible here: nothing to check")
  return()
endif()

execute_process(COMMAND "${BINARY}" finetune "${SWEEP}" --artifacts "${WORK_DIR}/artifacts"
  WORKING_DIRECTORY "${WORK_DIR}" RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT code EQUAL 2)
  message(FATAL_ERROR "finetune: expected exit code 2, got ${code}; stderr: ${err}")
endif()
if(NOT err MATCHES "resources\\.device: 'cuda' asked for, but libtorch sees no CUDA device \\(libtorch [^)]+\\)")
  message(FATAL_ERROR "finetune: the error does not name the device and the build: ${err}")
endif()
if(EXISTS "${WORK_DIR}/artifacts")
  message(FATAL_ERROR "finetune wrote artifacts before failing")
endif()

set(ENV{OMPI_ALLOW_RUN_AS_ROOT} 1)
set(ENV{OMPI_ALLOW_RUN_AS_ROOT_CONFIRM} 1)
execute_process(COMMAND "${MPIEXEC}" -np 2 --oversubscribe "${BINARY}" run "${SWEEP}" --out "${WORK_DIR}/cuda.h5"
  WORKING_DIRECTORY "${WORK_DIR}" RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 100)
if(NOT code EQUAL 2)
  message(FATAL_ERROR "run: expected exit code 2, got ${code}; stdout: ${out} stderr: ${err}")
endif()
if(NOT err MATCHES "rank 1 \\([^)]+\\): error: resources\\.device: 'cuda' requested but no GPU is visible")
  message(FATAL_ERROR "run: the error does not name the rank and the device: ${err}")
endif()
if(NOT err MATCHES "no job ran")
  message(FATAL_ERROR "run: the coordinator does not say that no job ran: ${err}")
endif()
if(EXISTS "${WORK_DIR}/artifacts")
  message(FATAL_ERROR "run trained a stage before failing")
endif()
