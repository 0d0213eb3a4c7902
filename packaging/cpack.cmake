# `cpack --config build/release/CPackConfig.cmake` (or packaging/package.sh) builds outlierlab_<version>_amd64.deb.
# Depends comes from dpkg-shlibdeps over every installed binary (LibTorch, Qt 6, QCustomPlot, HDF5, ...), plus
# what the programs load at run time without linking it: the threaded OpenBLAS (LibTorch otherwise falls back to
# the reference BLAS, ~60x slower) and Qt's platform plugins.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME outlierlab)
set(CPACK_PACKAGE_VENDOR "The OutlierLab developers")
set(CPACK_PACKAGE_CONTACT "The OutlierLab developers <maintainers@outlierlab.example.org>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "activation outlier workbench and quantizer for LLaMA-family models")
string(CONCAT CPACK_DEBIAN_PACKAGE_DESCRIPTION
       "OutlierLab opens a LLaMA-family checkpoint (Hugging Face safetensors or\n"
       "llama2.c), shows every layer's massive and normal activation outliers,\n"
       "previews DuQuant, RUQuant and RPTQ transforms, quantizes to low bit widths\n"
       "in the background, evaluates perplexity, zero-shot tasks and MMLU, and\n"
       "exports the result. The package holds the Qt workbench (outlierlab), the\n"
       "command-line tool (outlierlab-cli), the method plugins and a small demo\n"
       "model.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Our private library's directory, for dpkg-shlibdeps to resolve liboutlierlab_core without a shlibs file.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${CMAKE_BINARY_DIR}/core)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libopenblas0-pthread, qt6-qpa-plugins")
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://outlierlab.example.org")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
include(CPack)
