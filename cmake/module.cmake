# hd_module(NAME DEPENDS <modules...> LIBS <private targets...> PUBLIC_LIBS <targets...>)
#
# Declares module NAME as a static library built from NAME/src/*.cpp with public headers in
# NAME/include/hd/NAME/. The dependency direction of STYLE.md is enforced here:
#   common <- {mailparse, rules, templates, storage} <- daemon rooms (imap, net, intake,
#   http, api, service, cli)
# A module may only depend on the modules allowed below; anything else is a configure error,
# so a cycle or a sideways include cannot creep in.
set(HD_ALLOWED_common "")
set(HD_ALLOWED_mailparse "common")
set(HD_ALLOWED_rules "common")
set(HD_ALLOWED_templates "common")
set(HD_ALLOWED_storage "common")
# The daemon's rooms (daemon/*/): see daemon/CMakeLists.txt and docs/architecture.md.
set(HD_ALLOWED_imap "common")
set(HD_ALLOWED_net "common;imap")
set(HD_ALLOWED_intake "common;mailparse;rules;templates;storage")
set(HD_ALLOWED_http "common")
set(HD_ALLOWED_api "common;mailparse;rules;templates;storage;intake;http")
set(HD_ALLOWED_service "common;mailparse;rules;templates;storage;imap;net;intake;http;api")
set(HD_ALLOWED_cli "common;mailparse;rules;templates;storage;imap;net;intake;service;http;api")

function(hd_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic
                                           $<$<CXX_COMPILER_ID:GNU>:-Wshadow=local>
                                           -Wnon-virtual-dtor -Wimplicit-fallthrough)
  if(HD_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

function(hd_module name)
  cmake_parse_arguments(M "" "" "DEPENDS;LIBS;PUBLIC_LIBS" ${ARGN})
  foreach(dep IN LISTS M_DEPENDS)
    if(NOT dep IN_LIST HD_ALLOWED_${name})
      message(FATAL_ERROR "module '${name}' may not depend on '${dep}' (see STYLE.md)")
    endif()
  endforeach()
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/src/*.cpp)
  add_library(hd_${name} STATIC ${srcs} ${CMAKE_SOURCE_DIR}/cmake/empty.cpp)
  target_include_directories(hd_${name} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include
                                        PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
  set(deps "")
  foreach(dep IN LISTS M_DEPENDS)
    list(APPEND deps hd_${dep})
  endforeach()
  target_link_libraries(hd_${name} PUBLIC ${deps} ${M_PUBLIC_LIBS} PRIVATE ${M_LIBS})
  hd_warnings(hd_${name})
endfunction()

if(HD_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
if(HD_TSAN)
  # -Wno-tsan: GCC warns that Boost's atomic_thread_fence is not modelled by TSan; the daemon
  # itself uses mutexes, condition variables and atomics, which TSan understands.
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer $<$<CXX_COMPILER_ID:GNU>:-Wno-tsan>)
  add_link_options(-fsanitize=thread)
endif()
if(HD_FUZZ)
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
