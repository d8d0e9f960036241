# Run by `cmake --install` (dist/CMakeLists.txt sets the BPFAUDIT_* values).
# CMAKE_INSTALL_PREFIX here is the install-time prefix.
foreach(rel SBIN DOC)
  if(IS_ABSOLUTE "${BPFAUDIT_${rel}_REL}")
    set(${rel}_DIR "${BPFAUDIT_${rel}_REL}")
  else()
    set(${rel}_DIR "${CMAKE_INSTALL_PREFIX}/${BPFAUDIT_${rel}_REL}")
  endif()
endforeach()
if(BPFAUDIT_UNIT_DIR)
  set(unit_dir "${BPFAUDIT_UNIT_DIR}")
else()
  set(unit_dir "${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
endif()
# file(INSTALL) puts DESTDIR in front itself; the checks need it spelled out.
set(dest "$ENV{DESTDIR}")

# The unit names the daemon where this install put it.
set(BPFAUDIT_SBIN_DIR "${SBIN_DIR}")
set(BPFAUDIT_DOC_DIR "${DOC_DIR}")
configure_file("${BPFAUDIT_DIST_DIR}/systemd/bpfaudit.service.in"
               "${BPFAUDIT_WORK_DIR}/bpfaudit.service" @ONLY)
file(INSTALL "${BPFAUDIT_WORK_DIR}/bpfaudit.service" DESTINATION "${unit_dir}"
     FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)

# Configuration: only what is missing. Modes as Debian's auditd package
# ships them (0750 directories, 0640 files): plugins.d's files must be
# root's and not world-writable for either daemon to read them.
function(install_missing src dir)
  get_filename_component(name "${src}" NAME)
  if(EXISTS "${dest}${dir}/${name}")
    message(STATUS "Keeping existing: ${dest}${dir}/${name}")
    return()
  endif()
  file(INSTALL "${src}" DESTINATION "${dir}"
       FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ
       DIR_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE)
endfunction()
foreach(d "${BPFAUDIT_CONFIG_DIR}" "${BPFAUDIT_CONFIG_DIR}/plugins.d" "${BPFAUDIT_CONFIG_DIR}/rules.d")
  if(NOT EXISTS "${dest}${d}")
    file(MAKE_DIRECTORY "${dest}${d}")
    file(CHMOD "${dest}${d}" DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE
         GROUP_READ GROUP_EXECUTE)
  endif()
endforeach()
install_missing("${BPFAUDIT_DIST_DIR}/audit/auditd.conf" "${BPFAUDIT_CONFIG_DIR}")
install_missing("${BPFAUDIT_DIST_DIR}/audit/plugins.d/json.conf" "${BPFAUDIT_CONFIG_DIR}/plugins.d")
# The log's directory, 0700 as auditd's package makes it, when missing.
if(NOT EXISTS "${dest}/var/log/audit")
  file(MAKE_DIRECTORY "${dest}/var/log/audit")
  file(CHMOD "${dest}/var/log/audit" DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE)
endif()
