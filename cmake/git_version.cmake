# Writes OUT (a C++ source defining the version strings) from IN, at build
# time, so --version and exported manifests name the commit the binary was
# built from, with "-dirty" when tracked files differ from it. configure_file
# leaves OUT untouched when the text is unchanged, so an unchanged tree
# rebuilds nothing.
#   cmake -DIN=... -DOUT=... -DSOURCE_DIR=... -DPROJECT_VERSION=... -P git_version.cmake
execute_process(COMMAND git rev-parse --short=12 HEAD
                WORKING_DIRECTORY ${SOURCE_DIR}
                OUTPUT_VARIABLE MAMBAHW_GIT_COMMIT OUTPUT_STRIP_TRAILING_WHITESPACE
                RESULT_VARIABLE rc ERROR_QUIET)
if(NOT rc EQUAL 0 OR NOT MAMBAHW_GIT_COMMIT)
  set(MAMBAHW_GIT_COMMIT "unknown")
else()
  execute_process(COMMAND git status --porcelain --untracked-files=no
                  WORKING_DIRECTORY ${SOURCE_DIR}
                  OUTPUT_VARIABLE changes OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(changes)
    string(APPEND MAMBAHW_GIT_COMMIT "-dirty")
  endif()
endif()
configure_file(${IN} ${OUT} @ONLY)
