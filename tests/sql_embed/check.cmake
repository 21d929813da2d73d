# The SQL embedding (server/store/sql/embed.cmake) of a statement whose
# comment and text hold what a CMake list, a C string or a C comment would
# break (tricky.sql), compared with the header it must give
# (tricky.expected): ';', '[', '…', quotes, a backslash and "*/" in the
# comment; a comment at a line's end; {{MACRO(a, b)}} with a comma and a
# parenthesis inside quotes; E'\n'.
#
# cmake -DSRC=<source dir> -DOUT=<scratch header> -P check.cmake
execute_process(COMMAND ${CMAKE_COMMAND} -DSQL_DIR=${SRC}/tests/sql_embed -DOUT=${OUT}
                        -P ${SRC}/server/store/sql/embed.cmake
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "embed.cmake failed: ${rc}")
endif()
file(READ ${OUT} got)
file(READ ${SRC}/tests/sql_embed/tricky.expected want)
if(NOT got STREQUAL want)
  message(FATAL_ERROR "embed.cmake gave\n${got}\ninstead of\n${want}")
endif()
