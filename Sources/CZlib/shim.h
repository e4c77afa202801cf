#ifndef AIRGAP_CZLIB_SHIM_H
#define AIRGAP_CZLIB_SHIM_H
#include <zlib.h>
/* inflateInit2 is a macro; 15 + 16 asks zlib for the gzip wrapper (header, CRC-32 and length checked). */
static inline int airgap_inflate_init_gzip(z_stream *stream) { return inflateInit2(stream, 15 + 16); }
#endif
