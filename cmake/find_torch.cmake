# Finds libtorch and decides whether the build is CUDA-enabled.
#
# Where libtorch comes from, first match wins:
#   -DTorch_DIR=... or -DCMAKE_PREFIX_PATH=...  any libtorch: a cluster module, a conda
#                                              environment, the zip from pytorch.org
#   -DCLEAR_SWEEP_PYTHON=/path/to/python       that interpreter's torch
#   <repo>/.venv/bin/python                    the pinned torch scripts/setup.sh installs
# The Python torch is asked for torch.utils.cmake_prefix_path; nothing else of Python is
# used at build or run time.
#
# CLEAR_SWEEP_CUDA = AUTO (default) | ON | OFF. AUTO is CUDA-enabled when libtorch has
# CUDA and nvcc is found (PATH, CUDACXX, /usr/local/cuda); otherwise a CPU build against
# the same libtorch, which still runs everywhere.
#
# Sets: TORCH_LIBRARIES (link these), CLEAR_SWEEP_WITH_CUDA (ON/OFF), TORCH_VERSION_STRING,
# TORCH_PYTHON (the interpreter of the reference tests, or empty).

set(CLEAR_SWEEP_CUDA AUTO CACHE STRING "CUDA-enabled build: AUTO (where nvcc is), ON or OFF")
set_property(CACHE CLEAR_SWEEP_CUDA PROPERTY STRINGS AUTO ON OFF)
set(CLEAR_SWEEP_PYTHON "" CACHE FILEPATH "Python whose torch provides libtorch (default: the repository's .venv)")

# 1. Where is libtorch?
if(NOT Torch_DIR AND NOT CMAKE_PREFIX_PATH)
  set(_python "${CLEAR_SWEEP_PYTHON}")
  if(NOT _python AND EXISTS "${PROJECT_SOURCE_DIR}/.venv/bin/python")
    set(_python "${PROJECT_SOURCE_DIR}/.venv/bin/python")
  endif()
  if(_python)
    execute_process(
      COMMAND "${_python}" -c "import torch.utils; print(torch.utils.cmake_prefix_path)"
      OUTPUT_VARIABLE _torch_prefix OUTPUT_STRIP_TRAILING_WHITESPACE
      ERROR_VARIABLE _torch_error RESULT_VARIABLE _torch_rc)
    if(NOT _torch_rc EQUAL 0)
      message(FATAL_ERROR "${_python} cannot import torch:\n${_torch_error}\n"
                          "Run scripts/setup.sh (it installs requirements/torch.txt into .venv), "
                          "or pass -DTorch_DIR=<libtorch>/share/cmake/Torch.")
    endif()
    list(APPEND CMAKE_PREFIX_PATH "${_torch_prefix}")
  endif()
endif()
# The Python of the reference tests (transformers, PEFT ...): the one whose torch we
# build against, else the repository's .venv.
set(TORCH_PYTHON "${_python}")
if(NOT TORCH_PYTHON AND EXISTS "${PROJECT_SOURCE_DIR}/.venv/bin/python")
  set(TORCH_PYTHON "${PROJECT_SOURCE_DIR}/.venv/bin/python")
endif()

# The libtorch folder (holding lib/ and include/) without running its config yet: the
# CUDA decision must come first, because TorchConfig requires the toolkit when libtorch
# has CUDA.
# Only where we were told: a system libtorch (Debian's 1.13, CPU-only and without
# scaled_dot_product_attention) is never picked up by accident.
find_path(_torch_config_dir TorchConfig.cmake
  PATHS ${Torch_DIR} ${CMAKE_PREFIX_PATH} PATH_SUFFIXES share/cmake/Torch Torch NO_DEFAULT_PATH NO_CACHE)
if(NOT _torch_config_dir)
  message(FATAL_ERROR "libtorch not found. Run scripts/setup.sh (it installs the pinned torch into .venv), "
                      "or point CMake at a libtorch: -DTorch_DIR=<libtorch>/share/cmake/Torch "
                      "or -DCMAKE_PREFIX_PATH=<libtorch>.")
