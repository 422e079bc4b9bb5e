# install-system-files.cmake: run by `cmake --install` and cpack (install(CODE)
# in packaging/CMakeLists.txt sets KMIRROR_SOURCE_DIR, KMIRROR_BINARY_DIR,
# KMIRROR_BINDIR and KMIRROR_DOCDIR). It installs what must follow the install prefix, which is
# only known now (cpack installs with prefix /usr, scripts/build.sh's build
# dirs are configured with /usr/local):
#
#   prefix      unit                                   configuration
#   /usr        /lib/systemd/system/kmirror.service    /etc/kmirror/       (the .deb)
#   other       PREFIX/lib/systemd/system/...          PREFIX/etc/kmirror/
#
# The unit is systemd/kmirror.service with /usr/bin/kmirror and /etc/kmirror
# rewritten to these paths. An existing kmirror.yaml or kmirror.env is never
# overwritten (the .deb marks both as conffiles instead).

set(prefix "${CMAKE_INSTALL_PREFIX}")
string(REGEX REPLACE "/+$" "" prefix "${prefix}")
if(prefix STREQUAL "/usr")
    # Debian 12 ships package units in /lib/systemd/system (not /usr/lib:
    # dpkg does not know they are the same directory).
    set(unit_dir "/lib/systemd/system")
    set(conf_dir "/etc/kmirror")
else()
    set(unit_dir "${prefix}/lib/systemd/system")
    set(conf_dir "${prefix}/etc/kmirror")
endif()
set(binary "${prefix}/${KMIRROR_BINDIR}/kmirror")

file(READ "${KMIRROR_SOURCE_DIR}/systemd/kmirror.service" unit)
if(NOT prefix STREQUAL "/usr")
    string(REPLACE "/usr/bin/kmirror" "${binary}" unit "${unit}")
    string(REPLACE "/etc/kmirror/" "${conf_dir}/" unit "${unit}")
    string(REPLACE "/usr/share/doc/kmirror/" "${prefix}/${KMIRROR_DOCDIR}/" unit "${unit}")
    # ConfigurationDirectory= names a directory under /etc only.
    string(REPLACE "\nConfigurationDirectory=kmirror\n" "\n" unit "${unit}")
    set(unit "# Written by `cmake --install` (prefix ${prefix}) from systemd/kmirror.service.\n${unit}")
endif()
set(generated "${KMIRROR_BINARY_DIR}/packaging/kmirror.service")
file(WRITE "${generated}" "${unit}")
file(INSTALL "${generated}" DESTINATION "${unit_dir}"
     PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)

# The configuration: readable by the service user (no secrets in it); the
# environment file holds secrets and is read by systemd (root) only.
foreach(pair "packaging/kmirror.yaml|kmirror.yaml|644" "systemd/kmirror.env|kmirror.env|640")
    string(REPLACE "|" ";" pair "${pair}")
    list(GET pair 0 source)
    list(GET pair 1 name)
    list(GET pair 2 mode)
    if(EXISTS "$ENV{DESTDIR}${conf_dir}/${name}")
        message(STATUS "Keeping: $ENV{DESTDIR}${conf_dir}/${name}")
        continue()
    endif()
    if(mode STREQUAL "640")
        set(permissions OWNER_READ OWNER_WRITE GROUP_READ)
    else()
        set(permissions OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
    endif()
    file(INSTALL "${KMIRROR_SOURCE_DIR}/${source}" DESTINATION "${conf_dir}"
         PERMISSIONS ${permissions})
endforeach()
