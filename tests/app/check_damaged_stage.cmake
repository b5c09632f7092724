# A stage folder whose model file was cut short (a kill during a copy, a full disk) is
# found by the sizes stage.json lists, moved aside, and trained again; the next run
# reuses the new one. Before stages listed their files, every job failed on it instead.
file(REMOVE_RECURSE "${WORK_DIR}")
function(finetune expect)
  execute_process(COMMAND "${BINARY}" finetune "${SWEEP}" --artifacts "${WORK_DIR}"
    RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT code EQUAL 0)
    message(FATAL_ERROR "finetune exited ${code}: ${out}${err}")
  endif()
  if(NOT "${out}${err}" MATCHES "${expect}")
    message(FATAL_ERROR "expected /${expect}/ in: ${out}${err}")
  endif()
endfunction()

finetune("finetune_base: trained")
file(GLOB models "${WORK_DIR}/*/model.safetensors")
list(LENGTH models n)
if(NOT n EQUAL 2)
  message(FATAL_ERROR "expected 2 stage folders, got: ${models}")
endif()
list(GET models 0 cut)
file(WRITE "${cut}" "truncated")  # 9 bytes of a file of megabytes
finetune("is damaged \\(model\\.safetensors: 9 bytes, stage\\.json says [0-9]+\\); moved to .*\\.damaged-[0-9]+, training it again")
file(GLOB aside "${WORK_DIR}/*.damaged-*")
if(NOT aside)
  message(FATAL_ERROR "the damaged folder was not kept")
endif()
file(SIZE "${cut}" size)
if(size LESS 1000)
  message(FATAL_ERROR "the stage was not trained again: ${cut} has ${size} bytes")
endif()
finetune("finetune_base: reused.*finetune_gold 25%: reused")