endif()
get_filename_component(_torch_root "${_torch_config_dir}/../../.." ABSOLUTE)

# Its version and CUDA version: version.py in a wheel, build-version in the zip.
set(TORCH_VERSION_STRING "unknown")
set(_torch_cuda_version "")
if(EXISTS "${_torch_root}/version.py")
  file(STRINGS "${_torch_root}/version.py" _lines REGEX "^(__version__|cuda)")
  foreach(_line IN LISTS _lines)
    if(_line MATCHES "^__version__ = '([^']+)'")
      set(TORCH_VERSION_STRING "${CMAKE_MATCH_1}")
    elseif(_line MATCHES "^cuda[^=]*= '([0-9.]+)'")
      set(_torch_cuda_version "${CMAKE_MATCH_1}")
    endif()
  endforeach()
elseif(EXISTS "${_torch_root}/build-version")
  file(READ "${_torch_root}/build-version" TORCH_VERSION_STRING)
  string(STRIP "${TORCH_VERSION_STRING}" TORCH_VERSION_STRING)
  if(TORCH_VERSION_STRING MATCHES "\\+cu([0-9]+)([0-9])$")
    set(_torch_cuda_version "${CMAKE_MATCH_1}.${CMAKE_MATCH_2}")
  endif()
endif()
set(_torch_has_cuda OFF)
if(EXISTS "${_torch_root}/lib/libtorch_cuda.so")
  set(_torch_has_cuda ON)
endif()

# 2. CUDA-enabled or not.
set(CLEAR_SWEEP_WITH_CUDA OFF)
set(_why "")
if(CLEAR_SWEEP_CUDA STREQUAL "OFF")
  set(_why "CLEAR_SWEEP_CUDA=OFF")
elseif(NOT _torch_has_cuda)
  set(_why "libtorch at ${_torch_root} has no CUDA")
else()
  # nvcc: CUDACXX or PATH first, then the toolkit's usual home.
  if(NOT DEFINED ENV{CUDACXX} AND NOT CMAKE_CUDA_COMPILER)
    find_program(_nvcc nvcc HINTS /usr/local/cuda/bin NO_CACHE)
    if(_nvcc)
      set(CMAKE_CUDA_COMPILER "${_nvcc}" CACHE FILEPATH "nvcc")
    endif()
  endif()
  include(CheckLanguage)
  check_language(CUDA)
  if(NOT CMAKE_CUDA_COMPILER)
    set(_why "no CUDA toolkit (nvcc) found")
  else()
    # Pitfall: "two conflicting CUDA versions" when the toolkit's libraries are looked
    # for elsewhere than beside the nvcc we use (e.g. Debian's nvcc and /usr/local/cuda).
    get_filename_component(_cuda_home "${CMAKE_CUDA_COMPILER}" DIRECTORY)
    get_filename_component(_cuda_home "${_cuda_home}" DIRECTORY)
    set(CUDAToolkit_ROOT "${_cuda_home}")
    set(CUDA_TOOLKIT_ROOT_DIR "${_cuda_home}")
    find_package(CUDAToolkit QUIET)
    # Pitfall: a toolkit of another major version than libtorch's would compile our CUDA
    # code against one runtime and run it against another.
    string(REGEX MATCH "^[0-9]+" _toolkit_major "${CUDAToolkit_VERSION}")
    string(REGEX MATCH "^[0-9]+" _torch_major "${_torch_cuda_version}")
    if(NOT CUDAToolkit_FOUND)
      set(_why "nvcc at ${CMAKE_CUDA_COMPILER} but no CUDA toolkit libraries beside it")
    elseif(_torch_major AND NOT _toolkit_major STREQUAL _torch_major)
      set(_why "the CUDA toolkit is ${CUDAToolkit_VERSION} but libtorch was built for CUDA ${_torch_cuda_version}; "
               "point CUDACXX at a ${_torch_major}.x nvcc")
    else()
      set(CLEAR_SWEEP_WITH_CUDA ON)
    endif()
  endif()
