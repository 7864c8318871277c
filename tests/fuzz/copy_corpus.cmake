# copy_corpus.cmake - replaces DST with a fresh copy of the seed corpus SRC,
# so a fuzz run starts from the committed seeds and never writes to them.
#   cmake -DSRC=<committed corpus> -DDST=<build copy> -P copy_corpus.cmake
if(NOT IS_DIRECTORY "${SRC}")
  message(FATAL_ERROR "no seed corpus at ${SRC}")
endif()
file(REMOVE_RECURSE "${DST}")
file(MAKE_DIRECTORY "${DST}")
file(GLOB seeds "${SRC}/*")
if(NOT seeds)
  message(FATAL_ERROR "the seed corpus ${SRC} is empty")
endif()
file(COPY ${seeds} DESTINATION "${DST}")
