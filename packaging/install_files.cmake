# Installs the unit and the example config with the paths of the prefix
# given at install time (cmake --install --prefix P, or CPack's /usr), not
# the one the build was configured with: `cmake --install build --prefix
# /opt/fengqiao` makes a unit that runs /opt/fengqiao/bin/fengqiaod.
# Variables from packaging/CMakeLists.txt: FQ_PACKAGING_DIR, FQ_EXAMPLE_CONF,
# FQ_UNIT_DIR, FQ_BIN_DIR, FQ_DOC_DIR (relative to the prefix).
set(prefix "${CMAKE_INSTALL_PREFIX}")
# /usr's config lives in /etc (FHS); any other prefix keeps it inside
# (/opt/fengqiao/etc/fengqiao), so that an unpacked tree stays whole.
if(prefix STREQUAL "/usr")
  set(FQ_CONFIG_DIR_FULL /etc/fengqiao)
else()
  set(FQ_CONFIG_DIR_FULL "${prefix}/etc/fengqiao")
endif()
set(FQ_CONFIG_FILE "${FQ_CONFIG_DIR_FULL}/fengqiaod.conf")
set(FQ_BINDIR "${prefix}/${FQ_BIN_DIR}")
set(FQ_DOC_DIR "${prefix}/${FQ_DOC_DIR}")
# file(INSTALL) adds $ENV{DESTDIR} itself (CPack stages with it).
set(unit "${CMAKE_CURRENT_BINARY_DIR}/fengqiaod.service.${CMAKE_INSTALL_CONFIG_NAME}")
configure_file("${FQ_PACKAGING_DIR}/fengqiaod.service.in" "${unit}" @ONLY)
file(INSTALL "${unit}" DESTINATION "${prefix}/${FQ_UNIT_DIR}"
     RENAME fengqiaod.service PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
file(INSTALL "${FQ_EXAMPLE_CONF}" DESTINATION "${FQ_CONFIG_DIR_FULL}"
     PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
