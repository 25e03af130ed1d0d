find_package(PkgConfig)

PKG_CHECK_MODULES(PC_GR_JSCC gnuradio-jscc)

FIND_PATH(
    GR_JSCC_INCLUDE_DIRS
    NAMES gnuradio/jscc/api.h
    HINTS $ENV{JSCC_DIR}/include
        ${PC_JSCC_INCLUDEDIR}
    PATHS ${CMAKE_INSTALL_PREFIX}/include
          /usr/local/include
          /usr/include
)

FIND_LIBRARY(
    GR_JSCC_LIBRARIES
    NAMES gnuradio-jscc
    HINTS $ENV{JSCC_DIR}/lib
        ${PC_JSCC_LIBDIR}
    PATHS ${CMAKE_INSTALL_PREFIX}/lib
          ${CMAKE_INSTALL_PREFIX}/lib64
          /usr/local/lib
          /usr/local/lib64
          /usr/lib
          /usr/lib64
          )

include("${CMAKE_CURRENT_LIST_DIR}/gnuradio-jsccTarget.cmake")

INCLUDE(FindPackageHandleStandardArgs)
FIND_PACKAGE_HANDLE_STANDARD_ARGS(GR_JSCC DEFAULT_MSG GR_JSCC_LIBRARIES GR_JSCC_INCLUDE_DIRS)
MARK_AS_ADVANCED(GR_JSCC_LIBRARIES GR_JSCC_INCLUDE_DIRS)
