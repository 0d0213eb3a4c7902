# CTest install_tree: `cmake --install` into a fresh prefix, then the installed outlierlab-cli must find its
# library, plugins and bundled files there (not in the build or source tree) and reproduce the golden perplexity.
# -DBUILD=<build dir> -DPREFIX=<scratch prefix>
file(REMOVE_RECURSE ${PREFIX})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD} --prefix ${PREFIX} OUTPUT_QUIET RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install failed (${rc})")
endif()
foreach(f bin/outlierlab-cli lib/outlierlab/core/liboutlierlab_core.so.0 share/outlierlab/demo/stories260K.bin
          share/man/man1/outlierlab-cli.1.gz share/doc/outlierlab/copyright share/doc/outlierlab/changelog.gz
          share/mime/packages/outlierlab.xml share/metainfo/org.outlierlab.OutlierLab.metainfo.xml)
  if(NOT EXISTS ${PREFIX}/${f})
    message(FATAL_ERROR "not installed: ${f}")
  endif()
endforeach()
set(ENV{OUTLIERLAB_RESOURCES} "")
set(ENV{OUTLIERLAB_PLUGIN_PATH} "")
execute_process(COMMAND ${PREFIX}/bin/outlierlab-cli eval --seqlen 256 --nsamples 8 --json --quiet
                OUTPUT_VARIABLE eval RESULT_VARIABLE rc)
string(JSON text GET "${eval}" text)
string(JSON ppl GET "${eval}" ppl)
if(NOT rc EQUAL 0 OR NOT text STREQUAL "${PREFIX}/share/outlierlab/corpus/stories-eval.txt")
  message(FATAL_ERROR "installed eval: rc ${rc}, text '${text}' (expected the installed corpus)")
endif()
execute_process(COMMAND ${PREFIX}/bin/outlierlab-cli methods --json OUTPUT_VARIABLE methods RESULT_VARIABLE rc)
string(JSON count LENGTH "${methods}" methods)
if(NOT rc EQUAL 0 OR NOT count EQUAL 5)
  message(FATAL_ERROR "installed methods: rc ${rc}, ${count} methods (expected the 5 installed plugins)")
endif()
message(STATUS "installed tree: perplexity ${ppl} over 8 windows from ${text}, ${count} plugins")
