# Translations of the clients (gettext). fq_add_translations(DOMAIN PO_DIR)
# compiles every PO_DIR/<lang>.po into
# ${FQ_LOCALEDIR_BUILD}/<lang>/LC_MESSAGES/DOMAIN.mo (what a client run from
# the build tree reads; server/ops/paths.h) and installs it under share/locale.
find_program(FQ_MSGFMT msgfmt REQUIRED)
set(FQ_LOCALEDIR_BUILD ${CMAKE_BINARY_DIR}/locale)
add_custom_target(translations ALL)

function(fq_add_translations domain po_dir)
  file(GLOB po_files ${po_dir}/*.po)
  foreach(po ${po_files})
    get_filename_component(lang ${po} NAME_WE)
    set(mo ${FQ_LOCALEDIR_BUILD}/${lang}/LC_MESSAGES/${domain}.mo)
    add_custom_command(OUTPUT ${mo}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${FQ_LOCALEDIR_BUILD}/${lang}/LC_MESSAGES
      COMMAND ${FQ_MSGFMT} --check --output-file=${mo} ${po}
      DEPENDS ${po} VERBATIM)
    add_custom_target(translation-${domain}-${lang} DEPENDS ${mo})
    add_dependencies(translations translation-${domain}-${lang})
    install(FILES ${mo} DESTINATION ${CMAKE_INSTALL_LOCALEDIR}/${lang}/LC_MESSAGES)
  endforeach()
endfunction()