endif()
if(CLEAR_SWEEP_CUDA STREQUAL "ON" AND NOT CLEAR_SWEEP_WITH_CUDA)
  message(FATAL_ERROR "CLEAR_SWEEP_CUDA=ON, but ${_why}.")
endif()

# 3. Load libtorch.
if(CLEAR_SWEEP_WITH_CUDA)
  # Pitfall: without a GPU to probe, TorchConfig guesses a long architecture list (and
  # ignores CMAKE_CUDA_ARCHITECTURES). We compile no kernels of our own; name the data
  # centre parts we run on (A100, H100/H200), overridable.
  if(NOT DEFINED ENV{TORCH_CUDA_ARCH_LIST} AND NOT TORCH_CUDA_ARCH_LIST)
    set(TORCH_CUDA_ARCH_LIST "8.0;9.0" CACHE STRING "GPU architectures for TorchConfig")
  endif()
  unset(CMAKE_CUDA_ARCHITECTURES CACHE)
  # Pitfall: CUDA 12+ has no libnvToolsExt; older TorchConfigs still ask for the target.
  if(CUDAToolkit_VERSION VERSION_GREATER_EQUAL 12 AND NOT TARGET CUDA::nvToolsExt AND TARGET CUDA::nvtx3)
    add_library(CUDA::nvToolsExt INTERFACE IMPORTED)
    target_link_libraries(CUDA::nvToolsExt INTERFACE CUDA::nvtx3)
  endif()
  find_package(Torch REQUIRED CONFIG HINTS "${_torch_config_dir}")
  # Pitfall: TorchConfig links the toolkit's own libnvrtc, which would tie the binaries
  # to this machine's toolkit (a GPU node may only have the wheel's CUDA libraries, and
  # another version); nothing of ours calls NVRTC, and libtorch_cuda finds its own.
  list(FILTER TORCH_LIBRARIES EXCLUDE REGEX "libnvrtc")
  message(STATUS "clear-sweep: CUDA-enabled build, libtorch ${TORCH_VERSION_STRING}, CUDA toolkit ${CUDAToolkit_VERSION}")
else()
  # A CPU build. A CPU-only libtorch loads through its own config; a CUDA libtorch
  # without the toolkit is imported by hand (its config would insist on the toolkit):
  # libtorch.so still pulls libtorch_cuda in at run time, so a GPU remains usable.
  if(NOT _torch_has_cuda)
    find_package(Torch REQUIRED CONFIG HINTS "${_torch_config_dir}")
  else()
    add_library(clear_sweep_torch_cpu INTERFACE IMPORTED)
    target_include_directories(clear_sweep_torch_cpu SYSTEM INTERFACE
      "${_torch_root}/include" "${_torch_root}/include/torch/csrc/api/include")
    target_link_libraries(clear_sweep_torch_cpu INTERFACE
      "${_torch_root}/lib/libtorch.so" "${_torch_root}/lib/libtorch_cpu.so" "${_torch_root}/lib/libc10.so")
    # The linker resolves libtorch_cuda's own needs from the wheel's nvidia/ folders.
    target_link_options(clear_sweep_torch_cpu INTERFACE "-Wl,-rpath,${_torch_root}/lib")
    set(TORCH_LIBRARIES clear_sweep_torch_cpu)
  endif()
  message(STATUS "clear-sweep: CPU build (${_why}), libtorch ${TORCH_VERSION_STRING}")
endif()

# Pitfall: PyPI's libtorch.so carries and exports parts of a newer libstdc++ (for its
# manylinux build); linked before libstdc++ it wins the symbol lookup and its copies
# crash (std::filesystem::remove_all jumped to address 0). Naming libstdc++ first on
# every link line puts it first in the lookup order.
add_link_options("LINKER:--push-state,--no-as-needed" "-lstdc++" "LINKER:--pop-state")
