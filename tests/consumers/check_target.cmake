# Included by each consumer project after wscodec::wscodec exists: the target
# carries wscodec's include directory and C++20, nothing else (no warning or
# other compile flags, definitions or link libraries for its users), and,
# when wscodec's own CMakeLists.txt ran (add_subdirectory, FetchContent), it
# defined no target but the library.
foreach(_prop INTERFACE_COMPILE_OPTIONS INTERFACE_COMPILE_DEFINITIONS INTERFACE_LINK_LIBRARIES INTERFACE_LINK_OPTIONS)
  get_target_property(_value wscodec::wscodec ${_prop})
  if(_value)
    message(FATAL_ERROR "wscodec::wscodec sets ${_prop} for its users: ${_value}")
  endif()
endforeach()
get_target_property(_value wscodec::wscodec INTERFACE_COMPILE_FEATURES)
if(NOT _value STREQUAL "cxx_std_20")
  message(FATAL_ERROR "wscodec::wscodec's compile features are '${_value}', not cxx_std_20")
endif()
if(DEFINED wscodec_SOURCE_DIR)
  get_property(_value DIRECTORY "${wscodec_SOURCE_DIR}" PROPERTY BUILDSYSTEM_TARGETS)
  if(NOT _value STREQUAL "wscodec")
    message(FATAL_ERROR "wscodec's CMakeLists.txt defines the targets '${_value}', not only wscodec")
  endif()
endif()
