# Makes the web root of a build tree (cmake -P, at every build): the page's
# files from server/web/assets and the vendor libraries from Debian's
# packages, so that build/web is a complete copy that runs on a closed
# network (nothing from a CDN). Variables: SRC (server/web/assets), OUT,
# TAXONOMY (server/core/taxonomy.h).
file(MAKE_DIRECTORY ${OUT} ${OUT}/vendor/leaflet/images ${OUT}/vendor/chart.js)
if(EXISTS ${SRC})
  file(COPY ${SRC}/ DESTINATION ${OUT})
endif()
# js/vocabulary.js: the tiers' and lines' names as the server spells them,
# from taxonomy.h's FQ_TIER_NAME_* and FQ_LINE_NAME_* in their order, so that
# the page has no table of its own to drift. Written only when it changes.
file(STRINGS ${TAXONOMY} defines REGEX "^#define FQ_(TIER|LINE)_NAME_[A-Z]+ \"[a-z_]+\"$")
set(tiers "")
set(lines "")
foreach(d IN LISTS defines)
  string(REGEX MATCH "^#define FQ_(TIER|LINE)_NAME_[A-Z]+ \"([a-z_]+)\"$" _ "${d}")
  if(CMAKE_MATCH_1 STREQUAL "TIER")
    list(APPEND tiers "'${CMAKE_MATCH_2}'")
  else()
    list(APPEND lines "'${CMAKE_MATCH_2}'")
  endif()
endforeach()
list(LENGTH tiers n_tiers)
list(LENGTH lines n_lines)
if(NOT n_tiers EQUAL 3 OR NOT n_lines EQUAL 4)
  message(FATAL_ERROR "${TAXONOMY}: expected 3 FQ_TIER_NAME_* and 4 FQ_LINE_NAME_* one-line defines")
endif()
list(JOIN tiers ", " tiers)
list(JOIN lines ", " lines)
set(vocabulary "// Generated from server/core/taxonomy.h by server/web/webroot.cmake: do not edit.
// The tiers' and lines' names, in the server's order (fq_tier from 1, fq_line from 0).
export const TIERS = [${tiers}];
export const LINES = [${lines}];
")
set(old "")
if(EXISTS ${OUT}/js/vocabulary.js)
  file(READ ${OUT}/js/vocabulary.js old)
endif()
if(NOT old STREQUAL vocabulary)
  file(WRITE ${OUT}/js/vocabulary.js "${vocabulary}")
endif()
set(LEAFLET /usr/share/javascript/leaflet)
foreach(f leaflet.js leaflet.css leaflet.markercluster.js MarkerCluster.css MarkerCluster.Default.css)
  if(NOT EXISTS ${LEAFLET}/${f})
    message(FATAL_ERROR "${LEAFLET}/${f} is missing: install libjs-leaflet and libjs-leaflet.markercluster")
  endif()
  file(COPY ${LEAFLET}/${f} DESTINATION ${OUT}/vendor/leaflet)
endforeach()
file(GLOB images ${LEAFLET}/images/*.png)
file(COPY ${images} DESTINATION ${OUT}/vendor/leaflet/images)
if(NOT EXISTS /usr/share/javascript/chart.js/chart.min.js)
  message(FATAL_ERROR "/usr/share/javascript/chart.js/chart.min.js is missing: install libjs-chart.js")
endif()
file(COPY /usr/share/javascript/chart.js/chart.min.js DESTINATION ${OUT}/vendor/chart.js)
