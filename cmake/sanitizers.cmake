# One sanitizer set per build tree; tools/test.sh builds a tree for each.
if(AUTHSWITCH_SANITIZE)
  message(STATUS "authswitch: building with -fsanitize=${AUTHSWITCH_SANITIZE}")
  add_compile_options(-fsanitize=${AUTHSWITCH_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${AUTHSWITCH_SANITIZE})
endif()
