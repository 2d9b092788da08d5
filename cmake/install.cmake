# Install rules (GNUInstallDirs): `cmake --install build` or the Debian package (debian/rules).
# Paths: CMAKE_INSTALL_PREFIX (default /usr/local); with prefix /usr, /etc and /var are used.
#   bin/helpdeskd                          the binary
#   HD_SYSTEMD_UNITDIR/helpdeskd.service   the unit, with the installed paths filled in
#   lib/sysusers.d/helpdeskd.conf          the helpdeskd system user (systemd-sysusers)
#   SYSCONFDIR/helpdeskd/                  helpdeskd.toml.example; rules.sieve and templates/
#                                          only when absent (an admin's files are kept)
#   share/doc/helpdeskd/                   README, docs/*.md, examples/ (config, rules, cron)
#   share/man/man{5,8}/                    helpdeskd(8), helpdeskd.toml(5), helpdeskd-rules(5)
#   share/bash-completion/completions/     helpdeskd
set(HD_SYSTEMD_UNITDIR "${CMAKE_INSTALL_PREFIX}/lib/systemd/system"
    CACHE PATH "Where the systemd unit is installed (Debian 12: /lib/systemd/system)")
set(HD_SYSUSERSDIR "${CMAKE_INSTALL_PREFIX}/lib/sysusers.d"
    CACHE PATH "Where the systemd-sysusers file is installed")
set(hd_etc "${CMAKE_INSTALL_FULL_SYSCONFDIR}/helpdeskd")

install(TARGETS helpdeskd RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# The unit and the cron line name the installed binary and configuration.
set(BINDIR "${CMAKE_INSTALL_FULL_BINDIR}")
set(SYSCONFDIR "${CMAKE_INSTALL_FULL_SYSCONFDIR}")
configure_file(etc/helpdeskd.service.in helpdeskd.service @ONLY)
configure_file(etc/helpdeskd.cron.in helpdeskd.cron @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/helpdeskd.service DESTINATION ${HD_SYSTEMD_UNITDIR})
install(FILES etc/helpdeskd.sysusers DESTINATION ${HD_SYSUSERSDIR} RENAME helpdeskd.conf)

# Configuration: the example always (it is ours); rules and templates only where the admin
# has none yet. DESTDIR (a package's staging tree) is empty, so a package gets them all and
# dpkg keeps an admin's changes as conffiles.
install(FILES etc/helpdeskd.toml DESTINATION ${hd_etc} RENAME helpdeskd.toml.example)
# (file(INSTALL) adds DESTDIR itself; the test for an existing file must add it.)
install(CODE "
  set(etc \"\$ENV{DESTDIR}${hd_etc}\")
  if(NOT EXISTS \"\${etc}/rules.sieve\")
    file(INSTALL \"${CMAKE_SOURCE_DIR}/etc/rules.sieve\" DESTINATION \"${hd_etc}\")
  endif()
  if(NOT EXISTS \"\${etc}/templates\")
    file(INSTALL \"${CMAKE_SOURCE_DIR}/etc/templates\" DESTINATION \"${hd_etc}\")
  endif()")

install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
file(GLOB hd_docs CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/docs/*.md)
install(FILES ${hd_docs} DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs)
install(FILES etc/helpdeskd.toml etc/rules.sieve ${CMAKE_BINARY_DIR}/helpdeskd.cron
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
install(FILES etc/bash-completion/helpdeskd
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)

# Man pages, made by pandoc from Markdown: helpdeskd.toml(5) from docs/config.md itself and
# helpdeskd-rules(5) from docs/rules.md, so the man pages and the docs cannot drift apart.
if(HD_MAN)
  find_program(PANDOC pandoc)
  if(NOT PANDOC)
    message(FATAL_ERROR "pandoc not found: apt install pandoc, or configure with -DHD_MAN=OFF")
  endif()
  set(man_dir ${CMAKE_SOURCE_DIR}/docs/man)
  # page section sources...
  set(hd_pages
      "helpdeskd|8|${man_dir}/helpdeskd.8.md"
      "helpdeskd.toml|5|${man_dir}/helpdeskd.toml.5.md|${CMAKE_SOURCE_DIR}/docs/config.md|${man_dir}/see-also.md"
      "helpdeskd-rules|5|${man_dir}/helpdeskd-rules.5.md|${CMAKE_SOURCE_DIR}/docs/rules.md|${man_dir}/see-also.md")
  set(hd_man_outputs "")
  foreach(page IN LISTS hd_pages)
    string(REPLACE "|" ";" parts "${page}")
    list(POP_FRONT parts name section)
    set(out ${CMAKE_BINARY_DIR}/man/${name}.${section})
    add_custom_command(
      OUTPUT ${out}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
      COMMAND ${PANDOC} --standalone --to man --lua-filter ${man_dir}/man.lua
              -M "footer=helpdeskd ${PROJECT_VERSION}" -M "header=helpdeskd manual"
              -o ${out} ${parts}
      DEPENDS ${parts} ${man_dir}/man.lua
      COMMENT "Man page ${name}(${section})"
      VERBATIM)
    list(APPEND hd_man_outputs ${out})
    install(FILES ${out} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
  endforeach()
  add_custom_target(man ALL DEPENDS ${hd_man_outputs})
endif()
