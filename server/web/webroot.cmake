# Makes the web root of a build tree (cmake -P, at every build): the page's
# files from server/web/assets and the vendor libraries from Debian's
# packages, so that build/web is a complete copy that runs on a closed
# network (nothing from a CDN). Variables: SRC (server/web/assets), OUT.
file(MAKE_DIRECTORY ${OUT} ${OUT}/vendor/leaflet/images ${OUT}/vendor/chart.js)
if(EXISTS ${SRC})
  file(COPY ${SRC}/ DESTINATION ${OUT})
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
